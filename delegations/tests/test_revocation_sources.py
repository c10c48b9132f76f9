"""Revocation sources against the test PKI's own CRLs and OCSP responses, over real local HTTP."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

import pytest

from delegations.signatures import revocation as rev
from delegations.signatures.report import SubIndication
from delegations.signatures.revocation import CRLSource, OCSPSource, ProviderAPISource
from delegations.signatures.testpki import _serve, serve_ocsp, serve_provider
from delegations.signatures.verify import VerificationPolicy
from delegations.tests.conftest import CONTAINERS

NOW = datetime.now(UTC)


def check(source, test_pki, persona="representative"):
    return source.check(test_pki[persona].cert, test_pki.root, datetime.now(UTC))


# --- CRL --------------------------------------------------------------------------------------------
def test_a_fresh_crl_says_good_and_returns_its_number_and_times_as_evidence(test_pki) -> None:
    crl = test_pki.crl(number=77)
    result = check(CRLSource([crl]), test_pki)
    assert result.status == rev.GOOD
    assert result.evidence["crl_number"] == 77
    assert result.evidence["next_update"] is not None


def test_a_crl_lists_the_revoked_persona(test_pki) -> None:
    result = check(CRLSource([test_pki.crl()]), test_pki, "revoked")
    assert result.status == rev.REVOKED
    assert result.revoked_at is not None


def test_the_newest_crl_wins(test_pki) -> None:
    serial = test_pki["agent"].serial
    old = test_pki.crl(number=1, revoked={})
    new = test_pki.crl(number=2, revoked={serial: NOW - timedelta(hours=1)})
    assert check(CRLSource([new, old]), test_pki, "agent").status == rev.REVOKED


# --- OCSP -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("persona", "status"), [("representative", rev.GOOD), ("revoked", rev.REVOKED)])
def test_ocsp_answers_from_the_local_responder(persona, status, test_pki) -> None:
    with serve_ocsp(test_pki) as url:
        result = check(OCSPSource(url), test_pki, persona)
    assert result.status == status
    assert result.evidence["ocsp_response_b64"]
    assert (
        result.evidence["responder"].endswith("CN=Test OCSP Responder")
        or "Test OCSP Responder" in (result.evidence["responder"])
    )


def test_an_ocsp_answer_past_its_next_update_is_try_later(test_pki) -> None:
    with serve_ocsp(test_pki, now=NOW - timedelta(days=2), next_update=timedelta(hours=1)) as url:
        result = check(OCSPSource(url), test_pki)
    assert (result.status, result.detail) == (rev.TRY_LATER, "ocsp_stale")


def test_an_ocsp_answer_signed_by_the_lookalike_is_try_later(test_pki) -> None:
    with serve_ocsp(test_pki, signer="lookalike") as url:
        result = check(OCSPSource(url), test_pki)
    assert (result.status, result.detail) == (rev.TRY_LATER, "ocsp_responder_not_authorised")


def test_a_replayed_ocsp_answer_fails_the_nonce_check(test_pki) -> None:
    request, _nonce = rev.build_ocsp_request(test_pki["representative"].cert, test_pki.root)
    replay = test_pki.ocsp_respond(request)

    class Replay(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", str(len(replay)))
            self.end_headers()
            self.wfile.write(replay)

        def log_message(self, *args) -> None:
            pass

    with _serve(Replay) as url:
        result = check(OCSPSource(url), test_pki)
    assert (result.status, result.detail) == (rev.TRY_LATER, "ocsp_nonce_mismatch")


def test_an_unknown_certificate_is_not_good(test_pki) -> None:
    with serve_ocsp(test_pki) as url:
        # The look-alike's certificate has a serial the responder never issued.
        result = OCSPSource(url).check(test_pki["untrusted"].cert, test_pki.root, datetime.now(UTC))
    assert result.status == rev.UNKNOWN


def test_an_unreachable_responder_is_try_later(test_pki) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = check(OCSPSource(f"http://127.0.0.1:{port}/", timeout=1), test_pki)
    assert result.status == rev.TRY_LATER


def test_garbage_from_the_responder_is_try_later(test_pki) -> None:
    result = rev.judge_ocsp_response(b"garbage", test_pki["representative"].cert, test_pki.root, NOW, nonce=None)
    assert (result.status, result.detail) == (rev.TRY_LATER, "ocsp_malformed")


# --- platform provider API ------------------------------------------------------------------------------
def test_the_provider_adapter_relays_a_checked_ocsp_answer(test_pki) -> None:
    with serve_provider(test_pki, "s3cret") as url:
        good = check(ProviderAPISource(url, "s3cret"), test_pki)
        revoked = check(ProviderAPISource(url, "s3cret"), test_pki, "revoked")
    assert (good.status, good.source) == (rev.GOOD, "provider")
    assert revoked.status == rev.REVOKED


def test_the_provider_refusing_our_credentials_is_try_later(test_pki) -> None:
    with serve_provider(test_pki, "s3cret") as url:
        result = check(ProviderAPISource(url, "wrong"), test_pki)
    assert result.status == rev.TRY_LATER


def test_a_provider_relaying_a_forged_answer_is_try_later(test_pki) -> None:
    with serve_provider(test_pki, "t", signer="lookalike") as url:
        result = check(ProviderAPISource(url, "t"), test_pki)
    assert result.status == rev.TRY_LATER


# --- through the verifier -------------------------------------------------------------------------------
@pytest.mark.parametrize("container", CONTAINERS)
@pytest.mark.parametrize(
    ("persona", "sub"),
    [("representative", None), ("revoked", SubIndication.REVOKED)],
)
@pytest.mark.parametrize("via", ["ocsp", "provider"])
def test_the_verifier_uses_the_configured_online_source(via, persona, sub, container, test_pki, sign, verify_container):
    server = serve_ocsp(test_pki) if via == "ocsp" else serve_provider(test_pki, "t")
    with server as url:
        source = OCSPSource(url) if via == "ocsp" else ProviderAPISource(url, "t")
        report = verify_container(container, sign(persona, container), VerificationPolicy((test_pki.root_der,), source))
    assert report.sub_indication == sub, report.detail
    assert report.revocation is not None
    assert report.revocation["source"] == via
    assert report.revocation["evidence"]["ocsp_response_b64"]
