"""``deploy/bootstrap.py`` (the README's two commands) speaks Japanese, and English when
MYNATRUST_LANGUAGE=en, with its exit statuses unchanged. It runs before Django is installed, so its
lines are a table of its own (``LINES``) rather than the catalogue."""

from __future__ import annotations

import ast
import importlib.util
import io
import logging
import os
import re
import shutil
import sqlite3
import string
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings
from django.core import checks
from django.core.management import call_command, load_command_class
from django.core.management.base import BaseCommand, OutputWrapper, SystemCheckError
from django.utils import translation

from kernel import commands

BASE = Path(settings.BASE_DIR)
SCRIPT = BASE / "deploy" / "bootstrap.py"
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


def bootstrap() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bootstrap", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(*argv: str, language: str | None = None) -> subprocess.CompletedProcess[str]:
    """The script under the machine's own python3, as the README runs it."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
    if language is not None:
        env["MYNATRUST_LANGUAGE"] = language
    python = shutil.which("python3", path=env["PATH"]) or sys.executable
    return subprocess.run(
        [python, str(SCRIPT), *argv], cwd=BASE, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("argv", [(), ("serve",)])
def test_the_usage_line_is_japanese_by_default(argv: tuple[str, ...]) -> None:
    result = run_script(*argv)
    assert result.returncode == 2
    assert result.stdout == "使い方：python3 deploy/bootstrap.py demo [アドレス:ポート] | test [pytest の引数]\n"


@pytest.mark.parametrize("language", ["en", "en_GB"])
def test_the_usage_line_is_english_when_asked(language: str) -> None:
    result = run_script(language=language)
    assert result.returncode == 2
    assert result.stdout == "usage: python3 deploy/bootstrap.py demo [ADDRESS:PORT] | test [PYTEST ARGS]\n"


def test_a_failed_step_is_said_in_japanese_with_its_exit_status(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MYNATRUST_LANGUAGE", raising=False)
    module = bootstrap()
    with pytest.raises(SystemExit) as exited:
        module.run(sys.executable, "-c", "raise SystemExit(3)")
    assert exited.value.code == 3
    assert (
        capsys.readouterr().out
        == f"[mynatrust] 失敗しました（終了コード 3）：{sys.executable} -c raise SystemExit(3)\n"
    )
    monkeypatch.setenv("MYNATRUST_LANGUAGE", "en")
    with pytest.raises(SystemExit):
        module.run(sys.executable, "-c", "raise SystemExit(3)")
    assert capsys.readouterr().out == f"[mynatrust] failed (3): {sys.executable} -c raise SystemExit(3)\n"


def test_every_line_is_japanese_with_its_english() -> None:
    for name, (japanese, english) in bootstrap().LINES.items():
        assert JAPANESE.search(japanese), name
        assert not JAPANESE.search(english), name
        fields = [{f for _t, f, _s, _c in string.Formatter().parse(text) if f} for text in (japanese, english)]
        assert fields[0] == fields[1], name


def test_the_script_prints_only_lines_of_the_table() -> None:
    """say() and line() take a name of LINES; print() only what line() gives."""
    names = set(bootstrap().LINES)
    said = []
    for node in ast.walk(ast.parse(SCRIPT.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"say", "line"}:
            first = node.args[0]
            said.append(first.value if isinstance(first, ast.Constant) else ast.unparse(first))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            assert ast.unparse(node.args[0]).startswith(("line(", "f'[mynatrust] {line(")), ast.unparse(node)
    unknown = [name for name in said if name not in names and name not in {"label", "name"}]  # variables passed on
    assert not unknown, unknown
    assert len(said) >= 14


def test_the_readme_names_the_language_variable() -> None:
    assert "MYNATRUST_LANGUAGE=en" in (BASE / "README.md").read_text(encoding="utf-8")


# --- The demo's frame: Django's own migrate and runserver said in the reader's language ---------

# Lines Django's migrate and runserver print in English around the demo's own.
DJANGO_FRAME = re.compile(
    r"Operations to perform|Running migrations|Applying \w+\.\d{4}|Watching for file changes|"
    r"Performing system checks|System check identified|Django version|Starting \w+ development server|"
    r"Quit the server with|WARNING: This is a development server"
)


def demo_steps_called() -> list[str]:
    """The manage.py commands demo() runs, in order (its manage(...) calls and the exec'd one)."""
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    demo = next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "demo")
    steps = []
    for node in ast.walk(demo):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "manage":
            steps.append(node.args[1].value)  # type: ignore[attr-defined]
        if isinstance(node, ast.List) and any(
            isinstance(e, ast.Constant) and e.value == "manage.py" for e in node.elts
        ):
            steps.append(node.elts[-2].value)  # type: ignore[attr-defined]
    return steps


def test_the_demo_migrates_and_serves_through_the_commands_that_speak_the_readers_language() -> None:
    assert demo_steps_called() == [
        "compile_translations",
        "demo_migrate",
        "createcachetable",
        "demo_setup",
        "demo_serve",
    ]
    assert "serving" not in bootstrap().LINES  # the server says it once it listens (demo_serve's on_bind)


