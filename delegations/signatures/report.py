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
    POLICY_PROCESSING_ERROR = "POLICY_PROCESSING_ERROR"
    SIGNATURE_POLICY_NOT_AVAILABLE = "SIGNATURE_POLICY_NOT_AVAILABLE"
    TIMESTAMP_ORDER_FAILURE = "TIMESTAMP_ORDER_FAILURE"
    NO_POE = "NO_POE"
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
    SubIndication.POLICY_PROCESSING_ERROR: Indication.INDETERMINATE,
    SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE: Indication.INDETERMINATE,
    SubIndication.TIMESTAMP_ORDER_FAILURE: Indication.INDETERMINATE,
    SubIndication.NO_POE: Indication.INDETERMINATE,
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
        "署名または証明書に、当サービスが認めていない暗号方式（SHA-1、短い RSA 鍵、RSA 以外の鍵など）が使われています。"
    ),
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND: _("署名に使われた電子証明書がファイルに含まれていません。"),
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: _(
        "署名に使われた電子証明書は、当サービスが信頼する地方公共団体情報システム機構（J-LIS）の認証局から発行されたものではありません。"
    ),
    SubIndication.SIGNED_DATA_NOT_FOUND: _("ファイルに署名が見つかりません。署名してからアップロードしてください。"),
    SubIndication.TRY_LATER: _("電子証明書の失効情報を確認できませんでした。時間をおいてもう一度お試しください。"),
    SubIndication.POLICY_PROCESSING_ERROR: _("署名に指定された署名ポリシーを処理できませんでした。"),
    SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE: _("署名に指定された署名ポリシーを入手できませんでした。"),
    SubIndication.TIMESTAMP_ORDER_FAILURE: _("署名に付けられたタイムスタンプの時刻の順序が正しくありません。"),
    SubIndication.NO_POE: _("署名がその時刻に存在したことを示す証拠（タイムスタンプなど）がありません。"),
    SubIndication.GENERIC: _("署名を検証できませんでした。時間をおいてもう一度お試しください。"),
}

INDICATION_LABELS: dict[Indication, Any] = {
    Indication.TOTAL_PASSED: _("有効"),
    Indication.TOTAL_FAILED: _("無効"),
    Indication.INDETERMINATE: _("判定できません"),
}


# Short names for the "reason" row; the code stays beside them for experts.
SUB_INDICATION_LABELS: dict[SubIndication, Any] = {
    SubIndication.FORMAT_FAILURE: _("形式の不備"),
    SubIndication.HASH_FAILURE: _("署名後の変更"),
    SubIndication.SIG_CRYPTO_FAILURE: _("署名値の不一致"),
    SubIndication.REVOKED: _("証明書の失効"),
    SubIndication.EXPIRED: _("証明書の有効期限切れ"),
    SubIndication.NOT_YET_VALID: _("証明書の有効期間前"),
    SubIndication.SIG_CONSTRAINTS_FAILURE: _("署名用電子証明書ではない"),
    SubIndication.CHAIN_CONSTRAINTS_FAILURE: _("証明書チェーンの要件違反"),
    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE: _("証明書チェーンの検証失敗"),
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE: _("認められない暗号方式"),
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND: _("署名者の証明書が見つからない"),
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: _("信頼する認証局につながらない"),
    SubIndication.SIGNED_DATA_NOT_FOUND: _("署名が見つからない"),
    SubIndication.TRY_LATER: _("失効情報を確認できない"),
    SubIndication.POLICY_PROCESSING_ERROR: _("署名ポリシーの処理失敗"),
    SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE: _("署名ポリシーを入手できない"),
    SubIndication.TIMESTAMP_ORDER_FAILURE: _("タイムスタンプの順序の誤り"),
    SubIndication.NO_POE: _("存在証明がない"),
    SubIndication.GENERIC: _("検証できない"),
}

