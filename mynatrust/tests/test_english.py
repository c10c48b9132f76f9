"""English is available through the language switch, and the English catalogue is complete.

Japanese is the source language of every user-visible string; locale/en/LC_MESSAGES/django.po
carries the English. The .mo files are not committed, so the tests compile the catalogue first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

# One worker compiles and reads the catalogue (the compile writes the .mo in place).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("english_catalogue")]

PO_PATH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"

# %(name)s / %(count)d / %s / %d, and str.format's {name}.
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|%[sdif]|\{[A-Za-z_][A-Za-z0-9_]*\}")
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogue() -> Iterator[None]:
    """Compile the .po, then drop the per-process catalogue cache so the new .mo is read."""
    call_command("compile_translations", verbosity=0)
    trans_real._translations = {}  # type: ignore[attr-defined]
    trans_real._default = None  # type: ignore[attr-defined]
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def english(client: Any) -> Any:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def _page(client: Any, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_home_page_in_english(english: Any) -> None:
    html = _page(english, "/")
    assert '<html lang="en">' in html
    assert "How it works" in html
    assert "Register as a recipient (someone who receives electronic delegations)" in html
    assert "サービスの流れ" not in html
    assert "電子委任状取扱サービス" not in html


def test_subscriber_login_in_english(english: Any) -> None:
    html = _page(english, "/app/login/")
    assert "Log in" in html
    assert "Forgot your password?" in html
    assert "パスワードをお忘れの方" not in html
    assert "ログイン" not in html


def test_recipient_login_in_english(english: Any) -> None:
    html = _page(english, "/recipient/login/")
    assert "Log in" in html
    assert "Create an account" in html
    assert "アカウントを登録する" not in html
    assert "ログイン" not in html


def test_repository_in_english(english: Any) -> None:
    html = _page(english, "/repository/")
    assert "<h1>Repository</h1>" in html
    assert "Service identification" in html
    assert "リポジトリ" not in html
    assert "告知情報" not in html


def test_japanese_stays_the_default(client: Any) -> None:
    html = _page(client, "/")
    assert '<html lang="ja">' in html
    assert "サービスの流れ" in html
    assert "How it works" not in html


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _pairs() -> Iterator[tuple[Any, str, str]]:
    with PO_PATH.open("rb") as po:
        catalog = read_po(po, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = (str(part) for part in message.id)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert len(strings) == 2, message.id
            yield message, singular, str(strings[0])
            yield message, plural, str(strings[1])
        else:
            yield message, str(message.id), str(message.string or "")


def test_every_entry_has_an_english_translation() -> None:
    # A gap is translated by a gap: the ideographic space between a value and its note (「　」) is an
    # English space; an empty or blank English for any text is a missing translation.
    untranslated = [
        msgid for message, msgid, msgstr in _pairs() if not msgstr or (msgid.strip() and not msgstr.strip())
    ]
    fuzzy = [message.id for message, _, _ in _pairs() if message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_placeholders_and_html() -> None:
    problems = []
    for message, msgid, msgstr in _pairs():
        formatted = "python-format" in message.flags or PLACEHOLDER.search(msgid)
        if formatted and _placeholders(msgid) != _placeholders(msgstr):
            problems.append(("placeholders", msgid, msgstr))
        if sorted(HTML_TAG.findall(msgid)) != sorted(HTML_TAG.findall(msgstr)):
            problems.append(("html", msgid, msgstr))
    assert problems == []


def test_translations_are_english() -> None:
    # Japanese left in a msgstr means a copy of the source, not a translation; the language
    # switch's own label "日本語" is the one intended exception.
    kana_or_kanji = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    leftover = [
        (msgid, msgstr)
        for _, msgid, msgstr in _pairs()
        if msgid != "日本語" and kana_or_kanji.search(msgstr or "") and not _example_address(msgstr)
    ]
    assert leftover == []


def _example_address(msgstr: str) -> bool:
    # A Japanese example address is kept as written: users enter addresses in Japanese.
    return "東京都千代田区" in msgstr


def test_compiling_the_catalogue_reports_in_the_language_it_just_compiled(tmp_path: Any, settings: Any) -> None:
    """On a fresh checkout the English catalogue exists only as its .po until compile_translations
    has run, and the command's own report comes after: it must read the catalogue it compiled, so
    that ``MYNATRUST_LANGUAGE=en`` gets an English first line."""
    import shutil
    from io import StringIO
    from pathlib import Path

    from django.utils.translation.reloader import translation_file_changed

    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po", folder / "django.po")
    settings.LOCALE_PATHS = [str(tmp_path)]
    translation_file_changed(None, folder / "django.mo")  # the process as fresh: no catalogue read yet
    out = StringIO()
    try:
        with translation.override("en"):
            call_command("compile_translations", stdout=out)
    finally:
        translation_file_changed(None, folder / "django.mo")
    assert out.getvalue().strip() == "translations: 1 catalogue(s) compiled", out.getvalue()
