"""Faults rehearsed against the service as production runs it (gunicorn, production settings,
PostgreSQL, Redis; bench/soak.py's harness): PostgreSQL restarted under load, and a worker killed
in the middle of an upload. The sealer run twice at once is in audit/tests/test_sealing.py, a full
archive medium in audit/tests/test_archive.py; docs/faults.md has the results."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from bench import soak
from mynatrust.tests.clusters import Cluster, cluster  # noqa: F401  (the private cluster fixture)
from mynatrust.tests.test_running import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def service(request: Any, tmp_path: Path) -> Iterator[soak.Service]:
    """A fresh database on the server named by ``request.param`` (a URL without a database; the
    shared server when none) with the soak's small world, gunicorn with two workers and, on the
    private server, the production sequencer process beside it."""
    if connection.vendor != "postgresql":
        pytest.skip("production runs on PostgreSQL")
    server = getattr(request, "param", None) or _shared_server()
    name = f"faults_{os.getpid()}_{threading.get_ident() % 10000}"
    with soak.database(server, name) as url:
        svc = soak.Service(url, free_port(), 2, tmp_path, sealer="loop", redis_db=5)
        svc.prepare(uploads=4, each=1)
        try:
            svc.start()
            yield svc
        finally:
            svc.stop()


def _shared_server() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"


# --- load ---------------------------------------------------------------------------------------------
@dataclass
class Answer:
    at: float
    seconds: float
    kind: str
    status: int  # 0: no HTTP answer at all
    body: bytes = b""
    error: str = ""


@dataclass
class Load:
    """Threads sending API queries and page views until stopped; every answer kept with its time."""

    svc: soak.Service
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, kind: str) -> None:
        world: dict[str, Any] = self.svc.world
        browser = soak.Browser(self.svc.port)
        browser.login(world["member"], world["password"])
        ids = [i for group in world["ids"].values() for i in group]
        auth = {"Authorization": f"Bearer {world['api_key']}"}
        n = 0
        while not self.stop.is_set():
            n += 1
            began = time.monotonic()
            try:
                if kind == "api":
                    path = f"/api/v1/delegations/{ids[n % len(ids)]}/validity"
                    status, _, body = soak.request(self.svc.port, "GET", path, headers=auth, timeout=40)
                elif kind == "member":
                    status, body = browser.send("GET", ["/app/", "/app/delegations/"][n % 2])
                else:
                    status, _, body = soak.request(self.svc.port, "GET", ["/", "/healthz"][n % 2], timeout=40)
                self.answers.append(Answer(began, time.monotonic() - began, kind, status, body))
            except OSError as err:
                self.answers.append(Answer(began, time.monotonic() - began, kind, 0, error=repr(err)))
            time.sleep(0.02)

    def __enter__(self) -> Load:
        self.threads = [threading.Thread(target=self.run, args=(kind,)) for kind in ("api", "member", "public")]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _unsealed(svc: soak.Service) -> int:
    out = svc.manage("audit_seal", "--dry-run", production=True).stdout
    found = re.search(r"(\d+)", out)  # the count, in whichever language it is said
    assert found, out
    return int(found.group(1))


# --- PostgreSQL restarted under load ------------------------------------------------------------------
@pytest.fixture
def service_on_private_cluster(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[soak.Service, Cluster]]:  # noqa: F811
    with soak.database(cluster.url, "mynatrust_faults") as url:
        svc = soak.Service(url, free_port(), 2, tmp_path, sealer="loop", redis_db=5)
        svc.prepare(uploads=4, each=1)
        try:
            svc.start()
            yield svc, cluster
        finally:
            svc.stop()


def test_a_postgresql_restart_under_load_fails_requests_cleanly_and_the_service_recovers_by_itself(
    service_on_private_cluster: tuple[soak.Service, Cluster],
) -> None:
    svc, server = service_on_private_cluster
    world: dict[str, Any] = svc.world
    workers = svc.worker_pids()
    uploader = soak.Browser(svc.port)
    uploader.login(world["member"], world["password"])
    upload_dir = Path(world["upload_dir"])
    with Load(svc) as load:
        time.sleep(4)
        # An upload just before, one during and one after the outage.
        assert (
            uploader.upload(world["uploads"][0], "principal", (upload_dir / "0-principal.pdf").read_bytes())[0] == 302
        )
        down = time.monotonic()
        server.ctl("-m", "fast", "-w", "stop")
        time.sleep(1)
        during = uploader.upload(world["uploads"][1], "principal", (upload_dir / "1-principal.pdf").read_bytes())
        time.sleep(3)
        server.ctl("-l", str(server.data.parent / "postgres.log"), "-w", "start")
        up = time.monotonic()
        time.sleep(6)
        after = uploader.upload(world["uploads"][2], "principal", (upload_dir / "2-principal.pdf").read_bytes())
        assert after[0] == 302
        assert uploader.upload(world["uploads"][2], "agent", (upload_dir / "2-agent.pdf").read_bytes())[0] == 302
        time.sleep(2)
    answers = load.answers
    failed = [a for a in answers if a.status >= 500]
    print(  # the rehearsal's figures (docs/faults.md), shown with pytest -s
        f"database down {up - down:.1f} s; {len(answers)} answers, {len(failed)} of them 503; "
        f"slowest {max(a.seconds for a in answers):.2f} s; first 200 after the start at "
        f"+{min((a.at - up for a in answers if a.at > up and a.status == 200), default=float('nan')):.2f} s"
    )
    assert during[0] == 503, during
    # Every request got an HTTP answer, none hung: while the database was down, a clean error.
    assert [a for a in answers if a.status == 0] == []
    assert max(a.seconds for a in answers) < 20  # below gunicorn's 30 s worker timeout: nothing waited on
    assert failed, "the outage was not noticed"
    assert all(down - 5 <= a.at <= up + 2 for a in failed), [(a.at - down, a.kind, a.status) for a in failed]
    for a in failed:
        assert a.status == 503, (a.kind, a.status, a.body[:300])  # try again, as Retry-After says
        if a.kind == "api":
            assert b'"service_unavailable"' in a.body, a.body[:200]  # the API answers JSON, even now
        else:
            assert "しばらくしてから".encode() in a.body or b'"status": "error"' in a.body, a.body[:300]
    # Recovered without restarting gunicorn: the same workers answer 200 once PostgreSQL is back.
    late = [a for a in answers if a.at > up + 2]
    assert late and all(a.status == 200 for a in late), [(a.kind, a.status) for a in late if a.status != 200]
    assert svc.worker_pids() == workers
    assert svc.sequencer is not None and svc.sequencer.poll() is None, "the sealer process died"
    _wait_for(lambda: _unsealed(svc) == 0, 60, "the sealer to catch up after the restart")
    svc.stop()
    integrity = svc.integrity([world["uploads"][2]])
    assert integrity["files_without_event"] == integrity["states_without_files"] == 0, integrity
    assert integrity["uploaded_active"] == 1, integrity
    assert svc.seal_and_verify()["ok"]


# --- a worker killed in the middle of an upload -------------------------------------------------------
def _worker_holding(workers: list[int], local_port: int, remote_port: int) -> int:
    """The worker process with the TCP socket 127.0.0.1:local_port -> :remote_port open."""
    inode = ""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        if int(cols[1].split(":")[1], 16) == local_port and int(cols[2].split(":")[1], 16) == remote_port:
            inode = cols[9]
    assert inode, f"no socket {local_port}->{remote_port}"
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError("no worker holds that socket")


def _post_in_thread(
    browser: soak.Browser, public_id: str, role: str, data: bytes
) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def post() -> None:
        try:
            result.append(browser.upload(public_id, role, data))
        except OSError as err:
            result.append(err)

    thread = threading.Thread(target=post)
    thread.start()
    return thread, result


def test_a_worker_killed_in_the_middle_of_an_upload_leaves_nothing_half_stored(service: soak.Service) -> None:
    world: dict[str, Any] = service.world
    upload_dir = Path(world["upload_dir"])
    browser = soak.Browser(service.port)
    browser.login(world["member"], world["password"])
    target = world["uploads"][0]
    # The agent's acceptance first: the principal's file then completes the pair, so its
    # transaction stores the file, records events and activates the delegation.
    assert browser.upload(target, "agent", (upload_dir / "0-agent.pdf").read_bytes())[0] == 302
    principal = (upload_dir / "0-principal.pdf").read_bytes()
    dsn = service.database_url
    with psycopg.connect(dsn, autocommit=False) as holder:
        # Hold the audit table against inserts: the upload's transaction stops inside, after its
        # row lock and the signed-file INSERT, at its first audit event.
        holder.execute("LOCK TABLE audit_auditevent IN SHARE MODE")
        workers = service.worker_pids()
        thread, result = _post_in_thread(browser, target, "principal", principal)
        waiting: list[Any] = []

        def blocked() -> bool:
            # Only the upload's own event: another writer of the audit log (the sequencer's round,
            # a tally's flush) waits on the same lock and is not the transaction under test.
            with psycopg.connect(dsn, autocommit=True) as probe:
                waiting[:] = probe.execute(
                    "SELECT pid, client_port, query FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query ILIKE '%%INSERT INTO audit_auditevent%%' "
                    "AND query LIKE '%%delegations.signed\\_file.%%'"
                ).fetchall()
            return bool(waiting)

        _wait_for(blocked, 60, "the upload to reach its audit event")
        backend, client_port, query = waiting[0]
        assert "'delegations.signed_file.stored'" in query, query  # not refused: then nothing is stored
        victim = _worker_holding(workers, client_port, int(dsn.rsplit(":", 1)[1].split("/")[0]))
        with psycopg.connect(dsn, autocommit=True) as probe:  # the signed file is written, not committed
            assert probe.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE l.pid = %s AND c.relname = 'delegations_signedfile' AND l.mode = 'RowExclusiveLock'",
                [backend],
            ).fetchone() == (1,)
        os.kill(victim, signal.SIGKILL)
        thread.join(timeout=30)
        holder.rollback()  # releases the lock: the orphaned backend finds its client gone
    assert result and isinstance(result[0], OSError), result  # the browser saw the connection drop

    def backend_gone() -> bool:
        with psycopg.connect(dsn, autocommit=True) as probe:
            return probe.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend]).fetchone() == (0,)

    _wait_for(backend_gone, 30, "the killed worker's database session to end")
    # gunicorn replaced the worker; the service answers.
    _wait_for(lambda: len(service.worker_pids()) == 2 and victim not in service.worker_pids(), 60, "a new worker")
    assert soak.request(service.port, "GET", "/healthz")[0] == 200

    # Half-way through the body: the worker reading it is killed.
    half = 3
    second = world["uploads"][half]
    status, _ = browser.send("GET", f"/app/delegations/{second}/")
    assert status == 200
    body = principal  # any PDF: it is never read whole
    conn = HTTPConnection("127.0.0.1", service.port, timeout=30)
    conn.putrequest("POST", f"/app/delegations/{second}/upload/principal/")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(len(body) + 200))
    conn.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in browser.cookies.items()))
    for name, value in soak.PROXY_HEADERS.items():
        conn.putheader(name, value)
    conn.endheaders()
    assert conn.sock is not None
    conn.sock.sendall(b"--x\r\n" + body[: len(body) // 2])
    time.sleep(0.5)
    workers = service.worker_pids()
    reader = _worker_holding(workers, service.port, conn.sock.getsockname()[1])
    os.kill(reader, signal.SIGKILL)
    conn.close()
    _wait_for(lambda: len(service.worker_pids()) == 2 and reader not in service.worker_pids(), 60, "a new worker")

    # Nothing of either upload was stored; the same files are accepted afterwards.
    service.stop()
    integrity = service.integrity([])
    assert integrity["files_without_event"] == integrity["states_without_files"] == 0, integrity
    check = service.manage(
        "shell",
        "-c",
        "from delegations.models import Delegation\n"
        f"for pid in {[target, second]!r}:\n"
        "    d = Delegation.objects.get(public_id=pid)\n"
        "    print('state', d.status, sorted(d.signed_files.values_list('role', flat=True)))",
        production=True,
    ).stdout.splitlines()
    check = [line for line in check if line.startswith("state ")]
    assert check == ["state awaiting_signatures ['agent']", "state awaiting_signatures []"], check
    service.start()
    browser = soak.Browser(service.port)
    browser.login(world["member"], world["password"])
    assert browser.upload(target, "principal", principal)[0] == 302
    service.stop()
    assert service.integrity([target])["uploaded_active"] == 1
    assert service.seal_and_verify()["ok"]