# When the failing part is a document timestamp rather than the signature itself.
TIMESTAMP_MESSAGES: dict[SubIndication, Any] = {
    SubIndication.HASH_FAILURE: _("タイムスタンプの後でファイルの内容が変更されています。"),
    SubIndication.SIG_CRYPTO_FAILURE: _(
        "タイムスタンプの署名値が正しくありません。ファイルが壊れているか、改ざんされています。"
    ),
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: _(
        "ファイルに付けられたタイムスタンプは、当サービスが信頼する時刻認証局が発行したものではありません。"
    ),
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE: _("タイムスタンプに、当サービスが認めていない暗号方式が使われています。"),
    SubIndication.REVOKED: _(
        "タイムスタンプを発行した時刻認証局の証明書は、タイムスタンプが示す時刻より前に失効しています。このタイムスタンプは信頼できません。"
    ),
    SubIndication.TRY_LATER: _(
        "タイムスタンプを発行した時刻認証局の証明書の失効情報を確認できませんでした。時間をおいてもう一度お試しください。"
    ),
    SubIndication.FORMAT_FAILURE: _("ファイルに付けられたタイムスタンプの形式が正しくありません。"),
}
# A truer sentence for some timestamp details (the key is the word after "timestamp:").
TIMESTAMP_DETAIL_MESSAGES: dict[str, Any] = {
    "imprint_does_not_match_the_signature_value": _(
        "署名に付けられたタイムスタンプが、この署名の値に対するものではありません。タイムスタンプが差し替えられたか、壊れています。"
    ),
}
TIMESTAMP_KIND_LABELS: dict[str, Any] = {
    "document": _("文書タイムスタンプ"),
    "signature": _("署名タイムスタンプ"),
}
TIMESTAMP_FALLBACK_MESSAGE = _("ファイルに付けられたタイムスタンプを検証できませんでした。")

# A truer sentence than the sub-indication's for some details (the key is the detail up to ":").
DETAIL_MESSAGES: dict[str, Any] = {
    "empty_file": _("ファイルが空です。署名したファイルをアップロードしてください。"),
    "unrecognised_format": _(
        "PDF、XML、CMS 署名のいずれの形式でもありません。署名したファイルをそのままアップロードしてください。"
    ),
    "enveloping_signature": _(
        "XML 署名が文書全体を包む形式（enveloping）になっています。当サービスは、電子委任状の XML の中に署名を入れる形式（enveloped）の署名だけを受け付けます。"
    ),
    "detached_signature": _(
        "XML 署名がファイルの外にあるデータを参照しています（detached）。電子委任状の XML の中に署名を入れる形式（enveloped）で署名してください。"
    ),
    "reference_to_the_root_element_id": _(
        'XML 署名が文書全体ではなく ID で要素を参照しています。文書全体（URI=""）を対象とする署名だけを受け付けます。'
    ),
    "more_than_one_signature": _("ファイルに複数の署名があります。署名は一つだけにしてください。"),
    "data_after_the_signed_revision": _(
        "署名された PDF の末尾に、PDF の一部ではないデータが付け加えられています。署名したときのファイルをアップロードしてください。"
    ),
    "data_after_the_last_revision": _(
        "PDF の末尾に、PDF の一部ではないデータが付け加えられています。署名したときのファイルをアップロードしてください。"
    ),
    "content_changed_after_signing": _(
        "署名の後で PDF の内容が変更されています（追加の更新）。署名したときのファイルをアップロードしてください。"
    ),
    "annotations_added_after_signing": _(
        "署名の後で PDF に注釈が追加されています。署名したときのファイルをアップロードしてください。"
    ),
    "form_fields_filled_after_signing": _(
        "署名の後で PDF のフォームに入力されています。署名したときのファイルをアップロードしてください。"
    ),
    "signer_key_type_not_accepted": _(
        "署名に使われた鍵の種類（RSA 以外）は受け付けていません。マイナンバーカードの署名用電子証明書（RSA 2048 ビット）で署名してください。"
    ),
    "signing_certificate_reference_does_not_match_the_keyinfo_certificate": _(
        "署名が指定する署名者の証明書と、ファイルに含まれる証明書が一致しません。ファイルが改ざんされています。"
    ),
}

WARNING_LABELS: dict[str, Any] = {
    "no_embedded_xml": _("PDF に電子委任状の XML が添付されていません"),
    "address_longer_than_200": _("証明書の住所が 200 文字を超えています"),
    "name_substitute_flags_length": _("氏名の代替文字情報の長さが氏名と一致しません"),
    "address_substitute_flags_length": _("住所の代替文字情報の長さが住所と一致しません"),
    "unreadable_signing_time": _("署名者が申告した署名日時を読み取れません"),
}

