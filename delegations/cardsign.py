"""Sign a downloaded delegation PDF or acceptance PDF with a My Number card (or any PKCS#11 token).

    python -m delegations.cardsign delegation-XXXX.pdf [--module /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so]

The card is reached through a PKCS#11 module: OpenSC's (its ``jpki`` driver reads the card's
署名用電子証明書) for a real card, SoftHSM2's in the demo and the tests. The helper picks the signing
key (the certificate with nonRepudiation), never the authentication key (利用者証明用); asks for the
signing password without echo; signs with pyHanko (PAdES); and checks the result with the service's
own verifier before the user uploads it. It prints what to upload next, and a clear message (exit
status 2) when the card, the key or the password is wrong. Standalone: no database, no settings.
"""

from __future__ import annotations

import argparse
import getpass
import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

# Where Debian and its derivatives put OpenSC's module (My Number cards through the jpki driver).
DEFAULT_MODULES = (
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/opensc-pkcs11.so",
    "/Library/OpenSC/lib/opensc-pkcs11.so",
)


class CardSignError(Exception):
    """What went wrong, said for the person at the card reader."""


@dataclass(frozen=True)
class SigningKey:
    key_id: bytes
    certificate: x509.Certificate


def _is_signing_certificate(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return bool(usage.content_commitment)


def _module_path(given: str | None) -> str:
    candidates = [given] if given else [os.environ.get("PKCS11_MODULE", ""), *DEFAULT_MODULES]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise CardSignError(
        "PKCS#11 モジュールが見つかりません。OpenSC をインストールし、--module でモジュールのパスを指定してください"
        "（例：/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so）。"
    )


def _token(lib: Any, label: str | None) -> Any:
    tokens = [slot.get_token() for slot in lib.get_slots(token_present=True)]
    if label:
        tokens = [token for token in tokens if token.label.strip() == label]
    if not tokens:
        raise CardSignError(
            "カードが見つかりません。IC カードリーダーにマイナンバーカードを置き、リーダーのドライバーが"
            "インストールされていることを確かめてください。" + (f"（トークン名「{label}」）" if label else "")
        )
    return tokens[0]


@contextmanager
def open_session(module: str | None, token_label: str | None, pin: str | None) -> Iterator[Any]:
    import pkcs11
    from pkcs11 import exceptions

    lib = pkcs11.lib(_module_path(module))
    token = _token(lib, token_label)
    password = (
        pin if pin is not None else getpass.getpass("署名用電子証明書のパスワード（6〜16文字、表示されません）：")
    )
    try:
        session = token.open(user_pin=password)
    except exceptions.PinIncorrect as exc:
        raise CardSignError(
            "署名用電子証明書のパスワードが違います。5回続けて間違えるとロックされ、市区町村の窓口での"
            "手続が必要になります。"
        ) from exc
    except exceptions.PinLocked as exc:
        raise CardSignError(
            "署名用電子証明書のパスワードがロックされています。市区町村の窓口で解除してください。"
        ) from exc
    except (exceptions.PinLenRange, exceptions.PinInvalid) as exc:
        raise CardSignError("署名用電子証明書のパスワードは 6〜16 文字の英数字です。") from exc
    try:
        yield session
    finally:
        session.close()


def find_signing_key(session: Any) -> SigningKey:
    """The certificate (and its key) for signatures: keyUsage nonRepudiation, as JPKI's 署名用電子証明書."""
    from pkcs11 import Attribute, ObjectClass

    seen = 0
    for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
        seen += 1
        cert = x509.load_der_x509_certificate(bytes(obj[Attribute.VALUE]))
        if _is_signing_certificate(cert):
            return SigningKey(key_id=bytes(obj[Attribute.ID]), certificate=cert)
    if seen:
        raise CardSignError(
            "このカードには署名用電子証明書が見つかりません。利用者証明用電子証明書（ログイン用）では"
            "電子委任状に署名できません。"
        )
    raise CardSignError("カードに電子証明書がありません。署名用電子証明書が有効か、市区町村の窓口でお確かめください。")


def sign_pdf(pdf: bytes, session: Any, key: SigningKey) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import enumerate_sig_fields
    from pyhanko.sign.pkcs11 import PKCS11Signer

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    taken = {name for name, _value, _ref in enumerate_sig_fields(writer)}
    field = next(f"Signature{n}" for n in range(1, 100) if f"Signature{n}" not in taken)
    signer = PKCS11Signer(session, cert_id=key.key_id, key_id=key.key_id)
    meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm="sha256")
    return bytes(signers.sign_pdf(writer, meta, signer=signer, bytes_reserved=16384).getvalue())


