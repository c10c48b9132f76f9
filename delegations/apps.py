from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DelegationsConfig(AppConfig):
    name = "delegations"
    verbose_name = _("電子委任状")

    def ready(self) -> None:
        from delegations import (
            checks,  # noqa: F401  (registers the system checks)
            health,
        )

        health.register()
        from delegations import retention

        retention.register()
        from mynatrust.roles import Role, grant

        # Trust anchors and revocation data are the service operator's (§7.2.1); a change is decided
        # by a second person, never its requester (4-eyes, enforced by the service layer). The rules
        # staff one person per role, so that second person is the service manager (サービス責任者,
        # the service's overall head, §7.2.1); a second operator, where there is one, may decide too.
        grant(
            Role.SERVICE_OPERATOR,
            "delegations.view_trustanchor",
            "delegations.add_trustanchor",
            "delegations.change_trustanchor",
            "delegations.view_anchorchange",
            "delegations.approve_anchorchange",
            "delegations.view_revocationlist",
            "delegations.add_revocationlist",
        )
        grant(
            Role.SERVICE_MANAGER,
            "delegations.view_trustanchor",
            "delegations.view_anchorchange",
            "delegations.approve_anchorchange",
            "delegations.view_revocationlist",
        )
        grant(
            Role.AUDITOR,
            "delegations.view_trustanchor",
            "delegations.view_anchorchange",
            "delegations.view_revocationlist",
        )
        # Delegation operations (§7.2.1): operators revoke (4-eyes: the service manager approves an
        # operator's request, as with one person per role nobody else can) and run lifecycle actions;
        # reception confirms substitute-character matches, records 士業 checks and rejects.
        grant(
            Role.SERVICE_OPERATOR,
            "delegations.view_delegation",
            "delegations.revoke_delegation",
            "delegations.view_revocationrequest",
            "delegations.view_signedfile",
        )
        grant(
            Role.SERVICE_MANAGER,
            "delegations.view_delegation",
            "delegations.revoke_delegation",
            "delegations.view_revocationrequest",
        )
        grant(
            Role.RECEPTION,
            "delegations.view_delegation",
            "delegations.review_delegation",
            "delegations.follow_up_confirmation",
            "delegations.view_qualificationcheck",
            "delegations.view_signedfile",
        )
        grant(Role.AUDITOR, "delegations.view_delegation", "delegations.view_revocationrequest")
