"""argparse's errors and help frame in the reader's language for the project's commands
(kernel.commands.ReadersParser, kernel.argparse_texts)."""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import unicodedata
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from kernel import argparse_texts
from kernel.commands import Command, ReadersParser

BASE = Path(settings.BASE_DIR)
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


def argparse_msgids() -> set[str]:
    """Every text argparse's source passes through gettext (``_()`` and ``ngettext()``)."""
    tree = ast.parse(Path(argparse.__file__).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"_", "ngettext"}:
            found.update(a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return found


def test_every_message_of_this_pythons_argparse_is_known() -> None:
    """A Python whose argparse says something new fails here rather than printing English."""
    known = set(argparse_texts.ERRORS) | set(argparse_texts.FRAME) | set(argparse_texts.NOT_SAID)
    assert len(argparse_msgids()) > 30
    assert not argparse_msgids() - known, sorted(argparse_msgids() - known)


def test_every_text_of_the_table_is_still_argparses_wording() -> None:
    """A Python whose argparse words a message otherwise fails here rather than missing it."""
    stale = (set(argparse_texts.ERRORS) | set(argparse_texts.FRAME)) - argparse_msgids()
    assert not stale, sorted(stale)


def test_every_help_django_gives_a_command_is_known() -> None:
    """Django's own options (--verbosity, --settings, …) have their Japanese; a new one or a new
    wording fails here."""
    parser = BaseCommand().create_parser("manage.py", "x")
    helps = {a.help for a in parser._actions if a.help and a.help != argparse.SUPPRESS}
    assert len(helps) >= 8
    assert not helps - set(argparse_texts.HELPS), helps - set(argparse_texts.HELPS)


def manage(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BASE / "manage.py"), *argv],
        cwd=BASE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# (argv, the error line), one for each message a person can meet from the project's commands.
CASES = [
    (["apply_retention", "--bogus"], "manage.py apply_retention: エラー：認識できない引数です：--bogus"),
    (["audit_archive"], "manage.py audit_archive: エラー：次の引数を指定してください：--before"),
    (
        ["audit_export", "--format", "xml"],
        "manage.py audit_export: エラー：引数 --format：'xml' は選べません（選べるもの：'csv', 'jsonl'）",
    ),
    (["audit_verify", "--from", "x"], "manage.py audit_verify: エラー：引数 --from：'x' は整数ではありません"),
    (
        ["audit_archive", "--before", "2027-13-01"],
        "manage.py audit_archive: エラー：引数 --before：'2027-13-01' はISO 8601 の日付・時刻ではありません",
    ),
    (["apply_retention", "--kind"], "manage.py apply_retention: エラー：引数 --kind：値を 1 つ指定してください"),
    (
        ["backup", "--out", "a", "--verify", "b"],
        "manage.py backup: エラー：引数 --verify：引数 --out と一緒には指定できません",
    ),
    (["backup"], "manage.py backup: エラー：次の引数のどれかを指定してください：--out --verify"),
    (
        ["apply_retention", "--dry-run=yes"],
        "manage.py apply_retention: エラー：引数 --dry-run：値をとらない引数です（'yes' は使えません）",
    ),
    (
        ["apply_retention", "--s"],
        "manage.py apply_retention: エラー：--s だけでは引数が決まりません（候補：--settings, --skip-checks）",
    ),
    (["trust"], "manage.py trust: エラー：次の引数を指定してください：action"),
    (
        ["trust", "approve", "x", "--as", "a@example.jp"],
        "manage.py trust approve: エラー：引数 change_id：'x' は整数ではありません",
    ),
]


@pytest.mark.parametrize(("argv", "said"), CASES, ids=[" ".join(argv) for argv, _said in CASES])
def test_a_wrong_argument_is_said_in_japanese_with_the_usage_line(argv: list[str], said: str) -> None:
    result = manage(*argv)
    assert result.returncode == 2, result.stderr
    usage, *_rest, error = result.stderr.rstrip("\n").split("\n")
    prog = said.split(":", 1)[0]
    assert usage.startswith(f"使い方：{prog} [-h]"), result.stderr
    assert error == said, result.stderr
    assert result.stdout == ""


def test_the_help_frame_is_japanese() -> None:
    result = manage("apply_retention", "--help")
    assert result.returncode == 0, result.stderr
    said = result.stdout
    assert said.startswith("使い方：manage.py apply_retention [-h]"), said
    for words in ("\nオプション：\n", "この説明を表示して終了します", "出力の詳しさ", "システムチェックを省きます。"):
        assert words in said, said
    assert not re.search(r"[\u3000-\u30ff\u3400-\u9fff]:", said), said
    english = re.findall(r"\b(?:usage|options|positional|show|Verbosity|Skip)\b", said)
    assert not english, said


