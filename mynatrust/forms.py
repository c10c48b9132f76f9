"""What every public form shares: text fields refuse characters nobody types (``mynatrust.lib.text``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

import audit
from mynatrust.lib.email_address import canonical_email
from mynatrust.lib.text import refused_characters, shown


class FormRenderer(TemplatesSetting):
    """Django's renderer over the project's templates, with the project's field layout."""

    field_template_name = "forms/field.html"


class CanonicalEmailField(forms.EmailField):
    """An address in the one form every lookup and counter uses (``canonical_email``): a
    full-width or differently cased spelling of a known address is that address."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return canonical_email(text) if text else ""


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
            characters = str(_("、")).join(shown(c) for c in found[:5])
            raise ValidationError(self.message, code=self.code, params={"characters": characters})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline


class PlainTextMixin:
    """Put first among a form's bases: every text field (passwords aside) gets the validator;
    a ``Textarea`` may also hold line breaks and tabs."""

    fields: dict[str, forms.Field]
    # A form a person fills in marks each field 必須 or 任意 beside its label (templates/forms).
    field_marks = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators = [*field.validators, PlainTextValidator(multiline=multiline)]

    def is_valid(self) -> bool:
        """As Django's; a submitted form refused for its input is also an audit event
        (``form.refused``: which form, which fields, which error codes — never the values)."""
        valid: bool = super().is_valid()  # type: ignore[misc]
        if not valid and getattr(self, "is_bound", False) and not getattr(self, "_refusal_recorded", False):
            self._refusal_recorded = True
            errors = self.errors.as_data()  # type: ignore[attr-defined]
            actor = audit.context.current().user
            form = f"{type(self).__module__}.{type(self).__qualname__}"
            # An anonymous visitor can send invalid forms at will: counted per client address, form
            # and minute (audit.tally) rather than one permanent row each.
            anonymous = not getattr(actor, "is_authenticated", False)
            write = partial(audit.record_tallied, key=form) if anonymous else audit.record_refused
            write(
                "form.refused",
                actor=actor,
                form=form,
                fields=sorted(errors),
                codes={
                    name: sorted({str(error.code or "invalid") for error in found}) for name, found in errors.items()
                },
            )
        return valid


# --- 入力 → 確認 → 完了 ------------------------------------------------------------------------------
STEPS = (_("入力"), _("確認"), _("完了"))
CONFIRMED = "confirmed"  # the field the confirmation page's submit button carries


def confirmation_rows(form: forms.Form, texts: dict[str, str] | None = None) -> list[tuple[Any, str]]:
    """What a valid bound ``form`` will submit, as (label, text) rows for a confirmation page: the
    label of a choice rather than its code, はい/いいえ for a tick box, a date in the page's format;
    ``texts`` gives a field's text where the form's value is not one to show (a file)."""
    from datetime import date

    from django.utils.formats import date_format

    rows: list[tuple[Any, str]] = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if texts and name in texts:
            text = texts[name]
        elif isinstance(field, forms.BooleanField):
            text = str(_("はい") if value else _("いいえ"))
        elif isinstance(field, forms.ChoiceField):
            labels = {str(key): label for key, label in field.choices}  # type: ignore[misc,union-attr]
            text = str(labels.get(str(value), value)) if value not in (None, "") else ""
        elif isinstance(value, date):
            text = date_format(value, "DATE_FORMAT")
        else:
            text = "" if value is None else str(value)
        rows.append((field.label, text))
    return rows


def is_confirmed(request: Any) -> bool:
    """True when a POST comes from the confirmation page's final button (not the 修正する one)."""
    return request.method == "POST" and request.POST.get(CONFIRMED) == "yes" and "edit" not in request.POST
