"""Demo data of the mynatrust app's packages (called by ``manage.py demo_setup``; idempotent)."""

from __future__ import annotations

from typing import Any


def setup(command: Any) -> None:
    from mynatrust.operations import demo as operations_demo
    from mynatrust.repository import demo as repository_demo

    repository_demo.setup(command)
    operations_demo.setup(command)
