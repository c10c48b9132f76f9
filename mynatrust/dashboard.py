"""The staff admin's home: the work queues of the signed-in person's role (§7.2.1).

Each queue says how many items wait, how long the oldest has waited, links to that item and to the
whole queue, and is marked overdue when the oldest item has waited longer than the queue's limit
(``STAFF_QUEUE_OVERDUE_DAYS``, per queue key). A queue is shown to the roles it names, and only when
the person also holds its permission: the permission decides what they may do, the role what is
their work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mynatrust.roles import Role


@dataclass(frozen=True)
class Queue:
    key: str
    label: Any
    roles: tuple[Role, ...]
    permission: str
    items: Callable[[], QuerySet[Any]]  # oldest first is decided here, by ``since``
    since: str  # the field that says since when an item waits
    item_url: Callable[[Any], str]
    list_url: Callable[[], str]
    help: Any = ""
    # When the oldest item began to wait, where ``since`` orders the items but is not that instant
    # itself (a calendar date in Japan).
    waits_from: Callable[[Any], datetime] | None = None


@dataclass(frozen=True)
class QueueState:
    queue: Queue
    count: int
    oldest_at: datetime | None
    oldest_url: str
    list_url: str
    limit_days: int

    @property
    def age_days(self) -> int | None:
        if self.oldest_at is None:
            return None
        return (timezone.now() - self.oldest_at) // timedelta(days=1)

    @property
    def overdue(self) -> bool:
        return self.oldest_at is not None and timezone.now() - self.oldest_at > timedelta(days=self.limit_days)


DEFAULT_OVERDUE_DAYS = 3


def limit_days(key: str) -> int:
    limits: dict[str, Any] = getattr(settings, "STAFF_QUEUE_OVERDUE_DAYS", {})
    return int(limits.get(key, DEFAULT_OVERDUE_DAYS))


def _admin(name: str, *args: Any, query: str = "") -> str:
    url = reverse(f"admin:{name}", args=args)
    return f"{url}?{query}" if query else url


# --- the queues --------------------------------------------------------------------------------------------
def _facts_to_review() -> QuerySet[Any]:
    from registry.models import SubscriberFacts

    return SubscriberFacts.objects.filter(state=SubscriberFacts.State.PENDING).select_related("subscriber")


def _delegations_submitted() -> QuerySet[Any]:
    from delegations.models import Delegation

    return Delegation.objects.awaiting_reception().exclude(agent_qualification__gt="", qualification_check=None)


def _qualification_checks() -> QuerySet[Any]:
    from delegations.models import Delegation

    return Delegation.objects.awaiting_reception().filter(agent_qualification__gt="", qualification_check=None)


def _recipients() -> QuerySet[Any]:
    from validity.models import RecipientOrganisation

    return RecipientOrganisation.objects.filter(status=RecipientOrganisation.Status.PENDING)


def _confirmations_overdue() -> QuerySet[Any]:
    # §4.3: registered delegations whose periodic confirmation is still overdue after the reminders.
    from delegations import confirmation

    return confirmation.for_follow_up()


def _confirmation_waits_from(delegation: Any) -> datetime:
    """An item waits from the start of the Japan day it joined the queue (the day after the
    follow-up days), not from that date read as midnight UTC, nine hours later."""
    from delegations.standing import starts_at

    joined = timedelta(days=settings.DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS + 1)
    return starts_at(delegation.confirmation_due_on + joined)


def _revocation_requests() -> QuerySet[Any]:
    from delegations.models import RevocationRequest

    return RevocationRequest.objects.filter(decision=RevocationRequest.Decision.PENDING).select_related("delegation")


def _anchor_changes() -> QuerySet[Any]:
    from delegations.models import AnchorChange

    return AnchorChange.objects.filter(decision=AnchorChange.Decision.PENDING)


def _documents() -> QuerySet[Any]:
    from mynatrust.repository.models import DocumentVersion

    return DocumentVersion.objects.filter(status=DocumentVersion.Status.DRAFT)


def _rules_to_review_procedures() -> QuerySet[Any]:
    # §7.2.4: a change of the rules is followed by a review of the business procedures, shown as
    # done by a new version of them drafted after the rules were approved.
    from django.db.models import Max

    from mynatrust.repository.models import DocumentKind, DocumentVersion

    versions = DocumentVersion.objects.filter(kind=DocumentKind.PROCEDURES)
    last_draft = versions.aggregate(last=Max("drafted_at"))["last"]
    rules = DocumentVersion.objects.approved().filter(kind=DocumentKind.RULES)
    return rules.filter(decided_at__gt=last_draft) if last_draft is not None else rules


def _internal_audit() -> QuerySet[Any]:
    # §2.6.1: at least one audit a year. The item is the last recorded audit; before the first one,
    # the year counts from the first staff appointment.
    from django.db.models import F

    from mynatrust.models import User
    from mynatrust.operations.models import InternalAuditReport

    last = InternalAuditReport.objects.order_by("-performed_on", "-pk")[:1]
    if last.exists():
        return InternalAuditReport.objects.filter(pk__in=last.values("pk")).annotate(since=F("recorded_at"))
    first = User.objects.filter(kind=User.Kind.STAFF).order_by("date_joined", "pk")[:1]
    return User.objects.filter(pk__in=first.values("pk")).annotate(since=F("date_joined"))


def _staff_without_second_factor() -> QuerySet[Any]:
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    from mynatrust.models import User

    apps = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    passkeys = WebAuthnCredential.objects.filter(confirmed=True).values("user_id")
    return User.objects.filter(kind=User.Kind.STAFF, is_active=True).exclude(pk__in=apps).exclude(pk__in=passkeys)


def _ministry_reports() -> QuerySet[Any]:
    # The newest entry of each incident chain says where the incident stands (§6.3.2).
    from django.db.models import F, Max
    from django.db.models.functions import Coalesce

    from mynatrust.operations.models import IncidentRecord

    newest = (
        IncidentRecord.objects.annotate(chain=Coalesce(F("corrects_id"), F("pk")))
        .values("chain")
        .annotate(newest=Max("pk"))
        .values("newest")
    )
    return IncidentRecord.objects.filter(pk__in=newest, leak_risk=True, ministry_reported_at__isnull=True)


def _unsealed() -> QuerySet[Any]:
    from audit.models import AuditEvent

    return AuditEvent.objects.unsealed()


R = Role
QUEUES: tuple[Queue, ...] = (
    Queue(
        "subscriber_review",
        _("審査待ちの利用申込・変更届"),
        (R.RECEPTION,),
        "registry.review_subscriber",
        _facts_to_review,
        "submitted_at",
        lambda facts: _admin("registry_subscriber_change", facts.subscriber_id),
        lambda: _admin("registry_subscriber_changelist", query="queue=to_review"),
    ),
    Queue(
        "delegation_reception",
        _("受付確認待ちの電子委任状"),
        (R.RECEPTION, R.SERVICE_OPERATOR),
        "delegations.view_delegation",
        _delegations_submitted,
        "submitted_at",
        lambda d: _admin("delegations_delegation_change", d.pk),
        lambda: _admin("delegations_delegation_changelist", query="status__exact=submitted"),
        _("署名済みファイルが提出され、受付の確認を待っているもの"),
    ),
    Queue(
        "qualification_check",
        _("士業の資格確認待ち"),
        (R.RECEPTION,),
        "delegations.review_delegation",
        _qualification_checks,
        "submitted_at",
        lambda d: _admin("delegations_delegation_change", d.pk),
        lambda: _admin("delegations_delegation_changelist", query="status__exact=submitted&agent_qualification__gt="),
    ),
    Queue(
        "recipient_review",
        _("承認待ちの受領者等の登録"),
        (R.RECEPTION,),
        "validity.decide_recipientorganisation",
        _recipients,
        "created_at",
        lambda r: _admin("validity_recipientorganisation_change", r.pk),
        lambda: _admin("validity_recipientorganisation_changelist", query="status__exact=pending"),
    ),
    Queue(
        "confirmation_follow_up",
        _("定期確認が済んでいない電子委任状"),
        (R.RECEPTION,),
        "delegations.follow_up_confirmation",
        _confirmations_overdue,
        "confirmation_due_on",
        lambda d: _admin("delegations_delegation_change", d.pk),
        lambda: _admin("delegations_delegation_changelist", query="confirmation=follow_up"),
        _("利用者が定期確認（4.3）をせず、お知らせの後も期限を過ぎているもの。連絡して記録します"),
        waits_from=_confirmation_waits_from,
    ),
    Queue(
        "revocation_request",
        _("承認待ちの取消申請"),
        (R.SERVICE_OPERATOR, R.SERVICE_MANAGER),
        "delegations.revoke_delegation",
        _revocation_requests,
        "requested_at",
        lambda r: _admin("delegations_revocationrequest_change", r.pk),
        lambda: _admin("delegations_revocationrequest_changelist", query="decision__exact=pending"),
    ),
    Queue(
        "anchor_change",
        _("承認待ちのトラストアンカー変更"),
        (R.SERVICE_OPERATOR, R.SERVICE_MANAGER),
        "delegations.approve_anchorchange",
        _anchor_changes,
        "requested_at",
        lambda c: _admin("delegations_anchorchange_change", c.pk),
        lambda: _admin("delegations_anchorchange_changelist", query="decision__exact=pending"),
    ),
    Queue(
        "document_approval",
        _("承認待ちの公開文書"),
        (R.SERVICE_MANAGER,),
        "mynatrust.approve_documentversion",
        _documents,
        "drafted_at",
        lambda v: _admin("mynatrust_documentversion_change", v.pk),
        lambda: _admin("mynatrust_documentversion_changelist", query="status__exact=draft"),
    ),
    Queue(
        "ministry_report",
        _("主務省庁への報告待ちのセキュリティ事故"),
        (R.SERVICE_MANAGER, R.SERVICE_ADMINISTRATOR),
        "mynatrust.view_incidentrecord",
        _ministry_reports,
        "detected_at",
        lambda e: _admin("mynatrust_incidentrecord_change", e.pk),
        lambda: _admin("mynatrust_incidentrecord_changelist", query="leak_risk__exact=1"),
        _("情報漏えいの恐れがある事故は速やかに報告し、報告日時と報告先を訂正の記録で追記します（6.3.2）"),
    ),
    Queue(
        "procedure_review",
        _("運用規程の改定に伴う業務手続書の見直し"),
        (R.SERVICE_ADMINISTRATOR,),
        "mynatrust.add_proceduredocument",
        _rules_to_review_procedures,
        "decided_at",
        lambda v: reverse("repository:document_version", kwargs={"kind": v.kind, "version": v.version}),
        lambda: _admin("mynatrust_proceduredocument_changelist"),
        _("改定された運用規程を読み、業務手続書の新しい版を起案すると消えます（7.2.4）"),
    ),
    Queue(
        "internal_audit",
        _("前回の内部監査からの経過"),
        (R.SERVICE_MANAGER,),
        "mynatrust.view_internalauditreport",
        _internal_audit,
        "since",
        lambda _item: _admin("mynatrust_internalauditreport_changelist"),
        lambda: _admin("mynatrust_internalauditreport_changelist"),
        _("年に1回以上の定期監査（2.6.1）。1年を過ぎても記録がなければ期限超過です"),
    ),
    Queue(
        "staff_enrolment",
        _("二要素認証を登録していない職員"),
        (R.SERVICE_MANAGER,),
        "mynatrust.manage_staff",
        _staff_without_second_factor,
        "date_joined",
        lambda u: _admin("mynatrust_user_change", u.pk),
        lambda: _admin("mynatrust_user_changelist", query="kind__exact=staff"),
        _("任命後、初回ログインで認証アプリを登録するまでここに残ります"),
    ),
    Queue(
        "audit_unsealed",
        _("未封印の監査ログ"),
        (R.AUDITOR, R.SERVICE_ADMINISTRATOR),
        "audit.view_auditevent",
        _unsealed,
        "created_at",
        lambda e: _admin("audit_auditevent_change", e.pk),
        lambda: _admin("audit_auditevent_changelist"),
        _("ハッシュチェーンに未だ封印されていない記録（封印処理が止まると増えます）"),
    ),
)


def _waits_from(queue: Queue, oldest: Any) -> datetime | None:
    if oldest is None:
        return None
    return queue.waits_from(oldest) if queue.waits_from else getattr(oldest, queue.since)


def queues_for(user: Any) -> list[QueueState]:
    role = getattr(user, "staff_role", None)
    states = []
    for queue in QUEUES:
        if role not in queue.roles or not user.has_perm(queue.permission):
            continue
        items = queue.items()
        oldest = items.order_by(queue.since, "pk").first()
        states.append(
            QueueState(
                queue=queue,
                count=items.count(),
                oldest_at=_waits_from(queue, oldest),
                oldest_url=queue.item_url(oldest) if oldest is not None else "",
                list_url=queue.list_url(),
                limit_days=limit_days(queue.key),
            )
        )
    return states


# --- status panels -----------------------------------------------------------------------------------------
HEALTH_LABELS = {
    "database": _("データベース"),
    "rate_limit_cache": _("回数制限の共有キャッシュ"),
    "audit_backlog": _("監査ログの封印"),
    "revocation_data": _("失効情報の鮮度"),
    "answer_signing_key": _("有効性回答の署名鍵"),
    "audit_signed_head": _("監査ログの署名済み先頭"),
    "audit_unsealed_age": _("監査ログの未封印の滞留時間"),
    "mail_outbox": _("メールの送信待ち"),
}
HEALTH_STATUS = {"ok": _("正常"), "warn": _("注意"), "error": _("異常")}


def health_rows() -> list[tuple[Any, str, Any]]:
    from mynatrust.operations import health

    _healthy, checks = health.run_checks()
    return [
        (HEALTH_LABELS.get(name, name), status, HEALTH_STATUS.get(status, status)) for name, status in checks.items()
    ]


def audit_status() -> dict[str, Any]:
    from audit.models import AuditCheckpoint, AuditCosignature, AuditEvent

    last = AuditEvent.objects.filter(event_type="audit.verified").order_by("-id").first()
    checkpoint = AuditCheckpoint.objects.order_by("-seq").first()
    return {
        "last_verified": last,
        "last_verified_ok": bool(last and last.data.get("ok")),
        "last_checkpoint": checkpoint,
        "last_cosignature": AuditCosignature.objects.order_by("-received_at").first(),
    }


def panels_for(user: Any) -> dict[str, Any]:
    role = getattr(user, "staff_role", None)
    panels: dict[str, Any] = {}
    if role in (Role.AUDITOR, Role.SERVICE_ADMINISTRATOR) and user.has_perm("audit.view_auditevent"):
        panels["audit"] = audit_status()
    if role in (Role.MAINTENANCE, Role.SERVICE_OPERATOR) or user.has_perm("mynatrust.view_health"):
        panels["health"] = health_rows()
    return panels
