"""What each trusted role may do with delegations, trust anchors and revocation data (§7.2.1),
joined by mynatrust.roles.

Trust anchors and revocation data are the service operator's; a change is decided by a second
person, never its requester (4-eyes, enforced by the service layer). The rules staff one person per
role, so that second person is the service manager (サービス責任者, the service's overall head); a
second operator, where there is one, may decide too. Delegation operations: operators revoke
(4-eyes: the service manager approves an operator's request, as with one person per role nobody
else can) and run lifecycle actions; reception confirms substitute-character matches, records 士業
checks, follows up the yearly confirmations (§4.3) and rejects. The auditor reads.
"""

from mynatrust.roles import Grants, Role

TEMPLATES_VIEW = "delegations.view_mattertemplate"
TRUST_VIEW = ("delegations.view_trustanchor", "delegations.view_anchorchange", "delegations.view_revocationlist")

GRANTS: Grants = {
    Role.SERVICE_OPERATOR: (
        *TRUST_VIEW,
        "delegations.add_trustanchor",
        "delegations.change_trustanchor",
        "delegations.approve_anchorchange",
        "delegations.add_revocationlist",
        "delegations.view_delegation",
        "delegations.revoke_delegation",
        "delegations.view_revocationrequest",
        "delegations.view_signedfile",
    ),
    Role.SERVICE_MANAGER: (
        *TRUST_VIEW,
        "delegations.approve_anchorchange",
        "delegations.view_delegation",
        "delegations.revoke_delegation",
        "delegations.view_revocationrequest",
    ),
    # The 委任事項 templates subscribers start from: kept by the service administrator.
    Role.SERVICE_ADMINISTRATOR: (
        "delegations.add_mattertemplate",
        "delegations.change_mattertemplate",
        TEMPLATES_VIEW,
    ),
    Role.RECEPTION: (
        TEMPLATES_VIEW,
        "delegations.view_delegation",
        "delegations.review_delegation",
        "delegations.follow_up_confirmation",
        "delegations.view_qualificationcheck",
        "delegations.view_signedfile",
    ),
    Role.AUDITOR: (
        *TRUST_VIEW,
        TEMPLATES_VIEW,
        "delegations.view_delegation",
        "delegations.view_revocationrequest",
    ),
}
