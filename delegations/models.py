"""Stored trust data for signature verification (anchors, their 4-eyes changes, imported CRLs) and
the delegations themselves: drafts, generated documents, signed files as uploaded, lifecycle.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from delegations.standing import Standing, standing_at, today_in_japan
from mynatrust.lib.delegation_id import in_file_name
from mynatrust.lib.identifiers import identifier, item_name
from registry.matching import Verdict


class TrustAnchorQuerySet(models.QuerySet["TrustAnchor"]):
    def active(self) -> TrustAnchorQuerySet:
        return self.filter(status__in=[TrustAnchor.Status.ACTIVE, TrustAnchor.Status.REMOVAL_PENDING])

    def signing(self) -> TrustAnchorQuerySet:
        return self.filter(purpose=TrustAnchor.Purpose.SIGNING)

    def timestamping(self) -> TrustAnchorQuerySet:
        return self.filter(purpose=TrustAnchor.Purpose.TIMESTAMPING)


class TrustAnchor(models.Model):
    """A J-LIS signing CA certificate (or, in the demo only, the test root) that operators installed;
    or the root of an RFC 3161 time-stamping authority whose document timestamps are trusted."""

    class Purpose(models.TextChoices):
        SIGNING = "signing", _("署名用電子証明書の認証局")
        TIMESTAMPING = "timestamping", _("時刻認証局（タイムスタンプ）")

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
    purpose = models.CharField(_("用途"), max_length=20, choices=Purpose.choices, default=Purpose.SIGNING)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.ADDITION_PENDING)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    objects = TrustAnchorQuerySet.as_manager()

    class Meta:
        verbose_name = _("トラストアンカー")
        verbose_name_plural = _("トラストアンカー")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label or self.subject} ({self.fingerprint_sha256[:16]}…)"

    def html_name(self) -> SafeString:
        """The name on a page: the subject and the fingerprint are identifiers, the label is not."""
        return format_html("{} ({}…)", self.label or identifier(self.subject), identifier(self.fingerprint_sha256[:16]))

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

    anchor = models.ForeignKey(
        TrustAnchor, on_delete=models.PROTECT, related_name="changes", verbose_name=_("トラストアンカー")
    )
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

    def html_name(self) -> SafeString:
        return format_html("{} {} ({})", self.get_action_display(), item_name(self.anchor), self.get_decision_display())


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


# --- delegations (docs/architecture.md §3) -------------------------------------------------------------------------


def new_public_id() -> str:
    """The URL identifier of a delegation record (drafts have no delegation ID yet)."""
    import secrets

    return secrets.token_urlsafe(12)


class DelegationQuerySet(models.QuerySet["Delegation"]):
    def for_subscriber(self, subscriber: Any) -> DelegationQuerySet:
        return self.filter(subscriber=subscriber)

    def drafts(self) -> DelegationQuerySet:
        return self.filter(status=Delegation.Status.DRAFT)

    def active(self) -> DelegationQuerySet:
        return self.filter(status=Delegation.Status.ACTIVE)

    def open_updates(self) -> DelegationQuerySet:
        """Successor drafts not yet active or rejected (at most one per delegation)."""
        return self.filter(replaces__isnull=False, status__in=Delegation.OPEN_STATUSES)

    def awaiting_reception(self) -> DelegationQuerySet:
        return self.filter(status=Delegation.Status.SUBMITTED)

    def in_force_on(self, day: Any) -> DelegationQuerySet:
        return self.active().filter(valid_from__lte=day, valid_until__gte=day)

    def standing_on(self, standing: Standing, day: date) -> DelegationQuerySet:
        """Those whose :meth:`Delegation.status_for` is ``standing`` on the day ``day`` in Japan
        (the list's filter: a future or ended period is not 有効 there either)."""
        if standing is Standing.VALID:
            return self.in_force_on(day)
        if standing is Standing.NOT_YET_VALID:
            return self.active().filter(valid_from__gt=day)
        if standing is Standing.EXPIRED:
            return self.active().filter(valid_until__lt=day)
        return self.filter(status=standing.value)


class Delegation(models.Model):
    """電子委任状. Until finalised the agent/powers/period fields are the subscriber's draft; from
    finalisation on, what counts is ``xml`` (and, once stored, the signed files); the columns are kept
    equal to it for lists and filters, and are never edited again."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        AWAITING_SIGNATURES = "awaiting_signatures", _("署名待ち")
        SUBMITTED = "submitted", _("受付確認待ち")
        ACTIVE = "active", _("有効")
        REJECTED = "rejected", _("不受理")
        SUPERSEDED = "superseded", _("変更により失効")
        REVOKED = "revoked", _("取消し済み")

    OPEN_STATUSES = ("draft", "awaiting_signatures", "submitted")

    class Qualification(models.TextChoices):
        ATTORNEY = "attorney", _("弁護士")
        JUDICIAL_SCRIVENER = "judicial_scrivener", _("司法書士")
        ADMINISTRATIVE_SCRIVENER = "administrative_scrivener", _("行政書士")
        LAND_AND_HOUSE_INVESTIGATOR = "land_and_house_investigator", _("土地家屋調査士")
        PATENT_ATTORNEY = "patent_attorney", _("弁理士")
        TAX_ACCOUNTANT = "tax_accountant", _("税理士")
        LABOR_AND_SOCIAL_SECURITY_ATTORNEY = "labor_and_social_security_attorney", _("社会保険労務士")
        CERTIFIED_PUBLIC_ACCOUNTANT = "certified_public_accountant", _("公認会計士")

    class IdentifierKind(models.TextChoices):
        EMPLOYEE_NUMBER = "employee_number", _("社員番号")
        CERTIFICATE = "certificate", _("証明書")
        QUALIFICATION_REGISTRATION_NUMBER = "qualification_registration_number", _("資格登録番号")

    public_id = models.CharField(_("公開ID"), max_length=32, unique=True, default=new_public_id, editable=False)
    subscriber = models.ForeignKey(
        "registry.Subscriber", on_delete=models.PROTECT, related_name="delegations", verbose_name=_("利用者")
    )
    status = models.CharField(_("状態"), max_length=24, choices=Status.choices, default=Status.DRAFT)
    delegation_id = models.CharField(_("電子委任状 ID"), max_length=17, unique=True, null=True, blank=True)

    agent_name = models.CharField(_("受任者の氏名"), max_length=200)
    agent_title = models.CharField(_("受任者の役職"), max_length=200, blank=True)
    agent_qualification = models.CharField(_("資格（士業）"), max_length=40, choices=Qualification.choices, blank=True)
    agent_address = models.CharField(_("受任者の住所"), max_length=200)
    agent_identifier_kind = models.CharField(_("識別情報の種類"), max_length=40, choices=IdentifierKind.choices)
    agent_identifier = models.CharField(_("識別情報"), max_length=64)
    powers = models.TextField(_("代理権の内容"))
    limitations = models.TextField(_("代理権の制限"), blank=True)
    valid_from = models.DateField(_("委任期間の始期"))
    valid_until = models.DateField(_("委任期間の終期"))

    # Generated on finalisation; never changed afterwards.
    principal_name = models.CharField(_("委任者"), max_length=400, blank=True)
    issued_on = models.DateField(_("作成日"), null=True, blank=True)
    xml = models.BinaryField(_("電子委任状 XML"), null=True, editable=False)
    xml_sha256 = models.CharField(_("XML の SHA-256"), max_length=64, blank=True)
    pdf = models.BinaryField(_("電子委任状 PDF"), null=True, editable=False)
    acceptance_xml = models.BinaryField(_("受諾書 XML"), null=True, editable=False)
    acceptance_sha256 = models.CharField(_("受諾書 XML の SHA-256"), max_length=64, blank=True)
    acceptance_pdf = models.BinaryField(_("受諾書 PDF"), null=True, editable=False)

    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="updates", verbose_name=_("変更元")
    )
    superseded_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("変更後の電子委任状")
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("作成者")
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    finalised_at = models.DateTimeField(_("確定日時"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("署名済みファイルの受付日時"), null=True, blank=True)
    # 受付番号 (registry/reception.py) of the registration request (both signatures received) and of
    # the revocation.
    reception_number = models.CharField(_("登録申請の受付番号"), max_length=20, blank=True, db_index=True)
    revocation_number = models.CharField(_("取消しの受付番号"), max_length=20, blank=True, db_index=True)
    reminded_for_end = models.DateField(_("終了の案内を送った委任期間の終期"), null=True, blank=True)
    # When the subscriber's members were told that this draft, idle, is to be deleted (retention,
    # delegations.idle_draft); a notice older than updated_at was for an earlier idle period.
    idle_notice_sent_at = models.DateTimeField(_("下書きの削除予定のお知らせの送信日時"), null=True, blank=True)
    identity_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("代替文字を確認した受付担当者"),
    )
    identity_confirmed_at = models.DateTimeField(_("代替文字の確認日時"), null=True, blank=True)
    activated_at = models.DateTimeField(_("有効化日時"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("変更による失効日時"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("不受理日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("取消者"),
    )
    decision_reason = models.TextField(_("理由"), blank=True)
    # §4.3: the subscriber confirms periodically that a registered delegation is true and accurate.
    # Set on activation and moved on by each confirmation (delegations/confirmation.py).
    confirmation_due_on = models.DateField(_("定期確認の期限"), null=True, blank=True, db_index=True)

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("電子委任状")
        verbose_name_plural = _("電子委任状")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("review_delegation", _("電子委任状の受付確認（代替文字・士業の資格確認・不受理）")),
            ("revoke_delegation", _("電子委任状の取消を申請・承認できる")),
            ("follow_up_confirmation", _("定期確認が済んでいない利用者への連絡を記録できる")),
        ]
        indexes = [
            models.Index(fields=["subscriber", "-created_at", "-id"], name="delegation_subscriber_list"),
            models.Index(fields=["status"], name="delegation_status"),
        ]
        constraints = [
            # An update (§4.2): at most one successor in progress per delegation, whatever the race.
            models.UniqueConstraint(
                fields=["replaces"],
                condition=Q(status__in=["draft", "awaiting_signatures", "submitted", "active"]),
                name="delegation_one_open_update",
            ),
            models.CheckConstraint(condition=Q(valid_from__lte=F("valid_until")), name="delegation_period_in_order"),
            models.CheckConstraint(
                # A successor draft closed because its original was revoked is rejected without an ID.
                condition=Q(status__in=["draft", "rejected"]) | Q(delegation_id__isnull=False),
                name="delegation_id_after_draft",
            ),
        ]

    def __str__(self) -> str:
        return self.delegation_id or str(_("下書き %(id)s") % {"id": self.public_id})

    def html_name(self) -> SafeString:
        """The name on a page, its ID marked up as an identifier."""
        if self.delegation_id:
            return identifier(self.delegation_id)
        return SafeString(conditional_escape(_("下書き %(id)s")) % {"id": identifier(self.public_id)})

    @property
    def audit_id(self) -> str:
        return self.delegation_id or self.public_id

    @property
    def file_name_id(self) -> str:
        """The delegation ID as download file names carry it (a draft's public ID: it has none)."""
        return in_file_name(self.delegation_id) if self.delegation_id else self.public_id

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def awaits_signatures(self) -> bool:
        return self.status == self.Status.AWAITING_SIGNATURES

    @property
    def is_registered(self) -> bool:
        """Accepted and neither revoked nor superseded (有効 in the lifecycle): it may be changed or
        revoked, whether or not its period has begun or has ended."""
        return self.status == self.Status.ACTIVE

    @property
    def is_rejected(self) -> bool:
        return self.status == self.Status.REJECTED

    def status_for(self, at: datetime) -> Standing:
        """Where this delegation stands at ``at``, as every page, mail and validity answer says it."""
        return standing_at(
            lifecycle=self.status,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            revoked_at=self.revoked_at,
            superseded=self.superseded_by_id is not None,
            superseded_at=self.superseded_at,
            at=at,
        )

    @property
    def current_status(self) -> Standing:
        return self.status_for(timezone.now())

    @property
    def starts_later(self) -> bool:
        """The period begins after today (Japan): it answers 有効期間前 until then."""
        return self.valid_from > today_in_japan(timezone.now())

    @property
    def needs_qualification_check(self) -> bool:
        return bool(self.agent_qualification)


class SignedFile(models.Model):
    """A signed file exactly as uploaded and accepted, with what verification found (§4.1.5)."""

    class Role(models.TextChoices):
        PRINCIPAL = "principal", _("委任者の署名（電子委任状）")
        AGENT = "agent", _("受任者の署名（受諾書）")

    delegation = models.ForeignKey(
        Delegation, on_delete=models.PROTECT, related_name="signed_files", verbose_name=_("電子委任状")
    )
    role = models.CharField(_("種類"), max_length=16, choices=Role.choices)
    container = models.CharField(_("形式"), max_length=16)
    file_name = models.CharField(_("ファイル名"), max_length=200)
    data = models.BinaryField(_("署名済みファイル"), editable=False)
    detached_content = models.BinaryField(_("分離署名の対象"), null=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveIntegerField(_("サイズ（バイト）"))
    report = models.JSONField(_("検証結果"))
    signer_certificate_der = models.BinaryField(_("署名者の証明書（DER）"), editable=False)
    signer_serial = models.CharField(_("証明書のシリアル番号"), max_length=40)
    signer_name = models.CharField(_("署名者の氏名（証明書）"), max_length=200)
    signer_address = models.CharField(_("署名者の住所（証明書）"), max_length=400)
    signer_birth_date = models.CharField(_("署名者の生年月日（証明書）"), max_length=20, blank=True)
    revocation = models.JSONField(_("失効確認の証跡"), default=dict)
    match = models.JSONField(_("照合結果"), default=dict)
    match_verdict = models.CharField(_("照合の判定"), max_length=32)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出者")
    )
    uploaded_at = models.DateTimeField(_("受付日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("署名済みファイル")
        verbose_name_plural = _("署名済みファイル")
        ordering = ["delegation", "role"]
        constraints = [models.UniqueConstraint(fields=["delegation", "role"], name="signedfile_one_per_role")]

    def __str__(self) -> str:
        return f"{self.delegation} {self.get_role_display()}"

    @property
    def audit_id(self) -> str:
        return f"{self.delegation.audit_id}:{self.role}"

    @property
    def matches_exactly(self) -> bool:
        """The certificate matched without substitute characters (照合: 一致)."""
        return self.match_verdict == Verdict.MATCH


class QualificationCheck(models.Model):
    """Reception's check of a 士業 agent with the professional body (§4.1.2)."""

    class Result(models.TextChoices):
        CONFIRMED = "confirmed", _("資格を確認した")
        NOT_CONFIRMED = "not_confirmed", _("資格を確認できなかった")

    class Channel(models.TextChoices):
        # The two methods of §4.1.2.
        WEBSITE = "website", _("資格団体のホームページでの資格確認")
        INQUIRY = "inquiry", _("資格団体への電話等による問い合わせ")

    delegation = models.OneToOneField(
        Delegation, on_delete=models.PROTECT, related_name="qualification_check", verbose_name=_("電子委任状")
    )
    professional_body = models.CharField(_("資格団体"), max_length=100, blank=True)
    channel = models.CharField(_("確認の方法"), max_length=16, choices=Channel.choices, blank=True)
    method = models.CharField(_("確認した内容"), max_length=200)
    checked_on = models.DateField(_("確認日"))
    contact_person = models.CharField(_("確認先の担当者"), max_length=200)
    result = models.CharField(_("結果"), max_length=20, choices=Result.choices)
    note = models.TextField(_("備考"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("記録者")
    )
    recorded_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("士業の資格確認")
        verbose_name_plural = _("士業の資格確認")

    def __str__(self) -> str:
        return f"{self.delegation} {self.get_result_display()}"


class RevocationRequest(models.Model):
    """An operator's revocation of a delegation; a second staff member approves (4-eyes)."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("承認待ち")
        APPROVED = "approved", _("承認")
        REJECTED = "rejected", _("却下")

    delegation = models.ForeignKey(
        Delegation, on_delete=models.PROTECT, related_name="revocation_requests", verbose_name=_("電子委任状")
    )
    reason = models.TextField(_("理由"))
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
        verbose_name = _("電子委任状の取消申請")
        verbose_name_plural = _("電子委任状の取消申請")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="revocationrequest_four_eyes",
            ),
            models.UniqueConstraint(
                fields=["delegation"], condition=Q(decision="pending"), name="revocationrequest_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegation} ({self.get_decision_display()})"

    def html_name(self) -> SafeString:
        return format_html("{} ({})", item_name(self.delegation), self.get_decision_display())


class PeriodicConfirmation(models.Model):
    """The subscriber's periodic confirmation that a registered delegation is true and accurate
    (§4.3 登録済の電子委任状について定期的に真正かつ正確な情報であることを確認する). A delegation that
    is no longer accurate is updated (§4.2) or revoked instead; this record is never changed."""

    delegation = models.ForeignKey(
        Delegation, on_delete=models.PROTECT, related_name="confirmations", verbose_name=_("電子委任状")
    )
    due_on = models.DateField(_("確認の期限"))
    next_due_on = models.DateField(_("次回の期限"))
    statement = models.CharField(_("確認した内容"), max_length=200)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("確認者")
    )
    confirmed_at = models.DateTimeField(_("確認日時"), default=timezone.now)

    class Meta:
        verbose_name = _("電子委任状の定期確認")
        verbose_name_plural = _("電子委任状の定期確認")
        ordering = ["-confirmed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.delegation} {self.confirmed_at:%Y-%m-%d}"


class ConfirmationNotice(models.Model):
    """A mail asking for the periodic confirmation of a delegation: once before the due date and
    once after it passed, per due date (§4.3, §6.1)."""

    class Stage(models.TextChoices):
        PROMPT = "prompt", _("確認のお願い")
        REMINDER = "reminder", _("期限超過のお知らせ")

    delegation = models.ForeignKey(
        Delegation, on_delete=models.PROTECT, related_name="confirmation_notices", verbose_name=_("電子委任状")
    )
    due_on = models.DateField(_("確認の期限"))
    stage = models.CharField(_("段階"), max_length=16, choices=Stage.choices)
    sent_at = models.DateTimeField(_("送信日時"), default=timezone.now)
    recipients = models.PositiveIntegerField(_("宛先の数"))

    class Meta:
        verbose_name = _("定期確認のお知らせ")
        verbose_name_plural = _("定期確認のお知らせ")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["delegation", "due_on", "stage"], name="confirmationnotice_once_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.delegation} {self.get_stage_display()}"


class ConfirmationFollowUp(models.Model):
    """Reception's contact with a subscriber whose periodic confirmation is overdue, by one of the
    means of §6.1 (mail, post, hand delivery or telephone)."""

    class Channel(models.TextChoices):
        MAIL = "mail", _("電子メール")
        POST = "post", _("郵便")
        PHONE = "phone", _("電話")
        HAND = "hand", _("手交")

    delegation = models.ForeignKey(
        Delegation, on_delete=models.PROTECT, related_name="confirmation_follow_ups", verbose_name=_("電子委任状")
    )
    due_on = models.DateField(_("確認の期限"))
    channel = models.CharField(_("連絡の方法"), max_length=16, choices=Channel.choices)
    note = models.TextField(_("連絡の内容と結果"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("記録者")
    )
    recorded_at = models.DateTimeField(_("記録日時"), default=timezone.now)

    class Meta:
        verbose_name = _("定期確認の督促の記録")
        verbose_name_plural = _("定期確認の督促の記録")
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.delegation} {self.get_channel_display()}"


class MatterTemplate(models.Model):
    """A ready-made 委任事項: the powers (and limitations) of a common kind of delegation, kept by staff
    in the admin. A subscriber drafting a delegation picks one and edits the text; the draft keeps its
    own copy, so a later change of the template changes no draft. Each save raises ``version`` and is
    an audit event with the whole text (``delegations.matter_template.saved``); templates are retired
    (``is_active``), never deleted."""

    class Category(models.TextChoices):
        BIDDING = "bidding", _("入札・契約")
        PROCUREMENT = "procurement", _("調達・購買")
        FINANCE = "finance", _("経理・支払")
        FILINGS = "filings", _("申請・届出")
        OTHER = "other", _("その他")

    category = models.CharField(_("分類"), max_length=16, choices=Category.choices)
    label = models.CharField(_("ひな形の名称"), max_length=100)
    powers = models.TextField(_("代理権の内容"), max_length=20000)
    limitations = models.TextField(_("代理権の制限"), max_length=20000, blank=True)
    position = models.PositiveIntegerField(_("表示順"), default=100)
    is_active = models.BooleanField(_("使用中"), default=True, help_text=_("外すと、作成画面の一覧に表示されません。"))
    version = models.PositiveIntegerField(_("版"), default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("最終更新者"),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("委任事項のひな形")
        verbose_name_plural = _("委任事項のひな形")
        ordering = ["category", "position", "pk"]

    def __str__(self) -> str:
        return gettext("%(category)s：%(label)s") % {"category": self.get_category_display(), "label": self.label}
