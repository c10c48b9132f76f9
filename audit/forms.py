from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.export import Filters


class DateInput(forms.DateInput):
    input_type = "date"


class VerifyForm(forms.Form):
    from_seq = forms.IntegerField(label=_("開始連番"), min_value=1, required=False, help_text=_("空欄なら最初から"))
    to_seq = forms.IntegerField(label=_("終了連番"), min_value=1, required=False, help_text=_("空欄なら最新まで"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("from_seq"), data.get("to_seq")
        if first and last and first > last:
            raise forms.ValidationError(_("開始連番は終了連番以下にしてください。"))
        return data


class ExportForm(forms.Form):
    fmt = forms.ChoiceField(
        label=_("形式"),
        choices=[("csv", _("CSV（Excel 用、UTF-8 BOM 付き）")), ("jsonl", _("JSON Lines"))],
        widget=forms.RadioSelect,
        initial="csv",
    )
    since = forms.DateField(label=_("期間（開始日）"), required=False, widget=DateInput)
    until = forms.DateField(label=_("期間（終了日、この日を含む）"), required=False, widget=DateInput)
    event_type = forms.CharField(
        label=_("種別"),
        required=False,
        max_length=80,
        help_text=_("例：auth.login。末尾を「.」にすると名前空間全体（auth.）"),
    )
    actor = forms.CharField(label=_("操作者（ID またはメールアドレス）"), required=False, max_length=255)
    subject_type = forms.CharField(label=_("対象種別"), required=False, max_length=80)
    subject_id = forms.CharField(label=_("対象ID"), required=False, max_length=64)
    evidence = forms.BooleanField(
        label=_("検証に失敗したログも出力する"),
        required=False,
        help_text=_("証拠保全用。新しい署名はせず、マニフェストに「検証失敗」と問題点を記載します。"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("開始日は終了日以前にしてください。"))
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data

        def start_of(day: Any) -> datetime | None:
            return timezone.make_aware(datetime.combine(day, time.min)) if day else None

        until = start_of(data["until"] + timedelta(days=1)) if data.get("until") else None
        return Filters(
            since=start_of(data.get("since")),
            until=until,
            event_type=data["event_type"].strip(),
            actor=data["actor"].strip(),
            subject_type=data["subject_type"].strip(),
            subject_id=data["subject_id"].strip(),
        )
