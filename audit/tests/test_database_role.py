"""check --deploy --database default: the application's role may not change, remove or own audit rows."""

from __future__ import annotations

from django.db import connection
from django.utils import translation

from audit.checks import audit_database_role
from audit.tests.conftest import postgresql_only


@postgresql_only
def test_a_role_that_owns_the_audit_tables_is_an_error(db):
    errors = audit_database_role(None, databases=["default"])
    assert {e.id for e in errors} == {"audit.E004"}
    assert any("OWNER" in e.msg and "audit_auditevent" in e.msg for e in errors)


@postgresql_only
def test_a_runtime_role_with_select_and_insert_only_passes(db):
    with connection.cursor() as cursor:
        cursor.execute("DROP ROLE IF EXISTS mynatrust_check_runtime_h1")
        cursor.execute("CREATE ROLE mynatrust_check_runtime_h1 NOLOGIN")
        cursor.execute(
            "GRANT SELECT, INSERT ON audit_auditevent, audit_auditseal, audit_auditsealbatch, audit_auditcheckpoint, "
            "audit_auditcosignature TO mynatrust_check_runtime_h1"
        )
        cursor.execute("GRANT SELECT ON audit_auditsegment TO mynatrust_check_runtime_h1")
        cursor.execute("SET LOCAL ROLE mynatrust_check_runtime_h1")
        assert audit_database_role(None, databases=["default"]) == []
        cursor.execute("RESET ROLE")
        cursor.execute("GRANT DELETE ON audit_auditseal TO mynatrust_check_runtime_h1")
        cursor.execute("SET LOCAL ROLE mynatrust_check_runtime_h1")
        errors = audit_database_role(None, databases=["default"])
        with translation.override("en"):
            english = audit_database_role(None, databases=["default"])
        cursor.execute("RESET ROLE")
    assert [e.msg for e in errors] == [
        "アプリケーションのデータベースロールが audit_auditseal に、持ってはならない権限 DELETE を持っています。"
    ]
    assert [e.msg for e in english] == ["The application's database role may DELETE on audit_auditseal."]


@postgresql_only
def test_a_runtime_role_that_may_write_segments_or_the_prune_permit_is_an_error(db):
    """Default privileges grant the runtime role every new table, the permit of audit_prune()
    included: the runbook revokes it, and the check says so when it was not."""
    with connection.cursor() as cursor:
        cursor.execute("DROP ROLE IF EXISTS mynatrust_check_runtime_permit")
        cursor.execute("CREATE ROLE mynatrust_check_runtime_permit NOLOGIN")
        cursor.execute(
            "GRANT SELECT, INSERT ON audit_prune_permit, audit_auditsegment TO mynatrust_check_runtime_permit"
        )
        cursor.execute("SET LOCAL ROLE mynatrust_check_runtime_permit")
        errors = audit_database_role(None, databases=["default"])
        cursor.execute("RESET ROLE")
    assert sorted(e.msg for e in errors) == [
        "アプリケーションのデータベースロールが audit_auditsegment に、持ってはならない権限 INSERT を持っています。",
        "アプリケーションのデータベースロールが audit_prune_permit に、持ってはならない権限 SELECT, INSERT を持っています。",
    ]
