"""Signing with a card through PKCS#11, for real: SoftHSM2 holds a test-PKI card's keys and
certificates; the helper signs the generated PDF and the service accepts the upload. A wrong key
(the authentication certificate), a wrong password and a missing token each give a clear message."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from delegations import cardsign, services, softcard
from delegations.tests.lifecycle import make_finalised

SOFTHSM = softcard.SOFTHSM_MODULE
PIN = "1234abcd"


@pytest.fixture(scope="session")
def cards(tmp_path_factory: Any, test_pki: Any) -> dict[str, str]:
    """Two cards made once per session: a full one (the authentication key first, then the signing
    key, as on a My Number card) and one with the authentication key only."""
    import uuid

    folder = tmp_path_factory.mktemp("softhsm")
    softcard.configure(folder)
    suffix = uuid.uuid4().hex[:8]
    contents = {
        f"JPKI-{suffix}": [test_pki.personas["authentication"], test_pki.personas["representative"]],
        f"AUTH-{suffix}": [test_pki.personas["authentication"]],
    }
    for label, personas in contents.items():
        softcard.create_token(folder, label, PIN, [p.key for p in personas])
    for label, personas in contents.items():
        softcard.add_certificates(label, PIN, [p.cert for p in personas])
    return {"full": f"JPKI-{suffix}", "auth_only": f"AUTH-{suffix}"}


def _sign(tmp_path: Path, pdf: bytes, pki: Any, *extra: str, pin: str = PIN) -> tuple[int, Path]:
    source = tmp_path / "delegation.pdf"
    source.write_bytes(pdf)
    root = tmp_path / "root.der"
    root.write_bytes(pki.root_der)
    os.environ["CARD_PIN"] = pin
    code = cardsign.main([str(source), "--module", SOFTHSM, "--pin-env", "CARD_PIN", "--trust", str(root), *extra])
    return code, tmp_path / "delegation-signed.pdf"


@pytest.mark.django_db
def test_the_helper_signs_through_pkcs11_with_the_signing_key_and_the_upload_is_accepted(
    tmp_path, subscriber, member, trusted_pki, capsys, cards
):
    delegation = make_finalised(subscriber, member)
    crl = tmp_path / "crl.der"
    crl.write_bytes(trusted_pki.crl())
    code, signed = _sign(tmp_path, bytes(delegation.pdf), trusted_pki, "--token", cards["full"], "--crl", str(crl))
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "署名を検証しました" in out.out and "代表\u3000太郎" in out.out
    submission = services.submit_signed_file(delegation, signed.read_bytes(), actor=member, role="principal")
    assert submission.signed_file.signer_name == "代表\u3000太郎"


@pytest.mark.django_db
def test_a_card_with_only_the_authentication_key_is_refused_clearly(
    tmp_path, subscriber, member, trusted_pki, capsys, cards
):
    delegation = make_finalised(subscriber, member)
    code, signed = _sign(tmp_path, bytes(delegation.pdf), trusted_pki, "--token", cards["auth_only"])
    assert code == 2 and not signed.exists()
    assert "利用者証明用電子証明書" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_wrong_password_is_refused_clearly(tmp_path, subscriber, member, trusted_pki, capsys, cards):
    delegation = make_finalised(subscriber, member)
    code, signed = _sign(tmp_path, bytes(delegation.pdf), trusted_pki, "--token", cards["full"], pin="wrong-pin")
    assert code == 2 and not signed.exists()
    assert "パスワードが違います" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_missing_token_is_reported_clearly(tmp_path, subscriber, member, trusted_pki, capsys, cards):
    delegation = make_finalised(subscriber, member)
    code, signed = _sign(tmp_path, bytes(delegation.pdf), trusted_pki, "--token", "NO-SUCH-CARD")
    assert code == 2 and not signed.exists()
    assert "カードが見つかりません" in capsys.readouterr().err
