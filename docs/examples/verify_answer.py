#!/usr/bin/env python3
"""Verify a signed validity answer offline (MynaTrust e-LOA).

    python3 verify_answer.py answer.jws jwks.json

``answer.jws`` is the compact JWS the API returned for ``Accept: application/jose`` (or the record
downloaded from the recipient form); ``jwks.json`` is a copy of the service's
``/.well-known/jwks.json`` kept from the time of the answer. Needs only ``cryptography``
(pip install cryptography); no JOSE library, so it also shows what a verifier must check.

Prints the answer and exits 0 when the signature is valid, 1 otherwise.
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


class VerificationError(Exception):
    pass


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise VerificationError("only P-256 keys (ES256) are used for answers")
    x = int.from_bytes(b64url_decode(jwk["x"]), "big")
    y = int.from_bytes(b64url_decode(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The answer carried by ``token`` if its ES256 signature verifies under the key named by its
    ``kid`` in ``jwks``; otherwise :class:`VerificationError`."""
    try:
        header_b64, payload_b64, signature_b64 = token.strip().split(".")
        header = json.loads(b64url_decode(header_b64))
    except ValueError as exc:
        raise VerificationError("not a compact JWS") from exc
    if header.get("alg") != "ES256":  # never let the token choose a weaker algorithm
        raise VerificationError(f"unexpected alg {header.get('alg')!r}")
    keys = [k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")]
    if len(keys) != 1:
        raise VerificationError(f"no published key with kid {header.get('kid')!r}")
    signature = b64url_decode(signature_b64)
    if len(signature) != 64:
        raise VerificationError("an ES256 signature is 64 bytes (r || s)")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key(keys[0]).verify(der, f"{header_b64}.{payload_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise VerificationError("the signature does not verify") from exc
    return json.loads(b64url_decode(payload_b64))


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    with open(argv[1], encoding="ascii") as token_file, open(argv[2], encoding="utf-8") as jwks_file:
        token, jwks = token_file.read(), json.load(jwks_file)
    try:
        answer = verify(token, jwks)
    except VerificationError as exc:
        print(f"NOT VERIFIED: {exc}")
        return 1
    print("VERIFIED: signed by the service key", json.loads(b64url_decode(token.split(".")[0]))["kid"])
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
