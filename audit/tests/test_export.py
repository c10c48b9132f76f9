"""Exports stream a ZIP that the offline verifier accepts, and it rejects any edit."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command

import audit
from audit import offline_verify
from audit.export import Filters
from audit.models import AuditEvent
from audit.services import stream_export
from audit.tests.conftest import record_many


def export_bytes(fmt="csv", **filters):
    _plan, chunks = stream_export(Filters(**filters), fmt, actor=audit.SYSTEM)
    return b"".join(chunks)


def rewrite(data: bytes, name: str, change) -> bytes:
    """A copy of the ZIP with one member changed by ``change(bytes) -> bytes``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            target.writestr(item.filename, change(content) if item.filename == name else content)
    return out.getvalue()


@pytest.fixture
def events(db, subscriber_member):
    record_many(5)
    audit.record("auth.login", actor=subscriber_member, subject=subscriber_member)
    # Text a spreadsheet would take for a formula, and JSON that needs care.
    audit.record(
        "test.tricky", actor=audit.SYSTEM, note='=HYPERLINK("x")', nested={"b": [1, 2.5, None], "a": "日本語\n"}
    )
    audit.record(
        "test.tricky", actor=audit.ActorRecord("anonymous", ip="203.0.113.9"), subject=("x", "'quoted"), value=-1
    )


def check(tmp_path, data, name="export.zip", **kwargs):
    path = tmp_path / name
    path.write_bytes(data)
    return offline_verify.verify_file(path, **kwargs)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_offline_verifier_accepts_a_real_export(events, tmp_path, fmt):
    manifest = check(tmp_path, export_bytes(fmt))
    assert manifest["count"] == AuditEvent.objects.count() - 1  # all but the export's own event
    assert manifest["to_seq"] == manifest["checkpoint"]["seq"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_filtered_export_still_verifies_up_to_the_checkpoint(events, tmp_path, fmt):
    manifest = check(tmp_path, export_bytes(fmt, event_type="test.tricky"))
    assert manifest["count"] == 2
    assert manifest["filters"] == {"event_type": "test.tricky"}


def test_the_csv_opens_in_excel_with_japanese_headers(events):
    data = zipfile.ZipFile(io.BytesIO(export_bytes("csv"))).read("events.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["連番", "イベントID", "日時(UTC)", "種別"]
    tricky = [r for r in rows if r[3] == "test.tricky"]
    assert tricky[0][9].startswith("{")  # JSON is not a formula
    assert tricky[1][8] == "''quoted"  # escaped, and the verifier undoes exactly one apostrophe
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_the_offline_verifier_rejects_an_edited_csv_even_with_a_matching_manifest(events, tmp_path):
    original = export_bytes("csv")

    def edit(content: bytes) -> bytes:
        return content.replace(b"auth.login", b"auth.logout")

    edited = rewrite(original, "events.csv", edit)
    with pytest.raises(offline_verify.Invalid, match="SHA-256"):
        check(tmp_path, edited)

    # The forger also fixes the manifest's file hash: the entry's digest gives it away.
    import hashlib

    csv_bytes = zipfile.ZipFile(io.BytesIO(edited)).read("events.csv")

    def fix_manifest(content: bytes) -> bytes:
        manifest = json.loads(content)
        manifest["files"]["events.csv"]["sha256"] = hashlib.sha256(csv_bytes).hexdigest()
        return json.dumps(manifest).encode()

    with pytest.raises(offline_verify.Invalid, match="edited"):
        check(tmp_path, rewrite(edited, "manifest.json", fix_manifest), name="forged.zip")


def test_the_offline_verifier_rejects_a_forged_checkpoint(events, tmp_path):
    def forge(content: bytes) -> bytes:
        manifest = json.loads(content)
        manifest["checkpoint"]["head"] = "00" * 32
        return json.dumps(manifest).encode()

    with pytest.raises(offline_verify.Invalid, match="signature"):
        check(tmp_path, rewrite(export_bytes("jsonl"), "manifest.json", forge))


def test_the_offline_verifier_insists_on_the_published_key(events, tmp_path):
    from audit import signing

    other = signing.load_private_key(signing.generate_private_key_pem()).public_key()
    with pytest.raises(offline_verify.Invalid, match="another key"):
        check(tmp_path, export_bytes("jsonl"), expected_key=other)


def test_the_command_line_verifier_says_ok_or_ng(events, tmp_path, capsys):
    good = tmp_path / "good.zip"
    good.write_bytes(export_bytes("jsonl"))
    bad = tmp_path / "bad.zip"
    bad.write_bytes(rewrite(good.read_bytes(), "chain.jsonl", lambda c: c.replace(b'"seq":3', b'"seq":4', 1)))
    assert offline_verify.main([str(good)]) == 0
    assert offline_verify.main([str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "OK  " in out
    assert "NG  " in out


def test_every_export_is_an_audit_event(events, tmp_path):
    call_command("audit_export", "--format", "jsonl", "--event-type", "auth.", "--out", str(tmp_path / "x.zip"))
    event = AuditEvent.objects.get(event_type="audit.exported")
    assert event.data["filters"] == {"event_type": "auth."}
    assert event.data["count"] == 1
    assert event.actor_kind == "system"
