"""Operations ledgers: the written records the rules require, kept append-only.

An entry is never changed or deleted by anyone: the model refuses ``save()`` of a stored row and
``delete()``, the queryset refuses ``update()``/``delete()``, and the admin offers neither. A mistake
is corrected by a new entry that references the first entry of its chain (``corrects``) and says why.
Only retention removes entries, whole chains at a time, once the period in RETENTION_PERIODS has
passed (``LedgerQuerySet.purge``)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel import ServiceError
from mynatrust.roles import Role

__all__ = [
    "LEDGERS",
    "AdminPasswordLoan",
    "ConfigurationChange",
    "DisclosureRecord",
    "EntryExitRecord",
    "IncidentRecord",
    "InquiryRecord",
    "InternalAuditReport",
    "LedgerEntry",
    "LedgerError",
    "MaintenanceRecord",
    "MediaRecord",
    "OperationsMeeting",
    "RackKeyLoan",
    "SuitabilityCheck",
]


class LedgerError(ServiceError):
    """A refused ledger action; ``message`` is translated and safe to show."""


class LedgerQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise LedgerError(_("台帳の記録は変更できません。訂正の記録を追加してください。"))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LedgerError(_("台帳の記録は削除できません。"))

    def purge(self) -> int:
        """Delete these entries. For retention only (mynatrust/operations/retention.py)."""
        deleted, _by_model = models.QuerySet.delete(self)
        return deleted


class Lend(models.TextChoices):
    LEND = "lend", _("貸出")
    RETURN = "return", _("返却")


class LedgerEntry(models.Model):
    recorded_at = models.DateTimeField(_("記録日時"), default=timezone.now, editable=False, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("記録者"), editable=False
    )
    corrects = models.ForeignKey(
        "self",
        models.RESTRICT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("訂正対象の記録"),
        help_text=_("この記録が訂正する元の記録。元の記録は変更されずに残ります。"),
    )
    correction_reason = models.TextField(_("訂正の理由"), blank=True)

    objects = LedgerQuerySet.as_manager()
    corrects_id: int | None

    # Name of the retention kind in settings.RETENTION_PERIODS.
    retention_kind: ClassVar[str]
    # Fields shown in the list and exported (after the common columns).
    ledger_fields: ClassVar[tuple[str, ...]]

    class Meta:
        abstract = True
        default_permissions = ("add", "view")
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerError(_("台帳の記録は変更できません。訂正の記録を追加してください。"))
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise LedgerError(_("台帳の記録は削除できません。"))

    @property
    def audit_id(self) -> str:
        return f"{self._meta.model_name}:{self.pk}"


class EntryExitRecord(LedgerEntry):
    """Entry to and exit from the data centre, the server room and the server rack (§6.2.1, §7.1.1).
    Every visit is escorted (§7.1, §10.2.3); an entry needs the service manager's prior approval
    (§7.1.1 サービス責任者への事前承認, §10.2.3)."""

    class Area(models.TextChoices):
        DATA_CENTRE = "data_centre", _("データセンター")
        SERVER_ROOM = "server_room", _("サーバ室")
        RACK = "rack", _("サーバーラック")

    class Direction(models.TextChoices):
        ENTER = "enter", _("入室")
        EXIT = "exit", _("退室")

    area = models.CharField(_("区域"), max_length=16, choices=Area.choices)
    direction = models.CharField(_("入退室"), max_length=8, choices=Direction.choices)
    occurred_at = models.DateTimeField(_("日時"))
    person_name = models.CharField(_("氏名"), max_length=150)
    organisation = models.CharField(_("所属"), max_length=200)
    purpose = models.CharField(_("目的"), max_length=300)
    escort_name = models.CharField(_("立会者"), max_length=150)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("事前承認したサービス責任者"),
        limit_choices_to={"kind": "staff", "is_active": True, "groups__name": Role.SERVICE_MANAGER.value},
        help_text=_("入室の場合は必須です（退室の記録には不要）。"),
    )

    retention_kind = "operations.entry_exit"
    ledger_fields = (
        "occurred_at",
        "area",
        "direction",
        "person_name",
        "organisation",
        "purpose",
        "escort_name",
        "approved_by",
    )

    class Meta(LedgerEntry.Meta):
        verbose_name = _("入退室記録")
        verbose_name_plural = _("入退室記録")
        # The export right covers every ledger; it is declared once, here.
        permissions = [("export_ledgers", _("運用台帳のエクスポート"))]

    def clean(self) -> None:
        if self.direction != self.Direction.ENTER:
            return
        approver: Any = self.approved_by
        if approver is None:
            raise ValidationError({"approved_by": _("入室にはサービス責任者の事前承認が必要です。")})
        if not approver.has_role(Role.SERVICE_MANAGER):
            raise ValidationError({"approved_by": _("入室を承認できるのはサービス責任者です。")})


class RackKeyLoan(LedgerEntry):
    """Lending and return of the rack keys (§7.1.1)."""

    key_label = models.CharField(_("鍵の名称"), max_length=100)
    action = models.CharField(_("貸出・返却"), max_length=8, choices=Lend.choices)
    occurred_at = models.DateTimeField(_("日時"))
    person_name = models.CharField(_("氏名"), max_length=150)
    purpose = models.CharField(_("目的"), max_length=300)

    retention_kind = "operations.rack_key"
    ledger_fields = ("occurred_at", "key_label", "action", "person_name", "purpose")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("ラック鍵貸出記録")
        verbose_name_plural = _("ラック鍵貸出記録")


class AdminPasswordLoan(LedgerEntry):
    """Lending of administrator passwords by the service manager (§8.1, §10.1.1)."""

    system = models.CharField(_("対象システム・アカウント"), max_length=200)
    action = models.CharField(_("貸出・返却"), max_length=8, choices=Lend.choices)
    occurred_at = models.DateTimeField(_("日時"))
    borrower_name = models.CharField(_("借用者"), max_length=150)
    purpose = models.CharField(_("目的"), max_length=300)
    password_changed = models.BooleanField(_("返却後にパスワードを変更した"), default=False)

    retention_kind = "operations.admin_password"
    ledger_fields = ("occurred_at", "system", "action", "borrower_name", "purpose", "password_changed")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("管理者パスワード貸出記録")
        verbose_name_plural = _("管理者パスワード貸出記録")


class MaintenanceRecord(LedgerEntry):
    """Maintenance of equipment and facilities (§6.2.9, §7.2.1 保守員)."""

    equipment = models.CharField(_("機器"), max_length=200)
    performed_at = models.DateTimeField(_("実施日時"))
    vendor = models.CharField(_("作業者・業者"), max_length=200)
    work = models.TextField(_("作業内容"))
    result = models.TextField(_("結果"))

    retention_kind = "operations.maintenance"
    ledger_fields = ("performed_at", "equipment", "vendor", "work", "result")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("機器保守記録")
        verbose_name_plural = _("機器保守記録")


class ConfigurationChange(LedgerEntry):
    """Changes to the system configuration (§10.2.2 システム構成変更)."""

    performed_at = models.DateTimeField(_("実施日時"))
    summary = models.CharField(_("変更内容"), max_length=300)
    reason = models.TextField(_("理由"))
    approved_by_name = models.CharField(_("承認者"), max_length=150)
    impact = models.TextField(_("影響と確認結果"), blank=True)

    retention_kind = "operations.configuration_change"
    ledger_fields = ("performed_at", "summary", "reason", "approved_by_name", "impact")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("システム構成変更記録")
        verbose_name_plural = _("システム構成変更記録")


class IncidentRecord(LedgerEntry):
    """Failures and security incidents (§6.3.2, §10.2.2 障害対応)."""

    class Severity(models.TextChoices):
        LOW = "low", _("軽微")
        MEDIUM = "medium", _("中")
        HIGH = "high", _("重大")

    occurred_at = models.DateTimeField(_("発生日時"))
    detected_at = models.DateTimeField(_("検知日時"))
    severity = models.CharField(_("重大度"), max_length=8, choices=Severity.choices)
    summary = models.CharField(_("概要"), max_length=300)
    cause = models.TextField(_("原因"), blank=True)
    response = models.TextField(_("対応"))
    resolved_at = models.DateTimeField(_("復旧日時"), null=True, blank=True)
    notice_public_id = models.CharField(
        _("告知の公開ID"), max_length=16, blank=True, help_text=_("利用者等へ告知した場合、その告知の公開ID。")
    )
    # §6.3.2: a security failure is made known to all staff (by mail, when first recorded); one that
    # may leak information is reported to the ministry, a step recorded by a later entry of the chain.
    security_failure = models.BooleanField(
        _("セキュリティ障害"),
        default=False,
        help_text=_("記録すると、業務の全従事者（有効な職員全員）へ電子メールで周知します。"),
    )
    leak_risk = models.BooleanField(
        _("情報漏えいの恐れ"),
        default=False,
        help_text=_("主務省庁への報告が必要です。報告するまでサービス責任者の作業待ちに残ります。"),
    )
    ministry_reported_at = models.DateTimeField(_("主務省庁への報告日時"), null=True, blank=True)
    ministry_report = models.CharField(
        _("主務省庁への報告（報告先・方法）"),
        max_length=300,
        blank=True,
        help_text=_("例：総務省・経済産業省の担当課へ電話と電子メールで報告（受付番号）。"),
    )

    retention_kind = "operations.incident"
    ledger_fields = (
        "occurred_at",
        "detected_at",
        "severity",
        "summary",
        "cause",
        "response",
        "resolved_at",
        "notice_public_id",
        "security_failure",
        "leak_risk",
        "ministry_reported_at",
        "ministry_report",
    )
    ledger_filters = ("severity", "security_failure", "leak_risk")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("障害・インシデント記録")
        verbose_name_plural = _("障害・インシデント記録")

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.leak_risk and not self.security_failure:
            errors["security_failure"] = _("情報漏えいの恐れがある場合はセキュリティ障害として記録してください。")
        if (self.ministry_reported_at is None) != (not self.ministry_report.strip()):
            errors["ministry_report"] = _("主務省庁への報告は、報告日時と報告先・方法を両方記入してください。")
        if errors:
            raise ValidationError(errors)


class OperationsMeeting(LedgerEntry):
    """The monthly operations meeting (§10.1.1)."""

    held_on = models.DateField(_("開催日"))
    attendees = models.TextField(_("出席者"))
    agenda = models.TextField(_("議題"))
    decisions = models.TextField(_("決定事項・対応"))

    retention_kind = "operations.meeting"
    ledger_fields = ("held_on", "attendees", "agenda", "decisions")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("月次運用会議の記録")
        verbose_name_plural = _("月次運用会議の記録")


class SuitabilityCheck(LedgerEntry):
    """Suitability of a staff member checked at appointment (§7.2.2)."""

    class Result(models.TextChoices):
        SUITABLE = "suitable", _("適格")
        UNSUITABLE = "unsuitable", _("不適格")

    staff_name = models.CharField(_("職員の氏名"), max_length=150)
    role = models.CharField(_("任命する役割"), max_length=32, choices=Role.choices)
    checked_on = models.DateField(_("確認日"))
    items_checked = models.TextField(_("確認した事項"))
    result = models.CharField(_("結果"), max_length=16, choices=Result.choices)

    retention_kind = "operations.suitability"
    ledger_fields = ("checked_on", "staff_name", "role", "items_checked", "result")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("職員の適格性確認記録")
        verbose_name_plural = _("職員の適格性確認記録")


class InternalAuditReport(LedgerEntry):
    """Internal audit reports (§2.6: a yearly compliance audit, reported to the service manager).
    The measures on the findings are given to the service administrator, their results reported to
    the service manager, and checked at the next audit (§2.6.5)."""

    period_start = models.DateField(_("監査対象期間の開始"))
    period_end = models.DateField(_("監査対象期間の終了"))
    performed_on = models.DateField(_("実施日"))
    scope = models.TextField(_("監査の範囲"))
    findings = models.TextField(_("指摘事項"))
    recommendations = models.TextField(_("改善勧告"), blank=True)
    measures = models.TextField(_("指摘事項への措置"), blank=True, help_text=_("指摘がなければ「なし」。"))
    responsible = models.CharField(
        _("措置の指示先"), max_length=150, blank=True, help_text=_("運用規程 2.6.5 ではサービス管理者。")
    )
    results = models.TextField(
        _("講じた対策の結果"), blank=True, help_text=_("サービス責任者への報告と評価。後日、訂正の記録で追記します。")
    )
    previous_follow_up = models.TextField(
        _("前回の監査の措置の確認"), blank=True, help_text=_("前回の報告がある場合は必須です。")
    )

    retention_kind = "operations.internal_audit"
    ledger_fields = (
        "performed_on",
        "period_start",
        "period_end",
        "scope",
        "findings",
        "recommendations",
        "measures",
        "responsible",
        "results",
        "previous_follow_up",
    )

    class Meta(LedgerEntry.Meta):
        verbose_name = _("内部監査報告")
        verbose_name_plural = _("内部監査報告")

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if not self.measures.strip():
            errors["measures"] = _("指摘事項への措置を記入してください（指摘がなければ「なし」）。")
        if not self.responsible.strip():
            errors["responsible"] = _("措置の指示先を記入してください。")
        earlier = type(self).objects.exclude(pk=self.pk)
        if self.corrects_id is not None:
            earlier = earlier.exclude(pk=self.corrects_id).exclude(corrects=self.corrects_id)
        if earlier.exists() and not self.previous_follow_up.strip():
            errors["previous_follow_up"] = _("前回の監査の措置が講じられたかを確認して記入してください。")
        if errors:
            raise ValidationError(errors)


class InquiryRecord(LedgerEntry):
    """Questions from customers answered by mail or telephone (§10.2.1 問合せ対応, §1.3)."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("電話")
        MAIL = "mail", _("電子メール")
        POST = "post", _("郵便")

    received_at = models.DateTimeField(_("受付日時"))
    channel = models.CharField(_("受付方法"), max_length=8, choices=Channel.choices)
    inquirer = models.CharField(_("問合せ者"), max_length=200)
    question = models.TextField(_("問合せ内容"))
    answer = models.TextField(_("回答内容"))

    retention_kind = "operations.inquiry"
    ledger_fields = ("received_at", "channel", "inquirer", "question", "answer")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("問合せ対応記録")
        verbose_name_plural = _("問合せ対応記録")


