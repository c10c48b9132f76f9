from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("利用者登録")

    def ready(self) -> None:
        from mynatrust.roles import Role, grant
        from registry import (
            checks,  # noqa: F401  (registers the system checks)
            retention,
        )

        retention.register()

        grant(
            Role.RECEPTION,
            "registry.view_subscriber",
            "registry.review_subscriber",
            "registry.manage_contract",
            "registry.view_subscriberfacts",
            "registry.view_registryevidence",
            "registry.view_membership",
            "registry.view_invitation",
            "registry.view_corporaterecord",
            "registry.view_importrun",
            "registry.view_datarequest",
            "registry.add_datarequest",
            "registry.change_datarequest",
        )
        # The auditor reads everything and changes nothing (§7.2.1).
        grant(
            Role.AUDITOR,
            "registry.view_subscriber",
            "registry.view_subscriberfacts",
            "registry.view_datarequest",
        )
