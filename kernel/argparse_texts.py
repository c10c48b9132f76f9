"""argparse's own words, said in the reader's language.

A management command reads its arguments with argparse, whose errors ("unrecognized arguments:
--bogus", "argument --from: invalid int value: 'x'") and help frame ("usage:", "options:", "show
this help message and exit") are English. argparse passes each of them through the standard
library's ``gettext`` as a module-wide hook, which would change every parser of the process at
once; instead, :data:`ERRORS` holds each message as argparse's source writes it (its msgid, the
same in Python 3.12 and 3.13) with the same message in Japanese, and :func:`said` finds the one that
fits a message argparse has formatted and writes its values into the Japanese (the English of the
catalogue under English). A message none fits stays as argparse wrote it.

:data:`FRAME` does the same for the words of the help (headings and the help of ``-h``) and
:data:`HELPS` for the help of the options every Django command has (``--verbosity``,
``--settings``, …), which Django does not mark for translation.

``kernel/tests/test_argparse_texts.py`` reads argparse's source: every message it can write is
here, in ERRORS, FRAME or NOT_SAID (with the reason a person never meets it from the project's
commands), and every key of ERRORS and FRAME is still argparse's wording; a Python whose argparse
says something new or says it differently fails the test instead of printing English.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.utils.translation import gettext_lazy as _

# Each message argparse raises on what a person typed → the same in Japanese. A value argparse
# writes with a bare %s or %r is ``%(value)s`` in the Japanese; ``%(message)s`` is said in turn.
ERRORS: dict[str, Any] = {
    "argument %(argument_name)s: %(message)s": _("引数 %(argument_name)s：%(message)s"),
    "unrecognized arguments: %s": _("認識できない引数です：%(value)s"),
    "the following arguments are required: %s": _("次の引数を指定してください：%(value)s"),
    "one of the arguments %s is required": _("次の引数のどれかを指定してください：%(value)s"),
    "not allowed with argument %s": _("引数 %(value)s と一緒には指定できません"),
    "invalid choice: %(value)r (choose from %(choices)s)": _("%(value)s は選べません（選べるもの：%(choices)s）"),
    "unknown parser %(parser_name)r (choices: %(choices)s)": _(
        "%(parser_name)s という操作はありません（選べるもの：%(choices)s）"
    ),
    "invalid %(type)s value: %(value)r": _("%(value)s は%(type)sではありません"),
    "expected one argument": _("値を 1 つ指定してください"),
    "expected %s argument": _("値を 1 つ指定してください"),
    "expected %s arguments": _("値を %(value)s 個指定してください"),
    "expected at most one argument": _("値は 1 つまでです"),
    "expected at least one argument": _("値を 1 つ以上指定してください"),
    "ignored explicit argument %r": _("値をとらない引数です（%(value)s は使えません）"),
    "ambiguous option: %(option)s could match %(matches)s": _(
        "%(option)s だけでは引数が決まりません（候補：%(matches)s）"
    ),
    "unexpected option string: %s": _("思いがけない引数です：%(value)s"),
    "can't open '%(filename)s': %(error)s": _("ファイル「%(filename)s」を開けません：%(error)s"),
    'argument "-" with mode %r': _("「-」（標準入出力）はモード %(value)s では使えません"),
}

# The names argparse gives a type= that could not read a value (its function's __name__), in the
# reader's language; another name is said as "a valid value".
TYPE_WORDS: dict[str, Any] = {
    "int": _("整数"),
    "float": _("数"),
    "Path": _("パス"),
    "fromisoformat": _("ISO 8601 の日付・時刻"),
}
ANY_TYPE = _("正しい値")

# The help's own words: headings, the usage line's prefix, the help of -h.
FRAME: dict[str, Any] = {
    "usage: ": _("使い方："),
    "positional arguments": _("位置引数"),
    "options": _("オプション"),
    "show this help message and exit": _("この説明を表示して終了します"),
}

# The help of the options Django gives every command (BaseCommand.create_parser), by its English.
HELPS: dict[str, Any] = {
    **FRAME,
    "Show program's version number and exit.": _("バージョンを表示して終了します。"),
    "Verbosity level; 0=minimal output, 1=normal output, 2=verbose output, 3=very verbose output": _(
        "出力の詳しさ（0=最小、1=通常、2=詳しく、3=とても詳しく）"
    ),
    "The Python path to a settings module, e.g. "
    '"myproject.settings.main". If this isn\'t provided, the '
    "DJANGO_SETTINGS_MODULE environment variable will be used.": _(
        "設定モジュールの Python パス（例：mynatrust.settings）。指定しなければ環境変数 "
        "DJANGO_SETTINGS_MODULE のものを使います。"
    ),
    'A directory to add to the Python path, e.g. "/home/djangoprojects/myproject".': _(
        "Python のパスに加えるディレクトリ"
    ),
    "Display a full stack trace on CommandError exceptions.": _(
        "失敗したとき（CommandError）にトレースバックを表示します。"
    ),
    "Don't colorize the command output.": _("出力に色を付けません。"),
    "Force colorization of the command output.": _("出力に必ず色を付けます。"),
    "Skip system checks.": _("システムチェックを省きます。"),
}

# argparse's messages that a person never reads from the project's commands, and why.
BUILDING = "a mistake in the command's code, raised while its parser is built"
NOT_SAID: dict[str, str] = {
    "%(prog)s: error: %(message)s\n": "the error line: kernel.commands.ReadersParser.error writes its own",
    "%r is not callable": BUILDING,
    "'required' is an invalid argument for positionals": BUILDING,
    ".__call__() not defined": BUILDING,
    "cannot have multiple subparser arguments": BUILDING,
    "cannot merge actions - two groups are named %r": BUILDING,
    "conflicting option string: %s": BUILDING,
    "conflicting option strings: %s": BUILDING,
    "conflicting subparser alias: %s": BUILDING,
    "conflicting subparser: %s": BUILDING,
    "dest= is required for options like %r": BUILDING,
    "invalid conflict_resolution value: %r": BUILDING,
    "invalid option string %(option)r: must start with a character %(prefix_chars)r": BUILDING,
    "mutually exclusive arguments must be optional": BUILDING,
    "show program's version number and exit": "Django gives --version a help of its own (HELPS)",
    "subcommands": "the heading of sub-commands given a title; the project's commands give none",
    " (default: %(default)s)": "ArgumentDefaultsHelpFormatter, which the project's commands do not use",
    "%(heading)s:": "a heading and its colon (Python 3.13), the heading said through FRAME",
    "%(prog)s: warning: %(message)s\n": "warnings of deprecated arguments (Python 3.13); the project declares none",
    "argument '%(argument_name)s' is deprecated": "the project's commands declare no deprecated argument",
    "command '%(parser_name)s' is deprecated": "the project's commands declare no deprecated sub-command",
    "option '%(option)s' is deprecated": "the project's commands declare no deprecated option",
}

PLACEHOLDER = re.compile(r"%\((\w+)\)[sr]|%[sr]")


def pattern_of(msgid: str) -> re.Pattern[str]:
    """A regular expression that a message formatted from ``msgid`` fits as a whole, a named group
    for each of its values (``value`` for a bare %s or %r)."""
    parts, end = [], 0
    for found in PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[end : found.start()]))
        parts.append(f"(?P<{found.group(1) or 'value'}>.*?)")
        end = found.end()
    parts.append(re.escape(msgid[end:]))
    return re.compile("".join(parts), re.DOTALL)


# The messages with the most of argparse's own words first: "expected at least one argument" is
# itself, not "expected %s argument" with "at least one" as its value.
PATTERNS = [
    (pattern_of(msgid), text)
    for msgid, text in sorted(ERRORS.items(), key=lambda item: -len(PLACEHOLDER.sub("", item[0])))
]


def said(message: str) -> str:
    """argparse's ``message`` in the reader's language, or as argparse wrote it when none of
    :data:`ERRORS` fits it."""
    for pattern, text in PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            values = {name: _value(name, value) for name, value in found.groupdict().items()}
            return str(text) % values
    return message


def _value(name: str, value: str) -> str:
    if name == "message":
        return said(value)
    if name == "type":
        return str(TYPE_WORDS.get(value, ANY_TYPE))
    return value


def help_said(text: Any) -> Any:
    """The help of an option or the title of a group, in the reader's language where it is one of
    argparse's or Django's own (:data:`HELPS`); any other text as it is."""
    return str(HELPS[text]) if isinstance(text, str) and text in HELPS else text


def columns(text: str) -> int:
    """The columns a terminal gives ``text``: two for each wide or full-width character (Unicode's
    East Asian width), one for any other."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def stand_in(prefix: str) -> str:
    """A prefix of ASCII as wide on the terminal as ``prefix``, for argparse to measure: it counts
    characters, so 「使い方：」 (4 characters, 8 columns) would put the wrapped lines of the usage 4
    columns left of the first argument. Replaced by ``prefix`` once the usage is laid out."""
    return "\x00" * columns(prefix)
