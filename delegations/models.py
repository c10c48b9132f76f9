"""Stored trust data for signature verification: anchors, their 4-eyes changes, imported CRLs.

(The delegation models themselves arrive with the lifecycle issue.)
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class TrustAnchorQuerySet(models.QuerySet["TrustAnchor"]):
    def active(self) -> TrustAnchorQuerySet:
        return self.filter(status__in=[TrustAnchor.Status.ACTIVE, TrustAnchor.Status.REMOVAL_PENDING])


class TrustAnchor(models.Model):
    """A J-LIS signing CA certificate (or, in the demo only, the test root) that operators installed."""

    class Status(models.TextChoices):
        ADDITION_PENDING = "addition_pending", _("追加の承認待ち")
        ACTIVE = "active", _("有効")
        REMOVAL_PENDING = "removal_pending", _("削除の承認待ち（有効）")
        REMOVED = "removed", _("削除済み")
        REJECTED = "rejected", _("追加を却下")

    certificate_der = models.BinaryField(_("証明書（DER）"))
    fingerprint_sha256 = models.CharField(_("SHA-256 フィンガープリント"), max_length=64, unique=True)
    subject = models.CharField(_("主体者"), max_length=512)
    not_before = models.DateTimeField(_("有効期間の開始"))
    not_after = models.DateTimeField(_("有効期間の終了"))
    is_test_pki = models.BooleanField(_("テスト用 PKI"), default=False)
    label = models.CharField(_("名称"), max_length=120, blank=True)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.ADDITION_PENDING)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    objects = TrustAnchorQuerySet.as_manager()

    class Meta:
        verbose_name = _("トラストアンカー")
        verbose_name_plural = _("トラストアンカー")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label or self.subject} ({self.fingerprint_sha256[:16]}…)"

    @property
    def audit_id(self) -> str:
        return self.fingerprint_sha256

    @property
    def matches_jlis(self) -> bool:
        """Whether the fingerprint is one J-LIS published (settings.JLIS_SIGN_CA_FINGERPRINTS)."""
        published = {f.replace(":", "").upper() for f in settings.JLIS_SIGN_CA_FINGERPRINTS}
        return self.fingerprint_sha256 in published

    @property
    def is_trusted(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.REMOVAL_PENDING)


class AnchorChange(models.Model):
    """A requested addition or removal; a second staff member decides (4-eyes)."""

    class Action(models.TextChoices):
        ADD = "add", _("追加")
        REMOVE = "remove", _("削除")

    class Decision(models.TextChoices):
        PENDING = "pending", _("承認待ち")
        APPROVED = "approved", _("承認")
        REJECTED = "rejected", _("却下")

    anchor = models.ForeignKey(TrustAnchor, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申請者")
    )
    requested_at = models.DateTimeField(_("申請日時"), auto_now_add=True)
    decision = models.CharField(_("判断"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("承認者"),
    )
    decided_at = models.DateTimeField(_("判断日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("トラストアンカーの変更申請")
        verbose_name_plural = _("トラストアンカーの変更申請")
        ordering = ["-requested_at"]
        permissions = [("approve_anchorchange", _("トラストアンカーの変更を承認・却下できる"))]
        constraints = [
            # The database refuses a self-approval even if the service layer were bypassed.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="anchorchange_four_eyes",
            ),
            models.UniqueConstraint(
                fields=["anchor"], condition=Q(decision="pending"), name="anchorchange_one_pending_per_anchor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.anchor} ({self.get_decision_display()})"


class RevocationListQuerySet(models.QuerySet["RevocationList"]):
    def current_for(self, issuer_fingerprint: str) -> RevocationList | None:
        # Never load the CRL bytes on the lookup path (a million-entry CRL is ~25 MB).
        return self.filter(issuer_fingerprint=issuer_fingerprint, is_current=True).defer("der").first()


class RevocationList(models.Model):
    """An imported CRL. Its entries live in RevokedSerial so a lookup never parses the CRL."""

    anchor = models.ForeignKey(TrustAnchor, on_delete=models.PROTECT, related_name="crls", verbose_name=_("発行者"))
    issuer_fingerprint = models.CharField(_("発行者フィンガープリント"), max_length=64)
    crl_number = models.DecimalField(_("CRL 番号"), max_digits=50, decimal_places=0, null=True)
    this_update = models.DateTimeField(_("発行日時（thisUpdate）"))
    next_update = models.DateTimeField(_("次回更新予定（nextUpdate）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveBigIntegerField(_("サイズ（バイト）"))
    entries = models.PositiveIntegerField(_("失効件数"))
    der = models.BinaryField(_("CRL（DER）"), editable=False)
    is_current = models.BooleanField(_("現行"), default=True)
    imported_at = models.DateTimeField(_("取込日時"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("取込者"),
    )

    objects = RevocationListQuerySet.as_manager()

    class Meta:
        verbose_name = _("失効リスト（CRL）")
        verbose_name_plural = _("失効リスト（CRL）")
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_fingerprint"],
                condition=Q(is_current=True),
                name="revocationlist_one_current_per_issuer",
            )
        ]

    def __str__(self) -> str:
        return f"CRL #{self.crl_number} ({self.this_update:%Y-%m-%d %H:%M})"

    @property
    def audit_id(self) -> str:
        return self.sha256

    def evidence(self) -> dict[str, Any]:
        return {
            "crl_number": int(self.crl_number) if self.crl_number is not None else None,
            "crl_sha256": self.sha256,
            "this_update": self.this_update.isoformat(),
            "next_update": self.next_update.isoformat(),
            "imported_at": self.imported_at.isoformat(),
        }


class RevokedSerial(models.Model):
    """One entry of a current CRL. Serial as upper-case hex (serials run to 20 octets)."""

    crl = models.ForeignKey(RevocationList, on_delete=models.CASCADE, related_name="+", db_index=False)
    serial = models.CharField(max_length=40)
    revoked_at = models.DateTimeField()
    reason = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("失効した証明書")
        verbose_name_plural = _("失効した証明書")
        indexes = [models.Index(fields=["crl", "serial"], name="revokedserial_lookup")]

    def __str__(self) -> str:
        return self.serial
