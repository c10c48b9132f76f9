"""Put the append-only triggers back on SQLite after table rebuilds.

On SQLite, Django adds a column by building a new table and copying the rows across, and the new
table has no triggers: 0006 and 0008 left the checkpoint and seal-batch tables open to UPDATE and
DELETE. This migration drops and recreates the triggers of 0002 and 0007 on every audit table, so it
is safe to run on any database whatever it lost. PostgreSQL alters tables in place and keeps its
triggers, so nothing is done there. A later migration that alters an audit table must restore the
triggers the same way: audit/tests/test_migrations.py migrates a fresh SQLite database and fails
while any trigger is missing.
"""

from importlib import import_module

from django.db import migrations


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    base = import_module("audit.migrations.0002_append_only")
    cosignatures = import_module("audit.migrations.0007_witness_cosignatures")
    for table in [*base.TABLES, cosignatures.TABLE]:
        for kind in ("no_update", "no_delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{kind}")
        covered = base.SQLITE_COVERED.get(table, "0")
        for statement in base.SQLITE_TABLE.format(t=table, covered=covered).split("END;"):
            if statement.strip():
                schema_editor.execute(statement + "END;")


class Migration(migrations.Migration):
    dependencies = [("audit", "0008_server_of_the_horizon")]

    operations = [migrations.RunPython(restore, migrations.RunPython.noop, elidable=False)]
