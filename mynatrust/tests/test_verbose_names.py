"""Every label the staff admin shows is Japanese: the name of each registered model, each field of
it, and each column, filter and read-only field of its admin (and of its inlines). A label made only
of ASCII is a field name or an English word that slipped through (「DELEGATION」, 「bytes」)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.db import models
from django.utils import translation

# Abbreviations and names a Japanese operator reads as they are.
ALLOWED = {"ID", "URL", "API", "PDF", "CSV", "CRL", "OID", "SHA-256", "TOTP", "IP"}


def _english(label: Any) -> bool:
    text = str(label).strip()
    return bool(text) and text.isascii() and text not in ALLOWED


def _names(model_admin: admin.ModelAdmin | admin.options.InlineModelAdmin) -> Iterator[str]:
    for attribute in ("list_display", "readonly_fields", "fields", "search_fields"):
        for item in getattr(model_admin, attribute, None) or ():
            if isinstance(item, str) and attribute != "search_fields":
                yield item
    for item in getattr(model_admin, "list_filter", None) or ():
        if isinstance(item, str):
            yield item
        elif isinstance(item, tuple | list) and isinstance(item[0], str):
            yield item[0]
    for _name, options in getattr(model_admin, "fieldsets", None) or ():
        for item in options.get("fields", ()):
            if isinstance(item, str):
                yield item


def _labels() -> Iterator[tuple[str, Any]]:
    for model, model_admin in admin.site._registry.items():
        where = f"{model._meta.label}"
        yield f"{where} (model)", model._meta.verbose_name
        yield f"{where} (model, plural)", model._meta.verbose_name_plural
        for field in model._meta.get_fields():
            if isinstance(field, models.Field) and not field.auto_created:
                yield f"{where}.{field.name}", field.verbose_name
        admins: list[Any] = [model_admin]
        admins += [inline(model, admin.site) for inline in getattr(model_admin, "inlines", ())]
        for each in admins:
            for name in _names(each):
                if name == "__str__":
                    continue
                try:
                    label = label_for_field(name, each.model, each)
                except AttributeError:
                    continue  # a form-only field (an upload), labelled by its form
                yield f"{where} admin {type(each).__name__}.{name}", label


def test_every_label_the_admin_shows_is_japanese() -> None:
    with translation.override("ja"):
        english = sorted({f"{where}: {label}" for where, label in _labels() if _english(label)})
    assert english == []


@pytest.mark.parametrize(
    ("label", "english"),
    [
        ("電子委任状", False),
        ("delegation", True),  # a field name left as its verbose name
        ("SHA-256", False),  # an abbreviation read as it is
        ("bytes", True),
    ],
)
def test_an_ascii_label_is_english_unless_an_abbreviation(label: str, english: bool) -> None:
    assert _english(label) is english
