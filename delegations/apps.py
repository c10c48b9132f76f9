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
