"""The PostgreSQL backend's health check (mynatrust/db/postgresql): a connection the server closed is
found without a query, and a live one is not disturbed by one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def side() -> Iterator[Any]:
    """A second connection to the test database, as a worker's persistent connection would be."""
    if connection.vendor != "postgresql":
        pytest.skip("the backend is PostgreSQL's")
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    try:
        yield wrapper
    finally:
        wrapper.close()


def _last_statement(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return str(cursor.fetchone()[0])


def test_the_service_runs_on_its_own_backend() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the backend is PostgreSQL's")
    assert type(connections["default"]).__module__ == "mynatrust.db.postgresql.base"


def test_a_live_connection_is_usable_and_the_check_sends_nothing(side: Any) -> None:
    pid = side.connection.info.backend_pid
    with side.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
    for _ in range(3):
        assert side.is_usable()
    assert _last_statement(pid) == "SELECT 'the last statement'"  # no SELECT 1 went to the server


def test_a_connection_the_server_closed_is_found_and_replaced_before_the_next_query(side: Any) -> None:
    pid = side.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while side.is_usable() and time.monotonic() < deadline:  # the server's last words arrive
        time.sleep(0.01)
    assert not side.is_usable()
    # What Django does before the first query of a request when CONN_HEALTH_CHECKS is on.
    side.health_check_enabled, side.health_check_done = True, False
    with side.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
    assert side.is_usable()


def test_a_connection_left_in_a_failed_transaction_is_not_usable(side: Any) -> None:
    import psycopg

    side.connection.autocommit = False
    with pytest.raises(psycopg.errors.UndefinedTable), side.connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert not side.is_usable()  # as a SELECT 1 would fail there


def test_a_closed_connection_is_not_usable(side: Any) -> None:
    side.connection.close()
    assert not side.is_usable()
