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


WORKER = """
import json, os, sys
import django
django.setup()
from django.core.cache import caches
from validity import ratelimit
now = float(os.environ["WINDOW_NOW"])  # both processes count in the same window
ident = os.environ["RATE_IDENT"]  # unique per test run
allowed = sum(ratelimit.hit("proc", ident, ratelimit.Rate(50, 60), now=now) is None for _ in range(40))
print(json.dumps({"allowed": allowed, "backend": type(caches["default"]).__name__}))
"""


def test_limits_hold_across_two_processes_sharing_redis():
    ident = f"test-procs-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mynatrust.settings",
        "CACHE_URL": f"rediscache://{REDIS_URL.removeprefix('redis://')}",
        "RATE_IDENT": ident,
        "MYNATRUST_PRODUCTION": "false",
        "WINDOW_NOW": str(time.time()),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER], cwd=django_settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert {r["backend"] for r in results} == {"RedisCache"}
    # 80 attempts in one window against a limit of 50: exactly 50 pass, whichever process asked.
    assert sum(r["allowed"] for r in results) == 50


# --- the admission script's own connection (validity.auth._Script) ------------------------------


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
    from validity import auth

    _admit(api_key, address="192.0.2.2")
    host, port = auth._admission._local.connection._sock.getsockname()
    assert _redis().client_kill_filter(addr=f"{host}:{port}") == 1  # as an idle timeout or an operator would
    key, wait = _admit(api_key, address="192.0.2.2")
    assert key is not None and wait is None
    assert _admit(api_key, address="192.0.2.2")[1] is not None  # the retried request counted once


def test_each_thread_and_each_forked_process_has_its_own_admission_connection(api_key, monkeypatch):
    import threading

    from validity import auth

    _admit(api_key, address="192.0.2.3", per_ip=ratelimit.Rate(100, 60))
    mine = auth._admission._local.connection
    seen = []

    def other_thread():
        _admit(api_key, address="192.0.2.3", per_ip=ratelimit.Rate(100, 60))
        seen.append(auth._admission._local.connection)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen and seen[0] is not mine
    real_pid = os.getpid()
    monkeypatch.setattr(ratelimit.os, "getpid", lambda: real_pid + 1)  # what a forked worker sees
    _admit(api_key, address="192.0.2.3", per_ip=ratelimit.Rate(100, 60))
    assert auth._admission._local.connection is not mine


def test_with_redis_unreachable_the_answer_is_still_given_and_the_failure_logged(client, api_key, settings, caplog):
    """Availability over throttling: the key's row comes from the database, nothing is counted."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with caplog.at_level("ERROR", logger="validity"):
        response = ask(client, api_key)
    assert response.status_code == 200 and response.json()["status"] == "unknown"
    assert "rate limit cache unavailable" in caplog.text
