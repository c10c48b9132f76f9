"""The witness keeps its own last cosigned head and cosigns only heads that extend it; exports carry
checkpoints and cosignatures; one export proves it extends another, or names where they fork."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

import audit
from audit import heads, offline_verify, signing, witness
from audit.export import Filters
from audit.models import AuditCosignature, AuditEvent
from audit.sealing import checkpoint_now
from audit.services import checkpoint_document, stream_export
from audit.tests.conftest import record_many, tampering
from audit.tests.test_database_holder import rewrite_from


def witness_host(settings, tmp_path):
    """A witness key and head file under ``tmp_path``, its public key registered with the service;
    returns the public key's file."""
    key = tmp_path / "witness" / "witness.pem"
    key.parent.mkdir()
    key.write_bytes(signing.generate_private_key_pem())
    public = tmp_path / "witness.pub.pem"
    public.write_text(signing.public_pem(signing.load_private_key(key.read_bytes()).public_key()))
    settings.AUDIT_WITNESS_KEY_PATH = str(key)
    settings.AUDIT_WITNESS_STATE_PATH = str(tmp_path / "witness" / "head.json")
    settings.AUDIT_WITNESS_PUBLIC_KEYS = [str(public)]
    return public


@pytest.fixture
def witness_setup(db, settings, tmp_path):
    public = witness_host(settings, tmp_path)
    record_many(4)
    checkpoint_now()
    return public


def export_file(path, **filters):
    _plan, chunks = stream_export(Filters(**filters), "jsonl", actor=audit.SYSTEM)
    path.write_bytes(b"".join(chunks))
    return path


def test_the_witness_cosigns_heads_that_extend_the_last_one_it_cosigned(witness_setup, settings, capsys):
    call_command("audit_witness", "--local")
    first = AuditCosignature.objects.get()
    state = heads.read(__import__("pathlib").Path(settings.AUDIT_WITNESS_STATE_PATH))
    assert state is not None and state.seq == first.seq
    record_many(3)
    checkpoint_now()
    call_command("audit_witness", "--local")
    assert AuditCosignature.objects.count() == 2
    assert AuditEvent.objects.filter(event_type="audit.cosigned").count() == 2
    assert "に連署しました" in capsys.readouterr().out


def test_a_rewritten_log_signed_again_with_the_stolen_key_is_refused_by_the_witness(witness_setup, settings):
    """The attacker holds the database and the signing key and wipes the sequencer's head file;
    the witness, elsewhere, still holds the head it cosigned."""
    from pathlib import Path

    from audit.models import AuditSeal

    call_command("audit_witness", "--local")
    cosigned = AuditCosignature.objects.get().seq
    k = AuditSeal.objects.filter(event__event_type="test.event").order_by("seq")[1].seq
    rewrite_from(k)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE seq >= %s", [k])
    Path(settings.AUDIT_HEAD_STATE_PATH).unlink()
    record_many(2)
    forged = checkpoint_now()
    assert forged is not None  # the sequencer, its memory wiped, signs the forged chain
    with pytest.raises(CommandError, match=f"#{cosigned}"):
        call_command("audit_witness", "--local")
    assert AuditCosignature.objects.count() == 1


def test_the_endpoint_serves_the_checkpoint_and_takes_cosignatures(witness_setup, client, settings):
    answer = client.get(reverse("audit_checkpoint"), {"since": 0})
    assert answer.status_code == 200
    document = answer.json()
    assert document["links"][-1]["seq"] == document["checkpoint"]["seq"]
    service_key = signing.load_public_key(document["public_key"].encode())
    from audit import keys

    cosignature = witness.cosign(
        document,
        service_key=service_key,
        witness_key=keys.witness_private_key(),
        state=keys.witness_paths()[1],
    )
    posted = client.post(reverse("audit_checkpoint"), json.dumps(cosignature), content_type="application/json")
    assert posted.status_code == 201
    forged = {**cosignature, "signature": cosignature["signature"][::-1]}
    refused = client.post(reverse("audit_checkpoint"), json.dumps(forged), content_type="application/json")
    assert refused.status_code == 400
    assert AuditEvent.objects.filter(event_type="audit.cosignature_refused").exists()
    assert AuditCosignature.objects.count() == 1


def test_exports_carry_cosignatures_and_prove_they_extend_a_kept_one(witness_setup, tmp_path, capsys):
    call_command("audit_witness", "--local")
    kept = export_file(tmp_path / "kept.zip")
    record_many(3)
    call_command("audit_witness", "--local")
    new = export_file(tmp_path / "new.zip")
    manifest = offline_verify.verify_file(new, witness_keys=[signing.load_public_key(witness_setup.read_bytes())])
    assert len(manifest["cosignatures"]) == 2
    assert len(manifest["checkpoints"]) >= 2
    assert offline_verify.main([str(new), "--since", str(kept), "--witness-key", str(witness_setup)]) == 0
    assert "extends" in capsys.readouterr().out


