"""Fixtures for signature tests: one test PKI per test session (per xdist worker), signed files cached."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from delegations.signatures.revocation import CRLSource
from delegations.signatures.testpki import SAMPLE_XML, TestPKI, make_pdf
from delegations.signatures.verify import VerificationPolicy

CONTAINERS = ("pades", "xmldsig", "xades", "cms")


@pytest.fixture(scope="session")
def test_pki() -> TestPKI:
    """The generated hierarchy: ``test_pki["representative"]`` etc.; ``test_pki.root_der`` is the anchor."""
    return TestPKI.generate()


@pytest.fixture(scope="session")
def unsigned_pdf() -> bytes:
    return make_pdf(SAMPLE_XML)


@pytest.fixture(scope="session")
def sign(test_pki: TestPKI, unsigned_pdf: bytes) -> Callable[[str, str], bytes]:
    """``sign(persona, container)`` → signed bytes, cached for the session (a PDF signature is ~0.1 s)."""
    cache: dict[tuple[str, str], bytes] = {}

    def _sign(persona: str, container: str) -> bytes:
        key = (persona, container)
        if key not in cache:
            if container == "pades":
                cache[key] = test_pki.sign_pdf(unsigned_pdf, persona)
            elif container == "xmldsig":
                cache[key] = test_pki.sign_xml(SAMPLE_XML, persona)
            elif container == "xades":
                cache[key] = test_pki.sign_xml(SAMPLE_XML, persona, xades=True)
            elif container == "cms":
                cache[key] = test_pki.sign_cms(SAMPLE_XML, persona)
            else:
                raise ValueError(container)
        return cache[key]

    return _sign


@pytest.fixture(scope="session")
def fresh_crl(test_pki: TestPKI) -> bytes:
    return test_pki.crl()


@pytest.fixture(scope="session")
def policy(test_pki: TestPKI, fresh_crl: bytes) -> VerificationPolicy:
    """Trusts the test root only; revocation from a fresh CRL of the test PKI."""
    return VerificationPolicy(trust_anchors=(test_pki.root_der,), revocation=CRLSource([fresh_crl]))


@pytest.fixture(scope="session")
def verify_container() -> Callable[..., Any]:
    from delegations.signatures.verify import verify_cms, verify_pades, verify_xml

    def _verify(container: str, data: bytes, policy: VerificationPolicy, content: bytes | None = SAMPLE_XML) -> Any:
        if container == "pades":
            return verify_pades(data, policy)
        if container == "cms":
            return verify_cms(data, content, policy)
        return verify_xml(data, policy)

    return _verify


# Delegation lifecycle fixtures (trusted test PKI in the database, subscribers, members).
from delegations.tests.lifecycle import member, other_member, other_subscriber, subscriber, trusted_pki  # noqa: E402,F401
