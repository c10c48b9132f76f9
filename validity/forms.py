from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mynatrust.forms import PlainTextMixin
from validity import answer
from validity.answer import JST, ValidityError
from validity.models import RecipientOrganisation
from validity.services import RecipientDetails


class RegistrationForm(PlainTextMixin, forms.Form):
    field_marks = True

    kind = forms.ChoiceField(label=_("種別"), choices=RecipientOrganisation.Kind.choices, widget=forms.RadioSelect)
    name = forms.CharField(label=_("名称（法人名・屋号）"), max_length=200)
    address = forms.CharField(label=_("所在地"), max_length=200)
    representative_title = forms.CharField(
        label=_("代表者の役職"),
        max_length=100,
        required=False,
        help_text=_("例：代表取締役。個人事業主は空欄で構いません。"),
    )
    representative_name = forms.CharField(label=_("代表者の氏名"), max_length=100)
    representative_address = forms.CharField(label=_("代表者の住所"), max_length=200)
    representative_date_of_birth = forms.DateField(
        label=_("代表者の生年月日（個人事業主のみ）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    declarant_name = forms.CharField(
        label=_("申請者の氏名"), max_length=100, help_text=_("この申請を行う方の氏名です。")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sole = data.get("kind") == RecipientOrganisation.Kind.SOLE_PROPRIETOR
        born = data.get("representative_date_of_birth")
        if sole and born is None:
            self.add_error("representative_date_of_birth", _("個人事業主は生年月日を入力してください。"))
        if born is not None and born >= timezone.localdate():
            self.add_error("representative_date_of_birth", _("生年月日が正しくありません。"))
        return data

    def details(self) -> RecipientDetails:
        d = self.cleaned_data
        return RecipientDetails(
            kind=d["kind"],
            name=d["name"],
            address=d["address"],
            representative_title=d["representative_title"],
            representative_name=d["representative_name"],
            representative_address=d["representative_address"],
            representative_date_of_birth=d["representative_date_of_birth"],
            declarant_name=d["declarant_name"],
        )


class ApiKeyForm(PlainTextMixin, forms.Form):
    field_marks = True

    label = forms.CharField(
        label=_("キーの名前"), max_length=100, help_text=_("どのシステムで使うキーか分かる名前にしてください。")
    )
    expires_on = forms.DateField(
        label=_("有効期限（任意）"),
        required=False,
        help_text=_("この日の終わり（日本時間）まで有効です。空欄なら失効させるまで有効です。"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_expires_on(self) -> date | None:
        day: date | None = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("有効期限は今日以降の日付にしてください。"))
        return day

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        return datetime.combine(day, time.max, tzinfo=JST) if day else None


class HashedUpload(UploadedFile):
    """What is left of an uploaded file: its name, size and SHA-256. The bytes are never kept."""

    def __init__(self, name: str, size: int, sha256: str) -> None:
        super().__init__(file=None, name=name, content_type=None, size=size)
        self.sha256 = sha256


class Sha256UploadHandler(FileUploadHandler):
    """Hashes each uploaded file while it streams in; nothing reaches memory or disk as a file."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.hasher = hashlib.sha256()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.hasher.update(raw_data)
        return None

    def file_complete(self, file_size: int) -> HashedUpload:
        return HashedUpload(name=str(self.file_name or ""), size=file_size, sha256=self.hasher.hexdigest())


class CheckForm(PlainTextMixin, forms.Form):
    field_marks = True

    delegation_id = forms.CharField(
        label=_("電子委任状 ID"),
        max_length=64,
        help_text=_("例：7K3Q-9XWA-2M4P-HV。ハイフンや小文字があっても構いません。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    file = forms.FileField(
        label=_("お手元の電子委任状ファイル（任意）"),
        required=False,
        help_text=_(
            "選ぶと、保管されているファイルと同じものかを確認します。ファイルはハッシュ値の計算にだけ使い、保存しません。"
        ),
    )

    def clean_delegation_id(self) -> str:
        try:
            return answer.parse_delegation_id(self.cleaned_data["delegation_id"])
        except ValidityError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


class AnonymousCheckForm(PlainTextMixin, forms.Form):
    field_marks = True

    delegation_id = CheckForm.base_fields["delegation_id"]
    clean_delegation_id = CheckForm.clean_delegation_id
