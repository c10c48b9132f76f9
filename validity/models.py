"""Recipients (受領者等, §5.2) and their API keys.

State changes go through ``validity/services/``; this module holds rows and query vocabulary.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import ActorRecord
from registry.models import AbstractInvitation, AbstractMembership


class RecipientOrganisationQuerySet(models.QuerySet["RecipientOrganisation"]):
    def approved(self) -> RecipientOrganisationQuerySet:
        return self.filter(status=RecipientOrganisation.Status.APPROVED)

    def pending(self) -> RecipientOrganisationQuerySet:
        return self.filter(status=RecipientOrganisation.Status.PENDING)


def _public_id() -> str:
    return secrets.token_hex(8)


class RecipientOrganisation(models.Model):
    """A registered recipient (§5.2): the organisation or sole proprietor that checks delegations."""

    class Kind(models.TextChoices):
        CORPORATION = "corporation", _("法人・団体")
        SOLE_PROPRIETOR = "sole_proprietor", _("個人事業主")

    class Status(models.TextChoices):
        PENDING = "pending", _("承認待ち")
        APPROVED = "approved", _("承認済み")
        SUSPENDED = "suspended", _("利用停止")
        REJECTED = "rejected", _("却下")

    public_id = models.CharField(_("公開ID"), max_length=16, unique=True, default=_public_id, editable=False)
    kind = models.CharField(_("種別"), max_length=16, choices=Kind.choices, default=Kind.CORPORATION)
    name = models.CharField(_("名称（法人名・屋号）"), max_length=200)
    address = models.CharField(_("所在地"), max_length=200)
    representative_title = models.CharField(_("代表者の役職"), max_length=100, blank=True)
    representative_name = models.CharField(_("代表者の氏名"), max_length=100)
    representative_address = models.CharField(_("代表者の住所"), max_length=200)
    representative_date_of_birth = models.DateField(_("代表者の生年月日（個人事業主）"), null=True, blank=True)
    declarant_name = models.CharField(_("申請者の氏名"), max_length=100)
    # 受付番号 of the registration (registry/reception.py).
    reception_number = models.CharField(_("受付番号"), max_length=20, blank=True, db_index=True, editable=False)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.PENDING)
    status_reason = models.CharField(_("理由"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("登録日時"), default=timezone.now, editable=False)
    decided_at = models.DateTimeField(_("判断日時"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("判断した職員"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects: ClassVar[Any] = RecipientOrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("受領者等")
        verbose_name_plural = _("受領者等")
        ordering = ["-created_at"]
        permissions = [("decide_recipientorganisation", _("受領者等の承認・停止・却下"))]
        constraints = [
            # A sole proprietor gives the date of birth (§5.2), until retention erases the
            # representative's data (validity/retention.py).
            models.CheckConstraint(
                condition=~models.Q(kind="sole_proprietor")
                | models.Q(representative_date_of_birth__isnull=False)
                | models.Q(representative_name=""),
                name="recipient_sole_proprietor_has_date_of_birth",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_id(self) -> str:
        return self.public_id

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED


class RecipientMember(AbstractMembership):
    """A recipient-kind account acting for one organisation, with its role (registry.members): an
    administrator invites and removes members and manages the API keys; a member checks delegations
    and reads the organisation's history."""

    organisation = models.ForeignKey(
        RecipientOrganisation, on_delete=models.CASCADE, related_name="members", verbose_name=_("受領者等")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recipient_membership",
        verbose_name=_("アカウント"),
        limit_choices_to={"kind": "recipient"},
    )
    created_at = models.DateTimeField(_("登録日時"), default=timezone.now)

    class Meta:
        verbose_name = _("受領者等の担当者")
        verbose_name_plural = _("受領者等の担当者")

    def __str__(self) -> str:
        return f"{self.organisation} / {self.user}"


class RecipientInvitation(AbstractInvitation):
    """An invitation to join a recipient organisation."""

    organisation = models.ForeignKey(
        RecipientOrganisation, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("受領者等")
    )

    class Meta:
        verbose_name = _("受領者等の担当者の招待")
        verbose_name_plural = _("受領者等の担当者の招待")


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def live(self) -> ApiKeyQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """An API key of a recipient organisation. The secret is shown once and stored as its SHA-256:
    with 256 random bits a plain digest cannot be brute-forced, and no server secret is needed to
    check it. ``prefix`` is the public part of the key, unique, used to find the row."""

    organisation = models.ForeignKey(
        RecipientOrganisation, on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("受領者等")
    )
    label = models.CharField(_("名前"), max_length=100)
    prefix = models.CharField(_("キーの先頭部分"), max_length=32, unique=True)
    secret_sha256 = models.CharField(_("ハッシュ値"), max_length=64)
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("作成者")
    )
    expires_at = models.DateTimeField(_("有効期限"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最終利用日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("失効日時"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("失効させた人"),
    )

    objects: ClassVar[Any] = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API キー")
        verbose_name_plural = _("API キー")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"

    @property
    def audit_id(self) -> str:
        return self.prefix

    def audit_actor(self) -> ActorRecord:
        return ActorRecord("api_key", self.prefix, f"{self.organisation.name} / {self.label}")

    def is_usable(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return (
            self.revoked_at is None
            and (self.expires_at is None or self.expires_at > now)
            and self.organisation.status == RecipientOrganisation.Status.APPROVED
        )

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return str(_("失効"))
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return str(_("期限切れ"))
        return str(_("有効"))


class CheckResult(models.Model):
    """One check made through the validity form, kept for the organisation that made it: the answer
    exactly as given then (and its signed record), so the result page has an address that can be
    bookmarked or reopened from the history without asking again. The held file is never kept: only
    its name, size and digest."""

    public_id = models.CharField(_("公開ID"), max_length=16, unique=True, default=_public_id, editable=False)
    organisation = models.ForeignKey(
        RecipientOrganisation, on_delete=models.CASCADE, related_name="check_results", verbose_name=_("受領者等")
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("確認者")
    )
    checked_at = models.DateTimeField(_("確認日時"))
    delegation_id = models.CharField(_("電子委任状 ID"), max_length=17)
    status = models.CharField(_("結果"), max_length=24)
    answer = models.JSONField(_("回答"))
    signed_record = models.TextField(_("署名付きの記録"), blank=True)
    file_name = models.CharField(_("照合したファイルの名前"), max_length=200, blank=True)
    file_size = models.PositiveBigIntegerField(_("照合したファイルの大きさ"), null=True, blank=True)
    file_sha256 = models.CharField(_("照合したファイルの SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("有効性確認の結果")
        verbose_name_plural = _("有効性確認の結果")
        ordering = ("-checked_at", "-id")
        indexes = [models.Index(fields=["organisation", "-checked_at"], name="validity_check_org_time")]

    def __str__(self) -> str:
        return f"{self.delegation_id} {self.checked_at:%Y-%m-%d %H:%M}"
