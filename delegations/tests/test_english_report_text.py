"""The texts Python builds for a page or a command, read in English: a signature's report, the policy
verify_signature applied, a delegation restated on a staff decision page and a refusal listing the
characters it cannot take. Their periods, lists and gaps are in the catalogue with the words they
join, so English reads "to", ", " and a space where Japanese reads 「〜」「、」 and U+3000. What the
data holds (a name, an address or a certificate's subject in Japanese) is taken out first.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from delegations.admin import delegation_facts
from delegations.signatures.report import _timestamp_text
from delegations.signatures.verify import verify
from delegations.tests.lifecycle import make_active
from mynatrust.forms import PlainTextValidator

WIDE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


def outside(text: str, *data: str) -> list[str]:
    for value in sorted(filter(None, data), key=len, reverse=True):
        text = text.replace(value, " ")
    return [text[max(0, m.start() - 30) : m.end() + 10] for m in WIDE.finditer(text)]


def said(rows: list[tuple[Any, Any]]) -> str:
    return "\n".join(f"{label}: {value}" for label, value in rows)


def test_a_signature_report_in_english(sign, policy):
    report = verify(sign("representative", "pades"), policy)
    assert report.passed, report.detail
    report = dataclasses.replace(report, warnings=["later_signatures", "another"])
    signer = report.signer or {}
    with translation.override("en"):
        text = said(report.rows())
    assert " to " in text
    assert outside(text, *(str(v) for v in signer.values()), *(str(c) for c in report.chain)) == []


def test_a_timestamp_in_english():
    stamp = {
        "kind": "document",
        "time": "2026-04-01T00:00:00+00:00",
        "authority": "CN=TSA",
        "authority_sha256": "ab" * 32,
        "revocation": {"status": "revoked", "revoked_at": "2026-05-01T00:00:00+00:00"},
    }
    with translation.override("ja"):
        japanese = _timestamp_text(stamp)
    with translation.override("en"):
        english = _timestamp_text(stamp)
    assert japanese.startswith("文書タイムスタンプ\u3000") and "\u3000証明書の失効確認：" in japanese
    assert WIDE.findall(english) == [], english


def test_the_applied_policy_in_english(policy, test_pki):
    with translation.override("ja"):
        japanese = said(policy.describe())
    with translation.override("en"):
        english = said(policy.describe())
    subject = test_pki.root.subject.rfc4514_string()
    assert f"{subject}（SHA-256 " in japanese
    assert f"{subject} (SHA-256 " in english
    assert outside(english, subject) == []


@pytest.mark.django_db
def test_a_delegation_restated_in_english(subscriber, member, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    with translation.override("en"):
        text = said(delegation_facts(delegation))
    data = [delegation.principal_name, str(delegation.subscriber), delegation.agent_name, delegation.agent_title]
    assert " to " in text
    assert outside(text, *data, delegation.powers) == []


def test_a_refused_character_list_in_english():
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            PlainTextValidator()("a\u200bb\u202ec\u0007")
        message = " ".join(refused.value.messages)
    assert "U+200B, U+202E, U+0007" in message
    assert WIDE.findall(message) == [], message


def test_a_delegation_template_and_a_suitability_check_in_english(db):
    from datetime import date

    from delegations.models import MatterTemplate
    from mynatrust.admin import suitability_label

    template = MatterTemplate(category=MatterTemplate.Category.BIDDING, label="入札")
    check = type("Check", (), {"checked_on": date(2026, 4, 1), "staff_name": "山田 太郎", "role": "service_operator"})
    with translation.override("ja"):
        assert str(template).endswith("：入札")
        assert suitability_label(check).endswith("山田 太郎（サービス運用者）")
    with translation.override("en"):
        assert str(template) == "Bidding and contracts: 入札" or outside(str(template), "入札") == [], str(template)
        assert suitability_label(check).endswith("山田 太郎 (Service operator)"), suitability_label(check)
