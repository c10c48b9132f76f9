"""The management commands speak Japanese to the operators and auditors who run them.

Every message a person reads from a command (what it writes to stdout or stderr, the text of a
CommandError, its help texts) is a translatable Japanese source string, with the English in the
catalogue. This test reads the commands' source and fails on a string literal with ASCII letters
and no Japanese in one of those places, outside a gettext call, unless it is a machine output of
the allow-list below.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError
from django.utils import translation

BASE = Path(settings.BASE_DIR)
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
LETTERS = re.compile(r"[A-Za-z]")
TRANSLATING = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "_lazy"}

# (command file, literal): why it is not a person's sentence.
ALLOWED: dict[tuple[str, str], str] = {
    ("delegations/management/commands/demo_card.py", "  SOFTHSM2_CONF="): "a shell command line, copied as it is",
}

# Commands whose English is still to be translated, with the number of English literals they hold
# now: the number may only fall. A file leaves this table once it holds none.
PENDING: dict[str, int] = {}


def command_files() -> list[Path]:
    apps = ("audit", "delegations", "kernel", "mynatrust", "registry", "validity")
    return sorted(p for app in apps for p in (BASE / app).glob("**/management/commands/*.py"))


def _texts(node: ast.AST | None) -> Iterator[ast.Constant]:
    """The string literals of an expression that end up in the text (not keys, calls or formats)."""
    if node is None:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.JoinedStr):
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                yield from _texts(value.value)  # the expression, not its format spec (%Y-%m-%d)
            else:
                yield from _texts(value)
    elif isinstance(node, ast.BinOp):
        yield from _texts(node.left)
        yield from _texts(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _texts(node.body)
        yield from _texts(node.orelse)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _texts(value)
    elif isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in TRANSLATING:
            return
        if isinstance(func, ast.Attribute) and _is_style(func.value):
            yield from _texts(node.args[0] if node.args else None)  # self.style.SUCCESS(text)


def _is_style(node: ast.expr) -> bool:
    """``self.style`` or ``command.style``, or a local ``style`` taken from one."""
    return (isinstance(node, ast.Attribute) and node.attr == "style") or (
        isinstance(node, ast.Name) and node.id == "style"
    )


def _person_texts(tree: ast.AST) -> Iterator[ast.AST]:
    """The expressions a person reads: written to stdout/stderr, raised as CommandError, help."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "write":
                receiver = func.value
                name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
                if name in {"stdout", "stderr", "out"}:
                    yield from node.args[:1]
            if isinstance(func, ast.Name) and func.id == "CommandError":
                yield from node.args[:1]
            for keyword in node.keywords:
                if keyword.arg in {"help", "description"}:
                    yield keyword.value
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "help" for t in node.targets):
            yield node.value


def english_literals() -> list[tuple[str, int, str]]:
    found = []
    for path in command_files():
        relative = path.relative_to(BASE).as_posix()
        for expression in _person_texts(ast.parse(path.read_text(encoding="utf-8"))):
            for literal in _texts(expression):
                text = str(literal.value)
                if LETTERS.search(text) and not JAPANESE.search(text) and (relative, text) not in ALLOWED:
                    found.append((relative, literal.lineno, text))
    return found


def test_the_scan_finds_the_commands_and_an_english_literal() -> None:
    assert len(command_files()) >= 20
    sample = ast.parse('raise CommandError(f"{path} exists; refusing")\nself.stdout.write(_("日本語 {x}"))')
    assert [c.value for e in _person_texts(sample) for c in _texts(e)] == [" exists; refusing"]


def assert_held(found: list[tuple[str, int, str]], pending: dict[str, int]) -> None:
    """No English literal outside the pending files, and none more in a pending file than it held."""
    new = [f for f in found if f[0] not in pending]
    assert not new, "\n".join(f"{path}:{line}: {text!r}" for path, line, text in new)
    counts = Counter(path for path, _line, _text in found)
    grown = {path: counts[path] for path, limit in pending.items() if counts[path] > limit}
    assert not grown, grown


def test_commands_write_no_english_literal_to_a_person() -> None:
    assert_held(english_literals(), PENDING)


def test_allowed_literals_are_still_in_the_commands() -> None:
    sources = {p.relative_to(BASE).as_posix(): p.read_text(encoding="utf-8") for p in command_files()}
    stale = [key for key in ALLOWED if key[1] not in sources.get(key[0], "")]
    assert not stale


def _translated_commands() -> list[str]:
    names = []
    for name, app in get_commands().items():
        module = BASE / app.replace(".", "/") / "management" / "commands" / f"{name}.py"
        if module.is_file() and module.relative_to(BASE).as_posix() not in PENDING:
            names.append(name)
    return sorted(names)


