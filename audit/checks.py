"""System checks for the audit log (IDs audit.E0xx, audit.W0xx), said in the language active when they
run (Japanese for the operator, like every command)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections
from django.utils.translation import gettext

# §8.1: operation logs are kept at least 3 years and can be shown while kept.
ONLINE_OPERATION_LOG_DAYS = 3 * 365 + 1


@register()
def audit_configuration(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    from audit import keys

    errors: list[CheckMessage] = []
    if settings.PRODUCTION:
        try:
            keys.private_key()
        except keys.KeyUnavailable as err:  # no path set, or no key there: said in the check's language
            errors.append(
                Error(
                    gettext("監査ログのチェックポイントに署名できる鍵がありません：%(problem)s") % {"problem": err},
                    hint=gettext(
                        "AUDIT_CHECKPOINT_KEY_PATH に、秘密情報の保管庫からマウントした Ed25519 秘密鍵"
                        "（PKCS#8 の PEM）のファイルを指定してください（manage.py audit_key --generate PATH で作れます）。"
                    ),
                    id="audit.E001",
                )
            )
    if settings.AUDIT_RETENTION_DAYS < 42:
        errors.append(
            Error(
                gettext(
                    "AUDIT_RETENTION_DAYS が 6 週間（42 日）未満です。§6.2 は監査ログを 6 週間オンラインで保つよう求めています。"
                ),
                hint=gettext("AUDIT_RETENTION_DAYS を 42 以上にしてください（既定値は 1096 日）。"),
                id="audit.E002",
            )
        )
    elif settings.AUDIT_RETENTION_DAYS < ONLINE_OPERATION_LOG_DAYS:
        errors.append(
            Warning(
                gettext(
                    "AUDIT_RETENTION_DAYS が 3 年未満です。§8.1 は操作ログを 3 年間閲覧できるよう求めていますが、"
                    "この日数より古い行はアーカイブしたセグメントファイルからしか読めません。"
                ),
                hint=gettext("アーカイブを別の方法で検索するのでなければ、既定値（1096 日）のままにしてください。"),
                id="audit.W001",
            )
        )
    if settings.AUDIT_SEALER not in ("thread", "inline", "off"):
        errors.append(
            Error(
                gettext("AUDIT_SEALER は thread、inline、off のいずれかにしてください（現在は %(value)s）。")
                % {"value": repr(settings.AUDIT_SEALER)},
                id="audit.E003",
            )
        )
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
                            gettext(
                                "アプリケーションのデータベースロールが %(table)s に、持ってはならない権限 %(privileges)s を持っています。"
                            )
                            % {"table": table, "privileges": ", ".join(may)},
                            hint=gettext(
                                "アプリケーションは監査テーブルに SELECT と INSERT だけを持つロールで動かし、"
                                "migrate とアーカイブは所有者のロールで行ってください（docs/runbook.md の 2 つのロールの作り方）。"
                            ),
                            obj=alias,
                            id="audit.E004",
                        )
                    )
    return errors
