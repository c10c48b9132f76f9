from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("利用者登録")

    def ready(self) -> None:
        from registry import (
            checks,  # noqa: F401  (registers the system checks)
            retention,
        )

        retention.register()
