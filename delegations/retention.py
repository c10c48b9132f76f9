"""Retention of delegations, their signed files and the agents' certificate data (§6.2.9, §2.8(10)).

A delegation is registered on the subscriber's application (§4.1.5 「当社に登録を申請する」), so it is
one of the 「利用者からの申込書等」 of §6.2.9: one with a period (委任期間) is kept at least 10 years
from the end of that period, and from the moment it stopped being in force when that came later
(revoked or superseded after its period, never earlier); one never registered (rejected) at least
10 years from its receipt. Then, as §2.8(10) asks, the personal data in it is erased:

- ``delegations.delegation``: the generated XML and PDF, the acceptance, the agent's and the
  principal's names, addresses and identifiers, powers, limitations and reasons. The row stays with
  its ID, status, dates and digests, so the validity answer and the audit log still resolve.
- ``delegations.signed_file``: the signed bytes as uploaded, the verification report, the revocation
  evidence and the match; the digest and size stay.
- ``delegations.agent_certificate``: the certificate data kept with the delegation (§4.1.5: the
  signer's certificate, name, address and date of birth), the agent's and the principal's.

Each kind is counted from the delegation's end and registered with its own period in
RETENTION_PERIODS; ``manage.py apply_retention`` anonymises what is due and records each batch.

A draft is none of these: it was never signed nor submitted, so it is no record under §6.2.9, only
personal data the subscriber typed in. ``delegations.idle_draft``: a draft nobody has saved for the
period (its ``updated_at``, moved on by every save) is no longer needed and is deleted whole
(§2.8(10)), as the subscriber's own 削除 would; nothing refers to a draft. Anything past the draft
(finalised, submitted, registered, rejected) is never due.

Before that, the subscriber's members are told by mail (``apply_retention`` sends it first, the
kind's notice): once the period will have run out by the start of the Japan day
DELEGATION_IDLE_DRAFT_NOTICE_DAYS from today, the mail names that day, and the time it went is kept
on the draft (``idle_notice_sent_at``, written without moving ``updated_at``). A save moves
``updated_at`` past it, so the notice no longer counts and the next idle period is told anew. The
draft is due only with a notice of its current idle period sent on a Japan day at least the lead
before today: never deleted untold, nor earlier than the day the mail named.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from delegations.models import Delegation, SignedFile
from delegations.services.notices import notify_now
from delegations.standing import starts_at, today_in_japan
from mynatrust.operations import retention


def ended_before(cutoff: datetime) -> Q:
    """Delegations whose retention clock started before ``cutoff`` (on ``Delegation``)."""
    day = today_in_japan(cutoff)
    status = Delegation.Status
    was_registered = (
        Q(status__in=[status.ACTIVE, status.REVOKED, status.SUPERSEDED], valid_until__lt=day)
        & (Q(revoked_at__isnull=True) | Q(revoked_at__lt=cutoff))
        & (Q(superseded_at__isnull=True) | Q(superseded_at__lt=cutoff))
    )
    # Never registered: from the day the signed files were received (a successor closed before
    # anything was received: from its closing).
    never_registered = Q(status=status.REJECTED) & (
        Q(submitted_at__lt=cutoff) | Q(submitted_at__isnull=True, rejected_at__lt=cutoff)
    )
    return was_registered | never_registered


def delegations_due(cutoff: datetime) -> QuerySet[Delegation]:
    return Delegation.objects.filter(ended_before(cutoff)).exclude(agent_name="")


def anonymise_delegations(rows: QuerySet[Delegation]) -> int:
    return rows.update(
        agent_name="",
        agent_title="",
        agent_address="",
        agent_identifier="",
        powers="",
        limitations="",
        principal_name="",
        decision_reason="",
        xml=None,
        pdf=None,
        acceptance_xml=None,
        acceptance_pdf=None,
    )


def _files_of_ended(cutoff: datetime) -> QuerySet[SignedFile]:
    return SignedFile.objects.filter(delegation__in=Delegation.objects.filter(ended_before(cutoff)))


def signed_files_due(cutoff: datetime) -> QuerySet[SignedFile]:
    return _files_of_ended(cutoff).exclude(size=0)


def anonymise_signed_files(rows: QuerySet[SignedFile]) -> int:
    with transaction.atomic():
        return rows.update(data=b"", detached_content=None, size=0, report={}, revocation={}, match={})


def certificates_due(cutoff: datetime) -> QuerySet[SignedFile]:
    return _files_of_ended(cutoff).exclude(signer_name="", signer_address="", signer_birth_date="")


def anonymise_certificates(rows: QuerySet[SignedFile]) -> int:
    return rows.update(signer_certificate_der=b"", signer_name="", signer_address="", signer_birth_date="")


def notice_lead() -> timedelta:
    return timedelta(days=settings.DELEGATION_IDLE_DRAFT_NOTICE_DAYS)


def _told_this_idle_period() -> Q:
    return Q(idle_notice_sent_at__gte=F("updated_at"))


def idle_drafts_due(cutoff: datetime) -> QuerySet[Delegation]:
    """Drafts last saved before ``cutoff`` whose members were told of this idle period on a Japan day
    at least the lead before today (so on or after the day the mail named)."""
    told_by = starts_at(today_in_japan(timezone.now()) - notice_lead() + timedelta(days=1))
    return (
        Delegation.objects.drafts()
        .filter(updated_at__lt=cutoff, idle_notice_sent_at__lt=told_by)
        .filter(_told_this_idle_period())
    )


def deletion_day(now: datetime) -> date:
    """The Japan day a draft told at ``now`` is deleted on (the lead from today)."""
    return today_in_japan(now) + notice_lead()


def idle_drafts_to_tell(now: datetime) -> QuerySet[Delegation]:
    """Drafts whose period runs out by the start of the deletion day, not told of this idle period."""
    runs_out = IDLE_DRAFTS.period().before(starts_at(deletion_day(now)))
    return Delegation.objects.drafts().filter(updated_at__lt=runs_out).exclude(_told_this_idle_period())


def tell_idle_draft(draft: Delegation, now: datetime) -> None:
    """Mail the members that ``draft`` is to be deleted and keep when (without moving ``updated_at``,
    which would restart its idle period). Called on the draft locked; a failed mail rolls it back."""
    deletes_on = deletion_day(now)
    Delegation.objects.filter(pk=draft.pk).update(idle_notice_sent_at=now)
    mailed = notify_now(draft, "idle_draft", deletes_on=deletes_on, period=IDLE_DRAFTS.period().spoken())
    audit.record(
        "delegations.draft.idle_notice_sent",
        actor=audit.SYSTEM,
        subject=draft,
        deletes_on=deletes_on.isoformat(),
        recipients=mailed,
    )


IDLE_DRAFTS = retention.RecordKind(
    name="delegations.idle_draft",
    label=_("電子委任状の下書き（最後に保存した後）"),
    due=idle_drafts_due,
    # By its public ID: a draft has no delegation ID.
    identify=lambda draft: draft.public_id,  # type: ignore[attr-defined]
    notice=retention.Notice(due=idle_drafts_to_tell, send=tell_idle_draft),
)


def register() -> None:
    retention.register(IDLE_DRAFTS)
    kinds = (
        ("delegations.delegation", _("電子委任状（委任期間の終了後）"), delegations_due, anonymise_delegations),
        (
            "delegations.signed_file",
            _("署名済みファイル（電子委任状の終了後）"),
            signed_files_due,
            anonymise_signed_files,
        ),
        (
            "delegations.agent_certificate",
            _("受任者等の電子証明書の情報（電子委任状の終了後）"),
            certificates_due,
            anonymise_certificates,
        ),
    )
    for name, label, due, anonymise in kinds:
        retention.register(
            retention.RecordKind(
                name=name,
                label=label,
                due=due,
                action=retention.ANONYMISE,
                anonymise=anonymise,
                identify=_name,  # type: ignore[arg-type]
            )
        )


def _name(row: Delegation | SignedFile) -> str:
    """A delegation by its ID; a signed file or certificate by its delegation's ID and its role."""
    if isinstance(row, SignedFile):
        return f"{row.delegation.audit_id}/{row.role}"
    return row.audit_id
