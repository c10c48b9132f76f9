"""Forms of the subscriber pages and of reception's review. They validate and normalise; the
services decide."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mynatrust.forms import CanonicalEmailField, PlainTextMixin
from registry import corporate_number as cn
from registry.matching import HYPHENS
from registry.models import DataRequest, StagedEvidence, Subscriber, SubscriberFacts
from registry.pdf_check import PdfCheckError, check_pdf
from registry.services import (
    CORPORATE_NUMBER_REQUIRED,
    NTA_ROW_LABELS,
    NTA_ROWS,
    VERDICT_LABELS,
    EvidenceInput,
    NtaRow,
    held_pdf,
    nta_rows,
    terms_version_in_force,
)

CORPORATE_NUMBER_ERRORS = {
    "empty": CORPORATE_NUMBER_REQUIRED,
    "format": _("法人番号は数字13桁で入力してください（英字や記号は使えません）。"),
    "length": _("法人番号は13桁です。12桁の会社法人等番号ではなく、国税庁が指定した13桁の法人番号を入力してください。"),
    "checksum": _("法人番号の検査用数字（先頭の1桁）が合いません。入力に誤りがないか確かめてください。"),
}

PDF_ERRORS = {
    "empty": _("ファイルが空です。"),
    "too_large": _("ファイルが大きすぎます（上限 %(limit)s MB）。"),
    "not_pdf": _("PDFファイルではありません。登記事項証明書をPDFで提出してください。"),
    "broken": _("PDFファイルとして読み取れません。ファイルが壊れていないか確かめてください。"),
    "encrypted": _("パスワード付き（暗号化された）PDFは受け付けられません。暗号化を解除して提出してください。"),
    "active_content": _(
        "スクリプト、外部プログラムの起動、添付ファイルなどを含むPDFは受け付けられません。"
        "交付されたままの登記事項証明書を提出してください。"
    ),
}

_PHONE_SEPARATORS = re.compile(f"[\\s()（）{re.escape(HYPHENS)}]")


def _nfkc(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class FactsForm(PlainTextMixin, forms.Form):
    """The declared basic information (§3.1.1)."""

    field_marks = True

    organisation_name = forms.CharField(
        label=_("商号（法人名）または屋号"), max_length=200, help_text=_("登記事項証明書のとおりに入力してください。")
    )
    address = forms.CharField(
        label=_("本店または主たる事業所の所在地"),
        max_length=300,
        help_text=_("都道府県から入力してください。例：東京都千代田区霞が関一丁目2番3号"),
    )
    representative_title = forms.CharField(label=_("代表者の役職"), max_length=100, required=False)
    representative_name = forms.CharField(
        label=_("代表者の氏名"),
        max_length=100,
        help_text=_("マイナンバーカードに記載の氏名と同じ表記で入力してください。"),
    )
    representative_address = forms.CharField(
        label=_("代表者の住所"), max_length=300, help_text=_("都道府県から、住民票のとおりに入力してください。")
    )
    representative_phone = forms.CharField(label=_("代表者の電話番号"), max_length=30)
    representative_birth_date = forms.DateField(
        label=_("代表者の生年月日"),
        required=False,
        widget=DateInput(),
        help_text=_("個人事業主の場合は必須です。"),
    )

    def clean_organisation_name(self) -> str:
        return _nfkc(self.cleaned_data["organisation_name"])

    def clean_representative_title(self) -> str:
        return _nfkc(self.cleaned_data["representative_title"])

    def clean_address(self) -> str:
        return self.cleaned_data["address"].strip()

    def clean_representative_name(self) -> str:
        return " ".join(self.cleaned_data["representative_name"].replace("\u3000", " ").split())

    def clean_representative_address(self) -> str:
        return self.cleaned_data["representative_address"].strip()

    def clean_representative_phone(self) -> str:
        phone = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", self.cleaned_data["representative_phone"]))
        if not re.fullmatch(r"0[0-9]{9,10}", phone):
            raise forms.ValidationError(_("電話番号は0から始まる10桁または11桁の数字で入力してください。"))
        return phone

    def clean_representative_birth_date(self) -> date | None:
        born = self.cleaned_data["representative_birth_date"]
        if born is not None and born >= timezone.localdate():
            raise forms.ValidationError(_("生年月日が正しくありません。"))
        return born

    def facts(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in SubscriberFacts.DECLARED_FIELDS}


class EvidenceMixin(PlainTextMixin, forms.Form):
    """登記事項証明書 (PDF) or the online registry-information reference number (§3.1.3)."""

    field_marks = True

    evidence_required = True

    evidence_file = forms.FileField(
        label=_("登記事項証明書（PDF）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text=_(
            "法人・団体は発行から3か月以内の履歴事項全部証明書など（電子署名付きのPDFも可）。個人事業主は提出不要です。"
        ),
    )
    online_reference = forms.CharField(
        label=_("または 登記情報提供サービスの照会番号"),
        required=False,
        max_length=40,
        help_text=_("PDFの代わりに、登記情報提供サービスで取得した照会番号を入力できます。"),
    )
    issued_on = forms.DateField(label=_("証明書の発行日（照会番号の取得日）"), required=False, widget=DateInput())

    def __init__(self, *args: Any, kept: StagedEvidence | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The file chosen before 修正する went back to the form: sent again unless replaced.
        self.kept = kept if kept is not None and kept.content else None
        if self.kept is not None:
            self.fields["evidence_file"].help_text = _(
                "選択済みのファイル「%(name)s」（%(size)s、%(pages)sページ）を提出します。"
                "別のファイルを選ぶか照会番号を入力すると、置き換わります。"
            ) % {"name": self.kept.file_name, "size": filesizeformat(self.kept.size), "pages": self.kept.page_count}

    def clean_evidence_file(self) -> Any:
        upload = self.cleaned_data.get("evidence_file")
        if not upload and self.kept is not None and not str(self.data.get("online_reference", "")).strip():
            return held_pdf(self.kept), self.kept.file_name
        if not upload:
            return None
        limit = settings.MAX_UPLOAD_SIZE
        if upload.size > limit:
            raise forms.ValidationError(PDF_ERRORS["too_large"], params={"limit": limit // (1024 * 1024) or 1})
        content = b"".join(upload.chunks())
        try:
            return check_pdf(content, max_size=limit), upload.name
        except PdfCheckError as exc:
            raise forms.ValidationError(
                PDF_ERRORS[exc.code], code=exc.code, params={"limit": limit // (1024 * 1024) or 1}
            ) from None

    def clean_online_reference(self) -> str:
        value = re.sub(r"\s", "", unicodedata.normalize("NFKC", self.cleaned_data["online_reference"]))
        if value and not re.fullmatch(r"[0-9A-Za-z-]{6,40}", value):
            raise forms.ValidationError(_("照会番号は英数字で入力してください。"))
        return value

    def clean_issued_on(self) -> date | None:
        issued = self.cleaned_data.get("issued_on")
        if issued is None:
            return None
        today = timezone.localdate()
        if issued > today:
            raise forms.ValidationError(_("発行日が未来の日付です。"))
        if (today - issued).days > settings.REGISTRY_EVIDENCE_MAX_AGE_DAYS:
            raise forms.ValidationError(_("登記事項証明書は発行から3か月以内のものを提出してください。"))
        return issued

    def _clean_evidence(self) -> None:
        data = self.cleaned_data
        pdf, reference = data.get("evidence_file"), data.get("online_reference")
        if "evidence_file" in self.errors or "online_reference" in self.errors:
            return
        if pdf and reference:
            self.add_error("online_reference", _("PDFか照会番号のどちらか一方を提出してください。"))
        elif not pdf and not reference and self.evidence_required:
            self.add_error(
                "evidence_file", _("登記事項証明書のPDFか、登記情報提供サービスの照会番号を提出してください。")
            )
        elif (pdf or reference) and not data.get("issued_on") and "issued_on" not in self.errors:
            self.add_error("issued_on", _("発行日を入力してください。"))

    def confirmed_values(self) -> dict[str, Any]:
        """What the confirmation page shows and its token is signed over (the file goes by its held row)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "evidence_file"}

    def evidence(self) -> EvidenceInput | None:
        data = self.cleaned_data
        if data.get("evidence_file"):
            checked, name = data["evidence_file"]
            return EvidenceInput(issued_on=data["issued_on"], pdf=checked, file_name=name)
        if data.get("online_reference"):
            return EvidenceInput(issued_on=data["issued_on"], online_reference=data["online_reference"])
        return None


