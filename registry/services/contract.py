"""The contract (§10.2.1): renewal, reminders, suspension, reinstatement and termination."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from kernel import Actor, service
from mynatrust.mail import Mail, Tally, mark_once_sent
from registry import contract
from registry.models import (
    Subscriber,
)
from registry.services.application import terms_version_in_force
from registry.services.changes import _locked_for_member
from registry.services.common import RegistryError
from registry.services.mail import _mail_on_commit, _message

if TYPE_CHECKING:
    from mynatrust.models import User


@service("registry.contract.renew")
def renew_contract(subscriber: Subscriber, *, actor: User) -> Subscriber:
    subscriber = _locked_for_member(subscriber, actor)
    today = timezone.localdate()
    if subscriber.status != Subscriber.Status.ACTIVE:
        raise RegistryError(_("利用中の契約だけが更新できます。"), code="wrong_state")
    if not contract.renewal_open(subscriber.contract_end, today):
        raise RegistryError(_("契約の更新はまだ受け付けていません。"), code="too_early")
    old_end = subscriber.contract_end
    subscriber.contract_end = contract.renewed_end(old_end, today)
    subscriber.terms_version = terms_version_in_force()
    subscriber.terms_accepted_at = timezone.now()
    subscriber.save(update_fields=["contract_end", "terms_version", "terms_accepted_at"])
    audit.record(
        "registry.contract.renewed",
        actor=actor,
        subject=subscriber,
        old_end=old_end,
        new_end=subscriber.contract_end,
        terms_version=subscriber.terms_version,
    )
    _mail_on_commit(subscriber, "renewed", {})
    return subscriber


def send_renewal_reminders(*, actor: Actor = audit.SYSTEM, today: date | None = None) -> Tally:
    """E-mail the members of every contract nearing its end, once per contract end date. A reminder
    is marked only once its mail has left (one subscriber per transaction): a refused mail leaves the
    subscriber unreminded, is recorded as ``mail.not_sent`` and counted, and goes on the next run."""
    today = today or timezone.localdate()
    tally = Tally()
    for pk in Subscriber.objects.nearing_end(today).values_list("pk", flat=True):
        mark_once_sent(partial(_mark_reminded, pk, actor), tally)
    return tally


def _mark_reminded(pk: int, actor: Actor) -> Mail | None:
    """Mark the subscriber ``pk`` as reminded for its contract end and return the reminder; None when
    it already was."""
    subscriber = Subscriber.objects.select_for_update().get(pk=pk)
    if subscriber.reminded_for_end == subscriber.contract_end:
        return None
    subscriber.reminded_for_end = subscriber.contract_end
    subscriber.save(update_fields=["reminded_for_end"])
    audit.record(
        "registry.contract.reminder_sent", actor=actor, subject=subscriber, contract_end=subscriber.contract_end
    )
    return _message(subscriber, "renewal_reminder", {})


@service("registry.subscriber.suspend")
def suspend_subscriber(subscriber: Subscriber, *, actor: Actor, reason: str) -> Subscriber:
    return _pause_or_resume(
        subscriber,
        actor=actor,
        reason=reason,
        change=(Subscriber.Status.ACTIVE, Subscriber.Status.SUSPENDED),
        done=("registry.subscriber.suspended", "suspended"),
        reason_missing=_("利用停止の理由を入力してください。"),
        wrong_state=_("利用中の利用者だけが利用停止にできます。"),
    )


@service("registry.subscriber.reinstate")
def reinstate_subscriber(subscriber: Subscriber, *, actor: Actor, reason: str) -> Subscriber:
    return _pause_or_resume(
        subscriber,
        actor=actor,
        reason=reason,
        change=(Subscriber.Status.SUSPENDED, Subscriber.Status.ACTIVE),
        done=("registry.subscriber.reinstated", "reinstated"),
        reason_missing=_("利用再開の理由を入力してください。"),
        wrong_state=_("利用停止中の利用者だけが再開できます。"),
    )


def _pause_or_resume(
    subscriber: Subscriber,
    *,
    actor: Actor,
    reason: str,
    change: tuple[str, str],
    done: tuple[str, str],
    reason_missing: object,
    wrong_state: object,
) -> Subscriber:
    """Suspension and reinstatement: ``change`` is (from status, to status), ``done`` the audit event
    and the mail that say it happened."""
    (before, after), (event, mail) = change, done
    if not reason.strip():
        raise RegistryError(reason_missing, code="reason_missing")
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != before:
        raise RegistryError(wrong_state, code="wrong_state")
    subscriber.status = after
    subscriber.status_reason = reason
    subscriber.save(update_fields=["status", "status_reason"])
    audit.record(event, actor=actor, subject=subscriber, reason=reason)
    _mail_on_commit(subscriber, mail, {"reason": reason})
    return subscriber


@service("registry.subscriber.terminate")
def terminate_subscriber(
    subscriber: Subscriber, *, actor: Actor, reason: str, ended_on: date | None = None
) -> Subscriber:
    """End the contract. Stored delegations are untouched; the retention period (§6.2.9) and the
    deletion schedule of personal data (§2.8(10)) run from the end date."""
    if not reason.strip():
        raise RegistryError(_("契約終了の理由を入力してください。"), code="reason_missing")
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status not in (Subscriber.Status.ACTIVE, Subscriber.Status.SUSPENDED):
        raise RegistryError(_("利用中または利用停止中の契約だけが終了できます。"), code="wrong_state")
    ended_on = ended_on or timezone.localdate()
    subscriber.status = Subscriber.Status.TERMINATED
    subscriber.status_reason = reason
    subscriber.terminated_on = ended_on
    subscriber.retention_until = contract.retention_until(ended_on)
    subscriber.deletion_scheduled_on = date.fromordinal(subscriber.retention_until.toordinal() + 1)
    subscriber.save(
        update_fields=["status", "status_reason", "terminated_on", "retention_until", "deletion_scheduled_on"]
    )
    audit.record(
        "registry.subscriber.terminated",
        actor=actor,
        subject=subscriber,
        reason=reason,
        terminated_on=ended_on,
        retention_until=subscriber.retention_until,
        deletion_scheduled_on=subscriber.deletion_scheduled_on,
    )
    _mail_on_commit(subscriber, "terminated", {"reason": reason})
    return subscriber
