"""Identifiers on a page: a delegation ID, a certificate's subject, a registration number.

An identifier is not a word of the page's language, so it is marked up as such wherever it is
shown: ``<data class="identifier" translate="no" value="…">`` (machine-readable, never translated by
a browser, shown in the page's font). The checks that a Japanese page carries no English word read
the text without these elements, so an ID made of Latin letters is recognised by its markup, the
same way on every page, instead of by guessing its shape.

``item_name(obj)`` is how an item names itself on a staff page (breadcrumbs, headings): its own
markup when it has an ``html_name()`` method (an item whose name is or contains an identifier),
else its text, escaped.

``with_identifiers(template, ids={...}, **values)`` is a sentence that names identifiers, for text
that is shown on a page but also kept as text (a service's refusal: the audit record, a mail, a
log): it is that plain text, and where it becomes HTML its identifiers are marked up."""

from __future__ import annotations

from collections.abc import Mapping
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


class TextWithIdentifiers(str):
    """A sentence that names identifiers: plain text wherever it is used as text (``str()``, ``%``,
    JSON, the audit record, a log line, a mail rendered with autoescaping off), and, where Django
    turns it into HTML (a template's ``{{ }}``, ``conditional_escape``, ``format_html``, a form's
    error list), the sentence escaped with each identifier marked up by :func:`identifier`, through
    Django's ``__html__`` protocol. A message kept for the next page (``django.contrib.messages``)
    stores only text: hand it over as ``conditional_escape(text)`` to keep the markup."""

    _html: SafeString

    def __new__(cls, text: str, html: SafeString) -> TextWithIdentifiers:
        self = super().__new__(cls, text)
        self._html = html
        return self

    def __str__(self) -> str:
        return self  # str() keeps the HTML form, as Django's SafeString keeps its safety

    def __html__(self) -> SafeString:
        return self._html

    def __getnewargs__(self) -> tuple[str, SafeString]:  # type: ignore[override]  # copy and pickle
        return str.__str__(self), self._html


def with_identifiers(template: Any, /, *, ids: Mapping[str, Any], **values: Any) -> TextWithIdentifiers:
    """``template`` (translated text with ``{name}`` placeholders, read in the active language)
    filled with ``ids`` (identifiers) and ``values`` (other text), as :class:`TextWithIdentifiers`."""
    template = str(template)
    text = template.format(**ids, **values)
    html = format_html(template, **{name: identifier(value) for name, value in ids.items()}, **values)
    return TextWithIdentifiers(text, html)
