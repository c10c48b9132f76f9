"""Check an audit-log export or archive segment without the database.

    python -m audit.offline_verify EXPORT.zip [MORE.zip ...] [--key PUBLIC_KEY.pem]

Uses only the standard library and ``cryptography``. It recomputes every chain hash from the first
exported position to the signed checkpoint, each exported entry's digest, the files' SHA-256, and
the checkpoint's Ed25519 signature. Pass the service's published public key with ``--key``:
without it the key inside the export is used and only its fingerprint is printed for you to compare.
Exit status 0 when everything checks, 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit import chain, signing

FORMAT = "mynatrust-audit-export/1"


class Invalid(Exception):
    pass


def _csv_value(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def _csv_entries(handle: Any) -> Iterator[tuple[int, dict[str, Any], str, bool]]:
    reader = csv.reader(io.TextIOWrapper(handle, encoding="utf-8-sig", newline=""))
    header = next(reader, None)
    if header is None or header[0] != "連番":
        raise Invalid("events.csv: unexpected header")
    for line, cells in enumerate(reader, start=2):
        if len(cells) < 14:
            raise Invalid(f"events.csv line {line}: {len(cells)} columns")
        values = [_csv_value(c) for c in cells]
        data, float_free = chain.load_json(values[9])
        entry = {
            "id": int(values[1]),
            "created_at": values[2],
            "event_type": values[3],
            "actor_kind": values[4],
            "actor_id": values[5],
            "actor_label": values[6],
            "subject_type": values[7],
            "subject_id": values[8],
            "data": data,
            "request_id": values[10],
            "ip": values[11],
            "user_agent": values[12],
        }
        yield int(values[0]), entry, values[13], float_free


def _jsonl_entries(handle: Any) -> Iterator[tuple[int, dict[str, Any], str, bool]]:
    for raw in io.TextIOWrapper(handle, encoding="utf-8"):
        item, float_free = chain.load_json(raw)
        yield int(item["seq"]), item["entry"], item["digest"], float_free


def _sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, expected_key: Any = None, witness_keys: list[Any] | None = None) -> dict[str, Any]:
    """Return the manifest when ``path`` checks; raise Invalid naming the first problem otherwise.
    ``witness_keys``: each must have cosigned a head in the export."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as err:
        raise Invalid(f"not a readable ZIP: {err}") from err
    with archive:
        manifest = json.loads(archive.read("manifest.json"))
        key = _check_manifest(archive, manifest, expected_key)
        cp = manifest["checkpoint"]
        walk = _walk_chain(archive, manifest)
        if walk.last != cp["seq"] or walk.head != cp["head"]:
            raise Invalid(f"chain ends at #{walk.last} with a head other than the signed checkpoint #{cp['seq']}")
        if walk.count != manifest["count"]:
            raise Invalid(f"{walk.count} entries, manifest says {manifest['count']}")
        _check_heads(manifest, key, walk.seen, witness_keys or [])
        manifest["key_fingerprint"] = signing.key_id(key)
        return dict(manifest)


def _check_manifest(archive: zipfile.ZipFile, manifest: dict[str, Any], expected_key: Any) -> Any:
    """The files are those the manifest lists and its checkpoint is signed; returns the key that
    signed it (``expected_key``, else the one in the export)."""
    if manifest.get("format") != FORMAT:
        raise Invalid(f"unknown format {manifest.get('format')!r}")
    for name, info in manifest["files"].items():
        if _sha256(archive, name) != info["sha256"]:
            raise Invalid(f"{name}: SHA-256 differs from the manifest (file changed)")
    cp = manifest["checkpoint"]
    key = expected_key or signing.load_public_key(manifest["public_key"].encode())
    if signing.key_id(key) != cp["key_id"]:
        raise Invalid("the checkpoint was signed with another key than the one given")
    payload = signing.signed_checkpoint_payload(cp)
    if not signing.verify(key, payload, cp["signature"]):
        raise Invalid(f"checkpoint #{cp['seq']}: signature invalid")
    if manifest.get("missing_entries"):
        listed = ", ".join(f"#{seq}" for seq in manifest["missing_entries"][:10])
        raise Invalid(f"the export marks chain positions whose entry is gone from the log: {listed}")
    if manifest.get("verified") is False:
        raise Invalid(f"the export marks a log that failed verification: {'; '.join(manifest.get('problems', []))}")
    if manifest["to_seq"] != cp["seq"]:
        raise Invalid("the export does not end at its checkpoint")
    return key


