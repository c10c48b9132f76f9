"""Two indexes fewer on audit_auditevent, which every event (every validity answer) writes to.

Django gave event_type and subject_id each a plain index and a pattern-ops twin (for LIKE). Kept:
event_type's pattern-ops index (it serves exact matches and namespace prefixes alike) and subject_id's
plain one (only ever matched exactly). On PostgreSQL the kept ones are renamed and the others dropped:
nothing is rebuilt, however long the log. Elsewhere (the SQLite demo) the indexes are made anew.
"""

from django.db import migrations, models

TABLE = "audit_auditevent"
KEPT = {  # Django's name -> the new name
    "audit_auditevent_event_type_f13571f1_like": "audit_event_type",
    "audit_auditevent_subject_id_1173988d": "audit_event_subject",
}
DROPPED = {  # name -> how to make it again (backwards)
    "audit_auditevent_event_type_f13571f1": "(event_type)",
    "audit_auditevent_subject_id_1173988d_like": "(subject_id varchar_pattern_ops)",
}


def forwards(apps, schema_editor):
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for old, new in KEPT.items():
            run(f"ALTER INDEX {old} RENAME TO {new}")
        for name in DROPPED:
            run(f"DROP INDEX {name}")
        return
    run("DROP INDEX IF EXISTS audit_auditevent_event_type_f13571f1")
    run("DROP INDEX IF EXISTS audit_auditevent_subject_id_1173988d")
    run(f"CREATE INDEX audit_event_type ON {TABLE} (event_type)")
    run(f"CREATE INDEX audit_event_subject ON {TABLE} (subject_id)")


def backwards(apps, schema_editor):
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for old, new in KEPT.items():
            run(f"ALTER INDEX {new} RENAME TO {old}")
        for name, columns in DROPPED.items():
            run(f"CREATE INDEX {name} ON {TABLE} {columns}")
        return
    run("DROP INDEX IF EXISTS audit_event_type")
    run("DROP INDEX IF EXISTS audit_event_subject")
    run(f"CREATE INDEX audit_auditevent_event_type_f13571f1 ON {TABLE} (event_type)")
    run(f"CREATE INDEX audit_auditevent_subject_id_1173988d ON {TABLE} (subject_id)")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="event_type",
                    field=models.CharField(max_length=80, verbose_name="種別"),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="subject_id",
                    field=models.CharField(blank=True, max_length=64, verbose_name="対象ID"),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(
                        fields=["event_type"], name="audit_event_type", opclasses=["varchar_pattern_ops"]
                    ),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["subject_id"], name="audit_event_subject"),
                ),
            ],
        ),
    ]
