"""Demo data for signatures: the test PKI under SIGNATURE_TEST_PKI_DIR, its root as a trust anchor
and a fresh CRL, so the demo can sign with "test cards". DEMO_MODE only; idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

import audit
from delegations import trust
from delegations.models import RevocationList
from delegations.signatures.testpki import TestPKI


def load_demo_pki() -> TestPKI:
    """The demo's test PKI (created on first use); for demo helpers that sign with test cards."""
    if settings.PRODUCTION or not settings.DEMO_MODE:
        raise RuntimeError("the demo test PKI exists only in DEMO_MODE")
    directory = settings.SIGNATURE_TEST_PKI_DIR
    if TestPKI.exists(directory):
        return TestPKI.load(directory)
    pki = TestPKI.generate()
    pki.save(directory)
    return pki


def setup(command: Any) -> None:
    if settings.PRODUCTION or not settings.DEMO_MODE:
        return
    pki = load_demo_pki()
    anchor = trust.install_demo_anchor(pki.root_der)
    current = RevocationList.objects.current_for(anchor.fingerprint_sha256)
    now = datetime.now(UTC)
    if current is None or current.next_update < now + timedelta(days=7):
        der = pki.crl(this_update=now - timedelta(minutes=1), next_update=now + timedelta(days=30))
        pki.save(settings.SIGNATURE_TEST_PKI_DIR)
        trust.import_crl(der, actor=audit.SYSTEM)
    command.stdout.write(
        f"test PKI: {settings.SIGNATURE_TEST_PKI_DIR} (root {pki.root_fingerprint[:16]}…, "
        f"personas: {', '.join(pki.personas)})"
    )
