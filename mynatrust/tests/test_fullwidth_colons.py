"""A Japanese label takes the full-width colon (「電子委任状 ID：」), never the half-width one.

The browser journeys read the rendered Japanese pages for a half-width colon
(``journey_pages._RAW``), but only on the pages they visit and never in a mail. This scan reads every
template as its Japanese source: the text of each ``{% translate %}`` and ``{% blocktranslate %}``,
with a template variable standing for a word, and fails where Japanese (or a variable used as a
label, as in ``{{ kind }}: {{ title }}``) is followed by ``:``. A colon after the translation,
outside it (``{% translate "理由" %}:``), is the same flaw and is caught too: the colon belongs in
the string, so that the English catalogue can give English its own ``:``. URLs, times and program
text (``<code>``) are not labels.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"

_COMMENTS = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.DOTALL)
_CODE = re.compile(r"<code\b.*?</code>", re.DOTALL)
_TRANSLATE = re.compile(r"""\{%-?\s*(?:translate|trans)\s+(?:"([^"]*)"|'([^']*)')[^%]*%\}""")
_VARIABLE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_TAG = re.compile(r"\{%.*?%\}", re.DOTALL)
# A variable is read as a word of the sentence: 〓 is Japanese, so a variable used as a label is one.
_WORD = "〓"
_JAPANESE = r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]"
# Japanese, perhaps a few Latin letters of the same label (電子委任状 ID), then a colon that does not
# begin a URL's // or separate the digits of a time.
_HALF_WIDTH_COLON = re.compile(rf"{_JAPANESE}[A-Za-z0-9 -]{{0,8}}:(?![/\d])")


def as_japanese_text(source: str) -> str:
    """The template's text as a Japanese reader gets it, with its variables as words."""
    text = _CODE.sub(" ", _COMMENTS.sub(" ", source))
    text = _TRANSLATE.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text = _VARIABLE.sub(_WORD, text)
    return _TAG.sub("", text)


def half_width_colons(source: str) -> list[str]:
    text = as_japanese_text(source)
    return [text[max(0, m.start() - 12) : m.end() + 8].strip() for m in _HALF_WIDTH_COLON.finditer(text)]


def test_the_scan_knows_a_half_width_colon_after_japanese() -> None:
    assert half_width_colons('{% translate "電子委任状 ID" %}: {{ id }}')
    assert half_width_colons('{% translate "結果: 正常" %}')
    assert half_width_colons("{% blocktranslate %}終了日: {{ date }}{% endblocktranslate %}")
    assert half_width_colons("[{{ SERVICE_NAME }}] {{ notice.get_kind_display }}: {{ notice.title }}")
    assert not half_width_colons('{% translate "電子委任状 ID：" %} {{ id }}')
    assert not half_width_colons("{% translate \"全文\" %} {{ base_url }}{% url 'repository:notice' n %}")
    assert not half_width_colons("<p>受付 12:30</p><code>Authorization: Bearer キー</code>")


def every_template(check: Callable[[str], list[str]]) -> dict[str, list[str]]:
    """What ``check`` finds in each template of pages, staff pages and mails."""
    found = {}
    for path in sorted(TEMPLATES.rglob("*")):
        name = path.relative_to(TEMPLATES)
        if path.suffix not in (".html", ".txt"):
            continue
        if findings := check(path.read_text(encoding="utf-8")):
            found[str(name)] = findings
    return found


def test_no_template_puts_a_half_width_colon_after_japanese() -> None:
    assert every_template(half_width_colons) == {}


# The other side of the same rule: a full-width colon written after a translation, outside it
# (「{% translate "電話" %}：」), reaches the English page too ("Telephone：073…"), and one inside a
# string with nothing after it reaches English with no space before the value ("Delegation ID:AB12").
# Either way the label and its value belong in one string.
_COLON_AFTER_TRANSLATION = re.compile(
    r"(?:\{%-?\s*(?:translate|trans)\s+(?:\"[^\"]*\"|'[^']*')[^%]*%\}|endblocktranslate\s*%\})："
)
_COLON_THEN_VALUE = re.compile(r"\{%-?\s*(?:translate|trans)\s+\"[^\"]*：\"\s*%\}(?=\{\{|<)")


def colons_english_inherits(source: str) -> list[str]:
    source = _COMMENTS.sub(" ", source)
    found = [*_COLON_AFTER_TRANSLATION.finditer(source), *_COLON_THEN_VALUE.finditer(source)]
    return [source[m.start() : m.end() + 12] for m in found]


def test_the_scan_knows_a_colon_that_english_would_inherit() -> None:
    assert colons_english_inherits('{% translate "電話" %}：{{ phone }}')
    assert colons_english_inherits('{% translate "電子委任状 ID：" %}{{ id }}')
    assert not colons_english_inherits("{% blocktranslate %}電話：{{ phone }}{% endblocktranslate %}")
    assert not colons_english_inherits('{% translate "理由：" %}\n{{ reason }}')


def test_no_page_or_mail_leaves_its_colon_to_english() -> None:
    assert every_template(colons_english_inherits) == {}


# The same holds for every full-width colon and bracket written in the template's own text, outside
# any translation: after a variable (「{{ field }}：」), around one (「（{{ note }}）」) or around a
# translation (「（{% translate "連番" %} {{ seq }}）」). English would read 「Status：」 and
# 「Sequence number（12）」; the punctuation belongs in the string with the words it goes with.
_BLOCKTRANSLATE = re.compile(r"\{%-?\s*blocktrans(?:late)?\b.*?\{%-?\s*endblocktrans(?:late)?\s*-?%\}", re.DOTALL)
# Japanese punctuation and spacing are the same flaw: 「、」 between the items of a list, 「〜」 between
# two dates, 「／」「・」 between values, the ideographic space (U+3000) as a gap, 「。」 and the quotation
# marks 「」『』 of a sentence. English would read "2026-04-01 〜 2027-03-31" and "Member・Administrator":
# a list joins with a translated separator, and a period or a sentence is one translated string.
_FULL_WIDTH = re.compile(r"[：（）、／〜\u3000。・「」『』]")


