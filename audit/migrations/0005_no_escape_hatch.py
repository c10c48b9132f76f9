"""No setting opens the append-only triggers any more.

Migration 0002 let TRUNCATE through when the session said ``SET audit.allow_flush = 'on'`` and
DELETE of rows inside an archived segment when it said ``SET audit.prune = 'on'``: settings every
role may change, and the segment row that made a row deletable was one anyone with INSERT could
write. Now:

- TRUNCATE is always refused (test databases are emptied by the test harness as the superuser it
  connects as, with the triggers switched off for that transaction: the power a superuser has
  anyway, which the signed checkpoints and the sequencer's state outside the database detect);
- DELETE passes only inside ``audit_prune(first_seq, last_seq)``, a SECURITY DEFINER function owned
  by the migrating role: it takes a permit in a table no other role may write, for its own
  transaction, and deletes only the rows of the archived segment with exactly those bounds. The
  runtime role needs no DELETE privilege on any audit table and no INSERT on audit_auditsegment
  (segments are written by ``audit_archive`` under the migrating role), only EXECUTE on this
  function (docs/runbook.md); a segment row written some other way fails verification, which checks
  the signature of the segment the online chain starts after.

SQLite (the demo) keeps its application-registered audit_guard() function.
"""

from django.db import migrations

PG_FORWARD = r"""
CREATE TABLE audit_prune_permit (txid bigint PRIMARY KEY);
REVOKE ALL ON audit_prune_permit FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME IN ('audit_auditevent', 'audit_auditseal')
       AND EXISTS (SELECT 1 FROM audit_prune_permit WHERE txid = pg_current_xact_id()::text::bigint) THEN
        RETURN OLD;  -- audit_prune() checked the rows; it alone can take the permit
    END IF;
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION audit_prune(p_first bigint, p_last bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    removed bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_auditsegment WHERE first_seq = p_first AND last_seq = p_last) THEN
        RAISE EXCEPTION 'audit_prune: no archived segment %-%', p_first, p_last USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO audit_prune_permit (txid) VALUES (pg_current_xact_id()::text::bigint);
    DELETE FROM audit_auditevent WHERE id IN (SELECT event_id FROM audit_auditseal WHERE seq BETWEEN p_first AND p_last);
    GET DIAGNOSTICS removed = ROW_COUNT;
    DELETE FROM audit_auditseal WHERE seq BETWEEN p_first AND p_last;
    DELETE FROM audit_prune_permit WHERE txid = pg_current_xact_id()::text::bigint;
    RETURN removed;
END
$$;
REVOKE ALL ON FUNCTION audit_prune(bigint, bigint) FROM PUBLIC;
"""

PG_BACKWARD = r"""
DROP FUNCTION IF EXISTS audit_prune(bigint, bigint);
DROP TABLE IF EXISTS audit_prune_permit;
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audittally")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
