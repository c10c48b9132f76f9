"""Identifiers on a page: a delegation ID, a certificate's subject, a registration number.

An identifier is not a word of the page's language, so it is marked up as such wherever it is
shown: ``<data class="identifier" translate="no" value="…">`` (machine-readable, never translated by
a browser, shown in the page's font). The checks that a Japanese page carries no English word read
the text without these elements, so an ID made of Latin letters is recognised by its markup, the
same way on every page, instead of by guessing its shape.

``item_name(obj)`` is how an item names itself on a staff page (breadcrumbs, headings): its own
markup when it has an ``html_name()`` method (an item whose name is or contains an identifier),
else its text, escaped."""

from __future__ import annotations

from typing import Any

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString


def identifier(value: Any) -> SafeString:
    """``value`` marked up as an identifier; an empty value stays empty."""
    if value is None or str(value) == "":
        return SafeString("")
    return format_html('<data class="identifier" translate="no" value="{}">{}</data>', value, value)


def item_name(obj: Any) -> SafeString:
    """The item's name as a page shows it (see the module's note)."""
    named = getattr(obj, "html_name", None)
    if callable(named):
        return SafeString(named())
    return SafeString(conditional_escape(str(obj)))