def punctuation_outside_translations(source: str) -> list[str]:
    text = _CODE.sub(" ", _COMMENTS.sub(" ", source))
    for pattern in (_BLOCKTRANSLATE, _TRANSLATE, _VARIABLE, _TAG):
        text = pattern.sub(" ", text)
    return [text[max(0, m.start() - 12) : m.end() + 12].strip() for m in _FULL_WIDTH.finditer(text)]


def test_the_scan_knows_punctuation_outside_translations() -> None:
    assert punctuation_outside_translations("{{ field }}：{{ value }}")
    assert punctuation_outside_translations("{{ status }}（{{ reason }}）")
    assert punctuation_outside_translations('（{% translate "連番" %} {{ seq }}）')
    assert punctuation_outside_translations('<td>{% translate "状態" %}：</td>')
    assert not punctuation_outside_translations('{% translate "鍵ID（公開鍵の SHA-256）" %}')
    assert not punctuation_outside_translations(
        "{% blocktranslate with s=seq %}（連番 {{ s }}）{% endblocktranslate %}"
    )
    assert not punctuation_outside_translations('{{ d|default:_("（下書き）") }}<code>a：b</code>')


def test_the_scan_knows_japanese_punctuation_and_spacing_outside_translations() -> None:
    assert punctuation_outside_translations("<td>{{ start }} 〜 {{ end }}</td>")
    assert punctuation_outside_translations(
        "{% for n in names %}{{ n }}{% if not forloop.last %}、{% endif %}{% endfor %}"
    )
    assert punctuation_outside_translations('{{ version }}／ {% translate "表明" %}')
    assert punctuation_outside_translations("{{ role }}{% for label in flags %}・{{ label }}{% endfor %}")
    assert punctuation_outside_translations("{{ name }}\u3000{{ title }}")
    assert punctuation_outside_translations("<p>時間をおいてもう一度お試しください。</p>")
    assert punctuation_outside_translations("<p>「{{ organisation }}」</p>")
    assert not punctuation_outside_translations(
        "{% blocktranslate with start=s end=e %}{{ start }} 〜 {{ end }}{% endblocktranslate %}"
    )
    assert not punctuation_outside_translations('{{ n }}{% if not forloop.last %}{% translate "、" %}{% endif %}')
    assert not punctuation_outside_translations('{% translate "受付番号" %} <span>{{ n }}</span> · <a>PDF</a>')
    assert not punctuation_outside_translations("<code>「、」</code>{# 〜 #}")


def test_no_template_leaves_full_width_punctuation_to_english() -> None:
    assert every_template(punctuation_outside_translations) == {}


# The text Python builds follows the same rule; its Japanese is the catalogue's msgids. A colon right
# after Japanese (「試行のみ: 」「（送信待ち）: 」) is the half-width one. 「ホスト:ポート」 is the
# syntax of a URL, not a label, and is left: the colon there is followed by more of the word.
_COLON_AFTER_JAPANESE = re.compile(rf"{_JAPANESE}:(?=\s|$|%\()")
# The retention and mail-outbox reports are scanned in their source too, whatever the catalogue says
# of where its texts come from. Their lines that begin with a kind's program name
# (「registry.application: 保存期間…」) keep the colon that follows program text.
REPORTS = ("mynatrust/management/commands/apply_retention.py", "mynatrust/management/commands/send_mail_outbox.py")


def catalogue_texts() -> list[str]:
    """Each msgid of the English catalogue: the Japanese source of every translated text."""
    from babel.messages.pofile import read_po

    with (Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po").open("rb") as po:
        catalogue = read_po(po)
    ids = [message.id if isinstance(message.id, tuple) else (message.id,) for message in catalogue]
    return [str(text) for texts in ids for text in texts if text]


def test_the_scan_knows_a_half_width_colon_in_a_text() -> None:
    assert _COLON_AFTER_JAPANESE.search("試行のみ: 何も変えていません")
    assert _COLON_AFTER_JAPANESE.search("メッセージ（%(status)s）: %(count)s 件")
    assert _COLON_AFTER_JAPANESE.search("再試行します:%(error)s")
    assert not _COLON_AFTER_JAPANESE.search("DATABASE_URL は postgres://ユーザー@ホスト:ポート/名前 の形です")
    assert not _COLON_AFTER_JAPANESE.search("%(kind)s: 保存期間 %(period)s")


def test_no_japanese_text_takes_a_half_width_colon() -> None:
    found = {text for text in catalogue_texts() if _COLON_AFTER_JAPANESE.search(text)}
    assert found == set()


def report_texts() -> list[str]:
    """The translated texts of the two reports, as their source writes them."""
    texts = []
    for name in REPORTS:
        tree = ast.parse((Path(settings.BASE_DIR) / name).read_text(encoding="utf-8"))
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        for call in calls:
            first = call.args[0] if call.args else None
            if getattr(call.func, "id", None) in ("gettext", "_") and isinstance(first, ast.Constant):
                texts.append(str(first.value))
    return texts


def test_the_retention_and_mail_reports_put_a_full_width_colon_after_japanese() -> None:
    texts = report_texts()
    assert len(texts) > 20
    assert [text for text in texts if _COLON_AFTER_JAPANESE.search(text)] == []
