"""Forms of the delegation pages. They validate and normalise; ``delegations.services`` decides."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from delegations.models import ConfirmationFollowUp, Delegation, QualificationCheck
from delegations.services import DelegationError, check_draft_values
from delegations.standing import Standing
from mynatrust.forms import CanonicalEmailField, PlainTextMixin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DraftForm(PlainTextMixin, forms.Form):
    """The items of §4.1.4 Table 4-1 the subscriber writes; the principal comes from the register."""

    field_marks = True

    agent_name = forms.CharField(
        label=_("受任者の氏名"),
        max_length=200,
        help_text=_("マイナンバーカードの署名用電子証明書に記録された氏名のとおりに入力してください。"),
    )
    agent_qualification = forms.ChoiceField(
        label=_("資格（士業の場合）"),
        choices=[("", _("士業ではない")), *list(Delegation.Qualification.choices)],
        required=False,
        help_text=_("士業の場合、受付担当者が資格を確認してから有効になります。"),
    )
    agent_title = forms.CharField(
        label=_("受任者の役職"), max_length=200, required=False, help_text=_("士業でない場合は必須です。")
    )
    agent_address = forms.CharField(label=_("受任者の住所"), max_length=200)
    agent_identifier_kind = forms.ChoiceField(label=_("識別情報の種類"), choices=Delegation.IdentifierKind.choices)
    agent_identifier = forms.CharField(
        label=_("識別情報"), max_length=64, help_text=_("社員番号、証明書の番号、または資格の登録番号。")
    )
    powers = forms.CharField(
        label=_("代理権の内容"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000, strip=False
    )
    limitations = forms.CharField(
        label=_("代理権の制限"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20000,
        required=False,
        strip=False,
        help_text=_("なければ空欄にしてください（「なし」と記載されます）。"),
    )
    valid_from = forms.DateField(label=_("委任期間の始期"), widget=DateInput())
    valid_until = forms.DateField(label=_("委任期間の終期"), widget=DateInput(), help_text=_("この日を含みます。"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if isinstance(start, date) and isinstance(end, date) and start > end:
            self.add_error("valid_until", _("終期は始期以降の日付にしてください。"))
        if self.errors:
            return data
        try:
            check_draft_values(data)
        except DelegationError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data

    @classmethod
    def initial_from(cls, delegation: Delegation) -> dict[str, Any]:
        return {name: getattr(delegation, name) for name in cls.base_fields}


class SignedFileForm(PlainTextMixin, forms.Form):
    """A signed file; for a detached CMS signature, optionally the XML it covers."""

    field_marks = True

    file = forms.FileField(
        label=_("署名済みファイル"),
        help_text=_("PDF 署名（PAdES）の PDF、XML 署名（XMLDSig/XAdES）の XML、または分離型 CMS 署名（.p7s）。"),
    )
    content = forms.FileField(
        label=_("分離署名の対象 XML（CMS の場合のみ）"),
        required=False,
        help_text=_("省略すると、このサービスが作成した XML に対する署名として検証します。"),
    )

    def _read(self, upload: UploadedFile | None) -> bytes | None:
        if upload is None:
            return None
        if upload.size and upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                _("ファイルが大きすぎます（上限 %(mb)s MB）。"),
                params={"mb": settings.MAX_UPLOAD_SIZE // (1024 * 1024)},
            )
        upload.seek(0)
        return bytes(upload.read())

    def clean_file(self) -> bytes | None:
        return self._read(self.cleaned_data.get("file"))

    def clean_content(self) -> bytes | None:
        return self._read(self.cleaned_data.get("content"))

    @property
    def file_name(self) -> str:
        upload = self.files.get("file")
        return getattr(upload, "name", "") or ""


class AcceptanceMailForm(PlainTextMixin, forms.Form):
    field_marks = True

    email = CanonicalEmailField(
        label=_("受任者のメールアドレス"),
        help_text=_("受諾書のダウンロードと署名の方法を案内するリンクを送ります。"),
    )


class RevokeForm(PlainTextMixin, forms.Form):
    field_marks = True

    reason = forms.CharField(label=_("取消の理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ConfirmationForm(forms.Form):
    """The periodic confirmation (§4.3): the member states that they checked the contents."""

    field_marks = True

    confirmed = forms.BooleanField(
        label=_("この電子委任状の記載内容を確かめ、真正かつ正確であることを確認しました"),
        error_messages={"required": _("内容を確かめたうえで、チェックを入れてください。")},
    )


class ListFilterForm(PlainTextMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("状態"), choices=[("", _("すべて")), *[(s.value, s.label) for s in Standing]], required=False
    )
    agent = forms.CharField(label=_("受任者"), max_length=100, required=False)
    on = forms.DateField(
        label=_("この日に委任期間中"), widget=DateInput(), required=False, help_text=_("委任期間にこの日を含むもの")
    )


class QualificationCheckForm(PlainTextMixin, forms.Form):
    channel = forms.ChoiceField(
        label=_("確認の方法"),
        choices=QualificationCheck.Channel.choices,
        widget=forms.RadioSelect,
        help_text=_("確認先の資格団体は、受任者の資格から決まります（上の「確認先の資格団体」）。"),
    )
    method = forms.CharField(
        label=_("確認した内容"),
        max_length=200,
        help_text=_("例：弁護士情報検索で氏名と登録番号を照合、会員課へ電話で照会"),
    )
    checked_on = forms.DateField(label=_("確認日"), widget=DateInput())
    contact_person = forms.CharField(label=_("確認先の担当者"), max_length=200)
    result = forms.ChoiceField(label=_("結果"), choices=QualificationCheck.Result.choices)
    note = forms.CharField(label=_("備考"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ReasonForm(PlainTextMixin, forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class FollowUpForm(PlainTextMixin, forms.Form):
    """Reception's contact with a subscriber whose periodic confirmation (§4.3) is overdue."""

    channel = forms.ChoiceField(label=_("連絡の方法（運用規程 6.1）"), choices=ConfirmationFollowUp.Channel.choices)
    note = forms.CharField(label=_("連絡の内容と結果"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
