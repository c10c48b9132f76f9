"""Append-only in the database itself: UPDATE, DELETE and TRUNCATE on the audit tables are refused
by triggers. The only DELETE that passes is pruning rows covered by an archived segment, and only
while the pruning session has said so (PostgreSQL: SET LOCAL audit.prune = 'on'; SQLite: the
audit_guard() function the application registers on its connections). Production hardening goes
further: the application's role has no UPDATE, DELETE or TRUNCATE privilege on these tables at all
(see docs/auditor.md).

On PostgreSQL this migration also makes txid default to the writing transaction's ID."""

from django.db import migrations

TABLES = [
    "audit_auditevent",
    "audit_auditseal",
    "audit_auditsealbatch",
    "audit_auditcheckpoint",
    "audit_auditsegment",
]

PG_FORWARD = r"""
ALTER TABLE audit_auditevent ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint);

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('audit.allow_flush', true) = 'on' THEN
        RETURN NULL;  -- test databases only: the application turns this on under Django's test runner
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('audit.prune', true) = 'on' THEN
        IF TG_TABLE_NAME = 'audit_auditseal' THEN
            IF EXISTS (SELECT 1 FROM audit_auditsegment g WHERE OLD.seq BETWEEN g.first_seq AND g.last_seq) THEN
                RETURN OLD;
            END IF;
        ELSIF TG_TABLE_NAME = 'audit_auditevent' THEN
            IF EXISTS (
                SELECT 1 FROM audit_auditseal s JOIN audit_auditsegment g ON s.seq BETWEEN g.first_seq AND g.last_seq
                WHERE s.event_id = OLD.id
            ) THEN
                RETURN OLD;
            END IF;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

PG_TABLE = """
CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""

PG_BACKWARD = """
{drops}
DROP FUNCTION IF EXISTS audit_refuse_change();
ALTER TABLE audit_auditevent ALTER COLUMN txid SET DEFAULT 0;
"""

# SQLite has no TRUNCATE (DELETE without WHERE fires row triggers once these exist). audit_guard()
# is registered by the application on each connection: 0 strict, 1 pruning, 2 test-database flush.
# Where it is missing (the sqlite3 shell) the trigger fails, so the change is refused there too.
SQLITE_TABLE = """
CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t}
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE on {t} refused'); END;
CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t}
WHEN audit_guard() IS NOT 2 AND NOT (audit_guard() = 1 AND {covered})
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE on {t} refused'); END;
"""

SQLITE_COVERED = {
    "audit_auditevent": "EXISTS (SELECT 1 FROM audit_auditseal s JOIN audit_auditsegment g "
    "ON s.seq BETWEEN g.first_seq AND g.last_seq WHERE s.event_id = OLD.id)",
    "audit_auditseal": "EXISTS (SELECT 1 FROM audit_auditsegment g WHERE OLD.seq BETWEEN g.first_seq AND g.last_seq)",
    "audit_auditsealbatch": "0",
    "audit_auditcheckpoint": "0",
    "audit_auditsegment": "0",
}


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
        for table in TABLES:
            schema_editor.execute(PG_TABLE.format(t=table), params=None)
    elif vendor == "sqlite":
        for table in TABLES:
            for statement in SQLITE_TABLE.format(t=table, covered=SQLITE_COVERED[table]).split("END;"):
                if statement.strip():
                    schema_editor.execute(statement + "END;")
    else:
        raise RuntimeError(f"no append-only triggers for {vendor}")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        drops = "\n".join(
            f"DROP TRIGGER IF EXISTS {t}_{kind} ON {t};" for t in TABLES for kind in ("no_update", "no_delete", "no_truncate")
        )
        schema_editor.execute(PG_BACKWARD.format(drops=drops), params=None)
    elif vendor == "sqlite":
        for table in TABLES:
            for kind in ("no_update", "no_delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{kind};")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
