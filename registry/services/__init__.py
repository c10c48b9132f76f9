"""Every state change of the registry, one module per topic: evidence, the corporate-number
lookup, applications and their review (§3.1), changes of basic information (§3.2), the contract
(§10.2.1), members, personal-data requests (§2.8), and mail.

Each service is named by verb, takes a keyword-only typed ``actor``, runs in one transaction with
its audit event inside (``@kernel.service``) and refuses with :class:`RegistryError`, recorded as
``<event>_refused`` after the rollback. E-mail goes out on commit. Callers import from this package
(``from registry import services``); the modules are its inside.
"""

from registry.services.application import apply_for_registration, terms_version_in_force
from registry.services.changes import submit_change, withdraw_change
from registry.services.common import CORPORATE_NUMBER_REQUIRED, RegistryError
from registry.services.confirmation import (
    confirmation_token,
    discard_held,
    held_pdf,
    hold_evidence,
    kept_token,
    open_held,
    refuse_confirmation,
)
from registry.services.contract import (
    reinstate_subscriber,
    renew_contract,
    send_renewal_reminders,
    suspend_subscriber,
    terminate_subscriber,
)
from registry.services.corporate import (
    NTA_FINDINGS,
    compare_with_nta,
    lookup_corporate_number,
    nta_client,
    recheck_corporate_number,
)
from registry.services.data_requests import close_data_request, record_data_request, record_evidence_viewed
from registry.services.evidence import EvidenceInput
from registry.services.mail import MAIL_SUBJECTS, review_days
from registry.services.members import (
    _subscribers,
    accept_invitation,
    invitation_for_token,
    invite_member,
    remove_member,
    revoke_invitation,
    set_member_role,
)
from registry.services.nta_review import NTA_ROW_LABELS, NTA_ROWS, VERDICT_LABELS, NtaRow, nta_rows
from registry.services.review import (
    DUPLICATE_IN_SERVICE,
    approve_facts,
    reject_facts,
    resubmit_facts,
    return_facts,
    start_review,
)

__all__ = [
    "CORPORATE_NUMBER_REQUIRED",
    "DUPLICATE_IN_SERVICE",
    "MAIL_SUBJECTS",
    "NTA_FINDINGS",
    "NTA_ROWS",
    "NTA_ROW_LABELS",
    "VERDICT_LABELS",
    "EvidenceInput",
    "NtaRow",
    "RegistryError",
    "_subscribers",
    "accept_invitation",
    "apply_for_registration",
    "approve_facts",
    "close_data_request",
    "compare_with_nta",
    "confirmation_token",
    "discard_held",
    "held_pdf",
    "hold_evidence",
    "invitation_for_token",
    "invite_member",
    "kept_token",
    "lookup_corporate_number",
    "nta_client",
    "nta_rows",
    "open_held",
    "recheck_corporate_number",
    "record_data_request",
    "record_evidence_viewed",
    "refuse_confirmation",
    "reinstate_subscriber",
    "reject_facts",
    "remove_member",
    "renew_contract",
    "resubmit_facts",
    "return_facts",
    "review_days",
    "revoke_invitation",
    "send_renewal_reminders",
    "set_member_role",
    "start_review",
    "submit_change",
    "suspend_subscriber",
    "terminate_subscriber",
    "terms_version_in_force",
    "withdraw_change",
]
