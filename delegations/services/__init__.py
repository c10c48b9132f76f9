"""Every state change of a delegation (docs/architecture.md §3), one module per topic: drafts,
signed files, activation and reception, updates and revocation, the acceptance mailed to the agent,
records of access, and the notices mailed on the way.

Each service is named by verb, takes a keyword-only typed ``actor``, runs in one transaction with
its audit event inside (``@kernel.service``), and raises :class:`DelegationError` (a translated,
user-safe message); the refusal is recorded after the rollback, so nothing else is stored. E-mail
goes out on commit.

Rows are locked (``select_for_update``) before any check that a concurrent request could falsify:
of two concurrent updates or revocations of the same delegation exactly one wins; the other sees the
state the winner left and gets a clear message.

Callers import from this package (``from delegations import services``); the modules are its
inside.
"""

from delegations.services.acceptance import (
    ACCEPTANCE_LINK_SALT,
    acceptance_link_token,
    delegation_for_acceptance_link,
    send_acceptance_to_agent,
)
from delegations.services.common import DRAFT_FIELDS, DelegationError, _lock
from delegations.services.drafts import (
    check_draft_values,
    content_of,
    copy_draft,
    copy_values,
    create_draft,
    delete_draft,
    edit_draft,
    finalise_draft,
    principal_of,
)
from delegations.services.notices import MAIL_SUBJECTS, NOTICES
from delegations.services.reception import confirm_identity, record_qualification_check, reject_submission, waiting_for
from delegations.services.records import record_download, record_export
from delegations.services.reminders import send_end_reminders
from delegations.services.revocation import (
    approve_revocation,
    reject_revocation,
    request_revocation,
    revoke_delegation,
    start_update,
)
from delegations.services.signed_files import FIELD_NAMES, Submission, submit_signed_file
from delegations.services.templates import active_templates, save_matter_template

__all__ = [
    "ACCEPTANCE_LINK_SALT",
    "DRAFT_FIELDS",
    "FIELD_NAMES",
    "MAIL_SUBJECTS",
    "NOTICES",
    "DelegationError",
    "Submission",
    "_lock",
    "acceptance_link_token",
    "active_templates",
    "approve_revocation",
    "check_draft_values",
    "confirm_identity",
    "content_of",
    "copy_draft",
    "copy_values",
    "create_draft",
    "delegation_for_acceptance_link",
    "delete_draft",
    "edit_draft",
    "finalise_draft",
    "principal_of",
    "record_download",
    "record_export",
    "record_qualification_check",
    "reject_revocation",
    "reject_submission",
    "request_revocation",
    "revoke_delegation",
    "save_matter_template",
    "send_acceptance_to_agent",
    "send_end_reminders",
    "start_update",
    "submit_signed_file",
    "waiting_for",
]