@pytest.mark.parametrize("name", _translated_commands())
def test_help_is_japanese_by_default_and_english_when_asked(name: str) -> None:
    """Commands run in settings.LANGUAGE_CODE (Japanese): their --help is Japanese."""
    app = get_commands()[name]
    command = load_command_class(app, name)
    assert translation.get_language() == settings.LANGUAGE_CODE == "ja"
    help_text = command.create_parser("manage.py", name).format_help()
    assert JAPANESE.search(str(command.help)), help_text
    with translation.override("en"):
        english = str(load_command_class(app, name).help)
    assert not JAPANESE.search(english), english


@pytest.mark.django_db
def test_a_command_speaks_japanese_without_activating_it() -> None:
    """Django leaves the active language alone in commands: Japanese, the project's default."""
    from audit.models import AuditEvent

    out = StringIO()
    call_command("audit_seal", "--dry-run", stdout=out)
    pending = AuditEvent.objects.unsealed().count()
    assert f"封印待ちのイベントは {pending} 件です" in out.getvalue(), out.getvalue()


# The demo's steps (each app's ``demo.py``, run by ``manage.py demo_setup``) write to the same
# output: the same rule holds for them. A line that is a shell command to copy is machine text.
SHELL_LINE = re.compile(r"^\s*(curl|\.venv/bin/python) ")

# Demo modules whose English is still to be translated, with the number of English literals they
# hold now (a ratchet, like PENDING).
DEMO_PENDING: dict[str, int] = {}


def demo_english_literals() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(BASE.glob("*/demo.py")) + sorted(BASE.glob("mynatrust/*/demo.py")):
        relative = path.relative_to(BASE).as_posix()
        for expression in _person_texts(ast.parse(path.read_text(encoding="utf-8"))):
            literals = list(_texts(expression))
            if literals and SHELL_LINE.match(str(literals[0].value)):
                continue
            for literal in literals:
                text = str(literal.value)
                if LETTERS.search(text) and not JAPANESE.search(text):
                    found.append((relative, literal.lineno, text))
    return found


def test_the_demo_steps_write_no_english_literal_to_a_person() -> None:
    assert_held(demo_english_literals(), DEMO_PENDING)


def test_every_translated_text_of_a_command_has_its_english_in_the_catalogue() -> None:
    """English through the catalogue: a Japanese text of a command missing from it stays Japanese
    for an English reader."""
    with (BASE / "locale" / "en" / "LC_MESSAGES" / "django.po").open("rb") as po:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(po) if m.id}
    missing = []
    for path in command_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            text = node.args[0].value
            if name in TRANSLATING and isinstance(text, str) and text not in known:
                missing.append(f"{path.relative_to(BASE).as_posix()}:{node.lineno}: {text!r}")
    assert not missing, "\n".join(missing)


@pytest.mark.django_db
def test_a_command_writes_english_under_the_english_catalogue() -> None:
    out = StringIO()
    with translation.override("en"):
        call_command("send_contract_reminders", "--dry-run", stdout=out)
        call_command("apply_retention", "--dry-run", "--kind", "operations.entry_exit", stdout=out)
    said = out.getvalue()
    assert "Dry run: 0 reminders would be sent; nothing sent." in said, said
    assert "operations.entry_exit: period 3 year(s), 0 due from before " in said, said
    assert not JAPANESE.search(said.replace("—", "")), said


# A project command that fails (CommandError) from the command line says so behind a prefix in the
# reader's language, with the exit status Django gives it (kernel.commands.Command).
def test_a_failing_command_says_error_in_japanese() -> None:
    result = subprocess.run(
        [sys.executable, str(BASE / "manage.py"), "check", "--tag", "no_such_tag"],
        cwd=BASE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "エラー：「no_such_tag」というタグのシステムチェックはありません。\n"


def _run_check_command(*argv: str) -> str:
    """``manage.py check ARGV`` as the command line runs it (run_from_argv), in this process."""
    err = StringIO()
    command = type(load_command_class("mynatrust", "check"))(stdout=StringIO(), stderr=err)
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "check", *argv])
    assert exited.value.code == 1
    return err.getvalue()


def test_a_failing_command_says_error_in_english() -> None:
    assert (
        _run_check_command("--tag", "no_such_tag")
        == "エラー：「no_such_tag」というタグのシステムチェックはありません。\n"
    )
    with translation.override("en"):
        said = _run_check_command("--tag", "no_such_tag")
    assert said == 'Error: There is no system check with the "no_such_tag" tag.\n'


def test_a_failing_command_still_raises_with_traceback() -> None:
    command = load_command_class("mynatrust", "check")
    with pytest.raises(CommandError, match="「no_such_tag」というタグのシステムチェックはありません。"):
        command.run_from_argv(["manage.py", "check", "--tag", "no_such_tag", "--traceback"])