@dataclass
class _Walk:
    """Where the walk along the exported chain got to."""

    head: str
    last: int
    count: int = 0  # entries checked against their link
    seen: dict[int, str] = field(default_factory=dict)  # hashes at the positions the heads name


def _walk_chain(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> _Walk:
    """Recompute every link of chain.jsonl from the first exported position, and check each exported
    entry against its link's digest."""
    parse = _csv_entries if manifest["events_format"] == "csv" else _jsonl_entries
    # Heads named by the checkpoints and cosignatures the export carries, checked on the way.
    named = {int(item["seq"]) for item in manifest.get("checkpoints", []) + manifest.get("cosignatures", [])}
    # Without a filter every position has its entry: a gap is an entry removed, not left out.
    complete = not manifest.get("filters")
    walk = _Walk(head=manifest["first_prev_hash"], last=manifest["from_seq"] - 1)
    with (
        archive.open(f"events.{manifest['events_format']}") as events_file,
        archive.open("chain.jsonl") as chain_file,
    ):
        events = parse(events_file)
        pending = next(events, None)
        for raw in io.TextIOWrapper(chain_file, encoding="utf-8"):
            link = json.loads(raw)
            expected = walk.last + 1
            computed = _follow(walk.head, expected, link)
            if pending is not None and pending[0] == expected:
                _check_entry(pending, link)
                walk.count += 1
                pending = next(events, None)
            elif complete:
                raise Invalid(f"entry #{expected} is missing from an unfiltered export (removed from the log)")
            if expected in named:
                walk.seen[expected] = computed
            walk.head, walk.last = computed, expected
        if pending is not None:
            raise Invalid(f"entry #{pending[0]} is outside the chain or out of order")
    return walk


def _follow(prev: str, expected: int, link: dict[str, Any]) -> str:
    """The hash of ``link``, which must be at position ``expected`` and follow from ``prev``."""
    if link["seq"] != expected:
        raise Invalid(f"chain: position #{expected} missing (found #{link['seq']})")
    computed = chain.chain_hash(prev, link["digest"])
    if computed != link["hash"]:
        raise Invalid(f"chain #{expected}: hash does not follow from the previous one")
    return computed


def _check_entry(pending: tuple[int, dict[str, Any], str, bool], link: dict[str, Any]) -> None:
    seq, entry, digest, float_free = pending
    if chain.entry_digest(entry, float_free=float_free) != link["digest"] or digest != link["digest"]:
        raise Invalid(f"entry #{seq} (event {entry.get('id')}): content differs from its digest (edited)")


def _check_heads(manifest: dict[str, Any], key: Any, seen: dict[int, str], witness_keys: list[Any]) -> None:
    """Every checkpoint the export carries is signed and names a head of this chain; so is every
    cosignature, and each given witness cosigned at least one of them."""
    from audit.witness import verify_cosignature

    for item in manifest.get("checkpoints", []):
        if not signing.verify(key, signing.signed_checkpoint_payload(item), item["signature"]):
            raise Invalid(f"checkpoint #{item['seq']}: signature invalid")
        if seen.get(int(item["seq"]), item["head"]) != item["head"]:
            raise Invalid(f"checkpoint #{item['seq']}: its head is not the chain's at that position")
    witnessed: dict[str, int] = {}
    by_id = {signing.key_id(k): k for k in witness_keys}
    for item in manifest.get("cosignatures", []):
        if seen.get(int(item["seq"]), item["head"]) != item["head"]:
            raise Invalid(f"cosignature of #{item['seq']}: its head is not the chain's at that position")
        witness_key = by_id.get(item.get("witness_key_id", ""))
        if witness_key is not None:
            if not verify_cosignature(witness_key, item):
                raise Invalid(f"cosignature of #{item['seq']}: signature invalid")
            witnessed[item["witness_key_id"]] = int(item["seq"])
    for kid in by_id:
        if kid not in witnessed:
            raise Invalid(f"no cosignature by witness {kid[:16]}… in this export")
    manifest["witnessed"] = witnessed


def _chain_hashes(path: Path) -> dict[int, str]:
    with zipfile.ZipFile(path) as archive, archive.open("chain.jsonl") as handle:
        return {
            int(link["seq"]): str(link["hash"])
            for link in (json.loads(raw) for raw in io.TextIOWrapper(handle, encoding="utf-8"))
        }


def prove_extension(new: Path, new_manifest: dict[str, Any], kept: Path, kept_manifest: dict[str, Any]) -> str:
    """That the chain of ``new`` runs through the head of ``kept`` (both already verified): the
    positions both hold agree, and ``new`` reaches the kept checkpoint. Raise Invalid naming the first
    position where they differ (a fork: one of them was rewritten)."""
    kept_hashes = _chain_hashes(kept)
    kept_head = int(kept_manifest["to_seq"])
    with zipfile.ZipFile(new) as archive, archive.open("chain.jsonl") as handle:
        for raw in io.TextIOWrapper(handle, encoding="utf-8"):
            link = json.loads(raw)
            seq = int(link["seq"])
            if seq in kept_hashes and kept_hashes[seq] != link["hash"]:
                raise Invalid(f"FORK: the two exports differ at position #{seq} (one of them was rewritten)")
    if int(new_manifest["to_seq"]) < kept_head:
        raise Invalid(f"the new export ends at #{new_manifest['to_seq']}, before the kept head #{kept_head}")
    if int(new_manifest["from_seq"]) > kept_head:
        raise Invalid(f"the new export starts after the kept head #{kept_head}: export from #{kept_head} or earlier")
    return f"extends {kept}: the chain runs through its signed head #{kept_head}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.offline_verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="export or archive segment ZIP files")
    parser.add_argument("--key", type=Path, help="the service's checkpoint public key (PEM) to require")
    parser.add_argument(
        "--witness-key",
        type=Path,
        action="append",
        default=[],
        help="a witness's public key (PEM): require its cosignature",
    )
    parser.add_argument(
        "--since", type=Path, help="an export kept earlier: prove that each file extends it (or name where they fork)"
    )
    args = parser.parse_args(argv)
    expected_key = signing.load_public_key(args.key.read_bytes()) if args.key else None
    witness_keys = [signing.load_public_key(path.read_bytes()) for path in args.witness_key]
    kept: dict[str, Any] | None = None
    if args.since:
        try:
            kept = verify_file(args.since, expected_key)
        except (Invalid, KeyError, ValueError) as err:
            print(f"NG  {args.since} (kept): {err}")
            return 1
    failures = 0
    previous: dict[str, Any] | None = None
    for path in args.files:
        try:
            manifest = verify_file(path, expected_key, witness_keys)
            if kept is not None and args.since:
                print(f"OK  {path}: {prove_extension(path, manifest, args.since, kept)}")
            follows = previous is not None and previous["to_seq"] + 1 == manifest["from_seq"]
            if follows and previous and previous["last_hash"] != manifest["first_prev_hash"]:
                raise Invalid(f"does not continue {previous['path']}")
        except (Invalid, KeyError, ValueError) as err:
            failures += 1
            print(f"NG  {path}: {err}")
            previous = None
            continue
        manifest["path"] = str(path)
        previous = manifest
        print(
            f"OK  {path}: #{manifest['from_seq']}–#{manifest['to_seq']}, {manifest['count']} entries, "
            f"checkpoint signed {manifest['checkpoint']['time']}, key {manifest['key_fingerprint']}, "
            f"{len(manifest.get('checkpoints', []))} checkpoint(s) and {len(manifest.get('cosignatures', []))} "
            "witness cosignature(s) in range"
        )
    if failures:
        print(f"{failures} of {len(args.files)} file(s) failed verification.")
        return 1
    print(f"All {len(args.files)} file(s) verified.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
