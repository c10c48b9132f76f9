"""``deploy/bootstrap.py`` (the README's two commands) speaks Japanese, and English when
MYNATRUST_LANGUAGE=en, with its exit statuses unchanged. It runs before Django is installed, so its
lines are a table of its own (``LINES``) rather than the catalogue."""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings

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
    assert len(said) >= 15


def test_the_readme_names_the_language_variable() -> None:
    assert "MYNATRUST_LANGUAGE=en" in (BASE / "README.md").read_text(encoding="utf-8")
