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
        from mynatrust.roles import Role, grant

        # Trust anchors and revocation data are the service operator's (§7.2.1); approving a change
        # needs a second operator, which the service layer enforces (4-eyes).
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
            Role.AUDITOR,
            "delegations.view_trustanchor",
            "delegations.view_anchorchange",
            "delegations.view_revocationlist",
        )
        # Delegation operations (§7.2.1): operators revoke (4-eyes) and run lifecycle actions;
        # reception confirms substitute-character matches, records 士業 checks and rejects.
        grant(
            Role.SERVICE_OPERATOR,
            "delegations.view_delegation",
            "delegations.revoke_delegation",
            "delegations.view_revocationrequest",
            "delegations.view_signedfile",
        )
        grant(
            Role.RECEPTION,
            "delegations.view_delegation",
            "delegations.review_delegation",
            "delegations.view_qualificationcheck",
            "delegations.view_signedfile",
        )
        grant(Role.AUDITOR, "delegations.view_delegation", "delegations.view_revocationrequest")
