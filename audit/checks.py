"""System checks for the audit log (IDs audit.E0xx, audit.W0xx)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections

# §8.1: operation logs are kept at least 3 years and can be shown while kept.
ONLINE_OPERATION_LOG_DAYS = 3 * 365 + 1


@register()
def audit_configuration(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    from audit import keys

    errors: list[CheckMessage] = []
    if settings.PRODUCTION:
        path = keys.key_path()
        if path is None:
            errors.append(
                Error(
                    "No audit checkpoint key is configured.",
                    hint="Set AUDIT_CHECKPOINT_KEY_PATH to an Ed25519 private key (PKCS#8 PEM) mounted from the secret store; "
                    "`manage.py audit_key --generate PATH` makes one.",
                    id="audit.E001",
                )
            )
        else:
            try:
                keys.private_key()
            except keys.KeyUnavailable as err:
                errors.append(Error(str(err), id="audit.E001"))
    if settings.AUDIT_RETENTION_DAYS < 42:
        errors.append(Error("AUDIT_RETENTION_DAYS is below the 6 weeks §6.2 requires online.", id="audit.E002"))
    elif settings.AUDIT_RETENTION_DAYS < ONLINE_OPERATION_LOG_DAYS:
        errors.append(
            Warning(
                "AUDIT_RETENTION_DAYS is below 3 years: §8.1 keeps operation logs viewable for 3 years, and "
                "rows older than this are readable only from archived segment files.",
                hint="Keep the default (1096 days) unless the archive is searched another way.",
                id="audit.W001",
            )
        )
    if settings.AUDIT_SEALER not in ("thread", "inline", "off"):
        errors.append(Error("AUDIT_SEALER must be thread, inline or off.", id="audit.E003"))
    return errors


_PRIVILEGES_SQL = """
SELECT t.name,
       has_table_privilege(current_user, c.oid, 'SELECT'),
       has_table_privilege(current_user, c.oid, 'INSERT'),
       has_table_privilege(current_user, c.oid, 'UPDATE'),
       has_table_privilege(current_user, c.oid, 'DELETE'),
       has_table_privilege(current_user, c.oid, 'TRUNCATE'),
       pg_has_role(current_user, c.relowner, 'USAGE')
FROM unnest(%s::text[]) AS t(name) JOIN pg_class c ON c.oid = to_regclass(t.name)
"""
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
# What the runtime role must not hold, per table: no change or removal of audit rows; no segment row
# (written by audit_archive as the owner); nothing at all on the permit that lets audit_prune() delete.
PERMIT_TABLE = "audit_prune_permit"


def _forbidden(table: str) -> set[str]:
    if table == PERMIT_TABLE:
        return set(PRIVILEGES)
    if table == "audit_auditsegment":
        return {"INSERT", "UPDATE", "DELETE", "TRUNCATE"}
    return {"UPDATE", "DELETE", "TRUNCATE"}


@register(Tags.database, deploy=True)
def audit_database_role(app_configs: Any, databases: Any = None, **kwargs: Any) -> list[Error]:
    """``check --deploy --database default``: the role the application connects as must not be able
    to change or remove audit rows, write archive segments, touch the permit of ``audit_prune()``, nor
    own the tables (an owner can drop the triggers). Migrations run under another role
    (docs/runbook.md)."""
    from audit.guard import TABLES

    errors: list[Error] = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(_PRIVILEGES_SQL, [[*TABLES, PERMIT_TABLE]])
            for table, *held, owner in cursor.fetchall():
                may = [name for name, has in zip(PRIVILEGES, held, strict=True) if has and name in _forbidden(table)]
                if owner:
                    may.insert(0, "OWNER")
                if may:
                    errors.append(
                        Error(
                            f"The application's database role may {', '.join(may)} on {table}.",
                            hint="Run the application as a role with SELECT and INSERT only on the audit tables; "
                            "migrate and archive as the owner role (docs/runbook.md, creating the two roles).",
                            obj=alias,
                            id="audit.E004",
                        )
                    )
    return errors