def check(signed: bytes, *, trust: list[bytes], crls: list[bytes]) -> tuple[bool, str]:
    """The service's own verifier on the signed file: (acceptable, what to tell the user)."""
    from delegations.signatures import VerificationPolicy, verify_pades
    from delegations.signatures.report import SubIndication
    from delegations.signatures.revocation import CRLSource

    policy = VerificationPolicy(trust_anchors=tuple(trust), revocation=CRLSource(crls) if crls else None)
    report = verify_pades(signed, policy)
    name = (report.signer or {}).get("name", "")
    if report.passed:
        return True, f"署名を検証しました（署名者：{name}）。"
    if not crls and report.sub_indication is SubIndication.TRY_LATER:
        return True, f"署名は正しく付いています（署名者：{name}）。失効の確認はアップロード後にサービスが行います。"
    if not trust and report.sub_indication in (SubIndication.NO_CERTIFICATE_CHAIN_FOUND, SubIndication.TRY_LATER):
        return True, f"署名は付いています（署名者：{name}）。証明書の確認はアップロード後にサービスが行います。"
    return False, f"署名の検証に失敗しました（{report.sub_indication}）。このファイルはアップロードしないでください。"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m delegations.cardsign",
        description="ダウンロードした電子委任状 PDF または受諾書 PDF に、マイナンバーカードの署名用電子証明書で署名します。",
    )
    parser.add_argument("pdf", type=Path, help="ダウンロードした PDF（delegation-….pdf または acceptance-….pdf）")
    parser.add_argument("-o", "--output", type=Path, help="署名した PDF の保存先（既定：…-signed.pdf）")
    parser.add_argument("--module", help="PKCS#11 モジュール（既定：OpenSC の opensc-pkcs11.so）")
    parser.add_argument("--token", help="トークン名（複数のカード・トークンがあるとき）")
    parser.add_argument("--trust", type=Path, action="append", default=[], help="信頼する認証局の証明書（DER）")
    parser.add_argument("--crl", type=Path, action="append", default=[], help="失効リスト（DER）")
    parser.add_argument(
        "--pin-env", help="パスワードを読む環境変数の名前（自動化・試験用。通常は省略して入力してください）"
    )
    args = parser.parse_args(argv)
    output = args.output or args.pdf.with_name(f"{args.pdf.stem}-signed.pdf")
    try:
        pdf = args.pdf.read_bytes()
    except OSError as exc:
        print(f"PDF を読めません：{args.pdf}（{exc.strerror}）", file=sys.stderr)
        return 2
    pin = os.environ.get(args.pin_env) if args.pin_env else None
    try:
        with open_session(args.module, args.token, pin) as session:
            key = find_signing_key(session)
            signed = sign_pdf(pdf, session, key)
        ok, message = check(signed, trust=[p.read_bytes() for p in args.trust], crls=[p.read_bytes() for p in args.crl])
    except CardSignError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not ok:
        print(message, file=sys.stderr)
        return 1
    output.write_bytes(signed)
    print(message)
    print(f"署名した PDF：{output}")
    print("電子委任状のページで、このファイルをアップロードしてください。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
