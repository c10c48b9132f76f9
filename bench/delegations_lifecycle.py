"""Delegations: upload-to-decision for a one-page PAdES delegation beside the signature module's own
verification of the same file, and the subscriber's list page with 10,000 delegations.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mynatrust_bench .venv/bin/python bench/delegations_lifecycle.py
    ... --runs 60 --rows 10000

Needs PostgreSQL. Works in its own throw-away database (created, migrated and dropped here).

Upload-to-decision: the principal's signed PDF is the last file of a delegation whose agent
acceptance is already stored, so the timed call verifies, compares the digest, matches the
representative, stores the file and activates the delegation (audit events and row locks
included). Measured two ways: ``services.submit_signed_file`` and the whole HTTP POST through
Django's test client (multipart parsing, session, redirect). Beside it, in the same run and on the
same file: ``verify_pades`` with the policy the service builds (anchors and CRL from the database)
and with an in-memory CRL (the signature module alone). Target: ≤ 2× the module's time.

List page: GET /app/delegations/ (first page, page 100, a filter), 10,000 delegations for one
subscriber; median and p95 render time and the number of queries. Target: ≤ 150 ms, constant queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mynatrust.settings")
os.environ.setdefault("AUDIT_SEALER", "off")


def _times(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _row(label: str, times: list[float], extra: str = "") -> None:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"  {label:<58} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms  {extra}")


def _setup_world() -> tuple[Any, Any, Any]:
    import audit
    from conftest import make_user
    from delegations import trust
    from delegations.signatures.testpki import TestPKI
    from delegations.tests.lifecycle import make_subscriber

    pki = TestPKI.generate()
    trust.install_demo_anchor(pki.root_der)
    trust.import_crl(pki.crl(), actor=audit.SYSTEM)
    member = make_user("bench@delegations.example.jp", "subscriber")
    return pki, member, make_subscriber(member)


def bench_upload(pki: Any, member: Any, subscriber: Any, runs: int) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from delegations import services, trust
    from delegations.models import Delegation
    from delegations.signatures import CRLSource, VerificationPolicy, verify_pades
    from delegations.tests.lifecycle import make_finalised, signed_pair

    def ready() -> tuple[Any, bytes]:
        delegation = make_finalised(subscriber, member)
        principal, agent = signed_pair(delegation, pki)
        services.submit_signed_file(delegation, agent, actor=member, role="agent")
        return delegation, principal

    prepared = [ready() for _ in range(2 * runs + 1)]
    sample = prepared[0][1]
    print(f"one-page PAdES delegation: {len(sample):,} bytes; {runs} rounds, the four measurements interleaved")
    memory_policy = VerificationPolicy((pki.root_der,), CRLSource([pki.crl()]))
    services.submit_signed_file(prepared[0][0], sample, actor=member, role="principal")  # warm-up
    client = Client()
    client.force_login(member)
    module: list[float] = []
    module_db: list[float] = []
    service: list[float] = []
    http: list[float] = []
    # Interleaved, so that whatever else the machine does weighs on all four alike.
    for i in range(runs):
        module += _times(lambda: verify_pades(sample, memory_policy), 1)
        module_db += _times(lambda: verify_pades(sample, trust.verification_policy()), 1)
        delegation, principal = prepared[1 + 2 * i]

        def submit(d: Any = delegation, p: bytes = principal) -> Any:
            return services.submit_signed_file(d, p, actor=member, role="principal")

        service += _times(submit, 1)
        delegation, principal = prepared[2 + 2 * i]
        url = reverse("delegations:upload", kwargs={"public_id": delegation.public_id, "role": "principal"})

        def post(u: str = url, p: bytes = principal) -> Any:
            return client.post(u, {"file": SimpleUploadedFile("signed.pdf", p)})

        http += _times(post, 1)
    assert Delegation.objects.filter(status="active").count() == 2 * runs + 1
    base, base_db = statistics.median(module), statistics.median(module_db)
    _row("signature module: verify_pades, in-memory CRL (baseline)", module)
    _row("signature module: verify_pades, policy from the database", module_db)
    for label, times in [
        ("upload-to-decision: services.submit_signed_file", service),
        ("upload-to-decision: HTTP POST (test client)", http),
    ]:
        median = statistics.median(times)
        _row(label, times, f"{median / base:.2f}× ({median / base_db:.2f}× the database-policy column)")


def bench_list(member: Any, subscriber: Any, rows: int, runs: int) -> None:
    from datetime import date, timedelta

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from delegations.models import Delegation
    from delegations.tests.lifecycle import draft_values
    from mynatrust.lib import delegation_id as ids

    today = date.today()
    statuses = ["active", "superseded", "revoked", "awaiting_signatures", "draft"]
    batch = []
    for i in range(rows):
        status = statuses[i % len(statuses)]
        values = draft_values(agent_name=f"受任 {i:05d}", valid_until=today + timedelta(days=1 + i % 700))
        batch.append(
            Delegation(
                subscriber=subscriber,
                created_by=member,
                status=status,
                delegation_id=None if status == "draft" else ids.generate(),
                **values,
            )
        )
    Delegation.objects.bulk_create(batch, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE delegations_delegation")
    total = Delegation.objects.for_subscriber(subscriber).count()
    print(f"list page: {total:,} delegations for one subscriber; {runs} runs each")
    client = Client()
    client.force_login(member)
    url = reverse("delegations:list")
    cases: list[tuple[str, dict[str, str]]] = [
        ("GET /app/delegations/ (page 1)", {}),
        ("GET /app/delegations/?page=100", {"page": "100"}),
        ("GET /app/delegations/?status=valid&agent=受任 01", {"status": "valid", "agent": "受任 01"}),
        ("GET /app/delegations/?on=<today+300>", {"on": (today + timedelta(days=300)).isoformat()}),
    ]
    for label, params in cases:
        client.get(url, params)
        queries: list[str] = []

        def count(execute: Any, sql: str, *args: Any, queries: list[str] = queries) -> Any:
            queries.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count):
            assert client.get(url, params).status_code == 200

        def get(params: dict[str, str] = params) -> Any:
            return client.get(url, params)

        _row(label, _times(get, runs), f"{len(queries)} queries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/delegations_lifecycle.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    # Mail goes nowhere (as an SMTP relay would take it): the locmem backend, like the tests.
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend", "OPTIONS": {}}}
    from django.core import signals
    from django.db import close_old_connections

    # As Django's test runner does: keep one connection, so the queries of a request can be counted.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["*"]
    import logging

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    old_name = connection.settings_dict["NAME"]
    db_name = f"bench_delegations_{os.getpid()}"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = db_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"PostgreSQL, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; database {db_name}")
        pki, member, subscriber = _setup_world()
        bench_upload(pki, member, subscriber, args.runs)
        bench_list(member, subscriber, args.rows, args.runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
