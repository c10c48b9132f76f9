from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("監査ログ")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from audit import checks, guard, receivers, sealing, tally  # noqa: F401  (registers checks)
        from audit.recorder import record_refused
        from kernel.services import set_refusal_recorder

        sealing.before_each_round(tally.flush)  # refusals counted in windows that have closed
        connection_created.connect(guard.on_connection_created, dispatch_uid="audit_guard")
        receivers.connect()
        set_refusal_recorder(record_refused)
