"""What the head check and a restore's acknowledgement say: Japanese by default, English from the
catalogue, wherever it ends up (/healthz's problem, audit_restore, the sequencer's refusal events)."""

from __future__ import annotations

import pytest
from django.utils import translation

import audit
from audit import heads, public, restores, sealing
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def head_file(settings, tmp_path):
    settings.AUDIT_HEAD_STATE_PATH = str(tmp_path / "head.json")
    return tmp_path / "head.json"


def test_a_gone_head_is_said_in_japanese_and_in_english(head_file, monkeypatch):
    monkeypatch.setattr(public, "SEQUENCER_WAIT_SECONDS", 0)
    heads.write(head_file, heads.Head(10_000, "ab" * 32, "", ""))
    assert public.head_problem() == "#10000（最後に署名した先頭）がログにありません"
    with translation.override("en"):
        assert public.head_problem() == "#10000, the last signed head, is gone from the log"


def test_a_rewritten_head_is_said_in_japanese_and_in_english(head_file, monkeypatch):
    monkeypatch.setattr(public, "SEQUENCER_WAIT_SECONDS", 0)
    audit.record("test.event", actor=audit.SYSTEM)
    seq = sealing.seal_pending(sign=False).head_seq
    heads.write(head_file, heads.Head(seq, "ab" * 32, "", ""))
    assert public.head_problem() == f"#{seq} のハッシュ値が最後に署名した先頭と違います"
    with translation.override("en"):
        assert public.head_problem() == f"#{seq} has another hash than the last signed head"


def test_a_file_that_is_no_head_file_is_said_in_japanese_and_in_english(head_file):
    head_file.write_text("{}", encoding="utf-8")
    with pytest.raises(heads.Unreadable, match=r"^.+head\.json は署名済みの先頭を保存したファイルではありません（"):
        heads.read(head_file)
    with translation.override("en"), pytest.raises(heads.Unreadable, match=r"^.+head\.json is not a head file \("):
        heads.read(head_file)


def test_the_sequencer_refuses_with_a_code_and_the_reason_in_words(head_file):
    head_file.write_text("not json", encoding="utf-8")
    audit.record("test.event", actor=audit.SYSTEM)
    assert sealing.checkpoint_now() is None
    refused = AuditEvent.objects.filter(event_type="audit.checkpoint_refused").first()
    assert refused is not None and refused.data["code"] == "head_unreadable"
    assert "署名済みの先頭を保存したファイルではありません" in refused.data["reason"]


def test_an_acknowledgement_refused_is_said_in_japanese_and_in_english(head_file, settings):
    loss = restores.Loss(heads.Head(5, "cd" * 32), heads.GENESIS, 0, "")
    heads.write(head_file, heads.Head(6, "ef" * 32, "", ""))
    with pytest.raises(restores.Unprovable) as changed:
        restores.acknowledge(loss, actor=audit.SYSTEM)
    assert changed.value.message == "欠落を見つけた後に、署名済みの先頭が変わりました"
    with translation.override("en"), pytest.raises(restores.Unprovable) as changed:
        restores.acknowledge(loss, actor=audit.SYSTEM)
    assert changed.value.message == "the signed head changed since the loss was found"
    settings.AUDIT_HEAD_STATE_PATH = ""
    settings.AUDIT_CHECKPOINT_KEY_PATH = ""
    with pytest.raises(restores.Unprovable) as unset:
        restores.acknowledge(loss, actor=audit.SYSTEM)
    assert unset.value.message == "署名済みの先頭を保存するファイルが設定されていません"
