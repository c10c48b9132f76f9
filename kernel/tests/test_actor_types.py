"""Every state change says who may act: no ``actor`` parameter is typed ``Any`` or left untyped
(CONTRIBUTING.md, "Adding a service": ``kernel.Actor``, or ``User`` where the actor is stored or
must be staff)."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

PACKAGES = ("kernel", "mynatrust", "audit", "registry", "delegations", "validity")


def untyped_actors(source: str) -> list[int]:
    """Lines of function parameters named ``actor`` typed ``Any`` or not typed at all."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            for argument in arguments:
                if argument.arg == "actor" and (
                    argument.annotation is None or ast.unparse(argument.annotation) in {"Any", "typing.Any"}
                ):
                    lines.append(argument.lineno)
    return lines


def test_the_scan_finds_an_untyped_actor() -> None:
    assert untyped_actors("def f(x, *, actor: Any) -> None: ...") == [1]
    assert untyped_actors("def f(x, actor) -> None: ...") == [1]
    assert untyped_actors("def f(x, *, actor: Actor) -> None: ...") == []
    assert untyped_actors("def f(x, *, actor: User | None) -> None: ...") == []


def test_no_production_function_takes_an_untyped_actor() -> None:
    base = Path(settings.BASE_DIR)
    found = [
        f"{path.relative_to(base)}:{line}"
        for package in PACKAGES
        for path in sorted((base / package).rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
        for line in untyped_actors(path.read_text(encoding="utf-8"))
    ]
    assert found == []
