"""Sign-in time with the per-account failure counter and canonical addresses, beside the plain
model backend measured in the same run (Argon2, the production hasher; django-axes on both).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mynatrust .venv/bin/python bench/login.py [--rounds 5 --n 40]

Creates and drops its own test database; counts in Redis db 3 under a key prefix of its own. Prints
per scenario the median time of a successful and of a failed sign-in (one POST through the whole
middleware stack), the median over rounds run alternately, and the Redis commands each sign-in sent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mynatrust.settings")
os.environ["CACHE_URL"] = f"rediscache://127.0.0.1:6379/3?key_prefix=loginbench-{uuid.uuid4().hex[:8]}"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

BASELINE = {
    "AUTHENTICATION_BACKENDS": ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"],
    "AXES_USERNAME_CALLABLE": None,
}
CURRENT = {
    "AUTHENTICATION_BACKENDS": list(settings.AUTHENTICATION_BACKENDS),
    "AXES_USERNAME_CALLABLE": settings.AXES_USERNAME_CALLABLE,
}
PASSWORD = "bench-password-long-enough-2026"  # noqa: S105 (a throw-away account)


def redis_commands() -> int:
    from django.core.cache import caches

    from mynatrust.ratelimit import redis_client

    client = redis_client(caches["default"])
    assert client is not None, "the bench needs Redis"
    return int(client.info("stats")["total_commands_processed"])


def one(email: str, password: str) -> float:
    client = Client(REMOTE_ADDR=f"10.{uuid.uuid4().int % 250}.0.1")
    start = time.perf_counter()
    response = client.post("/app/login/", {"username": email, "password": password})
    elapsed = time.perf_counter() - start
    assert response.status_code in (200, 302), response.status_code
    return elapsed


def scenario(config: dict, email: str, n: int) -> tuple[float, float]:
    with override_settings(**config):
        ok = [one(email, PASSWORD) for _ in range(n)]
        bad = [one(email, "wrong-password") for _ in range(n)]
    return statistics.median(ok), statistics.median(bad)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from mynatrust.models import User

        email = "bench@subscriber.example.jp"
        User.objects.create_user(email, PASSWORD, kind="subscriber")
        with override_settings(AXES_FAILURE_LIMIT=10**6, ACCOUNT_FAILURE_LIMIT=10**6, AUDIT_SEALER="off"):
            results: dict[str, list[tuple[float, float]]] = {"baseline": [], "current": []}
            for _round in range(args.rounds):
                for label, config in (("baseline", BASELINE), ("current", CURRENT)):
                    results[label].append(scenario(config, email, args.n))
            before = redis_commands()
            with override_settings(**CURRENT):
                one(email, PASSWORD)
            after_ok = redis_commands()
            with override_settings(**CURRENT):
                one(email, "wrong-password")
            after_bad = redis_commands()
        print(f"database {name}, {args.rounds} rounds × {args.n} sign-ins each, hasher {settings.PASSWORD_HASHERS[0]}")
        print(f"{'scenario':<10} {'success ms':>11} {'failure ms':>11}")
        for label, rows in results.items():
            ok = statistics.median(r[0] for r in rows) * 1000
            bad = statistics.median(r[1] for r in rows) * 1000
            print(f"{label:<10} {ok:>11.2f} {bad:>11.2f}")
        base_ok = statistics.median(r[0] for r in results["baseline"])
        cur_ok = statistics.median(r[0] for r in results["current"])
        base_bad = statistics.median(r[1] for r in results["baseline"])
        cur_bad = statistics.median(r[1] for r in results["current"])
        print(f"ratio current/baseline: success {cur_ok / base_ok:.3f}, failure {cur_bad / base_bad:.3f}")
        print(
            f"Redis commands per sign-in (whole server, other clients included): "
            f"success {after_ok - before}, failure {after_bad - after_ok}"
        )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
