"""Subscribers (§3): who may store delegations at all.

A ``Subscriber`` carries status and contract; what it declared and what reception confirmed lives
in ``SubscriberFacts`` versions (the application is the first version, each basic-info change a new
one). Only an approved version is in force; older versions stay as history (§3.2, §6.2.9).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from mynatrust.lib.identifiers import identifier
from registry import contract

if TYPE_CHECKING:
    from mynatrust.models import User


def new_public_id() -> str:
    return secrets.token_urlsafe(12)


class SubscriberQuerySet(models.QuerySet["Subscriber"]):
    def for_member(self, user: Any) -> SubscriberQuerySet:
        return self.filter(memberships__user=user) if getattr(user, "is_authenticated", False) else self.none()

    def to_review(self) -> SubscriberQuerySet:
        S = Subscriber.Status
        return self.filter(
            Q(status__in=[S.APPLIED, S.UNDER_REVIEW]) | Q(facts__state=SubscriberFacts.State.PENDING)
        ).distinct()

    def waiting_for_applicant(self) -> SubscriberQuerySet:
        return self.filter(
            Q(status=Subscriber.Status.RETURNED) | Q(facts__state=SubscriberFacts.State.RETURNED)
        ).distinct()

    def nearing_end(self, today: date | None = None) -> SubscriberQuerySet:
        today = today or timezone.localdate()
        lead = timedelta(days=settings.REGISTRY_RENEWAL_REMINDER_DAYS)
        return self.filter(status=Subscriber.Status.ACTIVE, contract_end__lte=today + lead)


class Subscriber(models.Model):
    """利用者 / 申込事業者: a corporation or a sole proprietor."""

    class Kind(models.TextChoices):
        CORPORATION = "corporation", _("法人")
        SOLE_PROPRIETOR = "sole_proprietor", _("個人事業主")

    class Status(models.TextChoices):
        APPLIED = "applied", _("申込受付")
        UNDER_REVIEW = "under_review", _("審査中")
        RETURNED = "returned", _("申込者の対応待ち")
        ACTIVE = "active", _("利用中")
        REJECTED = "rejected", _("不承認")
        SUSPENDED = "suspended", _("利用停止")
        TERMINATED = "terminated", _("契約終了")

    public_id = models.CharField(_("公開ID"), max_length=32, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(_("区分"), max_length=20, choices=Kind.choices)
    # Unique among subscribers that are not finished (rejected/terminated ones may apply again).
    corporate_number = models.CharField(_("法人番号"), max_length=13, blank=True, db_index=True)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.APPLIED)
    status_reason = models.TextField(_("状態の理由"), blank=True)
    applied_at = models.DateTimeField(_("申込日時"), default=timezone.now)
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True)
    contract_start = models.DateField(_("契約開始日"), null=True, blank=True)
    contract_end = models.DateField(_("契約終了日"), null=True, blank=True)
    reminded_for_end = models.DateField(_("更新案内を送った契約終了日"), null=True, blank=True)
    terminated_on = models.DateField(_("契約終了（解約）日"), null=True, blank=True)
    retention_until = models.DateField(_("申込記録の保存期限"), null=True, blank=True)
    deletion_scheduled_on = models.DateField(_("個人情報の削除予定日"), null=True, blank=True)
    terms_version = models.CharField(_("同意した利用約款の版"), max_length=32)
    terms_accepted_at = models.DateTimeField(_("利用約款の同意日時"))
    antisocial_declared_at = models.DateTimeField(_("反社会的勢力でない旨の表明日時"))

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")
        ordering = ["-applied_at"]
        permissions = [
            ("review_subscriber", _("利用申込・変更届の審査")),
            ("manage_contract", _("利用停止・契約終了")),
        ]
        constraints = [
            # One company, one subscriber in service. Applications are not limited: whoever types a
            # number is never told that it is a subscriber (§2.7.1); reception decides (§3.1.3).
            models.UniqueConstraint(
                fields=["corporate_number"],
                condition=~Q(corporate_number="") & Q(status__in=["active", "suspended"]),
                name="subscriber_one_in_service_per_corporate_number",
            ),
        ]

    def __str__(self) -> str:
        facts = self.current_facts or self.latest_facts
        return facts.organisation_name if facts else self.public_id

    @property
    def audit_id(self) -> str:
        return self.public_id

    # -- facts -----------------------------------------------------------------------------
    @property
    def reception_number(self) -> str:
        """The application's 受付番号 (that of the first version of the facts)."""
        first = self.facts.filter(version=1).only("reception_number").first()
        return first.reception_number if first else ""

    @property
    def current_facts(self) -> SubscriberFacts | None:
        """The approved facts in force (None before the first approval)."""
        return self.facts.filter(state=SubscriberFacts.State.APPROVED).order_by("-version").first()

    @property
    def latest_facts(self) -> SubscriberFacts | None:
        return self.facts.order_by("-version").first()

    @property
    def open_facts(self) -> SubscriberFacts | None:
        """The version waiting for review or for the applicant, if any."""
        return (
            self.facts.filter(state__in=[SubscriberFacts.State.PENDING, SubscriberFacts.State.RETURNED])
            .order_by("-version")
            .first()
        )

    @property
    def in_review(self) -> bool:
        """The application waits for reception (申込受付 or 審査中)."""
        return self.status in (self.Status.APPLIED, self.Status.UNDER_REVIEW)

    @property
    def is_returned(self) -> bool:
        return self.status == self.Status.RETURNED

    @property
    def in_service(self) -> bool:
        """利用中: the subscriber may register delegations."""
        return self.status == self.Status.ACTIVE

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED

    @property
    def under_contract(self) -> bool:
        """Approved and not terminated: in service or suspended."""
        return self.status in (self.Status.ACTIVE, self.Status.SUSPENDED)

    @property
    def is_rejected(self) -> bool:
        return self.status == self.Status.REJECTED

    @property
    def is_terminated(self) -> bool:
        return self.status == self.Status.TERMINATED

    @property
    def is_sole_proprietor(self) -> bool:
        return self.kind == self.Kind.SOLE_PROPRIETOR

    def registered_representative(self) -> tuple[str, str] | None:
        """Name and address of the representative as confirmed from the registry evidence (or, for a
        sole proprietor, as confirmed by reception), for comparing with a JPKI certificate."""
        facts = self.current_facts
        if facts is None or not facts.registered_representative_name:
            return None
        return facts.registered_representative_name, facts.registered_representative_address

    # -- may it submit delegations? ---------------------------------------------------------
    def contract_expired(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.contract_end is None or today > self.contract_end

    def submission_refusal(self, today: date | None = None) -> str | None:
        """Why this subscriber may not submit a delegation now, or None if it may."""
        if self.status == self.Status.SUSPENDED:
            return str(_("利用停止中のため、電子委任状を登録できません。"))
        if self.status == self.Status.TERMINATED:
            return str(_("契約が終了しているため、電子委任状を登録できません。"))
        if self.status != self.Status.ACTIVE:
            return str(_("利用申込が承認されていないため、電子委任状を登録できません。"))
        if self.contract_expired(today):
            return str(_("契約期間が終了しています。契約を更新してください。"))
        if self.registered_representative() is None:
            return str(_("代表者の登記情報が確認されていません。"))
        return None

    def may_submit(self, today: date | None = None) -> bool:
        return self.submission_refusal(today) is None

    def renewal_open(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status == self.Status.ACTIVE and contract.renewal_open(self.contract_end, today)


class ReceptionCounter(models.Model):
    """The last reception number given for one kind of request on one day (registry/reception.py)."""

    kind = models.CharField(_("受付の種類"), max_length=1)
    day = models.DateField(_("受付日"))
    last = models.PositiveIntegerField(_("最後の番号"))

    class Meta:
        verbose_name = _("受付番号の採番")
        verbose_name_plural = _("受付番号の採番")
        constraints = [models.UniqueConstraint(fields=["kind", "day"], name="reception_counter_one_per_kind_and_day")]

    def __str__(self) -> str:
        return f"{self.kind}-{self.day:%Y%m%d}: {self.last}"


class SubscriberFacts(models.Model):
    """One version of a subscriber's basic information (§3.1.1, §3.2)."""

    class State(models.TextChoices):
        PENDING = "pending", _("審査待ち")
        RETURNED = "returned", _("差戻し")
        APPROVED = "approved", _("承認済み")
        REJECTED = "rejected", _("不承認")
        SUPERSEDED = "superseded", _("旧情報")
        WITHDRAWN = "withdrawn", _("取下げ")

    # Changing one of these changes what the registry certifies: new evidence and review (§3.2).
    REGISTERED_FIELDS = (
        "organisation_name",
        "address",
        "representative_title",
        "representative_name",
        "representative_address",
    )
    DECLARED_FIELDS = (*REGISTERED_FIELDS, "representative_phone", "representative_birth_date")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.PROTECT, related_name="facts", verbose_name=_("利用者"))
    version = models.PositiveIntegerField(_("版"))
    state = models.CharField(_("状態"), max_length=16, choices=State.choices, default=State.PENDING)
    organisation_name = models.CharField(_("商号・屋号"), max_length=200)
    address = models.CharField(_("本店・事業所の所在地"), max_length=300)
    representative_title = models.CharField(_("代表者の役職"), max_length=100, blank=True)
    representative_name = models.CharField(_("代表者の氏名"), max_length=100)
    representative_address = models.CharField(_("代表者の住所"), max_length=300)
    representative_phone = models.CharField(_("代表者の電話番号"), max_length=20)
    representative_birth_date = models.DateField(_("代表者の生年月日"), null=True, blank=True)
    nta_check = models.JSONField(_("法人番号の照合結果"), default=dict, blank=True)
    # The reviewer's confirmation of the NTA record, row by row, stored with the approval
    # (registry.services.nta_review): [{"row", "nta", "entry", "verdict", "note"}, …].
    nta_confirmation = models.JSONField(_("国税庁の公表データの確認"), default=list, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("届出者")
    )
    submitted_at = models.DateTimeField(_("届出日時"), default=timezone.now)
    # The application (version 1) or change notification's 受付番号 (registry/reception.py).
    reception_number = models.CharField(_("受付番号"), max_length=20, blank=True, db_index=True)
    # Confirmed by reception from the registry evidence.
    company_registry_number = models.CharField(_("会社法人等番号"), max_length=12, blank=True)
    registered_representative_name = models.CharField(_("登記上の代表者氏名"), max_length=100, blank=True)
    registered_representative_address = models.CharField(_("登記上の代表者住所"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("審査者"),
    )
    decided_at = models.DateTimeField(_("審査日時"), null=True, blank=True)
    decision_reason = models.TextField(_("審査の理由"), blank=True)

    class Meta:
        verbose_name = _("基本情報（版）")
        verbose_name_plural = _("基本情報（履歴）")
        ordering = ["subscriber", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "version"], name="facts_unique_version"),
            models.UniqueConstraint(
                fields=["subscriber"], condition=Q(state="approved"), name="facts_one_approved_version"
            ),
            models.UniqueConstraint(
                fields=["subscriber"],
                condition=Q(state__in=["pending", "returned"]),
                name="facts_one_open_version",
            ),
            models.UniqueConstraint(
                fields=["reception_number"], condition=~Q(reception_number=""), name="facts_unique_reception_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_name} (v{self.version})"

    @property
    def audit_id(self) -> str:
        return f"{self.subscriber.public_id}/v{self.version}"

    def declared(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.DECLARED_FIELDS}

    def changes_registered_facts(self, other: SubscriberFacts | None) -> bool:
        return other is None or any(getattr(self, f) != getattr(other, f) for f in self.REGISTERED_FIELDS)

    @property
    def latest_evidence(self) -> RegistryEvidence | None:
        return self.evidence.order_by("-uploaded_at", "-pk").first()

    @property
    def is_pending(self) -> bool:
        """審査待ち: reception has not decided this version yet."""
        return self.state == self.State.PENDING

    @property
    def is_returned(self) -> bool:
        return self.state == self.State.RETURNED


class RegistryEvidence(models.Model):
    """登記事項証明書 (a PDF kept as uploaded) or the online registry-information reference (§3.1.3).

    The PDF bytes live in the database beside their SHA-256, so an upload is stored completely or
    not at all and no application host keeps files on local disk (docs/architecture.md §8)."""

    class Kind(models.TextChoices):
        PDF = "pdf", _("登記事項証明書（PDF）")
        ONLINE = "online", _("登記情報提供サービスの照会番号")

    public_id = models.CharField(_("公開ID"), max_length=32, unique=True, default=new_public_id, editable=False)
    facts = models.ForeignKey(SubscriberFacts, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    issued_on = models.DateField(_("発行日（照会日）"))
    file_name = models.CharField(_("ファイル名"), max_length=255, blank=True)
    content = models.BinaryField(_("内容"), blank=True, editable=False)
    size = models.PositiveIntegerField(_("サイズ（バイト）"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("ページ数"), null=True, blank=True)
    online_reference = models.CharField(_("照会番号"), max_length=40, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出者")
    )
    uploaded_at = models.DateTimeField(_("提出日時"), default=timezone.now)

    class Meta:
        verbose_name = _("登記事項の証明")
        verbose_name_plural = _("登記事項の証明")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="pdf") & ~Q(sha256="")) | (Q(kind="online") & ~Q(online_reference="")),
                name="evidence_pdf_has_digest_online_has_reference",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name or self.online_reference

    @property
    def audit_id(self) -> str:
        return self.public_id

    @property
    def is_pdf(self) -> bool:
        return self.kind == self.Kind.PDF


class StagedEvidence(models.Model):
    """The evidence file of an application between its confirmation page and its final button
    (入力 → 確認 → 完了), or an empty one when the application gives a reference number instead.

    One per account: reaching the confirmation page again replaces it (a new ``token``, so an earlier
    confirmation no longer submits). The final button turns it into the application's
    ``RegistryEvidence`` and deletes it in the same transaction; a refused confirmation deletes it;
    an abandoned one is deleted when anyone reaches a confirmation page after its ``expires_at``, and
    by ``apply_retention`` (``registry.staged_evidence``). Held in the database like the evidence
    itself, so no host keeps files on local disk and no file travels in a cookie or a page
    (docs/architecture.md §8)."""

    token = models.CharField(max_length=43, unique=True, default=new_public_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(_("ファイル名"), max_length=255, blank=True)
    content = models.BinaryField(_("内容"), blank=True, editable=False)
    size = models.PositiveIntegerField(_("サイズ（バイト）"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("ページ数"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("確認待ちの提出ファイル")
        verbose_name_plural = _("確認待ちの提出ファイル")

    def __str__(self) -> str:
        return self.file_name


class MemberRole(models.TextChoices):
    """The role of a member of an organisation that uses the service (a subscriber or a recipient):
    an administrator invites, removes and decides the others' roles; a member does the daily work."""

    # The account that registered the organisation is its first administrator.
    APPLICANT = "applicant", _("管理者（申込担当者）")
    ADMINISTRATOR = "administrator", _("管理者")
    MEMBER = "member", _("担当者")


class AbstractMembership(models.Model):
    """An account working for one organisation, with its role (registry.members handles both the
    subscribers' and the recipients' members through this)."""

    Role = MemberRole

    role = models.CharField(_("役割"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)

    class Meta:
        abstract = True

    @property
    def is_administrator(self) -> bool:
        return self.role in (MemberRole.APPLICANT, MemberRole.ADMINISTRATOR)


class InvitationQuerySet(models.QuerySet[Any]):
    def open(self) -> InvitationQuerySet:
        """Invitations that may still be accepted: neither accepted nor withdrawn, and not yet
        expired (as ``is_open()`` says of one)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())

    def ended_before(self, cutoff: datetime) -> InvitationQuerySet:
        """Invitations that ended before ``cutoff``: accepted or withdrawn then, or left unanswered
        until they expired then. An open one has not ended (``cutoff`` is never later than now)."""
        unanswered = Q(accepted_at__isnull=True, revoked_at__isnull=True)
        return self.filter(
            Q(accepted_at__lt=cutoff) | Q(revoked_at__lt=cutoff) | (unanswered & Q(expires_at__lt=cutoff))
        )


class AbstractInvitation(models.Model):
    """An e-mail invitation to join an organisation. Only a digest of the token is stored."""

    public_id = models.CharField(_("公開ID"), max_length=32, unique=True, default=new_public_id, editable=False)
    email = models.EmailField(_("招待先メールアドレス"))
    token_hash = models.CharField(_("招待トークンのハッシュ"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("招待者")
    )
    created_at = models.DateTimeField(_("招待日時"), default=timezone.now)
    expires_at = models.DateTimeField(_("有効期限"))
    accepted_at = models.DateTimeField(_("承諾日時"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("承諾した担当者"),
    )
    revoked_at = models.DateTimeField(_("取消日時"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.email

    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class Membership(AbstractMembership):
    """A subscriber-kind account working for one subscriber. Several per subscriber."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="membership", verbose_name=_("アカウント")
    )
    subscriber = models.ForeignKey(Subscriber, on_delete=models.PROTECT, related_name="memberships")
    # An ordinary member drafts and views; an administrator invites, removes, decides who may revoke,
    # and revokes. ``may_revoke`` lets an ordinary member revoke too.
    may_revoke = models.BooleanField(_("取消できる"), default=False)
    joined_at = models.DateTimeField(_("参加日時"), default=timezone.now)

    class Meta:
        verbose_name = _("利用者の担当者")
        verbose_name_plural = _("利用者の担当者")

    def __str__(self) -> str:
        return f"{self.user} @ {self.subscriber}"

    @property
    def can_revoke(self) -> bool:
        return self.is_administrator or self.may_revoke


class Invitation(AbstractInvitation):
    """An invitation to join a subscriber."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("利用者")
    )

    class Meta:
        verbose_name = _("担当者の招待")
        verbose_name_plural = _("担当者の招待")


class CorporateRecord(models.Model):
    """A mirror of the National Tax Agency's published corporate-number data (one row per number,
    its latest state). Columns follow the NTA's 30-column CSV."""

    corporate_number = models.CharField(_("法人番号"), max_length=13, primary_key=True)
    sequence_number = models.BigIntegerField(_("一連番号"), default=0)
    process = models.CharField(_("処理区分"), max_length=2, blank=True)
    correct = models.CharField(_("訂正区分"), max_length=1, blank=True)
    update_date = models.DateField(_("更新年月日"), null=True, blank=True)
    change_date = models.DateField(_("変更年月日"), null=True, blank=True)
    name = models.CharField(_("商号又は名称"), max_length=300)
    name_image_id = models.CharField(_("商号又は名称イメージID"), max_length=8, blank=True)
    kind = models.CharField(_("法人種別"), max_length=3, blank=True)
    prefecture_name = models.CharField(_("都道府県"), max_length=10, blank=True)
    city_name = models.CharField(_("市区町村"), max_length=20, blank=True)
    street_number = models.CharField(_("丁目番地等"), max_length=300, blank=True)
    address_image_id = models.CharField(_("国内所在地イメージID"), max_length=8, blank=True)
    prefecture_code = models.CharField(_("都道府県コード"), max_length=2, blank=True)
    city_code = models.CharField(_("市区町村コード"), max_length=3, blank=True)
    post_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    address_outside = models.CharField(_("国外所在地"), max_length=300, blank=True)
    address_outside_image_id = models.CharField(_("国外所在地イメージID"), max_length=8, blank=True)
    close_date = models.DateField(_("登記記録の閉鎖等年月日"), null=True, blank=True)
    close_cause = models.CharField(_("登記記録の閉鎖等の事由"), max_length=2, blank=True)
    successor_corporate_number = models.CharField(_("承継先法人番号"), max_length=13, blank=True)
    change_cause = models.CharField(_("変更事由の詳細"), max_length=500, blank=True)
    assignment_date = models.DateField(_("法人番号指定年月日"), null=True, blank=True)
    latest = models.CharField(_("最新履歴"), max_length=1, blank=True)
    en_name = models.CharField(_("商号又は名称（英語表記）"), max_length=300, blank=True)
    en_prefecture_name = models.CharField(_("都道府県（英語表記）"), max_length=9, blank=True)
    en_city_name = models.CharField(_("市区町村丁目番地等（英語表記）"), max_length=600, blank=True)
    en_address_outside = models.CharField(_("国外所在地（英語表記）"), max_length=600, blank=True)
    furigana = models.CharField(_("フリガナ"), max_length=500, blank=True)
    hihyoji = models.CharField(_("検索対象除外"), max_length=1, blank=True)

    class Meta:
        verbose_name = _("法人番号公表データ")
        verbose_name_plural = _("法人番号公表データ")

    def __str__(self) -> str:
        return f"{self.corporate_number} {self.name}"

    def html_name(self) -> SafeString:
        """The name on a page: the corporate number is an identifier, the name is not."""
        return format_html("{} {}", identifier(self.corporate_number), self.name)

    @property
    def address(self) -> str:
        return f"{self.prefecture_name}{self.city_name}{self.street_number}" or self.address_outside


class ImportRun(models.Model):
    """Progress of one import file, so an interrupted import resumes after its last committed batch."""

    file_key = models.CharField(
        _("ファイルの識別子"), max_length=200, unique=True
    )  # name, size and SHA-256 of the file
    file_name = models.CharField(_("ファイル名"), max_length=255)
    started_at = models.DateTimeField(_("開始日時"), default=timezone.now)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    lines_done = models.BigIntegerField(_("処理済みの行数"), default=0)
    rows_written = models.BigIntegerField(_("書き込んだ件数"), default=0)
    bad_rows = models.BigIntegerField(_("読めなかった行数"), default=0)

    class Meta:
        verbose_name = _("法人番号データの取込み")
        verbose_name_plural = _("法人番号データの取込み")

    def __str__(self) -> str:
        return self.file_name


class DataRequest(models.Model):
    """A request about personal data (§2.8(6)(7)): disclosure, correction, stop of use."""

    class Kind(models.TextChoices):
        DISCLOSURE = "disclosure", _("開示")
        CORRECTION = "correction", _("訂正・追加・削除")
        STOP = "stop", _("利用停止・消去")

    class State(models.TextChoices):
        OPEN = "open", _("対応中")
        DONE = "done", _("対応済み")
        DECLINED = "declined", _("対応不可")

    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="data_requests",
        verbose_name=_("利用者"),
    )
    kind = models.CharField(_("種類"), max_length=16, choices=Kind.choices)
    requester = models.CharField(_("請求者"), max_length=200)
    received_on = models.DateField(_("受付日"), default=timezone.localdate)
    details = models.TextField(_("請求内容"))
    state = models.CharField(_("状態"), max_length=16, choices=State.choices, default=State.OPEN)
    response = models.TextField(_("対応内容"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("対応した職員"),
    )
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("個人情報の開示等の請求")
        verbose_name_plural = _("個人情報の開示等の請求")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.requester}"

    @property
    def is_open(self) -> bool:
        """対応中: it can still be closed."""
        return self.state == self.State.OPEN


def member_subscriber(user: User | Any) -> Subscriber | None:
    """The subscriber a subscriber-kind account works for, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = Membership.objects.select_related("subscriber").filter(user=user).first()
    return membership.subscriber if membership else None
