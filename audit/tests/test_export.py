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


def forged(data: bytes, name: str, change) -> bytes:
    """``rewrite`` by a forger who also puts the changed member's SHA-256 in the manifest."""
    import hashlib

    changed = rewrite(data, name, change)
    content = zipfile.ZipFile(io.BytesIO(changed)).read(name)

    def fix_manifest(raw: bytes) -> bytes:
        manifest = json.loads(raw)
        manifest["files"][name]["sha256"] = hashlib.sha256(content).hexdigest()
        return json.dumps(manifest).encode()

    return rewrite(changed, "manifest.json", fix_manifest) if name != "manifest.json" else changed


def _links(content: bytes) -> list[dict]:
    return [json.loads(line) for line in content.decode().splitlines() if line.strip()]


def _jsonl(items: list[dict]) -> bytes:
    return "".join(json.dumps(item) + "\n" for item in items).encode()


def _drop_second_link(content: bytes) -> bytes:
    links = _links(content)
    return _jsonl(links[:1] + links[2:])


def _change_a_hash(content: bytes) -> bytes:
    links = _links(content)
    links[1]["hash"] = "00" * 32
    return _jsonl(links)


def _drop_last_link(content: bytes) -> bytes:
    return _jsonl(_links(content)[:-1])


def _swap_two_entries(content: bytes) -> bytes:
    lines = content.decode().splitlines(keepends=True)
    lines[0], lines[1] = lines[1], lines[0]
    return "".join(lines).encode()


def _manifest(**changes):
    def change(content: bytes) -> bytes:
        return json.dumps({**json.loads(content), **changes}).encode()

    return change


@pytest.mark.parametrize(
    ("member", "change", "problem"),
    [
        ("chain.jsonl", _drop_second_link, r"chain: position #\d+ missing"),
        ("chain.jsonl", _change_a_hash, r"chain #\d+: hash does not follow"),
        ("chain.jsonl", _drop_last_link, r"outside the chain or out of order"),
        ("events.jsonl", _swap_two_entries, r"entry #\d+ is missing from an unfiltered export"),
        ("manifest.json", _manifest(count=1), r"entries, manifest says 1"),
        ("manifest.json", _manifest(format="something/2"), r"unknown format"),
        ("manifest.json", _manifest(missing_entries=[3]), r"gone from the log: #3"),
        ("manifest.json", _manifest(to_seq=1), r"does not end at its checkpoint"),
    ],
)
def test_the_offline_verifier_walks_the_chain_and_names_the_first_problem(events, tmp_path, member, change, problem):
    # Every member rewritten by a forger who fixes the manifest's file hashes too.
    with pytest.raises(offline_verify.Invalid, match=problem):
        check(tmp_path, forged(export_bytes("jsonl"), member, change))


def test_the_offline_verifier_needs_the_chain_to_end_at_the_signed_head(events, tmp_path):
    # A complete walk whose last link is not the checkpoint's head: links and entries cut together.
    data = export_bytes("jsonl", event_type="test.tricky")  # filtered: positions may lack an entry
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    last = manifest["to_seq"]

    def cut_links(content: bytes) -> bytes:
        return _jsonl([link for link in _links(content) if link["seq"] < last])

    def cut_entries(content: bytes) -> bytes:
        return _jsonl([item for item in _links(content) if item["seq"] < last])

    cut = forged(forged(data, "chain.jsonl", cut_links), "events.jsonl", cut_entries)
    with pytest.raises(offline_verify.Invalid, match=rf"chain ends at #{last - 1} with a head other than"):
        check(tmp_path, cut)
