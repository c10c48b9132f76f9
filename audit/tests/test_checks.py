"""The audit app's system checks speak Japanese to the operator, English through the catalogue."""

from __future__ import annotations

import pytest

from audit.checks import audit_configuration
from conftest import assert_check_said

# (settings, check ID, message and hint in Japanese, in English)
CHECKS = [
    (
        {"PRODUCTION": True, "AUDIT_CHECKPOINT_KEY_PATH": ""},
        "audit.E001",
        (
            "監査ログのチェックポイントに署名できる鍵がありません：AUDIT_CHECKPOINT_KEY_PATH が設定されていません",
            "AUDIT_CHECKPOINT_KEY_PATH に、秘密情報の保管庫からマウントした Ed25519 秘密鍵"
            "（PKCS#8 の PEM）のファイルを指定してください（manage.py audit_key --generate PATH で作れます）。",
        ),
        (
            "No usable key to sign audit checkpoints: AUDIT_CHECKPOINT_KEY_PATH is not set.",
            "Set AUDIT_CHECKPOINT_KEY_PATH to an Ed25519 private key (PKCS#8 PEM) mounted from the secret store "
            "(manage.py audit_key --generate PATH makes one).",
        ),
    ),
    (
        {"AUDIT_RETENTION_DAYS": 30},
        "audit.E002",
        (
            "AUDIT_RETENTION_DAYS が 6 週間（42 日）未満です。§6.2 は監査ログを 6 週間オンラインで保つよう求めています。",
            "AUDIT_RETENTION_DAYS を 42 以上にしてください（既定値は 1096 日）。",
        ),
        (
            "AUDIT_RETENTION_DAYS is below 6 weeks (42 days): §6.2 requires the audit log to be kept online for 6 weeks.",
            "Set AUDIT_RETENTION_DAYS to 42 or more (the default is 1096 days).",
        ),
    ),
    (
        {"AUDIT_SEALER": "cron"},
        "audit.E003",
        ("AUDIT_SEALER は thread、inline、off のいずれかにしてください（現在は 'cron'）。", None),
        ("AUDIT_SEALER must be thread, inline or off (it is 'cron').", None),
    ),
]


@pytest.mark.parametrize(("values", "check_id", "japanese", "english"), CHECKS, ids=[c[1] for c in CHECKS])
def test_a_check_is_said_in_japanese_and_in_english_through_the_catalogue(
    values, check_id, japanese, english, settings
):
    assert_check_said(settings, values, audit_configuration, check_id, japanese, english)
