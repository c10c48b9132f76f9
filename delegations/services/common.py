"""What every delegation service shares: the error, row locks and state checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from delegations.models import Delegation
from kernel import ServiceError
from registry.models import Subscriber

if TYPE_CHECKING:
    pass


DRAFT_FIELDS = (
    "agent_name",
    "agent_title",
    "agent_qualification",
    "agent_address",
    "agent_identifier_kind",
    "agent_identifier",
    "powers",
    "limitations",
    "valid_from",
    "valid_until",
)


class DelegationError(ServiceError):
    """A refused delegation action; ``message`` is translated and safe to show to the user."""


def _lock(delegation: Delegation) -> Delegation:
    # Lock order is always the delegation an update replaces first, then the successor: activating a
    # successor and revoking its original, at once, then wait for each other instead of deadlocking.
    if delegation.replaces_id:
        Delegation.objects.select_for_update(of=("self",)).filter(pk=delegation.replaces_id).values_list("pk").first()
    # The generated documents (tens of KB) stay unread unless a service assigns them.
    return (
        Delegation.objects.select_for_update(of=("self",))
        .select_related("subscriber")
        .defer("xml", "pdf", "acceptance_xml", "acceptance_pdf")
        .get(pk=delegation.pk)
    )


def _require_status(delegation: Delegation, *allowed: str, message: Any = None) -> None:
    if delegation.status not in allowed:
        raise DelegationError(
            message
            or _("この電子委任状は現在「%(status)s」のため、この操作はできません。")
            % {"status": delegation.get_status_display()},
            code="wrong_state",
        )


def _require_may_submit(subscriber: Subscriber) -> None:
    refusal = subscriber.submission_refusal()
    if refusal:
        raise DelegationError(refusal, code="subscriber_may_not_submit")