REVOCATION_SOURCE_LABELS: dict[str, Any] = {
    "crl": _("CRL（失効リスト）"),
    "ocsp": _("OCSP"),
    "provider": _("プラットフォーム事業者の失効確認サービス"),
    "none": _("失効情報源なし"),
}
REVOCATION_STATUS_LABELS: dict[str, Any] = {
    "good": _("失効していません"),
    "revoked": _("失効しています"),
    "unknown": _("失効情報源が証明書を知りません"),
    "try_later": _("確認できません"),
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
    # Failures found beside the one that decides (sub_indication): {"sub_indication", "detail"} each,
    # so a report lists every failed check, e.g. a refused reference and an untrusted root.
    other_failures: list[dict[str, str]] = field(default_factory=list)
    # Document timestamps (PAdES /DocTimeStamp) after the signature, each verified against the TSA
    # trust list: {"time", "authority", "authority_sha256", "serial", "policy", "revision"}.
    timestamps: list[dict[str, Any]] = field(default_factory=list)
    failed_part: str = "signature"  # "signature" or "timestamp": what the sub-indication is about
    # False on pages for subscribers: the technical detail is left out of rows() and to_dict().
    expert: bool = field(default=True, repr=False, compare=False)
    # The signed content itself (bytes; not part of to_dict: store the file instead).
    signed_content: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.indication == Indication.TOTAL_PASSED

    @property
    def message(self) -> Any:
        if self.sub_indication is None:
            return PASSED_MESSAGE if self.passed else MESSAGES[SubIndication.GENERIC]
        if self.failed_part == "timestamp":
            words = self.detail.removeprefix("timestamp:").split() if self.detail.startswith("timestamp:") else []
            if words and words[0] in TIMESTAMP_DETAIL_MESSAGES:
                return TIMESTAMP_DETAIL_MESSAGES[words[0]]
            return TIMESTAMP_MESSAGES.get(self.sub_indication, TIMESTAMP_FALLBACK_MESSAGE)
        return DETAIL_MESSAGES.get(self.detail.split(":", 1)[0].strip(), MESSAGES[self.sub_indication])

    @property
    def indication_label(self) -> Any:
        return INDICATION_LABELS[self.indication]

    def rows(self) -> list[tuple[Any, str]]:
        """(label, value) pairs for a readable rendering in the current language (command output,
        report pages). Codes appear only in parentheses beside their translated label."""
        rows: list[tuple[Any, str]] = [
            (
                _("判定"),
                str(_("%(label)s（%(code)s）") % {"label": self.indication_label, "code": self.indication.value}),
            ),
            (_("理由"), _sub_text(self.sub_indication)),
            (_("説明"), str(self.message)),
            (_("形式"), str(CONTAINER_LABELS.get(self.container, CONTAINER_LABELS["unknown"]))),
            (_("検証日時"), _when(self.validation_time)),
            (_("署名日時（署名者の申告）"), _when(self.signing_time)),
            *_signer_rows(self.signer or {}),
        ]
        for i, cert in enumerate(self.chain):
            digest = {"subject": cert.subject, "digest": cert.sha256}
            rows.append(
                (_("証明書チェーン %(n)s") % {"n": i + 1}, str(_("%(subject)s（SHA-256 %(digest)s）") % digest))
            )
        if self.revocation:
            rows.append((_("失効確認"), _revocation_text(self.revocation)))
        for i, stamp in enumerate(self.timestamps):
            rows.append((_("タイムスタンプ %(n)s") % {"n": i + 1}, _timestamp_text(stamp)))
        rows.append((_("ファイルの SHA-256"), self.file_sha256 or "—"))
        rows.append((_("署名対象 XML の SHA-256"), self.signed_content_sha256 or "—"))
        for other in self.other_failures:
            sub = other.get("sub_indication")
            detail = other.get("detail") if self.expert else None
            rows.append((_("ほかに見つかった問題"), _sub_text(SubIndication(sub) if sub else None, detail)))
        if self.detail and self.expert:
            rows.append((_("技術的な詳細（運用者向け）"), self.detail))
        if self.warnings:
            rows.append((_("注意"), str(_("、")).join(str(WARNING_LABELS.get(w, w)) for w in self.warnings)))
        return rows

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("signed_content")
        data.pop("expert")
        if not self.expert:
            data["detail"] = ""
            data["other_failures"] = [{**f, "detail": ""} for f in self.other_failures]
        data["indication"] = self.indication.value
        data["sub_indication"] = self.sub_indication.value if self.sub_indication else None
        data["validation_time"] = self.validation_time.isoformat()
        data["signing_time"] = self.signing_time.isoformat() if self.signing_time else None
        data["message"] = str(self.message)
        data["version"] = 2
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
            other_failures=list(data.get("other_failures", [])),
            timestamps=list(data.get("timestamps", [])),
            failed_part=data.get("failed_part", "signature"),
        )


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _when(value: datetime | None) -> str:
    """A moment in the current time zone (Japan) and language, never a raw UTC ISO string."""
    if value is None:
        return "—"
    from django.template.defaultfilters import date, time
    from django.utils import timezone

    local = timezone.localtime(value)  # as the pages' {{ value|moment:"seconds" }} writes it
    return f"{date(local, 'DATE_FORMAT')} {time(local, 'H:i:s')}"


