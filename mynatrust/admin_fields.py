"""Date fields of the staff admin that accept the ways people in Japan type a day: 2027/01/01,
2027-01-01, 2027年1月1日 (the Japanese input formats, mynatrust/formats/ja) and 令和9年1月1日."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin import options, widgets
from django.db import models

from mynatrust.lib.wareki import to_gregorian


class JapaneseDateField(forms.DateField):
    def to_python(self, value: Any) -> Any:
        return super().to_python(to_gregorian(value) if isinstance(value, str) else value)


class JapaneseDateTimeField(forms.DateTimeField):
    def to_python(self, value: Any) -> Any:
        return super().to_python(to_gregorian(value) if isinstance(value, str) else value)


class JapaneseSplitDateTimeField(forms.SplitDateTimeField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        date_field = JapaneseDateField(error_messages={"invalid": self.default_error_messages["invalid_date"]})
        self.fields = (date_field, self.fields[1])


def install() -> None:
    """Make every admin form's date and date-time fields use these (the admin's defaults)."""
    options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.DateField] = {
        "form_class": JapaneseDateField,
        "widget": widgets.AdminDateWidget,
    }
    options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.DateTimeField] = {
        "form_class": JapaneseSplitDateTimeField,
        "widget": widgets.AdminSplitDateTime,
    }
