"""The checkpoint public key is published for auditors; the unsealed backlog shows in /healthz."""

from __future__ import annotations

import pytest
from django.db import connection, connections

import audit
from audit import keys, public, signing

pytestmark = pytest.mark.django_db


def test_the_checkpoint_public_key_is_published_as_pem(client):
    response = client.get("/.well-known/audit-checkpoint-key.pem")
    assert response.status_code == 200
    key = signing.load_public_key(response.content)
    current = keys.private_key().public_key()
    assert signing.key_id(key) == signing.key_id(current) == response["X-Key-ID"]


def test_the_published_key_is_what_the_repository_page_links_to(client):
    assert "/.well-known/audit-checkpoint-key.pem" in client.get("/repository/").content.decode()


def test_a_large_unsealed_backlog_is_a_warning_in_healthz(client, monkeypatch):
    monkeypatch.setattr(public, "BACKLOG_WARNING", 2)
    for number in range(3):
        audit.record("test.backlog", actor=audit.SYSTEM, number=number)
    answer = client.get("/healthz").json()
    assert answer["checks"]["audit_backlog"] == "warn"
    assert answer["status"] == "ok"
    from audit.sealing import seal_pending

    seal_pending()
    assert client.get("/healthz").json()["checks"]["audit_backlog"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_a_head_signed_while_its_seal_commits_is_no_problem(settings, tmp_path, monkeypatch):
    """The sequencer writes its signed head to the file just before its transaction commits (a head
    rolled back is reported, never one signed and forgotten). A probe of /healthz in that moment
    reads a head whose seal it cannot see yet: it waits for the sequencer to let go of its lock and
    asks again, instead of calling the head gone and taking the host out of the load balancer. A
    sequencer that holds on past the wait is reported as found."""
    import threading

    from audit import heads, sealing
    from audit.public import head_problem

    if connection.vendor != "postgresql":
        pytest.skip("the sequencer's lock is PostgreSQL's")
    settings.AUDIT_HEAD_STATE_PATH = str(tmp_path / "head.json")
    written, release = threading.Event(), threading.Event()
    original = heads.write
    errors: list[BaseException] = []

    def write_and_hold(path, head, **kwargs):
        original(path, head, **kwargs)
        written.set()
        assert release.wait(10)

    def seal() -> None:
        try:
            sealing.checkpoint_now()
        except BaseException as err:  # noqa: BLE001  (reported to the test thread)
            errors.append(err)
        finally:
            connections.close_all()

    monkeypatch.setattr(heads, "write", write_and_hold)
    audit.record("test.event", actor=audit.SYSTEM)
    sealer = threading.Thread(target=seal)
    sealer.start()
    try:
        assert written.wait(10)
        threading.Timer(0.3, release.set).start()  # the commit, while the probe waits
        assert head_problem() is None
    finally:
        release.set()
        sealer.join(10)
    assert not errors, errors
    assert head_problem() is None


@pytest.mark.django_db(transaction=True)
def test_a_sequencer_holding_its_lock_past_the_wait_hides_no_gone_head(settings, tmp_path, monkeypatch):
    """The wait is bounded and masks nothing: a head whose seal is not in the log is reported while a
    sequencer holds its lock longer than the wait, and after."""
    import psycopg

    from audit import heads, sealing
    from audit.public import head_problem

    if connection.vendor != "postgresql":
        pytest.skip("the sequencer's lock is PostgreSQL's")
    settings.AUDIT_HEAD_STATE_PATH = str(tmp_path / "head.json")
    heads.write(tmp_path / "head.json", heads.Head(10_000, "ab" * 32, "", ""))
    monkeypatch.setattr(public, "SEQUENCER_WAIT_SECONDS", 0.2)
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [sealing.LOCK_KEY])
        assert "ログにありません" in (head_problem() or "")
    assert "ログにありません" in (head_problem() or "")
