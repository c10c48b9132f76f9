"""What every public form shares: text fields refuse characters nobody types (``mynatrust.lib.text``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from mynatrust.lib.text import refused_characters, shown


@deconstructible
class PlainTextValidator:
    message = _(
        "入力できない文字（制御文字、書式制御文字、文字化けした文字など）が含まれています：%(characters)s。"
        "取り除いてから入力してください。"
    )
    code = "refused_character"

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        # NUL has its own message from Django's ProhibitNullCharactersValidator.
        found = [c for c in refused_characters(str(value), multiline=self.multiline) if c != "\x00"]
        if found:
            characters = "、".join(shown(c) for c in found[:5])
            raise ValidationError(self.message, code=self.code, params={"characters": characters})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline


class PlainTextMixin:
    """Put first among a form's bases: every text field (passwords aside) gets the validator;
    a ``Textarea`` may also hold line breaks and tabs."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators = [*field.validators, PlainTextValidator(multiline=multiline)]
