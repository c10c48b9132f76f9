from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MynaTrustConfig(AppConfig):
    default = True
    name = "mynatrust"
    verbose_name = _("アカウントと職員")

    def ready(self) -> None:
        from mynatrust import checks, signals  # noqa: F401  (registers receivers and checks)
        from mynatrust.operations import audit_figures, kinds
        from mynatrust.outbox import retention as outbox_retention
        from mynatrust.repository import retention as repository_retention

        audit_figures.register()
        kinds.register()  # the foundation's own record kinds (ledgers, sessions, login records, sign-ups)
        repository_retention.register()
        outbox_retention.register()

        post_migrate.connect(_after_last_app_migrated, dispatch_uid="mynatrust_sync_roles")


def _after_last_app_migrated(sender: AppConfig, **kwargs: object) -> None:
    # Permissions of every app exist only once the last app's post_migrate has run.
    from django.apps import apps

    from mynatrust import signals

    if sender is list(apps.get_app_configs())[-1]:
        signals.sync_role_permissions(**kwargs)


class StaffAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "mynatrust.admin_site.StaffAdminSite"

    def ready(self) -> None:
        # Before the admin modules register their ModelAdmins, which copy these defaults.
        from mynatrust import admin_fields

        admin_fields.install()
        super().ready()
