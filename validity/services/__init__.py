"""Every state change of the validity app, and the recording of each query, one module per topic:
recipient registration and reception's decisions (§5.2), API keys, members, and the queries (§5.3).

Each function is named by verb and takes a keyword-only ``actor``. State changes run in one
transaction with their audit event; a refused one raises :class:`ValidityError` and is recorded as
``<event>_refused`` after the rollback. Callers import from this package
(``from validity import services``); the modules are its inside.
"""

from validity.answer import ValidityError
from validity.services.api_keys import create_api_key, revoke_api_key
from validity.services.common import Org
from validity.services.members import (
    _recipients,
    accept_invitation,
    invitation_for_token,
    invite_member,
    remove_member,
    revoke_invitation,
    set_member_role,
)
from validity.services.queries import Query, answer_query, keep_check_result, record_result_printed
from validity.services.recipients import (
    RecipientDetails,
    approve_recipient,
    register_recipient,
    reject_recipient,
    suspend_recipient,
)

__all__ = [
    "Org",
    "Query",
    "RecipientDetails",
    "ValidityError",
    "_recipients",
    "accept_invitation",
    "answer_query",
    "approve_recipient",
    "create_api_key",
    "invitation_for_token",
    "invite_member",
    "keep_check_result",
    "record_result_printed",
    "register_recipient",
    "reject_recipient",
    "remove_member",
    "revoke_api_key",
    "revoke_invitation",
    "set_member_role",
    "suspend_recipient",
]