def test_a_fork_between_two_exports_is_named_at_its_first_position(witness_setup, settings, tmp_path, capsys):
    from pathlib import Path

    from audit.models import AuditSeal

    kept = export_file(tmp_path / "kept.zip")
    k = AuditSeal.objects.filter(event__event_type="test.event").order_by("seq")[2].seq
    rewrite_from(k)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE seq >= %s", [k])
    Path(settings.AUDIT_HEAD_STATE_PATH).unlink()  # the attacker holds the key host too
    record_many(1)
    forged = export_file(tmp_path / "forged.zip")
    offline_verify.verify_file(forged)  # consistent on its own
    assert offline_verify.main([str(forged), "--since", str(kept)]) == 1
    assert f"FORK: the two exports differ at position #{k}" in capsys.readouterr().out


def test_the_document_for_a_witness_starts_after_its_head(witness_setup):
    document = checkpoint_document(since=2)
    assert document["links"][0]["seq"] == 3


@pytest.mark.django_db(transaction=True)
def test_the_witness_on_another_host_fetches_and_posts_over_http(live_server, settings, tmp_path):
    """What the runbook's hourly job does: ``--url`` and the published key, nothing of the database
    (the witness's head file and key are its own), over a real HTTP connection both ways."""
    import urllib.request
    from pathlib import Path

    public = witness_host(settings, tmp_path)
    assert public.exists()
    record_many(4)
    checkpoint_now()
    service_key = tmp_path / "checkpoint-public.pem"
    with urllib.request.urlopen(f"{live_server.url}{reverse('audit_checkpoint_key')}") as answer:  # noqa: S310
        service_key.write_bytes(answer.read())
    url = f"{live_server.url}{reverse('audit_checkpoint')}"
    call_command("audit_witness", "--url", url, "--service-key", str(service_key))
    first = AuditCosignature.objects.get()
    state = heads.read(Path(settings.AUDIT_WITNESS_STATE_PATH))
    assert state is not None and state.seq == first.seq
    record_many(2)
    checkpoint_now()
    call_command("audit_witness", "--url", url, "--service-key", str(service_key))
    assert AuditCosignature.objects.count() == 2
    assert AuditEvent.objects.filter(event_type="audit.cosigned", actor_kind="witness").count() == 2
    # A log cut back to before the witness's head is refused over HTTP too.
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE seq > %s", [first.seq])
    with pytest.raises(CommandError, match="連署しませんでした"):
        call_command("audit_witness", "--url", url, "--service-key", str(service_key))


def test_the_demo_shows_the_witness_cosigning_and_the_proof_between_two_exports(witness_setup, tmp_path, capsys):
    """README's demo section, command by command: demo_setup's witness cosigns the head; then a kept
    export, a cosignature by the auditor, a new export, and the proof that it extends the kept one
    with the witness's cosignature checked."""
    from io import StringIO
    from types import SimpleNamespace

    from audit import demo

    said = StringIO()
    demo.setup(SimpleNamespace(stdout=said))
    assert re.search(r"監査の立会人：#\d+ に連署しました（鍵 ID [0-9a-f]{16}…）。", said.getvalue()), said.getvalue()
    kept, new, key = tmp_path / "kept.zip", tmp_path / "new.zip", tmp_path / "witness.pub.pem"
    call_command("audit_export", "--format", "jsonl", "--out", str(kept), stdout=StringIO())
    record_many(3)
    call_command("audit_witness", "--local", stdout=StringIO())
    printed = StringIO()
    call_command("audit_witness", "--print-key", stdout=printed, stderr=StringIO())
    key.write_text(printed.getvalue())
    call_command("audit_export", "--format", "jsonl", "--out", str(new), stdout=StringIO())
    capsys.readouterr()
    assert offline_verify.main([str(new), "--since", str(kept), "--witness-key", str(key)]) == 0
    out = capsys.readouterr().out
    assert f"extends {kept}" in out and "witness cosignature" in out, out


def test_the_witness_needs_a_source_except_to_print_its_key(witness_setup):
    from io import StringIO

    with pytest.raises(CommandError, match="--url、--export、--local のいずれか"):
        call_command("audit_witness")
    printed = StringIO()
    call_command("audit_witness", "--print-key", stdout=printed, stderr=StringIO())
    assert printed.getvalue().startswith("-----BEGIN PUBLIC KEY-----")


def test_the_witness_without_network_cosigns_the_head_of_an_export(witness_setup, settings, tmp_path, capsys):
    """docs/auditor.md §4a, step 4: the export must reach back to the witness's head; the
    cosignature is printed, to be handed over."""
    from io import StringIO

    from audit import keys

    service_key = tmp_path / "checkpoint-public.pem"
    service_key.write_text(signing.public_pem(keys.private_key().public_key()))
    first = export_file(tmp_path / "first.zip")
    capsys.readouterr()
    call_command("audit_witness", "--export", str(first), "--service-key", str(service_key))
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert witness.verify_cosignature(keys.witness_private_key().public_key(), printed)
    cosigned = printed["seq"]
    record_many(3)
    checkpoint_now()
    later_only = export_file(tmp_path / "later.zip", since=AuditEvent.objects.order_by("-id")[0].created_at)
    with pytest.raises(CommandError, match=f"前回連署した先頭 #{cosigned} より後のチェーンを示せません"):
        call_command("audit_witness", "--export", str(later_only), "--service-key", str(service_key), stdout=StringIO())
    whole = export_file(tmp_path / "whole.zip")
    call_command("audit_witness", "--export", str(whole), "--service-key", str(service_key), stdout=StringIO())
    assert heads.read(keys.witness_paths()[1]).seq > cosigned  # type: ignore[union-attr]
