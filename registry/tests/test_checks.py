"""The registry's system checks speak Japanese to the operator, English through the catalogue."""

from __future__ import annotations

import pytest

from conftest import assert_check_said
from registry.checks import registry_settings

# (settings, check ID, message and hint in Japanese, in English)
CHECKS = [
    (
        {"REGISTRY_RETENTION_YEARS": 5},
        "registry.E001",
        (
            "REGISTRY_RETENTION_YEARS が 10 未満です（現在は 5）。申込みの記録は 10 年以上保存しなければなりません（§6.2.9）。",
            "REGISTRY_RETENTION_YEARS を 10 以上にしてください（既定値は 10）。",
        ),
        (
            "REGISTRY_RETENTION_YEARS is below 10 (it is 5): application records must be kept at least 10 years (§6.2.9).",
            "Set REGISTRY_RETENTION_YEARS to 10 or more (the default is 10).",
        ),
    ),
    (
        {"PRODUCTION": True, "NTA_APPLICATION_ID": "app-id", "NTA_API_URL": "http://api.example.jp/4"},
        "registry.E003",
        (
            "本番環境で法人番号システム Web-API を使うときは、NTA_API_URL に https の URL を指定してください"
            "（現在は 'http://api.example.jp/4'）。",
            None,
        ),
        (
            "NTA_API_URL must use https in production when the Corporate Number System Web-API is used "
            "(it is 'http://api.example.jp/4').",
            None,
        ),
    ),
]


@pytest.mark.parametrize(("values", "check_id", "japanese", "english"), CHECKS, ids=[c[1] for c in CHECKS])
def test_a_check_is_said_in_japanese_and_in_english_through_the_catalogue(
    values, check_id, japanese, english, settings
):
    assert_check_said(settings, values, registry_settings, check_id, japanese, english)
