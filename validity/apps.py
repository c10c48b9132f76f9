from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValidityConfig(AppConfig):
    name = "validity"
    verbose_name = _("有効性確認")

    def ready(self) -> None:
        from mynatrust.roles import Role, grant
        from validity import (
            checks,  # noqa: F401  (registers the system checks)
            health,
        )

        health.register()

        from delegations.signals import delegation_ended
        from validity import notices, retention

        delegation_ended.connect(notices.on_delegation_ended, dispatch_uid="validity.end_notices")
        retention.register()

        # Reception reviews recipient registrations (§5.2); the service administrator watches keys.
        grant(
            Role.RECEPTION,
            "validity.view_recipientorganisation",
            "validity.decide_recipientorganisation",
            "validity.view_apikey",
        )
        grant(Role.SERVICE_ADMINISTRATOR, "validity.view_recipientorganisation", "validity.view_apikey")
