"""Checks that a page marks its identifiers up (``mynatrust.lib.identifiers``), shared by the apps'
page tests."""

from __future__ import annotations

import re
from typing import Any

_MARKED = re.compile(r'<data class="identifier" translate="no" value="[^"]*">[^<]*</data>')
# A file name that contains an ID (validity-<ID>.jws) is a name, shown whole.
_FILE_NAME = re.compile(r"[\w.*~$=-]+\.(?:pdf|xml|p7s|jws|json|csv)\b")


def marked(value: str) -> str:
    return f'<data class="identifier" translate="no" value="{value}">{value}</data>'


def speak(client: Any, settings: Any, language: str) -> None:
    """The client's next requests in ``language`` (the language cookie; none for the default)."""
    if language != settings.LANGUAGE_CODE:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


def text_outside_identifiers(html: str) -> list[str]:
    """The text of the page's body between its tags, without its marked-up identifiers and file
    names (attributes such as a link's ?id= and the <title> hold text, not markup)."""
    body = _MARKED.sub(" ", html.split("<body", 1)[1])
    return [_FILE_NAME.sub(" ", text) for text in re.findall(r">([^<]+)<", body)]


def assert_only_marked(html: str, *values: str) -> None:
    """Each of ``values`` is on the page, marked up, and nowhere in its text unmarked."""
    for value in values:
        assert value and marked(value) in html, value
        assert [text for text in text_outside_identifiers(html) if value in text] == [], value
