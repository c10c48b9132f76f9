"""DATABASE_URL on PostgreSQL: the validity answer's statement may be prepared, unless an operator
behind an old pooler turns prepared statements off; Django's own queries never are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (
    "import django; django.setup();"
    "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get('prepare_threshold'))"
)


@pytest.mark.parametrize(("setting", "threshold"), [(None, "5"), ("true", "5"), ("false", "None")])
def test_prepared_statements_follow_db_prepared_statements(setting: str | None, threshold: str) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DB_PREPARED_STATEMENTS"},
        "DJANGO_SETTINGS_MODULE": "mynatrust.settings",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
    }
    if setting is not None:
        env["DB_PREPARED_STATEMENTS"] = setting
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [threshold]
