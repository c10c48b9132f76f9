"""``manage.py demo_migrate``: Django's ``migrate`` for the demo, said in one line of the reader's
language instead of Django's English line per migration.

The count is Django's own plan (``MigrationExecutor.migration_plan``), taken before migrating;
``migrate`` runs at verbosity 0, so a migration that fails still raises Django's error, with its
traceback and a non-zero exit status, and the line is not said.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kernel import commands


def pending(connection: BaseDatabaseWrapper) -> int:
    """How many migrations ``migrate`` would apply to the database behind ``connection``."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def applied(count: int) -> str:
    if not count:
        return gettext("データベース：未適用のマイグレーションはありません")
    return ngettext(
        "データベースを用意しました：未適用のマイグレーション %(count)s 件を適用しました",
        "データベースを用意しました：未適用のマイグレーション %(count)s 件を適用しました",
        count,
    ) % {"count": count}


class Command(commands.Command):
    help = _("未適用のマイグレーションを適用し、その件数を 1 行で伝えます（デモの準備）。")

    def handle(self, *args: Any, **options: Any) -> None:
        count = pending(connections[DEFAULT_DB_ALIAS])
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(applied(count))
