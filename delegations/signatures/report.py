"""The verification report, in the vocabulary of ETSI EN 319 102-1.

One report shape for every container. ``to_dict`` is JSON-serialisable for storage; ``message`` is
the one translated, user-safe sentence for the sub-indication (technical detail stays in ``detail``
for operators and never reaches a subscriber's screen).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _


class Indication(StrEnum):
    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(StrEnum):
    # TOTAL_FAILED
    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    # INDETERMINATE
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    TRY_LATER = "TRY_LATER"
    GENERIC = "GENERIC"


# The main indication each sub-indication belongs to. Deviation from EN 319 102-1, on purpose:
# the service verifies at submission time and keeps no proof of existence, so an expired or revoked
# signer certificate is a final failure here rather than an INDETERMINATE "..._NO_POE".
MAIN_INDICATION: dict[SubIndication, Indication] = {
    SubIndication.FORMAT_FAILURE: Indication.TOTAL_FAILED,
    SubIndication.HASH_FAILURE: Indication.TOTAL_FAILED,
    SubIndication.SIG_CRYPTO_FAILURE: Indication.TOTAL_FAILED,
    SubIndication.REVOKED: Indication.TOTAL_FAILED,
    SubIndication.EXPIRED: Indication.TOTAL_FAILED,
    SubIndication.NOT_YET_VALID: Indication.TOTAL_FAILED,
    SubIndication.SIG_CONSTRAINTS_FAILURE: Indication.INDETERMINATE,
    SubIndication.CHAIN_CONSTRAINTS_FAILURE: Indication.INDETERMINATE,
    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE: Indication.INDETERMINATE,
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE: Indication.INDETERMINATE,
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND: Indication.INDETERMINATE,
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: Indication.INDETERMINATE,
    SubIndication.SIGNED_DATA_NOT_FOUND: Indication.INDETERMINATE,
    SubIndication.TRY_LATER: Indication.INDETERMINATE,
    SubIndication.GENERIC: Indication.INDETERMINATE,
}

PASSED_MESSAGE = _("署名は有効です。マイナンバーカードの署名用電子証明書で署名され、署名後に内容は変更されていません。")

MESSAGES: dict[SubIndication, Any] = {
    SubIndication.FORMAT_FAILURE: _(
        "ファイルの形式が正しくないか、署名の構成が受け付けられないものです。署名したファイルをそのままアップロードしてください。"
    ),
    SubIndication.HASH_FAILURE: _(
        "署名の後でファイルの内容が変更されています。署名したときのファイルをアップロードしてください。"
    ),
    SubIndication.SIG_CRYPTO_FAILURE: _("署名の値が証明書と一致しません。ファイルが壊れているか、改ざんされています。"),
    SubIndication.REVOKED: _(
        "署名に使われた電子証明書は失効しています。住所の変更などで失効した場合は、新しい証明書で署名し直してください。"
    ),
    SubIndication.EXPIRED: _("署名に使われた電子証明書の有効期限が切れています。有効な証明書で署名し直してください。"),
    SubIndication.NOT_YET_VALID: _("署名に使われた電子証明書はまだ有効期間が始まっていません。"),
    SubIndication.SIG_CONSTRAINTS_FAILURE: _(
        "マイナンバーカードの署名用電子証明書による署名ではありません（利用者証明用電子証明書などは使えません）。"
    ),
    SubIndication.CHAIN_CONSTRAINTS_FAILURE: _(
        "署名に使われた電子証明書が、署名用電子証明書の要件を満たしていません。"
    ),
    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE: _("署名に使われた電子証明書を確認できませんでした。"),
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE: _(
        "署名または証明書に、安全とは認められない古い暗号方式（SHA-1、短い鍵など）が使われています。"
    ),
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND: _("署名に使われた電子証明書がファイルに含まれていません。"),
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: _(
        "署名に使われた電子証明書は、当サービスが信頼する地方公共団体情報システム機構（J-LIS）の認証局から発行されたものではありません。"
    ),
    SubIndication.SIGNED_DATA_NOT_FOUND: _("ファイルに署名が見つかりません。署名してからアップロードしてください。"),
    SubIndication.TRY_LATER: _("電子証明書の失効情報を確認できませんでした。時間をおいてもう一度お試しください。"),
    SubIndication.GENERIC: _("署名を検証できませんでした。時間をおいてもう一度お試しください。"),
}

INDICATION_LABELS: dict[Indication, Any] = {
    Indication.TOTAL_PASSED: _("有効"),
    Indication.TOTAL_FAILED: _("無効"),
    Indication.INDETERMINATE: _("判定できません"),
}


CONTAINER_LABELS: dict[str, Any] = {
    "pades": _("PDF 署名（PAdES）"),
    "xmldsig": _("XML 署名（XMLDSig）"),
    "xades": _("XML 署名（XAdES）"),
    "cms": _("分離型 CMS 署名"),
    "unknown": _("不明"),
}


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    serial: str  # upper-case hex
    sha256: str
    not_before: str
    not_after: str
    der_b64: str

    @classmethod
    def from_der(cls, der: bytes) -> CertificateInfo:
        from cryptography import x509

        from delegations.signatures.profile import fingerprint

        cert = x509.load_der_x509_certificate(der)
        return cls(
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            serial=format(cert.serial_number, "X"),
            sha256=fingerprint(cert),
            not_before=cert.not_valid_before_utc.isoformat(),
            not_after=cert.not_valid_after_utc.isoformat(),
            der_b64=base64.b64encode(der).decode(),
        )

    @property
    def der(self) -> bytes:
        return base64.b64decode(self.der_b64)


@dataclass
class SignatureReport:
    indication: Indication
    sub_indication: SubIndication | None
    container: str  # pades | xmldsig | xades | cms | unknown
    validation_time: datetime
    detail: str = ""  # technical reason, for operators only
    signing_time: datetime | None = None  # claimed by the signer (signingTime / SigningTime), not proven
    signer: dict[str, Any] | None = None  # JPKICertificate.to_dict(): basic-4, serial, fingerprint…
    chain: list[CertificateInfo] = field(default_factory=list)  # signer first, trust anchor last
    revocation: dict[str, Any] | None = None  # RevocationResult.to_dict(): source, status, evidence
    file_sha256: str = ""
    signed_content_sha256: str | None = None  # the signed XML (PAdES: the embedded file of the signed revision)
    signature_count: int = 0
    warnings: list[str] = field(default_factory=list)
    # The signed content itself (bytes; not part of to_dict: store the file instead).
    signed_content: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.indication == Indication.TOTAL_PASSED

    @property
    def message(self) -> Any:
        if self.sub_indication is None:
            return PASSED_MESSAGE if self.passed else MESSAGES[SubIndication.GENERIC]
        return MESSAGES[self.sub_indication]

    @property
    def indication_label(self) -> Any:
        return INDICATION_LABELS[self.indication]

    def rows(self) -> list[tuple[Any, str]]:
        """(label, value) pairs for a readable Japanese rendering (command output, report page)."""
        signer = self.signer or {}
        birth = (signer.get("birth_date") or {}) if signer else {}
        gender = {"male": _("男"), "female": _("女"), "unknown": _("不明")}.get(signer.get("gender") or "", "")
        revocation = self.revocation or {}
        evidence = revocation.get("evidence") or {}
        rows: list[tuple[Any, str]] = [
            (_("判定"), f"{self.indication_label}（{self.indication.value}）"),
            (_("理由"), self.sub_indication.value if self.sub_indication else "—"),
            (_("説明"), str(self.message)),
            (_("形式"), CONTAINER_LABELS.get(self.container, self.container)),
            (_("検証日時"), self.validation_time.isoformat()),
            (_("署名日時（署名者の申告）"), self.signing_time.isoformat() if self.signing_time else "—"),
            (_("署名者の氏名"), signer.get("name") or "—"),
            (_("氏名の代替文字の位置"), ", ".join(str(i + 1) for i in signer.get("name_substitutes") or []) or "—"),
            (_("署名者の住所"), signer.get("address") or "—"),
            (
                _("住所の代替文字の位置"),
                ", ".join(str(i + 1) for i in signer.get("address_substitutes") or []) or "—",
            ),
            (_("生年月日"), _birth_text(birth)),
            (_("性別"), str(gender) or "—"),
            (_("証明書のシリアル番号"), signer.get("serial") or "—"),
            (_("証明書の有効期間"), f"{signer.get('not_before', '—')} 〜 {signer.get('not_after', '—')}"),
        ]
        for i, cert in enumerate(self.chain):
            rows.append((_("証明書チェーン %(n)s") % {"n": i + 1}, f"{cert.subject}（SHA-256 {cert.sha256}）"))
        if revocation:
            rows.append(
                (
                    _("失効確認"),
                    f"{revocation.get('source')}: {revocation.get('status')}"
                    + (f"（CRL 番号 {evidence['crl_number']}）" if evidence.get("crl_number") is not None else "")
                    + (f"（次回更新 {revocation['next_update']}）" if revocation.get("next_update") else ""),
                )
            )
        rows.append((_("ファイルの SHA-256"), self.file_sha256 or "—"))
        rows.append((_("署名対象 XML の SHA-256"), self.signed_content_sha256 or "—"))
        if self.detail:
            rows.append((_("技術的な詳細（運用者向け）"), self.detail))
        if self.warnings:
            rows.append((_("注意"), ", ".join(self.warnings)))
        return rows

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("signed_content")
        data["indication"] = self.indication.value
        data["sub_indication"] = self.sub_indication.value if self.sub_indication else None
        data["validation_time"] = self.validation_time.isoformat()
        data["signing_time"] = self.signing_time.isoformat() if self.signing_time else None
        data["message"] = str(self.message)
        data["version"] = 1
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignatureReport:
        sub = data.get("sub_indication")
        return cls(
            indication=Indication(data["indication"]),
            sub_indication=SubIndication(sub) if sub else None,
            container=data.get("container", "unknown"),
            validation_time=datetime.fromisoformat(data["validation_time"]),
            detail=data.get("detail", ""),
            signing_time=datetime.fromisoformat(data["signing_time"]) if data.get("signing_time") else None,
            signer=data.get("signer"),
            chain=[CertificateInfo(**c) for c in data.get("chain", [])],
            revocation=data.get("revocation"),
            file_sha256=data.get("file_sha256", ""),
            signed_content_sha256=data.get("signed_content_sha256"),
            signature_count=data.get("signature_count", 0),
            warnings=list(data.get("warnings", [])),
        )


def _birth_text(birth: dict[str, Any]) -> str:
    if not birth:
        return "—"
    if birth.get("date"):
        return str(birth["date"])
    # Partial dates are legal in JPKI (unknown month or day): show what is known.
    parts = [f"{birth['year']}年" if birth.get("year") else "", f"{birth['month']}月" if birth.get("month") else ""]
    return "".join(parts) + str(_("（一部不明）"))


class VerificationFailure(Exception):
    """Raised inside the module to stop at the first failure; never leaves it."""

    def __init__(self, sub: SubIndication, detail: str) -> None:
        super().__init__(detail)
        self.sub = sub
        self.detail = detail


__all__ = [
    "INDICATION_LABELS",
    "MAIN_INDICATION",
    "MESSAGES",
    "CertificateInfo",
    "Indication",
    "SignatureReport",
    "SubIndication",
    "VerificationFailure",
]