def _signer_rows(signer: dict[str, Any]) -> list[tuple[Any, str]]:
    """The signer's basic four items and certificate, as the report shows them."""
    birth = (signer.get("birth_date") or {}) if signer else {}
    gender = {"male": _("男"), "female": _("女"), "unknown": _("不明")}.get(signer.get("gender") or "", "")
    return [
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
        (
            _("証明書の有効期間"),
            str(
                _("%(start)s 〜 %(end)s")
                % {"start": _when(_parse(signer.get("not_before"))), "end": _when(_parse(signer.get("not_after")))}
            )
            if signer
            else "—",
        ),
    ]


def _timestamp_text(stamp: dict[str, Any]) -> str:
    """A timestamp: its kind, time, authority and the authority's revocation status."""
    # Reports stored before signature timestamps were listed hold document timestamps only.
    kind = TIMESTAMP_KIND_LABELS.get(stamp.get("kind") or "document", TIMESTAMP_KIND_LABELS["document"])
    text = str(
        _("%(time)s　時刻認証局：%(authority)s（SHA-256 %(sha256)s）")
        % {
            "time": _when(_parse(stamp.get("time"))),
            "authority": stamp.get("authority") or "—",
            "sha256": stamp.get("authority_sha256") or "—",
        }
    )
    revocation = stamp.get("revocation") or {}
    if revocation.get("status"):
        status = REVOCATION_STATUS_LABELS.get(revocation["status"], revocation["status"])
        if revocation["status"] == "revoked" and revocation.get("revoked_at"):
            status = _("%(status)s（%(when)s）") % {
                "status": status,
                "when": _when(_parse(revocation["revoked_at"])),
            }
        text += str(_("　")) + str(_("証明書の失効確認：%(status)s") % {"status": status})
    return f"{kind}{_('　')}{text}"


def _sub_text(sub: SubIndication | None, detail: str | None = None) -> str:
    if sub is None:
        return "—"
    text = str(_("%(label)s（%(code)s）") % {"label": SUB_INDICATION_LABELS[sub], "code": sub.value})
    return str(_("%(text)s：%(detail)s") % {"text": text, "detail": detail}) if detail else text


def _revocation_text(revocation: dict[str, Any]) -> str:
    evidence = revocation.get("evidence") or {}
    source = revocation.get("source") or "none"
    status = revocation.get("status") or ""
    text = f"{REVOCATION_SOURCE_LABELS.get(source, source)}: {REVOCATION_STATUS_LABELS.get(status, status)}"
    if evidence.get("crl_number") is not None:
        text += str(_("（CRL 番号 %(number)s）") % {"number": evidence["crl_number"]})
    if revocation.get("next_update"):
        text += str(_("（次回更新 %(when)s）") % {"when": _when(_parse(revocation["next_update"]))})
    return text


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

    def __init__(self, sub: SubIndication, detail: str, *, part: str = "signature") -> None:
        super().__init__(detail)
        self.sub = sub
        self.detail = detail
        self.part = part


__all__ = [
    "DETAIL_MESSAGES",
    "INDICATION_LABELS",
    "MAIN_INDICATION",
    "MESSAGES",
    "SUB_INDICATION_LABELS",
    "CertificateInfo",
    "Indication",
    "SignatureReport",
    "SubIndication",
    "VerificationFailure",
]
