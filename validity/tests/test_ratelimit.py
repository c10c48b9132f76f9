"""Rate limits: per key, per address, unknown IDs, across processes; 429 with Retry-After."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings as django_settings

from audit.models import AuditEvent
from mynatrust.lib import delegation_id as ids
from validity import ratelimit

from .conftest import REDIS_URL


def ask(client, key: str, delegation_id: str | None = None, **extra):
    return client.get(
        f"/api/v1/delegations/{delegation_id or ids.generate()}/validity", HTTP_AUTHORIZATION=f"Bearer {key}", **extra
    )


def test_a_rate_is_count_per_seconds():
    assert ratelimit.Rate.parse("600/60") == ratelimit.Rate(600, 60)
    for bad in ("0/60", "10/0", "ten/60", "10"):
        with pytest.raises(ValueError):
            ratelimit.Rate.parse(bad)


def test_a_window_allows_its_count_then_says_how_long_to_wait():
    rate = ratelimit.Rate(3, 60)
    now = 1_800_000_000 - 1_800_000_000 % 60 + 10.2  # 10.2 s into a window
    assert [ratelimit.hit("t", "a", rate, now=now) for _ in range(3)] == [None, None, None]
    assert ratelimit.hit("t", "a", rate, now=now) == 50
    # Other identities and the next window start from zero.
    assert ratelimit.hit("t", "b", rate, now=now) is None
    assert ratelimit.hit("t", "a", rate, now=now + 50) is None


def test_several_counters_are_counted_together_and_the_longest_wait_wins():
    now = 1_800_000_000 - 1_800_000_000 % 600 + 30.0
    short, long = ratelimit.Rate(1, 60), ratelimit.Rate(1, 600)
    assert ratelimit.hit_many([("m", "a", short), ("m", "b", long)], now=now) is None
    assert ratelimit.hit_many([("m", "a", short), ("m", "b", long)], now=now) == 570
    assert ratelimit.hit_many([("m", "a", short)], now=now) == 30


def test_a_penalty_is_read_with_the_count():
    rate = ratelimit.Rate(100, 60)
    assert ratelimit.hit("t", "p", rate, penalty=("unknown", "org")) is None
    assert ratelimit.impose("unknown", "org", 90) is True
    assert ratelimit.impose("unknown", "org", 90) is False  # one penalty at a time
    assert 85 <= (ratelimit.hit("t", "p", rate, penalty=("unknown", "org")) or 0) <= 90
    assert 85 <= (ratelimit.penalty("unknown", "org") or 0) <= 90


def test_the_database_cache_counts_the_same_way(settings, db):
    from django.core.management import call_command

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "validity_test_cache"}
    }
    call_command("createcachetable", verbosity=0)
    rate = ratelimit.Rate(2, 60)
    assert [ratelimit.hit("db", "a", rate) for _ in range(3)][:2] == [None, None]
    assert ratelimit.hit("db", "a", rate) is not None
    ratelimit.impose("unknown", "db-org", 60)
    assert ratelimit.hit("db", "b", rate, penalty=("unknown", "db-org")) is not None


def test_per_key_limit_gives_429_with_retry_after(client, api_key, settings):
    settings.VALIDITY_RATE_PER_KEY = "3/60"
    statuses = [ask(client, api_key).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = ask(client, api_key)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "rate_limited"
    assert response.json()["error"]["retry_after"] == int(response["Retry-After"])
    assert response["Cache-Control"] == "no-store"


def test_per_address_limit_counts_every_key_and_every_wrong_key(client, api_key, settings):
    settings.VALIDITY_RATE_PER_IP = "3/60"
    wrong = "mtv_000000000000_" + "0" * 64
    assert [ask(client, wrong).status_code for _ in range(2)] == [401, 401]
    assert ask(client, api_key).status_code == 200
    assert ask(client, api_key).status_code == 429
    # Over the limit, a wrong key is not told it is wrong.
    assert ask(client, wrong).status_code == 429
    # Another address is not affected.
    assert ask(client, api_key, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_repeated_unknown_ids_slow_a_recipient_down_and_alert_the_administrator(client, api_key, settings):
    settings.VALIDITY_UNKNOWN_LIMIT = "3/600"
    settings.VALIDITY_UNKNOWN_PENALTY_SECONDS = 120
    assert [ask(client, api_key).status_code for _ in range(4)] == [200, 200, 200, 200]
    response = ask(client, api_key)
    assert response.status_code == 429
    assert 100 <= int(response["Retry-After"]) <= 120
    alert = AuditEvent.objects.get(event_type="validity.enumeration_suspected")
    assert alert.data["organisation"] == "株式会社受領商事"
    assert alert.data["penalty_seconds"] == 120
    # One alert per penalty, however many more tries.
    ask(client, api_key)
    assert AuditEvent.objects.filter(event_type="validity.enumeration_suspected").count() == 1


# Two processes count 40 requests each against 50 in one window, with ``hit`` (every request) or
# ``take`` (leases); {COUNT} is the call.
WORKER = """
import json, os
import django
django.setup()
from django.core.cache import caches
from validity import ratelimit
now = float(os.environ["WINDOW_NOW"])  # both processes count in the same window
ident = os.environ["RATE_IDENT"]  # unique per test run
rate = ratelimit.Rate(50, 60)
allowed = sum({COUNT} is None for _ in range(40))
print(json.dumps({"allowed": allowed, "backend": type(caches["default"]).__name__}))
"""


def _two_processes(count: str) -> list[dict]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mynatrust.settings",
        "CACHE_URL": f"rediscache://{REDIS_URL.removeprefix('redis://')}",
        "RATE_IDENT": f"test-procs-{uuid.uuid4().hex}",
        "MYNATRUST_PRODUCTION": "false",
        "WINDOW_NOW": str(time.time()),
    }
    source = WORKER.replace("{COUNT}", count)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", source], cwd=django_settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert {r["backend"] for r in results} == {"RedisCache"}
    return results


def test_limits_hold_across_two_processes_sharing_redis():
    results = _two_processes('ratelimit.hit("proc", ident, rate, now=now)')
    # 80 attempts in one window against a limit of 50: exactly 50 pass, whichever process asked.
    assert sum(r["allowed"] for r in results) == 50


def test_leased_counting_never_admits_more_than_the_limit_across_two_processes():
    results = _two_processes('ratelimit.take([("procs", ident, rate)], now=now)')
    allowed = [r["allowed"] for r in results]
    # 80 attempts against 50: never more than 50; fewer only by what the other process still held
    # when it stopped (near the window's end a lease is one token, at most an eighth of what is left).
    assert 44 <= sum(allowed) <= 50, allowed


def _script_calls(monkeypatch) -> list[tuple]:
    calls: list[tuple] = []
    real = ratelimit.Script._run

    def counted(self, connection, args):
        calls.append(args)
        return real(self, connection, args)

    monkeypatch.setattr(ratelimit.Script, "_run", counted)
    return calls


def test_a_busy_process_takes_its_tokens_in_batches(monkeypatch):
    rate = ratelimit.Rate(10_000, 60)
    calls = _script_calls(monkeypatch)
    now = time.time()
    assert all(ratelimit.take([("batch", "a", rate)], now=now) is None for _ in range(500))
    # 1, 2, 4 … 64 tokens, then 64 at a time: 13 round trips for 500 requests.
    assert len(calls) == 13
    counter = ratelimit._cache().make_key(ratelimit.window_key("batch", "a", rate, now)[0])
    assert 500 <= int(_redis().get(counter)) <= 500 + ratelimit.MAX_BATCH


def test_what_a_lease_did_not_use_in_its_time_is_given_back(monkeypatch):
    rate = ratelimit.Rate(10_000, 60)
    now = time.time()
    counter = ratelimit._cache().make_key(ratelimit.window_key("back", "a", rate, now)[0])
    for _ in range(7):  # leases of 1, 2 and 4 tokens: all used
        ratelimit.take([("back", "a", rate)], now=now)
    ratelimit.take([("back", "a", rate)], now=now)  # a lease of 8: 1 used, 7 held
    assert int(_redis().get(counter)) == 15
    clock = time.monotonic()
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock + ratelimit.LEASE_SECONDS + 1)
    ratelimit.take([("back", "a", rate)], now=now)  # the 7 given back; a new lease of what was used: 1
    assert int(_redis().get(counter)) == 9


def test_a_penalty_set_by_another_process_applies_within_a_lease_time(monkeypatch):
    rate = ratelimit.Rate(10_000, 60)
    for _ in range(4):
        assert ratelimit.take([("key", "p", rate)], penalty=("unknown", "org-p")) is None
    # Another process starts the penalty.
    cache = ratelimit._cache()
    cache.set(ratelimit.penalty_key("unknown", "org-p"), time.time() + 120, timeout=120)
    clock = time.monotonic()
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock + ratelimit.LEASE_SECONDS)
    wait = ratelimit.take([("key", "p", rate)], penalty=("unknown", "org-p"))
    assert wait is not None and 100 <= wait <= 120


def test_a_penalty_this_process_imposes_applies_at_once():
    rate = ratelimit.Rate(10_000, 60)
    for _ in range(4):
        assert ratelimit.take([("key", "q", rate)], penalty=("unknown", "org-q")) is None
    assert ratelimit.impose("unknown", "org-q", 60)
    assert ratelimit.take([("key", "q", rate)], penalty=("unknown", "org-q")) is not None


def test_leases_count_every_request_on_the_database_cache(settings, db):
    from django.core.management import call_command

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "validity_test_cache"}
    }
    call_command("createcachetable", verbosity=0)
    rate = ratelimit.Rate(2, 60)
    assert [ratelimit.take([("dbl", "a", rate)]) is None for _ in range(3)] == [True, True, False]


# --- the lease script's own connection (validity.ratelimit.Script) ------------------------------


TWO_A_MINUTE = ratelimit.Rate(2, 60)


def _admit(api_key, address, per_ip=TWO_A_MINUTE):
    from validity import auth

    return auth.admit(f"Bearer {api_key}", ip=address, per_ip=per_ip, per_key=ratelimit.Rate(1000, 60))


def _redis():
    import redis

    return redis.Redis.from_url(REDIS_URL)


def test_admission_loads_its_script_again_after_redis_lost_it(api_key):
    _admit(api_key, address="192.0.2.1")  # the key's row is cached, the script loaded
    _redis().script_flush()  # as after a restart of Redis
    key, wait = _admit(api_key, address="192.0.2.1")
    assert key is not None and wait is None
    assert _admit(api_key, address="192.0.2.1")[1] is not None  # counted once per request: the third waits


def test_admission_reconnects_once_when_redis_closed_its_connection(api_key):
    _admit(api_key, address="192.0.2.2")
    host, port = ratelimit._leasing._local.connection._sock.getsockname()
    assert _redis().client_kill_filter(addr=f"{host}:{port}") == 1  # as an idle timeout or an operator would
    key, wait = _admit(api_key, address="192.0.2.2")
    assert key is not None and wait is None
    assert _admit(api_key, address="192.0.2.2")[1] is not None  # the retried request counted once


def test_each_thread_and_each_forked_process_has_its_own_admission_connection(api_key, monkeypatch):
    import threading

    _admit(api_key, address="192.0.2.3", per_ip=ratelimit.Rate(100, 60))
    mine = ratelimit._leasing._local.connection
    seen = []

    def other_thread():
        _admit(api_key, address="192.0.2.3", per_ip=ratelimit.Rate(100, 60))
        seen.append(ratelimit._leasing._local.connection)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen and seen[0] is not mine
    real_pid = os.getpid()
    monkeypatch.setattr(ratelimit.os, "getpid", lambda: real_pid + 1)  # what a forked worker sees
    _admit(api_key, address="192.0.2.3", per_ip=ratelimit.Rate(100, 60))
    assert ratelimit._leasing._local.connection is not mine


def test_with_redis_unreachable_the_answer_is_still_given_and_the_failure_logged(client, api_key, settings, caplog):
    """Availability over throttling: the key's row comes from the database, nothing is counted."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with caplog.at_level("ERROR", logger="validity"):
        response = ask(client, api_key)
    assert response.status_code == 200 and response.json()["status"] == "unknown"
    assert "rate limit cache unavailable" in caplog.text
