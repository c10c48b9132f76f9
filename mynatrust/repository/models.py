"""Repository documents, terms acceptances and notices. Part of the ``mynatrust`` app (imported by
mynatrust/models.py), so their tables and permissions are ``mynatrust.*``."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel import ServiceError

__all__ = [
    "PUBLIC_KINDS",
    "DocumentKind",
    "DocumentVersion",
    "Notice",
    "ProcedureDocument",
    "RepositoryError",
    "TermsAcceptance",
]


class RepositoryError(ServiceError):
    """A refused repository action; ``message`` is translated and safe to show."""


class DocumentKind(models.TextChoices):
    TERMS = "terms", _("利用約款")
    RULES = "rules", _("運用規程")
    # The purposes of collecting personal data (§2.8(2)(3)), shown wherever personal data is asked for.
    PRIVACY = "privacy", _("個人情報の取扱いについて")
    # Internal: the business procedures under the rules (§7.2.4), read by staff only.
    PROCEDURES = "procedures", _("業務手続書")


# Kinds published in the repository; the others are internal documents of the company.
PUBLIC_KINDS = (DocumentKind.TERMS, DocumentKind.RULES, DocumentKind.PRIVACY)


class DocumentVersionQuerySet(models.QuerySet["DocumentVersion"]):
    def approved(self) -> DocumentVersionQuerySet:
        return self.filter(status=DocumentVersion.Status.APPROVED)

    def published(self, at: datetime | None = None) -> DocumentVersionQuerySet:
        """Approved versions whose effective time has come, newest first."""
        return self.approved().filter(effective_at__lte=at or timezone.now()).order_by("-effective_at", "-pk")

    def current(self, kind: str, at: datetime | None = None) -> DocumentVersion | None:
        return self.published(at).filter(kind=kind).first()

    def upcoming(self, at: datetime | None = None) -> DocumentVersionQuerySet:
        """Approved versions not yet in force, announced in advance: soonest first."""
        return self.approved().filter(effective_at__gt=at or timezone.now()).order_by("effective_at", "pk")

    def replaced_by(self, doc: DocumentVersion) -> DocumentVersion | None:
        """The version ``doc`` follows: the latest other approved version of the same document."""
        return self.approved().filter(kind=doc.kind).exclude(pk=doc.pk).order_by("-effective_at", "-pk").first()

    def public(self) -> DocumentVersionQuerySet:
        return self.filter(kind__in=PUBLIC_KINDS)


class DocumentVersion(models.Model):
    """One version of a public document. Drafted by an operator, approved by the service manager
    (§9.2, not the drafter), in force from ``effective_at``. Frozen once decided."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き（承認待ち）")
        APPROVED = "approved", _("承認済み")
        REJECTED = "rejected", _("差戻し")

    kind = models.CharField(_("文書"), max_length=16, choices=DocumentKind.choices)
    version = models.CharField(
        _("版"),
        max_length=32,
        validators=[RegexValidator(r"^[0-9A-Za-z][0-9A-Za-z._-]*$", _("版は英数字と . _ - で入力してください。"))],
        help_text=_("例：2026-04-01、1.1。公開ページの URL に使われます。"),
    )
    title = models.CharField(_("表題"), max_length=200)
    body = models.TextField(_("本文"))
    change_summary = models.TextField(_("改定の概要"), blank=True)
    effective_at = models.DateTimeField(_("施行日時"), help_text=_("この日時から公開され、効力を持ちます。"))
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("起案者"), editable=False
    )
    drafted_at = models.DateTimeField(_("起案日時"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("承認者"),
        editable=False,
    )
    decided_at = models.DateTimeField(_("承認・差戻し日時"), null=True, blank=True, editable=False)
    decision_note = models.TextField(_("承認・差戻しの所見"), blank=True, editable=False)

    objects = DocumentVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("公開文書の版")
        verbose_name_plural = _("公開文書の版")
        ordering = ["kind", "-effective_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="repository_document_version_unique")]
        indexes = [models.Index(fields=["kind", "status", "effective_at"], name="repository_doc_current")]
        permissions = [("approve_documentversion", _("公開文書の版の承認"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A decided version is part of the public record: nothing may rewrite it afterwards.
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored is not None and stored != self.Status.DRAFT:
                raise RepositoryError(_("承認または差戻し済みの版は変更できません。新しい版を起案してください。"))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.status != self.Status.DRAFT:
            raise RepositoryError(_("承認または差戻し済みの版は削除できません。"))
        return super().delete(*args, **kwargs)

    @property
    def audit_id(self) -> str:
        return f"{self.kind}/{self.version}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_terms(self) -> bool:
        """The terms of use (利用約款): subscribers accept each new version at their next sign-in."""
        return self.kind == DocumentKind.TERMS

    def is_published(self, at: datetime | None = None) -> bool:
        return self.status == self.Status.APPROVED and self.effective_at <= (at or timezone.now())


class ProcedureDocument(DocumentVersion):
    """The business procedure documents (§7.2.4) as the staff admin shows them: drafted and revised
    by the service administrator, approved by the service manager, read by every member of staff
    and nobody else. Their own permissions keep them apart from the public documents."""

    class Meta:
        proxy = True
        verbose_name = _("業務手続書")
        verbose_name_plural = _("業務手続書")


class TermsAcceptance(models.Model):
    """A subscriber-side user's acceptance of one version of the terms of use."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="terms_acceptances", verbose_name=_("アカウント")
    )
    document = models.ForeignKey(
        DocumentVersion, models.PROTECT, related_name="acceptances", verbose_name=_("利用約款の版")
    )
    accepted_at = models.DateTimeField(_("同意日時"), default=timezone.now)

    class Meta:
        verbose_name = _("利用約款への同意")
        verbose_name_plural = _("利用約款への同意")
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["user", "document"], name="repository_terms_accepted_once")]

    def __str__(self) -> str:
        return f"{self.user} {self.document}"


def _new_public_id() -> str:
    return secrets.token_hex(6)


class NoticeQuerySet(models.QuerySet["Notice"]):
    def published(self, at: datetime | None = None) -> NoticeQuerySet:
        return self.filter(published_at__isnull=False, published_at__lte=at or timezone.now()).order_by(
            "-published_at", "-pk"
        )

    def banners(self, at: datetime | None = None) -> NoticeQuerySet:
        """Published notices shown in the site-wide banner now: flagged, and not yet ended."""
        now = at or timezone.now()
        return (
            self.published(now).filter(banner=True).filter(models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=now))
        )


class Notice(models.Model):
    """A public notice (告知情報, §6.3): an incident, its recovery, a maintenance window, the end of
    the service. Incident, recovery and end-of-service notices are also mailed (``MAILED_KINDS``)."""

    class Kind(models.TextChoices):
        INCIDENT = "incident", _("障害")
        RECOVERY = "recovery", _("復旧")
        MAINTENANCE = "maintenance", _("保守作業")
        TERMINATION = "termination", _("サービスの終了")
        GENERAL = "general", _("お知らせ")

    public_id = models.CharField(_("公開ID"), max_length=16, unique=True, default=_new_public_id, editable=False)
    kind = models.CharField(_("種別"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"))
    period_start = models.DateTimeField(
        _("対象期間の開始"), null=True, blank=True, help_text=_("障害の発生時刻、保守作業の開始予定など。")
    )
    ends_at = models.DateTimeField(
        _("掲示の終了"),
        null=True,
        blank=True,
        help_text=_("この日時を過ぎるとバナーから消えます（告知一覧には残ります）。空欄なら終了操作まで表示します。"),
    )
    banner = models.BooleanField(_("全ページにバナー表示"), default=True)
    service_end_date = models.DateField(
        _("サービス終了日"),
        null=True,
        blank=True,
        help_text=_("サービスの終了の告知のみ。公開日から90日以上先の日付。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("作成者"), editable=False
    )
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("公開者"),
        editable=False,
    )
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True, editable=False)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("告知")
        verbose_name_plural = _("告知")
        ordering = ["-published_at", "-created_at"]
        indexes = [models.Index(fields=["banner", "published_at", "ends_at"], name="repository_notice_banner")]
        permissions = [
            ("publish_notice", _("告知の公開・掲示終了")),
            ("publish_termination_notice", _("サービスの終了の告知の公開")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="termination") | models.Q(service_end_date__isnull=False),
                name="repository_termination_has_end_date",
            )
        ]

    def __str__(self) -> str:
        return f"[{self.get_kind_display()}] {self.title}"

    @property
    def is_mailed(self) -> bool:
        return self.kind in MAILED_KINDS

    @property
    def audit_id(self) -> str:
        return self.public_id

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


# Notices that every subscriber and recipient is also sent by mail when they are published:
# failures (§2.1.1 連絡), recovery (§6.3.1) and the end of the service (§6.3.3).
MAILED_KINDS = frozenset({Notice.Kind.INCIDENT, Notice.Kind.RECOVERY, Notice.Kind.TERMINATION})
