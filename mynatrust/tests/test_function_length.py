"""No production function longer than 60 lines: a long one is cut into named steps.

Complexity is ruff's business (C901, max-complexity 15 in .ruff.toml); length is checked here, over
every module of the project except tests, migrations, the benches and the deployment scripts. A
function's length runs from its ``def`` line to its last line (decorators not counted, nested
functions counted in their enclosing one and on their own).
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from django.conf import settings

MAX_LINES = 60
SKIPPED_DIRECTORIES = {"tests", "migrations", "bench", "deploy", "var", "node_modules", "__pycache__"}

# Functions allowed to be longer, as "path:name" -> the length they may not exceed. None is: add
# nothing here, cut the function into named steps instead.
ALLOWED: dict[str, int] = {}


def production_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return sorted(
        path
        for path in base.rglob("*.py")
        if path.name != "conftest.py"
        and not any(part.startswith(".") or part in SKIPPED_DIRECTORIES for part in path.relative_to(base).parts)
    )


def long_functions(source: str, prefix: str = "") -> dict[str, int]:
    """``prefix:name`` → length of every function of ``source`` longer than MAX_LINES."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_LINES:
                found[f"{prefix}:{node.name}"] = length
    return found


def project_long_functions() -> dict[str, int]:
    base = Path(settings.BASE_DIR)
    found: dict[str, int] = {}
    for path in production_files():
        found.update(long_functions(path.read_text(encoding="utf-8"), path.relative_to(base).as_posix()))
    return found


def test_the_scan_measures_from_def_to_the_last_line() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES - 1))
    assert long_functions(f"@decorated\ndef fits():\n{body}", "m.py") == {}
    assert long_functions(f"def too_long():\n{body}    return 1\n", "m.py") == {"m.py:too_long": MAX_LINES + 1}
    method = textwrap.indent(f"async def method(self):\n{body}    return 1\n", "    ")
    assert long_functions(f"class C:\n{method}", "m.py") == {"m.py:method": MAX_LINES + 1}


def test_the_scan_reads_the_production_modules_only() -> None:
    names = {path.relative_to(Path(settings.BASE_DIR)).as_posix() for path in production_files()}
    assert "audit/recorder.py" in names
    assert "mynatrust/settings.py" in names
    assert not any("/tests/" in name or "/migrations/" in name for name in names)
    assert not any(name.startswith(("bench/", "deploy/")) for name in names)


def test_no_production_function_is_longer_than_60_lines() -> None:
    too_long = {
        name: length for name, length in project_long_functions().items() if length > ALLOWED.get(name, MAX_LINES)
    }
    assert too_long == {}, f"cut these into named steps: {too_long}"
