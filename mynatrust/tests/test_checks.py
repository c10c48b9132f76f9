"""The project's system checks (mynatrust.E0xx, E1xx, W1xx) speak Japanese to the operator, English
through the catalogue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from conftest import assert_check_said
from mynatrust import checks
from mynatrust.operations import checks as operations_checks
from validity import checks as validity_checks

# (settings, the check, check ID, message and hint in Japanese, in English)
CHECKS: list[tuple[dict[str, Any], Callable[..., Any], str, tuple[str, str | None], tuple[str, str | None]]] = [
    (
        {"PRODUCTION": True, "DEMO_MODE": True},
        checks.production_safeguards,
        "mynatrust.E001",
        (
            "本番環境で DEMO_MODE が有効です。",
            "DEMO_MODE=false にしてください（デモの機能は本番環境では使えてはなりません）。",
        ),
        (
            "DEMO_MODE is on in production.",
            "Set DEMO_MODE=false (the demo's features must never be reachable in production).",
        ),
    ),
    (
        {"PRODUCTION": True, "SERVICE_BASE_URL": "https://eloa.example.jp", "ALLOWED_HOSTS": ["other.example.jp"]},
        checks.production_addresses_and_shared_state,
        "mynatrust.E012",
        (
            "SERVICE_BASE_URL のホスト（eloa.example.jp）が ALLOWED_HOSTS にありません。",
            "ALLOWED_HOSTS に eloa.example.jp を加えるか、SERVICE_BASE_URL を直してください。",
        ),
        (
            "The host of SERVICE_BASE_URL (eloa.example.jp) is not in ALLOWED_HOSTS.",
            "Add eloa.example.jp to ALLOWED_HOSTS, or correct SERVICE_BASE_URL.",
        ),
    ),
    (
        {"MAIL_RATE_PER_CLIENT": "thirty an hour"},
        checks.mail_rates,
        "mynatrust.E016",
        ("MAIL_RATE_PER_CLIENT は「回数/秒数」の形で指定してください（例: 600/60）。", None),
        ("MAIL_RATE_PER_CLIENT must be count/seconds (e.g. 600/60).", None),
    ),
    (
        {"RETENTION_PERIODS": {"operations.entry_exit": "three years"}},
        operations_checks.retention_periods,
        "mynatrust.E101",
        (
            "RETENTION_PERIODS['operations.entry_exit'] = 'three years' は期間として読めません。",
            "数字の後に y、m、d のどれかを付けてください（例: 10y、6m、30d）。",
        ),
        (
            "RETENTION_PERIODS['operations.entry_exit'] = 'three years' is not a period.",
            "Use a number followed by y, m or d (e.g. 10y, 6m, 30d).",
        ),
    ),
    (
        {"METRICS_TOKEN": "short"},
        operations_checks.metrics_token,
        "mynatrust.W101",
        (
            "METRICS_TOKEN が推測できるほど短いです。",
            "METRICS_TOKEN は 24 文字以上のランダムな文字列にするか、空にしてください"
            "（空のときは、保守員としてサインインした人だけが /metrics を読めます）。",
        ),
        (
            "METRICS_TOKEN is short enough to guess.",
            "Use at least 24 random characters for METRICS_TOKEN, or leave it empty "
            "(then only someone signed in as Maintenance can read /metrics).",
        ),
    ),
]


@pytest.mark.parametrize(("values", "check", "check_id", "japanese", "english"), CHECKS, ids=[c[2] for c in CHECKS])
def test_a_check_is_said_in_japanese_and_in_english_through_the_catalogue(
    values, check, check_id, japanese, english, settings
):
    assert_check_said(settings, values, check, check_id, japanese, english)


def test_a_malformed_rate_reads_the_same_in_every_app(settings: Any) -> None:
    """mynatrust.E016 and validity.E002 say one thing one way."""
    settings.MAIL_RATE_PER_CLIENT = settings.VALIDITY_RATE_PER_IP = "lots"
    for language in ("ja", "en"):
        with translation.override(language):
            [mail] = checks.mail_rates(None)
            [validity] = validity_checks.rates(None)
        assert mail.msg.replace("MAIL_RATE_PER_CLIENT", "…") == validity.msg.replace("VALIDITY_RATE_PER_IP", "…")
