from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValidityConfig(AppConfig):
    name = "validity"
    verbose_name = _("有効性確認")

    def ready(self) -> None:
        from validity import (
            checks,  # noqa: F401  (registers the system checks)
            health,
        )

        health.register()

        from delegations.signals import delegation_ended
        from validity import notices, retention

        delegation_ended.connect(notices.on_delegation_ended, dispatch_uid="validity.end_notices")
        retention.register()
