"""Two application hosts, one PostgreSQL, one Redis: the deployment docs/runbook.md describes,
started for real (two gunicorn instances on two ports, each with its own ``audit_seal --loop``)
against a private PostgreSQL cluster (it is restarted here) and the shared Redis server (a key
prefix of this test's own). Nothing a host keeps for itself changes an answer: limits and the
unknown-ID penalty are counted in Redis, a revocation is read from the database at the next
request, the audit chain has one head whichever sealer writes it."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE
from typing import Any

import psycopg
import pytest
from django.db import connection

from audit import signing as audit_signing
from bench import soak
from conftest import PASSWORD
from mynatrust.tests.clusters import Cluster, cluster, migrate_from_dump  # noqa: F401  (the cluster fixture)
from mynatrust.tests.test_running import free_port
from validity import signing

pytestmark = pytest.mark.slow

PER_KEY = 6  # answers per key and window, on both hosts together
UNKNOWN_LIMIT = 2  # unknown IDs per organisation and window before the penalty


def _window(now: float) -> int | None:
    """A window length (seconds) whose current window has ten minutes left at least: the counts
    below must fall into one window (None: none found, wait for the next hour)."""
    return next((seconds for seconds in range(3600, 1800, -60) if seconds - now % seconds > 600), None)


SETUP = """
import json
from datetime import date, timedelta
from conftest import make_user
from mynatrust.lib import delegation_id as ids
from validity import services
from validity.models import RecipientMember, RecipientOrganisation
from validity.tests.conftest import facts, store_delegation
out = {"keys": {}}
for name in ("shared", "penalty", "revoked", "sealed", "spare"):
    user = make_user(f"{name}@recipient.example.jp", "recipient")
    org = RecipientOrganisation.objects.create(name=f"{name}株式会社", address="東京都", representative_name="a",
        representative_address="b", declarant_name="c", status="approved")
    RecipientMember.objects.create(organisation=org, user=user, role="applicant")
    key, plaintext = services.create_api_key(org, label=name, actor=user)
    out["keys"][name] = {"plaintext": plaintext, "prefix": key.prefix, "email": user.email}