def test_a_sub_commands_help_frame_is_japanese() -> None:
    said = manage("trust", "approve", "--help").stdout
    assert said.startswith("使い方：manage.py trust approve [-h]"), said
    assert "\n位置引数：\n" in said and "\nオプション：\n" in said and "この説明を表示して終了します" in said, said
    assert not re.search(r"[\u3000-\u30ff\u3400-\u9fff]:", said), said


def run_from_argv(*argv: str) -> tuple[int, str, str]:
    """``manage.py ARGV`` as the command line runs it (run_from_argv), in this process."""
    name = argv[0]
    command = load_command_class(get_commands()[name], name)
    out, err = StringIO(), StringIO()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        with pytest.raises(SystemExit) as exited:
            command.run_from_argv(["manage.py", *argv])
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return int(exited.value.code or 0), out.getvalue(), err.getvalue()


def test_the_errors_are_english_under_the_english_catalogue() -> None:
    with translation.override("en"):
        code, _out, err = run_from_argv("audit_export", "--bogus")
        assert code == 2
        assert err.startswith("usage: manage.py audit_export [-h]"), err
        assert err.endswith("manage.py audit_export: Error: unrecognized arguments: --bogus\n"), err
        code, _out, err = run_from_argv("audit_export", "--format", "xml")
        assert err.endswith(
            "manage.py audit_export: Error: argument --format: invalid choice: 'xml' (choose from 'csv', 'jsonl')\n"
        ), err
        code, _out, err = run_from_argv("audit_verify", "--from", "x")
        assert err.endswith("manage.py audit_verify: Error: argument --from: invalid int value: 'x'\n"), err


def test_the_help_frame_is_english_under_the_english_catalogue() -> None:
    with translation.override("en"):
        code, out, _err = run_from_argv("apply_retention", "--help")
    assert code == 0
    assert out.startswith("usage: manage.py apply_retention [-h]"), out
    assert "\noptions:\n" in out and "show this help message and exit" in out and "Skip system checks." in out
    assert not JAPANESE.search(out.split("\n\n")[0] + out.split("options:")[1].split("--dry-run")[0]), out


def test_called_in_code_a_wrong_argument_raises_command_error() -> None:
    with pytest.raises(CommandError, match=r"^エラー：認識できない引数です：--bogus$") as raised:
        call_command("apply_retention", "--bogus")
    assert raised.value.returncode == 1
    with translation.override("en"), pytest.raises(CommandError, match=r"^Error: unrecognized arguments: --bogus$"):
        call_command("apply_retention", "--bogus")


class _Pairs(Command):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--pair", nargs=2)
        parser.add_argument("--most", nargs="?", type=float)
        parser.add_argument("--some", nargs="+")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--pair", "a"], "エラー：引数 --pair：値を 2 個指定してください"),
        (["--some"], "エラー：引数 --some：値を 1 つ以上指定してください"),
        (["--most", "x"], "エラー：引数 --most：'x' は数ではありません"),
    ],
)
def test_the_messages_no_command_of_the_project_meets_yet(argv: list[str], said: str) -> None:
    parser = _Pairs().create_parser("manage.py", "pairs")
    assert isinstance(parser, ReadersParser)
    with pytest.raises(CommandError) as raised:
        parser.parse_args(argv)
    assert str(raised.value) == said


def test_a_message_none_fits_stays_as_argparse_wrote_it() -> None:
    assert argparse_texts.said("something else: --x") == "something else: --x"
    assert argparse_texts.said("expected at most one argument") == "値は 1 つまでです"
    assert argparse_texts.said("expected 1 argument") == "値を 1 つ指定してください"


def columns(text: str) -> int:
    """How many columns a terminal gives ``text``: two for each wide character (East Asian width)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def usage_lines(language: str, *argv: str) -> list[str]:
    with translation.override(language):
        code, out, _err = run_from_argv(*argv, "--help")
    assert code == 0
    return out.split("\n\n")[0].split("\n")


@pytest.mark.parametrize(("language", "prefix"), [("ja", "使い方："), ("en", "usage: ")])
def test_a_wrapped_usage_line_lines_up_under_the_first_argument(monkeypatch, language, prefix) -> None:
    # 「使い方：」 is 4 characters and 8 columns wide; argparse counts characters, so it indented the
    # lines that follow by 4 + len(prog) + 1 while the first argument stands at column 8 + len(prog) + 1.
    monkeypatch.setenv("COLUMNS", "80")
    lines = usage_lines(language, "audit_export")
    assert len(lines) > 2, lines
    first = prefix + "manage.py audit_export "
    assert lines[0].startswith(first), lines
    starts = {columns(line) - columns(line.lstrip(" ")) for line in lines[1:]}
    assert starts == {columns(first)}, lines
    assert max(columns(line) for line in lines) <= 78, lines
