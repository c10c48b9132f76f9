"""One spelling for translations in every module (CONTRIBUTING.md, "Text and languages").

``_`` is always ``gettext_lazy``: a reader never has to look up what ``_`` means in this module.
Text that must be translated at once, in the language active at that moment (a mail built under
``translation.override``, a line written to a file, a value stored as text), calls ``gettext`` by
its own name. No other alias, and the translation functions are imported, not reached through
``translation.``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

LAZY = "gettext_lazy"
# Functions that keep their own name (never aliased).
NAMED = {"gettext", "ngettext", "pgettext", "npgettext", "gettext_noop", "ngettext_lazy", "pgettext_lazy"}
SKIPPED_DIRECTORIES = {"var", "node_modules", "__pycache__"}


def python_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return sorted(
        path
        for path in base.rglob("*.py")
        if not any(part.startswith(".") or part in SKIPPED_DIRECTORIES for part in path.relative_to(base).parts)
    )


def alias_problems(source: str) -> list[str]:
    """What breaks the convention in one module's source, one line each."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name == LAZY and alias.asname != "_":
                    problems.append(f"{node.lineno}: import gettext_lazy as _")
                elif alias.asname == "_" and alias.name != LAZY:
                    problems.append(f"{node.lineno}: _ is gettext_lazy; import {alias.name} by its own name")
                elif alias.name in NAMED and alias.asname is not None:
                    problems.append(f"{node.lineno}: import {alias.name} without an alias")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "translation"
            and (node.attr == LAZY or node.attr in NAMED)
        ):
            problems.append(f"{node.lineno}: import {node.attr} from django.utils.translation")
    return problems


def test_the_scan_knows_the_convention() -> None:
    assert alias_problems("from django.utils.translation import gettext_lazy as _\n") == []
    assert alias_problems("from django.utils.translation import gettext, override\n") == []
    assert alias_problems("from django.utils.translation import gettext as _\n") != []
    assert alias_problems("from django.utils.translation import gettext_lazy\n") != []
    assert alias_problems("from django.utils.translation import gettext_lazy as _lazy\n") != []
    assert alias_problems("from django.utils.translation import gettext as gettext_now\n") != []
    assert alias_problems("from django.utils import translation\nx = translation.gettext('a')\n") != []


def test_every_module_spells_translations_one_way() -> None:
    base = Path(settings.BASE_DIR)
    found = [
        f"{path.relative_to(base)}:{problem}"
        for path in python_files()
        for problem in alias_problems(path.read_text(encoding="utf-8"))
    ]
    assert found == []
