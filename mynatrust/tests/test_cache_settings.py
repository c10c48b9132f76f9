"""CACHE_URL's options reach Django: a key prefix keeps two deployments that share one Redis
database from sharing their rate-limit counters."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_key_prefix_timeout_and_version_of_cache_url_are_applied():
    script = (
        "import django; django.setup();"
        "from django.core.cache import caches; c = caches['default'];"
        "print(c.key_prefix, c.default_timeout, c.version, c.make_key('k'))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mynatrust.settings",
        "CACHE_URL": "rediscache://127.0.0.1:6379/9?key_prefix=tenant-a&timeout=120&version=3",
    }
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["tenant-a", "120", "3", "tenant-a:3:k"]