stored = facts(ids.generate(), valid_from=date.today(), valid_until=date.today() + timedelta(days=365))
store_delegation(stored, make_user("subscriber@subscriber.example.jp", "subscriber"))
out["delegation_id"] = stored.delegation_id
print(json.dumps(out))
"""


@dataclass
class Host(soak.Service):
    """One application host: gunicorn and its sealer, with the settings of this deployment."""

    overrides: dict[str, str] | None = None

    def env(self, *, production: bool = True) -> dict[str, str]:
        return {**super().env(production=production), **(self.overrides or {})}

    def get(self, path: str, key: str | None = None, timeout: float = 30) -> tuple[int, dict[str, Any], bytes]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return soak.request(self.port, "GET", path, headers=headers, timeout=timeout)


@pytest.fixture
def hosts(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[Host, Host, Cluster, dict[str, Any]]]:  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("production runs on PostgreSQL")
    window = _window(time.time())
    if window is None:
        time.sleep(3600 - time.time() % 3600 + 1)
        window = 3600
    overrides = {
        "CACHE_URL": f"rediscache://127.0.0.1:6379/5?key_prefix=two-hosts-{uuid.uuid4().hex}",
        "VALIDITY_RATE_PER_KEY": f"{PER_KEY}/{window}",
        "VALIDITY_RATE_PER_IP": f"1000/{window}",
        "VALIDITY_UNKNOWN_LIMIT": f"{UNKNOWN_LIMIT}/{window}",
        "VALIDITY_UNKNOWN_PENALTY_SECONDS": "600",
        "DB_CONN_MAX_AGE": "60",
        "STATIC_ROOT": str(tmp_path / "a" / "static"),
    }
    with soak.database(cluster.url, "mynatrust_two_hosts") as url:
        made = []
        for name in ("a", "b"):
            folder = tmp_path / name
            folder.mkdir()
            made.append(Host(url, free_port(), 1, folder, sealer="loop", overrides=overrides))
        a, b = made
        signing.generate_key_file(a.tmp / "answer-key.pem")
        (a.tmp / "audit-checkpoint.pem").write_bytes(audit_signing.generate_private_key_pem())
        for secret in ("audit-checkpoint.pem", "answer-key.pem"):  # each host mounts the same secrets
            (b.tmp / secret).write_bytes((a.tmp / secret).read_bytes())
        # Collecting the static files (both hosts serve a.tmp/static) while the database is migrated;
        # then the recipients, their keys and a delegation are made while both hosts start.
        collect = subprocess.Popen(
            [soak.PY, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=soak.ROOT, env=a.env()
        )
        # A dump of the migrated schema, kept from an earlier run on this machine, is restored in
        # seconds; the first run migrates (18-35 s under load) and keeps the dump.
        began = time.monotonic()
        how = migrate_from_dump(cluster, url, lambda: a.manage("migrate", "-v0", "--skip-checks"))
        print(f"database {how} in {time.monotonic() - began:.1f} s")
        setup = subprocess.Popen(
            [soak.PY, "manage.py", "shell", "-c", SETUP], cwd=soak.ROOT, env=a.env(production=False), stdout=PIPE
        )
        try:
            assert collect.wait(timeout=120) == 0
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda host: host.start(), made))
            out, _err = setup.communicate(timeout=300)
            assert setup.returncode == 0
            yield a, b, cluster, json.loads(out.decode().strip().splitlines()[-1])
        finally:
            setup.kill()
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda host: host.stop(), made))


def _validity(world: dict[str, Any], delegation_id: str | None = None) -> str:
    return f"/api/v1/delegations/{delegation_id or world['delegation_id']}/validity"


def _sign_in(host: Host, email: str) -> soak.Browser:
    browser = soak.Browser(host.port)
    _status, page = browser.send("GET", "/recipient/login/")
    form = {"csrfmiddlewaretoken": browser.token(page), "username": email, "password": PASSWORD}
    status, _ = browser.send(
        "POST", "/recipient/login/", body=soak._urlencode(form), content_type="application/x-www-form-urlencoded"
    )
    assert status == 302, status
    return browser


def _unsealed(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute(
            "SELECT count(*) FROM audit_auditevent e WHERE NOT EXISTS"
            " (SELECT 1 FROM audit_auditseal s WHERE s.event_id = e.id)"
        ).fetchone()
    return int(row[0]) if row else 0


def test_two_hosts_share_limits_penalties_revocations_the_chain_and_a_database_restart(hosts) -> None:
    a, b, database, world = hosts
    keys = world["keys"]

    # Limits: one key's window counted once for both hosts, whichever host is asked.
    shared = keys["shared"]["plaintext"]
    statuses = [(host.get(_validity(world), shared)) for host in (a, b) * 5]
    assert [s for s, _h, _b in statuses].count(200) == PER_KEY, [s for s, _h, _b in statuses]
    refused = [(s, h) for s, h, _b in statuses if s != 200]
    assert {s for s, _h in refused} == {429}
    assert all(int(h["retry-after"][0]) >= 1 for _s, h in refused)
    assert {statuses[i][0] for i in (-1, -2)} == {429}  # each host refuses

    # The unknown-ID penalty: earned on one host, applied by the other (which held a lease).
    penalised = keys["penalty"]["plaintext"]
    assert b.get(_validity(world), penalised)[0] == 200
    for _ in range(UNKNOWN_LIMIT + 1):
        status, _h, body = a.get(_validity(world, "7K3Q-9XWA-2M4P-HJ"), penalised)
        assert status == 200 and json.loads(body)["status"] == "unknown"
    time.sleep(1.1)  # a lease lasts a second at most; the penalty is read when it is renewed
    status, headers, _body = b.get(_validity(world), penalised)
    assert status == 429 and int(headers["retry-after"][0]) > 500

    # A key revoked through one host is refused at once by the other, which had kept its row.
    revoked = keys["revoked"]
    assert b.get(_validity(world), revoked["plaintext"])[0] == 200
    browser = _sign_in(a, revoked["email"])
    _status, page = browser.send("GET", "/recipient/keys/")
    path = f"/recipient/keys/{revoked['prefix']}/revoke/"
    _status, page = browser.send("GET", path)  # the revocation's own confirmation page
    form = soak._urlencode({"csrfmiddlewaretoken": browser.token(page), "confirmed": "yes"})
    assert browser.send("POST", path, body=form, content_type="application/x-www-form-urlencoded")[0] == 302
    status, _h, body = b.get(_validity(world), revoked["plaintext"])
    assert status == 401 and json.loads(body)["error"]["code"] == "invalid_api_key"

    # Two sealers, one chain: kill one outright; the other seals what both hosts record meanwhile.
    assert a.sequencer is not None and b.sequencer is not None
    a.sequencer.send_signal(signal.SIGKILL)
    a.sequencer.wait(timeout=10)
    killed = time.monotonic()
    for host in (a, b, a, b):  # answers recorded on both hosts: events to seal
        assert host.get(_validity(world), keys["sealed"]["plaintext"])[0] == 200
    while _unsealed(b.database_url) and time.monotonic() - killed < 15:
        time.sleep(0.3)
    taken_over = time.monotonic() - killed
    assert _unsealed(b.database_url) == 0, f"not sealed {taken_over:.1f} s after the other sealer was killed"
    print(f"the surviving sealer had sealed everything {taken_over:.1f} s after the other was killed")
    verified = b.manage("audit_verify", production=True, check=False)
    assert verified.returncode == 0 and "監査ログを検証しました" in verified.stdout + verified.stderr, verified.stdout

    # The database restarted: both hosts answer 503 with Retry-After at once, none hangs, then 200
    # (a key neither host has read yet: its row is needed).
    spare = keys["spare"]["plaintext"]
    database.ctl("-m", "fast", "-w", "stop")
    try:
        began = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            down = list(pool.map(lambda host: host.get(_validity(world), spare, timeout=20), (a, b, a, b)))
        assert time.monotonic() - began < 15
        for status, headers, body in down:
            assert status == 503, (status, body[:200])
            assert int(headers["retry-after"][0]) >= 1
            assert json.loads(body)["error"]["code"] == "service_unavailable"
    finally:
        database.ctl("-l", str(database.data.parent / "postgres.log"), "-w", "start")
    deadline = time.monotonic() + 15
    answers = []
    while time.monotonic() < deadline:
        answers = [host.get(_validity(world), spare)[0] for host in (a, b)] + [
            host.get(_validity(world), penalised)[0] for host in (a, b)
        ]
        if answers == [200, 200, 429, 429]:
            break
        time.sleep(0.2)
    assert answers == [200, 200, 429, 429]  # the penalty outlived the restart: it is in Redis
    assert b.sequencer.poll() is None, "the surviving sealer died with the restart"