class ApplicationForm(FactsForm, EvidenceMixin):
    kind = forms.ChoiceField(label=_("区分"), choices=Subscriber.Kind.choices, widget=forms.RadioSelect)
    corporate_number = forms.CharField(
        label=_("法人番号（13桁）"),
        required=False,
        max_length=40,
        help_text=_(
            "法人・団体は必須です。登記された団体（一般社団法人、NPO法人、協同組合など）は法人として申し込みます。"
            "全角数字やハイフンを含めて入力しても構いません。"
        ),
    )
    terms_accepted = forms.BooleanField(label=_("利用約款に同意します"), required=True)
    antisocial_declared = forms.BooleanField(
        label=_("申込者およびその役員が反社会的勢力に該当せず、今後も関係を持たないことを表明します"), required=True
    )

    field_order = [
        "kind",
        "organisation_name",
        "corporate_number",
        "address",
        "representative_title",
        "representative_name",
        "representative_address",
        "representative_phone",
        "representative_birth_date",
        "evidence_file",
        "online_reference",
        "issued_on",
        "terms_accepted",
        "antisocial_declared",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The exact version recorded with the application, linked so it can be read first (§1.1.1).
        version = terms_version_in_force()
        self.fields["terms_accepted"].help_text = format_html(
            '<a href="{}">{}</a>',
            reverse("repository:document_version", kwargs={"kind": "terms", "version": version}),
            _("利用約款（%(version)s 版）") % {"version": version},
        )

    def clean_corporate_number(self) -> str:
        text = self.cleaned_data["corporate_number"]
        if not cn.normalise(text):
            return ""
        try:
            return cn.parse(text)
        except cn.CorporateNumberError as exc:
            raise forms.ValidationError(CORPORATE_NUMBER_ERRORS[exc.code], code=exc.code) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if (
            kind == Subscriber.Kind.CORPORATION
            and not data.get("corporate_number")
            and "corporate_number" not in self.errors
        ):
            self.add_error("corporate_number", CORPORATE_NUMBER_ERRORS["empty"])
        if kind == Subscriber.Kind.CORPORATION and not data.get("representative_title"):
            self.add_error("representative_title", _("法人は代表者の肩書（例：代表取締役）を入力してください。"))
        if (
            kind == Subscriber.Kind.SOLE_PROPRIETOR
            and not data.get("representative_birth_date")
            and "representative_birth_date" not in self.errors
        ):
            self.add_error("representative_birth_date", _("個人事業主は生年月日を入力してください。"))
        # A sole proprietor has no registry certificate (§3.1.3); a document may still be attached.
        self.evidence_required = kind != Subscriber.Kind.SOLE_PROPRIETOR
        self._clean_evidence()
        return data


class ChangeForm(FactsForm, EvidenceMixin):
    """A basic-info change (§3.2). Evidence is needed only when registered facts change."""

    evidence_required = False

    def __init__(self, *args: Any, current: SubscriberFacts, **kwargs: Any) -> None:
        kwargs.setdefault("initial", current.declared())
        super().__init__(*args, **kwargs)
        self.current = current
        if self.kept is None:  # else the help text names the file kept from the confirmation page
            self.fields["evidence_file"].help_text = _(
                "商号・所在地・代表者を変更する場合は、変更後の登記事項証明書が必要です。"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._clean_evidence()
        changed_registered = any(
            name in data and data[name] != getattr(self.current, name) for name in SubscriberFacts.REGISTERED_FIELDS
        )
        has_evidence = data.get("evidence_file") or data.get("online_reference")
        sole = self.current.subscriber.kind == Subscriber.Kind.SOLE_PROPRIETOR
        if changed_registered and not sole and not has_evidence and "evidence_file" not in self.errors:
            self.add_error("evidence_file", _("商号・所在地・代表者の変更には、変更後の登記事項証明書が必要です。"))
        return data


class ResubmitForm(FactsForm, EvidenceMixin):
    """Answering a return: corrected facts, new evidence optional."""

    evidence_required = False

    def __init__(self, *args: Any, current: SubscriberFacts, **kwargs: Any) -> None:
        kwargs.setdefault("initial", current.declared())
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._clean_evidence()
        return data


class InviteForm(PlainTextMixin, forms.Form):
    field_marks = True

    email = CanonicalEmailField(label=_("招待する担当者のメールアドレス"))


class MemberRoleForm(forms.Form):
    email = CanonicalEmailField(widget=forms.HiddenInput)
    administrator = forms.BooleanField(label=_("管理者"), required=False)
    may_revoke = forms.BooleanField(label=_("電子委任状を取り消せる"), required=False)


class MemberRemoveForm(PlainTextMixin, forms.Form):
    field_marks = True

    email = CanonicalEmailField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("外す理由"), max_length=500)


# --- reception (admin) ---------------------------------------------------------------------------


class ApproveFactsForm(PlainTextMixin, forms.Form):
    """Approving an application or a change of a corporation: the reviewer reads the registry
    evidence beside this form, types what it certifies (never pre-filled from the applicant's own
    entries) and confirms each row of the NTA record against the application and the certificate
    (一致 / 不一致, a note required for 不一致; ``registry.services.nta_review``)."""

    company_registry_number = forms.CharField(
        label=_("会社法人等番号（12桁）"), max_length=20, help_text=_("登記事項証明書に記載の番号を入力")
    )
    registered_representative_name = forms.CharField(
        label=_("登記上の代表者氏名"), max_length=100, help_text=_("証明書に記載のとおりに入力")
    )
    registered_representative_address = forms.CharField(
        label=_("登記上の代表者住所"), max_length=300, help_text=_("証明書に記載のとおりに入力")
    )
    reason = forms.CharField(
        label=_("所見・申込者への連絡事項（任意）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    # The rows of the NTA record as the page shows them; set by ``for_facts``.
    nta_rows: list[dict[str, str]] = []

    @classmethod
    def for_facts(cls, facts: SubscriberFacts) -> type[ApproveFactsForm]:
        """The form for one application, carrying its NTA rows."""
        return type("ApproveFactsForm", (cls,), {"nta_rows": nta_rows(facts)})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in NTA_ROWS:
            label = NTA_ROW_LABELS[key]
            verdict = forms.ChoiceField(
                label=_("%(row)sの確認") % {"row": label},
                choices=list(VERDICT_LABELS.items()),
                widget=forms.RadioSelect,
                error_messages={"required": _("一致か不一致かを選んでください。")},
            )
            note = forms.CharField(
                label=_("%(row)sの確認メモ（不一致なら必須）") % {"row": label}, required=False, max_length=500
            )
            verdict.in_nta_rows = note.in_nta_rows = True  # type: ignore[attr-defined]
            self.fields[f"nta_{key}"] = verdict
            self.fields[f"nta_{key}_note"] = note

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in NTA_ROWS:
            if data.get(f"nta_{key}") == "mismatch" and not data.get(f"nta_{key}_note", "").strip():
                self.add_error(f"nta_{key}_note", _("不一致とした理由（公表データと何が異なるか）を記入してください。"))
        return data

    def clean_company_registry_number(self) -> str:
        return cn.normalise(self.cleaned_data["company_registry_number"])

    def row_fields(self) -> list[tuple[dict[str, str], Any, Any]]:
        """Each NTA row beside its two fields, for the page."""
        return [(row, self[f"nta_{row['row']}"], self[f"nta_{row['row']}_note"]) for row in self.nta_rows]


def nta_confirmation(data: dict[str, Any]) -> dict[str, NtaRow]:
    """The reviewer's answers from a valid approval form."""
    return {
        key: NtaRow(data[f"nta_{key}"], data.get(f"nta_{key}_note", "")) for key in NTA_ROWS if f"nta_{key}" in data
    }


class ApproveSoleProprietorForm(PlainTextMixin, forms.Form):
    """A sole proprietor has no registry: the declared name and home address are what the
    representative's certificate is compared with when a delegation is signed."""

    reason = forms.CharField(
        label=_("所見・申込者への連絡事項（任意）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(PlainTextMixin, forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


class DataRequestCloseForm(PlainTextMixin, forms.Form):
    state = forms.ChoiceField(
        label=_("対応結果"),
        choices=[(DataRequest.State.DONE, _("対応済み")), (DataRequest.State.DECLINED, _("対応不可"))],
    )
    response = forms.CharField(label=_("対応内容"), widget=forms.Textarea(attrs={"rows": 3}))
