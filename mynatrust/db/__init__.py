"""The service's database backend (PostgreSQL): Django's, with a health check that costs no round trip."""

from __future__ import annotations

from typing import Any

POSTGRESQL = "mynatrust.db.postgresql"
_POSTGRESQL_ENGINES = (POSTGRESQL, "django.db.backends.postgresql")


def is_postgresql(database: dict[str, Any]) -> bool:
    """True for a ``DATABASES`` entry on PostgreSQL (this backend or Django's own)."""
    return database.get("ENGINE") in _POSTGRESQL_ENGINES
