"""Test cards in SoftHSM2: a PKCS#11 token holding test-PKI keys and certificates as a My Number
card holds its own (key and certificate under the same ID). The demo's ``demo_card`` command and
the tests of the signing helper (``delegations.cardsign``) use it; never production.

SoftHSM2 reads its configuration once per process, when its module is loaded: create every token
(:func:`create_token`) before the first :func:`add_certificates` of the process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SO_PIN = "12345678"


def configure(folder: Path) -> Path:
    """A SoftHSM2 configuration keeping its tokens under ``folder`` (SOFTHSM2_CONF points to it)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokens").mkdir(exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    return conf


def _util() -> str:
    util = shutil.which("softhsm2-util")
    if util is None:
        raise RuntimeError("softhsm2-util is not installed (Debian package softhsm2)")
    return util


def create_token(folder: Path, label: str, pin: str, keys: list[Any]) -> None:
    """A token ``label`` with each private key under the IDs 1, 2, … (the certificates come later)."""
    subprocess.run(  # noqa: S603
        [_util(), "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
    )
    for number, key in enumerate(keys, start=1):
        key_file = folder / f"{label}-{number}.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        try:
            subprocess.run(  # noqa: S603
                [
                    _util(),
                    "--import",
                    str(key_file),
                    "--token",
                    label,
                    "--label",
                    f"card-{number}",
                    "--id",
                    f"{number:02x}",
                    "--pin",
                    pin,
                ],
                check=True,
                capture_output=True,
            )
        finally:
            key_file.unlink()


def add_certificates(label: str, pin: str, certificates: list[Any]) -> None:
    """Each certificate (cryptography ``x509.Certificate``) under the ID of its key."""
    import pkcs11
    from cryptography.hazmat.primitives.serialization import Encoding
    from pkcs11 import Attribute, CertificateType, ObjectClass

    token = pkcs11.lib(SOFTHSM_MODULE).get_token(token_label=label)
    with token.open(rw=True, user_pin=pin) as session:
        for number, cert in enumerate(certificates, start=1):
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.VALUE: cert.public_bytes(Encoding.DER),
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.ID: bytes([number]),
                    Attribute.LABEL: f"card-{number}",
                    Attribute.TOKEN: True,
                }
            )
