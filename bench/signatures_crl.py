"""CRL import into the indexed revoked-serial table, and lookup latency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mynatrust_bench .venv/bin/python bench/signatures_crl.py
    ... --full        # 1,000,000 entries (target: import <= 60 s, lookup <= 1 ms)

Creates a throw-away test database (test_<name>), imports a CRL of the test PKI with N entries through
``delegations.trust.import_crl`` (parse, signature and freshness check, COPY into the table), then times
``DatabaseCRLSource.check`` for revoked and unrevoked serials. Baseline in the same run: parsing the
same CRL with ``cryptography`` and looking a serial up in it (what a verifier without the table does).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mynatrust.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="1,000,000 entries instead of 100,000")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    count = args.entries or (1_000_000 if args.full else 100_000)

    import django

    django.setup()
    from cryptography import x509
    from django.db import connection
    from django.test.utils import setup_test_environment

    import audit
    from delegations import trust
    from delegations.models import TrustAnchor
    from delegations.signatures.profile import fingerprint
    from delegations.signatures.testpki import TestPKI

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        pki = TestPKI.generate()
        TrustAnchor.objects.create(
            certificate_der=pki.root_der,
            fingerprint_sha256=fingerprint(pki.root),
            subject=pki.root.subject.rfc4514_string(),
            not_before=pki.root.not_valid_before_utc,
            not_after=pki.root.not_valid_after_utc,
            is_test_pki=True,
            status=TrustAnchor.Status.ACTIVE,
        )
        revoked = pki["revoked"]
        t = time.perf_counter()
        der = pki.big_crl(count, include=(revoked.serial,))
        print(f"entries={count:,} CRL size={len(der) / 1e6:.1f} MB (generated in {time.perf_counter() - t:.1f} s)")

        t = time.perf_counter()
        result = trust.import_crl(der, actor=audit.SYSTEM)
        import_s = time.perf_counter() - t
        print(f"import (parse + signature + freshness + COPY + index): {import_s:.1f} s  [target <= 60 s at 1M]")

        source = trust.DatabaseCRLSource()
        now = datetime.now(UTC)
        good_cert = pki["representative"].cert
        assert source.check(revoked.cert, pki.root, now).status == "revoked"
        assert source.check(good_cert, pki.root, now).status == "good"
        times = []
        for i in range(args.lookups):
            cert = revoked.cert if i % 2 else good_cert
            t = time.perf_counter()
            source.check(cert, pki.root, now)
            times.append(time.perf_counter() - t)
        times.sort()
        p99 = times[int(len(times) * 0.99)]
        print(
            f"lookup (current CRL joined with the indexed serial, 1 query): median {statistics.median(times) * 1000:.3f} ms, "
            f"p99 {p99 * 1000:.3f} ms  [target <= 1 ms]"
        )

        # Baseline: no table, parse the CRL and search it.
        t = time.perf_counter()
        crl = x509.load_der_x509_crl(der)
        crl.get_revoked_certificate_by_serial_number(revoked.serial)
        parse_s = time.perf_counter() - t
        serials = [random.randrange(10**12, 10**12 + count) for _ in range(200)]
        t = time.perf_counter()
        for s in serials:
            crl.get_revoked_certificate_by_serial_number(s)
        in_memory = (time.perf_counter() - t) / len(serials)
        print(
            f"baseline: cryptography load + first lookup {parse_s * 1000:.0f} ms; "
            f"later lookups in the parsed CRL {in_memory * 1000:.3f} ms each"
        )
        print(
            f"summary: {count:,} entries imported in {import_s:.1f} s; lookup median "
            f"{statistics.median(times) * 1000:.3f} ms; rows={result.entries:,}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
