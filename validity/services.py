"""Every state change of the validity app, and the recording of each query.

Each function is named by verb and takes a keyword-only ``actor``. State changes run in one
transaction with their audit event; a refused one raises :class:`ValidityError` and is recorded as
``<event>_refused`` after the rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from audit import context as audit_context
from kernel import Actor, service
from mynatrust.repository.services import record_privacy_notice
from registry import reception
from validity import answer, auth, keys, lookup, ratelimit
from validity.answer import DelegationFacts, Status, ValidityError
from validity.models import ApiKey, CheckResult, RecipientMember, RecipientOrganisation

if TYPE_CHECKING:
    from mynatrust.models import User

log = logging.getLogger(__name__)


Org = RecipientOrganisation


def _refuse(code: str, ja: str, en: str) -> ValidityError:
    return ValidityError(code, 409, ja, en)


# --- recipient registration (§5.2) ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecipientDetails:
    kind: str
    name: str
    address: str
    representative_title: str
    representative_name: str
    representative_address: str
    representative_date_of_birth: date | None
    declarant_name: str


@service("validity.recipient.registered")
def register_recipient(user: Any, details: RecipientDetails, *, actor: Actor) -> RecipientOrganisation:
    if getattr(user, "kind", None) != "recipient":
        raise _refuse("not_a_recipient", "受領者等のアカウントではありません。", "This is not a recipient account.")
    if RecipientMember.objects.filter(user=user).exists():
        raise _refuse("already_registered", "既に登録を申請しています。", "This account has already registered.")
    if details.kind == Org.Kind.SOLE_PROPRIETOR and details.representative_date_of_birth is None:
        raise ValidityError(
            "date_of_birth_required",
            400,
            "個人事業主は生年月日を入力してください。",
            "A sole proprietor must give a date of birth.",
        )
    approve_now = not settings.VALIDITY_RECIPIENT_APPROVAL_REQUIRED
    organisation = Org.objects.create(
        kind=details.kind,
        name=details.name,
        address=details.address,
        representative_title=details.representative_title,
        representative_name=details.representative_name,
        representative_address=details.representative_address,
        representative_date_of_birth=details.representative_date_of_birth
        if details.kind == Org.Kind.SOLE_PROPRIETOR
        else None,
        declarant_name=details.declarant_name,
        status=Org.Status.APPROVED if approve_now else Org.Status.PENDING,
        decided_at=timezone.now() if approve_now else None,
        reception_number=reception.next_number(reception.RECIPIENT),
    )
    RecipientMember.objects.create(organisation=organisation, user=user, role=RecipientMember.Role.APPLICANT)
    # The privacy notice shown on the registration form (§2.8(2)): the version is recorded.
    record_privacy_notice(user, actor=actor)
    audit.record(
        "validity.recipient.registered",
        actor=actor,
        subject=organisation,
        name=organisation.name,
        kind=organisation.kind,
        status=organisation.status,
        approval_required=not approve_now,
        reception_number=organisation.reception_number,
    )
    return organisation


def _transition(
    organisation: RecipientOrganisation,
    event: str,
    allowed_from: set[str],
    to: str,
    *,
    actor: Actor,
    reason: str = "",
) -> RecipientOrganisation:
    # Lock the row: two reception staff acting at once see each other's decision.
    current = Org.objects.select_for_update().get(pk=organisation.pk)
    if current.status not in allowed_from:
        raise _refuse(
            "invalid_transition",
            f"現在の状態（{current.get_status_display()}）からは変更できません。",
            f"Not possible from the current status ({current.status}).",
        )
    previous = current.status
    current.status = to
    current.status_reason = reason[:500]
    current.decided_at = timezone.now()
    current.decided_by = actor if isinstance(actor, get_user_model()) else None
    current.save(update_fields=["status", "status_reason", "decided_at", "decided_by"])
    audit.record(event, actor=actor, subject=current, name=current.name, previous=previous, status=to, reason=reason)
    prefixes = list(current.api_keys.values_list("prefix", flat=True))
    # This process drops the rows it kept, now and after the commit (it may read the old row again
    # in between); other workers find the change in the answer's own statement (auth.KeyGuard).
    auth.forget(prefixes)
    transaction.on_commit(lambda: auth.forget(prefixes))
    _mail_on_commit(current, reason)
    organisation.refresh_from_db()
    return current


def _mail_on_commit(organisation: RecipientOrganisation, reason: str) -> None:
    """Tell the organisation's accounts about a decision, once it is committed."""
    addresses = list(organisation.members.values_list("user__email", flat=True))
    if not addresses:
        return
    context = {
        "organisation": organisation.name,
        "status": organisation.get_status_display(),
        "approved": organisation.is_approved,
        "reason": reason,
        "link": settings.SERVICE_BASE_URL.rstrip("/") + reverse("validity:home"),
    }
    subject = f"【{settings.SERVICE_NAME}】" + gettext("受領者等の登録について")
    body = render_to_string("validity/email/decision.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, addresses))


@service("validity.recipient.approved")
def approve_recipient(organisation: RecipientOrganisation, *, actor: Actor, reason: str = "") -> RecipientOrganisation:
    return _transition(
        organisation,
        "validity.recipient.approved",
        {Org.Status.PENDING, Org.Status.SUSPENDED},
        Org.Status.APPROVED,
        actor=actor,
        reason=reason,
    )


@service("validity.recipient.suspended")
def suspend_recipient(organisation: RecipientOrganisation, *, actor: User, reason: str = "") -> RecipientOrganisation:
    return _transition(
        organisation,
        "validity.recipient.suspended",
        {Org.Status.APPROVED},
        Org.Status.SUSPENDED,
        actor=actor,
        reason=reason,
    )


@service("validity.recipient.rejected")
def reject_recipient(organisation: RecipientOrganisation, *, actor: User, reason: str = "") -> RecipientOrganisation:
    return _transition(
        organisation,
        "validity.recipient.rejected",
        {Org.Status.PENDING},
        Org.Status.REJECTED,
        actor=actor,
        reason=reason,
    )


# --- API keys ------------------------------------------------------------------------------------


@service("validity.api_key.created")
def create_api_key(
    organisation: RecipientOrganisation, *, label: str, expires_at: datetime | None = None, actor: User
) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is shown once and never stored. Administrators only."""
    current = Org.objects.select_for_update().get(pk=organisation.pk)
    _require_key_administrator(current, actor)
    if not current.is_approved:
        raise _refuse(
            "not_approved",
            "登録が承認されるまで API キーは作成できません。",
            "API keys can be created once the registration is approved.",
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidityError(
            "expiry_in_past", 400, "有効期限は未来の日時にしてください。", "The expiry must lie in the future."
        )
    if ApiKey.objects.filter(organisation=current).live().count() >= settings.VALIDITY_MAX_API_KEYS:
        raise _refuse(
            "too_many_keys",
            "有効な API キーの数が上限に達しています。使っていないキーを失効させてください。",
            "The organisation holds the maximum number of live keys; revoke one it no longer uses.",
        )
    new = keys.generate()
    key = ApiKey.objects.create(
        organisation=current,
        label=label[:100],
        prefix=new.prefix,
        secret_sha256=new.secret_sha256,
        expires_at=expires_at,
        created_by=actor,
    )
    audit.record(
        "validity.api_key.created",
        actor=actor,
        subject=key,
        organisation=current.name,
        label=key.label,
        expires_at=expires_at,
    )
    return key, new.plaintext


@service("validity.api_key.revoked")
def revoke_api_key(key: ApiKey, *, actor: User) -> ApiKey:
    current = ApiKey.objects.select_for_update().get(pk=key.pk)
    _require_key_administrator(current.organisation, actor)
    if current.revoked_at is not None:
        raise _refuse("already_revoked", "この API キーは既に失効しています。", "This API key is already revoked.")
    current.revoked_at = timezone.now()
    current.revoked_by = actor
    current.save(update_fields=["revoked_at", "revoked_by"])
    auth.forget([current.prefix])
    transaction.on_commit(lambda: auth.forget([current.prefix]))
    audit.record(
        "validity.api_key.revoked",
        actor=actor,
        subject=current,
        organisation=key.organisation.name,
        label=current.label,
    )
    return current


def _require_key_administrator(organisation: RecipientOrganisation, actor: User) -> None:
    """API keys act for the whole organisation: only its administrators create and revoke them."""
    member = RecipientMember.objects.filter(organisation=organisation, user=actor).first()
    if member is None or not member.is_administrator:
        raise ValidityError(
            "not_administrator",
            403,
            "API キーの作成と失効は、受領者等の管理者だけが行えます。",
            "Only the recipient's administrators create and revoke API keys.",
        )


# --- members (registry.members: the same roles and invitations as the subscribers') ----------------


def _recipients() -> Any:
    from registry import members
    from validity.models import RecipientInvitation

    return members.Team(
        membership=RecipientMember,
        invitation=RecipientInvitation,
        org_field="organisation",
        account_kind="recipient",
        app="validity",
        audience=_("受領者等"),
        closed=lambda org: org.status in (Org.Status.REJECTED, Org.Status.SUSPENDED),
    )


def invite_member(
    organisation: RecipientOrganisation, *, actor: User, email: str, accept_url: Callable[[str], str]
) -> Any:
    from registry import members

    return members.invite(_recipients(), organisation, actor=actor, email=email, accept_url=accept_url)


def invitation_for_token(token: str) -> Any:
    from registry import members

    return members.invitation_for_token(_recipients(), token)


def accept_invitation(invitation: Any, *, actor: User) -> RecipientMember:
    from registry import members

    return members.accept(_recipients(), invitation, actor=actor)


def revoke_invitation(invitation: Any, *, actor: User) -> Any:
    from registry import members

    return members.revoke_invitation(_recipients(), invitation, actor=actor)


def set_member_role(member: RecipientMember, *, actor: User, administrator: bool) -> RecipientMember:
    from registry import members

    return members.set_role(_recipients(), member, actor=actor, administrator=administrator)


def remove_member(member: RecipientMember, *, actor: User, reason: str) -> None:
    from registry import members

    members.remove(_recipients(), member, actor=actor, reason=reason)


# --- queries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """What was asked and what the service answered."""

    delegation_id: str
    status: Status
    document: dict[str, Any]
    facts: DelegationFacts | None


def answer_query(
    typed_id: str,
    *,
    sha256: str | None,
    organisation: RecipientOrganisation | None,
    actor: Actor,
    channel: str,
    guard: auth.KeyGuard | None = None,
    declared_only: bool = False,
) -> Query:
    """Answer one validity query and record it (who, which ID, the answer, the digest match).

    On PostgreSQL the delegation's read and the query's audit event are one statement, in
    autocommit (:func:`validity.lookup.reading`): the event costs no round trip of its own and no
    transaction is opened on the hottest path of the service. The event's status is computed by the
    database; the answer's by :func:`validity.answer.status_at` — should they ever differ, the
    answer stands and a ``validity.query_mismatch`` event says so. A malformed ID or digest is
    recorded too, then raised as :class:`ValidityError` (400).

    With ``guard`` (an API key the caller kept), the database confirms in that same statement that
    the key is still usable; if it is not, nothing is recorded or answered and
    :class:`validity.auth.KeyNoLongerUsable` is raised (on the malformed path the key is read again
    before anything is recorded). ``declared_only``: the ID in one of the forms the API declares.
    """
    who = {
        "organisation": organisation.name if organisation else None,
        "organisation_id": organisation.public_id if organisation else None,
    }
    try:
        delegation_id = answer.parse_delegation_id(typed_id, declared_only=declared_only)
        digest = answer.parse_sha256(sha256)
    except ValidityError as exc:
        if guard is not None and guard.confirm() is None:
            raise auth.KeyNoLongerUsable(read_again=True) from exc
        audit.record(
            "validity.query",
            actor=actor,
            channel=channel,
            status="malformed",
            code=exc.code,
            typed=typed_id[:64],
            **who,
        )
        raise
    checked_at = timezone.now()
    reading = lookup.reading(delegation_id, checked_at=checked_at, digest=digest)
    if guard is not None:
        reading = replace(reading, guard=guard.sql, params={**reading.params, **guard.params()})
    row, event_id = audit.record_reading(
        "validity.query",
        actor=actor,
        subject=("delegations.delegation", delegation_id),
        reading=reading,
        at=checked_at,
        channel=channel,
        delegation_id=delegation_id,
        digest_given=digest is not None,
        **who,
    )
    if event_id is None:  # the guard did not hold: nothing was recorded
        raise auth.KeyNoLongerUsable
    facts = lookup.facts_from(row)
    document = answer.build_answer(
        delegation_id, facts, checked_at=checked_at, issuer=settings.SERVICE_BASE_URL, sha256=digest
    )
    status = Status(document["status"])
    if (row["status"], row["digest_match"]) != (status.value, document.get("digest_match")):
        log.error("validity query %s: recorded %s, answered %s", delegation_id, row["status"], status.value)
        audit.record(
            "validity.query_mismatch",
            actor=audit.SYSTEM,
            subject=("delegations.delegation", delegation_id),
            event_id=event_id,
            recorded={"status": row["status"], "digest_match": row["digest_match"]},
            answered={"status": status.value, "digest_match": document.get("digest_match")},
        )
    if status is Status.UNKNOWN:
        _count_unknown(organisation, actor=actor, channel=channel)
    return Query(delegation_id=delegation_id, status=status, document=document, facts=facts)


@lru_cache(maxsize=8)
def _unknown_limit(text: str) -> ratelimit.Rate:
    return ratelimit.Rate.parse(text)


def _count_unknown(organisation: RecipientOrganisation | None, *, actor: Actor, channel: str) -> None:
    ident = organisation.public_id if organisation else f"ip:{audit_context.current().ip}"
    # Counted through this process's leases (ratelimit.take), as the API counts keys: most unknown
    # answers cost no round trip to Redis, and all processes together never count more than the limit.
    if ratelimit.take([("unknown", ident, _unknown_limit(settings.VALIDITY_UNKNOWN_LIMIT))]) is None:
        return
    seconds = settings.VALIDITY_UNKNOWN_PENALTY_SECONDS
    if ratelimit.impose("unknown", ident, seconds):
        # For the service administrator's security monitoring: possible enumeration of IDs.
        audit.record(
            "validity.enumeration_suspected",
            actor=actor,
            subject=organisation,
            organisation=organisation.name if organisation else None,
            channel=channel,
            limit=settings.VALIDITY_UNKNOWN_LIMIT,
            penalty_seconds=seconds,
        )


def keep_check_result(
    query: Query,
    *,
    organisation: RecipientOrganisation,
    actor: User,
    signed_record: str = "",
    file_name: str = "",
    file_size: int | None = None,
    file_sha256: str = "",
) -> CheckResult:
    """Keep a form check's answer for the organisation's history. The query itself was recorded in
    the audit log when it was answered (``validity.query``); this row is the recipient's copy."""
    return CheckResult.objects.create(
        organisation=organisation,
        checked_by=actor,
        checked_at=datetime.fromisoformat(query.document["checked_at"]),
        delegation_id=query.delegation_id,
        status=query.status.value,
        answer=query.document,
        signed_record=signed_record,
        file_name=file_name[:200],
        file_size=file_size,
        file_sha256=file_sha256,
    )


def record_result_printed(kept: CheckResult, *, actor: Actor) -> None:
    """A kept result was taken out as PDF (who took which answer out, and when)."""
    audit.record(
        "validity.check_result.printed",
        actor=actor,
        subject=kept.organisation,
        delegation_id=kept.delegation_id,
        checked_at=kept.answer.get("checked_at"),
    )
