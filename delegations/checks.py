"""System checks for signature verification (run by `manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError


@register(Tags.security, deploy=True)
def test_pki_not_trusted_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.PRODUCTION:
        return []
    from delegations.models import TrustAnchor

    try:
        anchors = list(
            TrustAnchor.objects.active().only("fingerprint_sha256", "is_test_pki", "certificate_der", "purpose")
        )
    except DatabaseError:
        return []  # no tables yet (before migrate): nothing can be trusted
    from cryptography import x509

    from delegations.signatures.testpki import is_test_pki_certificate

    messages: list[CheckMessage] = []
    for anchor in anchors:
        if anchor.is_test_pki or is_test_pki_certificate(x509.load_der_x509_certificate(bytes(anchor.certificate_der))):
            messages.append(
                Error(
                    "The test PKI root is trusted in production.",
                    hint=f"Remove trust anchor {anchor.fingerprint_sha256} (manage.py trust remove).",
                    id="delegations.E001",
                )
            )
        elif anchor.purpose == TrustAnchor.Purpose.SIGNING and not anchor.matches_jlis:  # J-LIS publishes CAs only
            messages.append(
                Warning(
                    "A trust anchor does not match any J-LIS published fingerprint.",
                    hint=f"Check {anchor.fingerprint_sha256} against J-LIS, or add it to JLIS_SIGN_CA_FINGERPRINTS.",
                    id="delegations.W001",
                )
            )
    return messages


@register()
def revocation_source_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    source = settings.SIGNATURE_REVOCATION_SOURCE
    if source not in ("crl", "ocsp", "provider"):
        return [
            Error(f"SIGNATURE_REVOCATION_SOURCE must be crl, ocsp or provider, not {source!r}.", id="delegations.E002")
        ]
    if source == "ocsp" and not settings.SIGNATURE_OCSP_URL:
        return [Error("SIGNATURE_REVOCATION_SOURCE is ocsp but SIGNATURE_OCSP_URL is empty.", id="delegations.E002")]
    if source == "provider" and not (settings.SIGNATURE_PROVIDER_URL and settings.SIGNATURE_PROVIDER_TOKEN):
        return [
            Error(
                "SIGNATURE_REVOCATION_SOURCE is provider but SIGNATURE_PROVIDER_URL or _TOKEN is empty.",
                id="delegations.E002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def test_cards_off_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Signing with a test card (test PKI keys held by the server) exists only in the demo and tests."""
    if settings.PRODUCTION and settings.DEMO_MODE:
        return [
            Error(
                "Test-card signing is offered because DEMO_MODE is on in production.",
                hint="Set DEMO_MODE=false; test-card signing must never be reachable in production.",
                id="delegations.E003",
            )
        ]
    return []