def run_command(name: str, *args: str, **options: object) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "said"),
    [(None, "データベース：未適用のマイグレーションはありません\n"), ("en", "Database: no pending migrations\n")],
)
def test_the_demo_migration_is_one_line_in_the_readers_language(
    monkeypatch: pytest.MonkeyPatch, language: str | None, said: str
) -> None:
    monkeypatch.delenv("MYNATRUST_LANGUAGE", raising=False)
    if language:
        monkeypatch.setenv("MYNATRUST_LANGUAGE", language)
    assert run_command("demo_migrate") == said


@pytest.mark.django_db
def test_the_demo_migration_counts_the_pending_migrations_of_an_empty_database() -> None:
    from django.db.migrations.loader import MigrationLoader
    from django.db.utils import ConnectionHandler

    from mynatrust.management.commands import demo_migrate

    empty = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})["default"]
    try:
        assert demo_migrate.pending(empty) == len(MigrationLoader(None).graph.nodes) > 80
    finally:
        empty.close()
    with translation.override("ja"):
        assert demo_migrate.applied(87) == "データベースを用意しました：未適用のマイグレーション 87 件を適用しました"
    with translation.override("en"):
        assert demo_migrate.applied(87) == "Database ready: applied 87 pending migrations"
        assert demo_migrate.applied(1) == "Database ready: applied 1 pending migration"


def test_a_failing_demo_migration_shows_djangos_error_and_exits_non_zero(tmp_path: Path) -> None:
    """The first migration meets a table that is already there: Django's error, no success line."""
    database = tmp_path / "db.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE django_content_type (id integer)")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("MYNATRUST_PRODUCTION", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "demo_migrate"], cwd=BASE, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert 'table "django_content_type" already exists' in result.stderr
    assert "データベースを用意しました" not in result.stdout and not DJANGO_FRAME.search(result.stdout)


def demo_server(language: str | None, monkeypatch: pytest.MonkeyPatch) -> tuple[BaseCommand, io.StringIO]:
    monkeypatch.delenv("MYNATRUST_LANGUAGE", raising=False)
    monkeypatch.delenv("DJANGO_RUNSERVER_HIDE_WARNING", raising=False)
    if language:
        monkeypatch.setenv("MYNATRUST_LANGUAGE", language)
    out = io.StringIO()
    server = load_command_class("mynatrust", "demo_serve")
    server.stdout = OutputWrapper(out)
    server.addr, server.port, server._raw_ipv6 = "127.0.0.1", "0", False  # type: ignore[attr-defined]
    return server, out


BANNER = {
    None: "システムチェックで問題は見つかりませんでした（抑制 0 件）。\n"
    "[mynatrust] http://127.0.0.1:8044/ で動かしています（Ctrl+C で止まります）\n"
    "開発用のサーバーです。本番では使わないでください（本番の動かし方は docs/runbook.md にあります）。\n",
    "en": "System check identified no issues (0 silenced).\n"
    "[mynatrust] serving on http://127.0.0.1:8044/  (Ctrl+C stops)\n"
    "This is a development server: do not use it in production (docs/runbook.md says how to run the service).\n",
}


@pytest.mark.parametrize("language", [None, "en"])
def test_the_demo_server_says_its_checks_and_address_in_the_readers_language(
    monkeypatch: pytest.MonkeyPatch, language: str | None
) -> None:
    server, out = demo_server(language, monkeypatch)
    with translation.override(commands.readers_language()):
        server.check_before_serving({"skip_checks": False})  # type: ignore[attr-defined]
        server.on_bind(8044)  # type: ignore[attr-defined]
    assert out.getvalue() == BANNER[language]
    assert bool(DJANGO_FRAME.search(out.getvalue())) is (language == "en")  # the catalogue says Django's words


def test_the_demo_server_leaves_the_reloaders_notice_out_and_its_warnings_in() -> None:
    reloader = logging.getLogger("django.utils.autoreload")
    level = reloader.level
    try:
        load_command_class("mynatrust", "demo_serve").quiet_reloader()  # type: ignore[attr-defined]
        assert not reloader.isEnabledFor(logging.INFO) and reloader.isEnabledFor(logging.WARNING)
    finally:
        reloader.setLevel(level)


def test_a_failing_system_check_stops_the_demo_server(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_kwargs: object) -> list[checks.CheckMessage]:
        return [checks.Error("壊れています", id="demo.E001")]

    server, out = demo_server(None, monkeypatch)
    checks.register(broken)
    try:
        with pytest.raises(SystemCheckError, match=r"demo\.E001"):
            server.check_before_serving({"skip_checks": False})  # type: ignore[attr-defined]
    finally:
        checks.registry.registry.registered_checks.discard(broken)
    assert "で動かしています" not in out.getvalue()