class DisclosureRecord(LedgerEntry):
    """Disclosure of confidential information on a legal basis (§2.7.2 law enforcement, §2.7.3 civil
    procedure; §2.7.4: on no other ground). Written by the service manager, who approves it."""

    class Basis(models.TextChoices):
        LAW_ENFORCEMENT = "law_enforcement", _("法執行機関への開示（2.7.2）")
        CIVIL_PROCEDURE = "civil_procedure", _("民事手続き上の開示（2.7.3）")

    requested_on = models.DateField(_("請求日"))
    basis = models.CharField(_("開示の区分"), max_length=20, choices=Basis.choices)
    legal_basis = models.CharField(_("法的根拠"), max_length=300)
    requester = models.CharField(_("請求者"), max_length=200)
    disclosed = models.TextField(_("開示した情報"))
    disclosed_on = models.DateField(_("開示日"))

    retention_kind = "operations.disclosure"
    ledger_fields = ("requested_on", "basis", "legal_basis", "requester", "disclosed", "disclosed_on")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("情報開示記録")
        verbose_name_plural = _("情報開示記録")


class MediaRecord(LedgerEntry):
    """Media holding archives or backups carried in, carried out and disposed of (§7.1.5, §7.1.6)."""

    class Action(models.TextChoices):
        CARRY_IN = "carry_in", _("搬入")
        CARRY_OUT = "carry_out", _("搬出")
        DISPOSE = "dispose", _("廃棄")

    occurred_at = models.DateTimeField(_("日時"))
    action = models.CharField(_("区分"), max_length=12, choices=Action.choices)
    medium = models.CharField(_("媒体"), max_length=200)
    contents = models.CharField(_("記録内容"), max_length=300)
    person_name = models.CharField(_("担当者"), max_length=150)
    witness_name = models.CharField(_("立会者"), max_length=150)
    method = models.CharField(_("方法（保管場所・廃棄方法）"), max_length=300)

    retention_kind = "operations.media"
    ledger_fields = ("occurred_at", "action", "medium", "contents", "person_name", "witness_name", "method")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("媒体搬入出・廃棄記録")
        verbose_name_plural = _("媒体搬入出・廃棄記録")


LEDGERS: tuple[type[LedgerEntry], ...] = (
    EntryExitRecord,
    RackKeyLoan,
    AdminPasswordLoan,
    MaintenanceRecord,
    ConfigurationChange,
    IncidentRecord,
    OperationsMeeting,
    SuitabilityCheck,
    InternalAuditReport,
    InquiryRecord,
    DisclosureRecord,
    MediaRecord,
)
