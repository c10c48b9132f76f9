"""Production settings plus the three baseline views of bench/validity_api.py (bench only)."""

from mynatrust.settings import *  # noqa: F403

ROOT_URLCONF = "bench.validity_urls"
