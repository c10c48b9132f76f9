"""The delegations app's system checks speak Japanese to the operator, English through the catalogue."""

from __future__ import annotations

import pytest

from conftest import assert_check_said
from delegations import checks  # a module: its check functions are named test_… and must not be collected

# (settings, the check, check ID, message and hint in Japanese, in English)
CHECKS = [
    (
        {"SIGNATURE_REVOCATION_SOURCE": "none"},
        checks.revocation_source_configured,
        "delegations.E002",
        ("SIGNATURE_REVOCATION_SOURCE は crl、ocsp、provider のいずれかにしてください（現在は 'none'）。", None),
        ("SIGNATURE_REVOCATION_SOURCE must be crl, ocsp or provider (it is 'none').", None),
    ),
    (
        {"SIGNATURE_REVOCATION_SOURCE": "provider", "SIGNATURE_PROVIDER_URL": "https://provider.example/"},
        checks.revocation_source_configured,
        "delegations.E002",
        (
            "SIGNATURE_REVOCATION_SOURCE が provider ですが、SIGNATURE_PROVIDER_URL か SIGNATURE_PROVIDER_TOKEN が空です。",
            "プラットフォーム事業者の API の URL（SIGNATURE_PROVIDER_URL）とトークン（SIGNATURE_PROVIDER_TOKEN）を、"
            "両方とも設定してください。",
        ),
        (
            "SIGNATURE_REVOCATION_SOURCE is provider but SIGNATURE_PROVIDER_URL or SIGNATURE_PROVIDER_TOKEN is empty.",
            "Set both the platform provider's API URL (SIGNATURE_PROVIDER_URL) and its token (SIGNATURE_PROVIDER_TOKEN).",
        ),
    ),
    (
        {"PRODUCTION": True, "DEMO_MODE": True},
        checks.test_cards_off_in_production,
        "delegations.E003",
        (
            "本番環境で DEMO_MODE が有効なため、テストカードでの署名が使えるようになっています。",
            "DEMO_MODE=false にしてください。テストカードでの署名は、本番環境では決して使えてはなりません。",
        ),
        (
            "Test-card signing is offered because DEMO_MODE is on in production.",
            "Set DEMO_MODE=false; test-card signing must never be reachable in production.",
        ),
    ),
    (
        {"DELEGATION_IDLE_DRAFT_NOTICE_DAYS": 0},
        checks.idle_draft_notice_lead,
        "delegations.E004",
        (
            "DELEGATION_IDLE_DRAFT_NOTICE_DAYS は 1 以上にしてください（現在は 0）。",
            "0 では、下書きを削除するその日にお知らせすることになります（既定値は 14）。",
        ),
        (
            "DELEGATION_IDLE_DRAFT_NOTICE_DAYS must be 1 or more (it is 0).",
            "With 0 a draft would be deleted on the day its notice is sent (the default is 14).",
        ),
    ),
]


@pytest.mark.parametrize(
    ("values", "check", "check_id", "japanese", "english"), CHECKS, ids=["E002-source", "E002-provider", "E003", "E004"]
)
def test_a_check_is_said_in_japanese_and_in_english_through_the_catalogue(
    values, check, check_id, japanese, english, settings
):
    assert_check_said(settings, values, check, check_id, japanese, english)
