"""Every part of mynatrust/ is placed in the import contract that keeps the project package and the
apps apart (.importlinter, "project-wiring-above-apps-above-foundation"): either the wiring at the
top, which may import the apps, or the foundation below them, which may not. A module left out of
both would escape the contract, so a new one fails here until it is placed."""

from __future__ import annotations

import configparser
from pathlib import Path

from django.conf import settings

CONTRACT = "importlinter:contract:project-wiring-above-apps-above-foundation"
NOT_CODE = {"tests", "migrations", "__pycache__"}


def layers() -> list[set[str]]:
    config = configparser.ConfigParser()
    config.read(Path(settings.BASE_DIR) / ".importlinter", encoding="utf-8")
    lines = [line.strip() for line in config[CONTRACT]["layers"].splitlines() if line.strip()]
    return [{name.strip() for name in line.replace("|", ":").split(":")} for line in lines]


def parts_of_the_project_package() -> set[str]:
    package = Path(settings.BASE_DIR) / "mynatrust"
    parts = set()
    for path in package.iterdir():
        if path.name in NOT_CODE or path.name.startswith((".", "__")):
            continue
        if path.suffix == ".py":
            parts.add(f"mynatrust.{path.stem}")
        elif path.is_dir() and (path / "__init__.py").exists():
            parts.add(f"mynatrust.{path.name}")
    return parts


def test_the_wiring_is_on_top_and_the_foundation_below_the_apps() -> None:
    found = layers()
    assert "mynatrust.urls" in found[0]
    assert found[1:4] == [{"validity"}, {"delegations"}, {"registry"}]
    assert "mynatrust.access" in found[-1]


def test_every_part_of_the_project_package_is_placed_in_a_layer() -> None:
    placed = set().union(*layers())
    assert parts_of_the_project_package() - placed == set()
    assert {name for name in placed if name.startswith("mynatrust.")} <= parts_of_the_project_package()
