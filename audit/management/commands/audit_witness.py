from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import heads, keys, signing, witness


def _fetch(url: str, since: int) -> dict[str, Any]:
    query = urllib.parse.urlencode({"since": since})
    with urllib.request.urlopen(f"{url}?{query}", timeout=60) as answer:  # noqa: S310  (the operator's URL)
        return dict(json.load(answer))


def _post(url: str, cosignature: dict[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310  (the operator's URL)
        url, data=json.dumps(cosignature).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60):  # noqa: S310
        pass


def _from_export(path: Path, since: int) -> dict[str, Any]:
    """The checkpoint of an export and its chain links after ``since`` (the export must reach back
    to ``since + 1``)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        links = [json.loads(line) for line in archive.read("chain.jsonl").splitlines() if line.strip()]
    if since and manifest["from_seq"] > since + 1:
        raise CommandError(
            f"{path} starts at #{manifest['from_seq']}: it cannot show the chain after #{since}, the head cosigned last."
        )
    return {"checkpoint": manifest["checkpoint"], "links": [link for link in links if link["seq"] > since]}


class Command(BaseCommand):
    help = (
        "Witness the audit log: fetch the latest signed checkpoint (from the service's "
        "/.well-known/audit-checkpoint, or from an export), check that it extends the head this witness "
        "cosigned last (kept in its own file), cosign it with the witness's own Ed25519 key and hand the "
        "cosignature back. Run by the auditor, on another host."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group()  # one is required, except with --print-key
        source.add_argument("--url", help="the service's https://…/.well-known/audit-checkpoint")
        source.add_argument("--export", type=Path, help="an export ZIP instead (the cosignature is printed)")
        source.add_argument("--local", action="store_true", help="this installation's database (the demo)")
        parser.add_argument(
            "--service-key",
            type=Path,
            help="the service's checkpoint public key (PEM), as published; required with --url",
        )
        parser.add_argument("--print-key", action="store_true", help="print the witness's public key to register")

    def _witness(self) -> tuple[Any, Path]:
        """This host's witness key and head file."""
        try:
            witness_key = keys.witness_private_key()
            _key_path, state = keys.witness_paths()
        except keys.KeyUnavailable as err:
            raise CommandError(str(err)) from err
        return witness_key, state

    def handle(self, *args: Any, **options: Any) -> None:
        witness_key, state = self._witness()
        if options["print_key"]:
            public = witness_key.public_key()
            self.stdout.write(signing.public_pem(public), ending="")
            self.stderr.write(f"key ID {signing.key_id(public)}")
            return
        self._require_source(options)
        last = heads.read(state) or heads.GENESIS
        document, service_key = self._document(options, last.seq)
        try:
            cosignature = witness.cosign(document, service_key=service_key, witness_key=witness_key, state=state)
        except witness.Refused as err:
            raise CommandError(f"NOT cosigned: {err}") from err
        self._finish(
            options,
            cosignature,
            f"Cosigned checkpoint #{cosignature['seq']} (head {cosignature['head'][:16]}…), "
            f"which extends #{last.seq}; witness key {cosignature['witness_key_id'][:16]}…",
        )

    def _finish(self, options: dict[str, Any], cosignature: dict[str, Any], said: str) -> None:
        """Hand the cosignature over (store, post or print), then say what was done."""
        self._deliver(options, cosignature)
        self.stdout.write(self.style.SUCCESS(said))

    def _require_source(self, options: dict[str, Any]) -> None:
        if not (options["url"] or options["export"] or options["local"]):
            raise CommandError("one of the arguments --url --export --local is required")

    def _document(self, options: dict[str, Any], since: int) -> tuple[dict[str, Any], Any]:
        if options["local"]:
            from audit.services import AuditError, checkpoint_document

            try:
                return checkpoint_document(since), keys.private_key().public_key()
            except (AuditError, keys.KeyUnavailable) as err:
                raise CommandError(str(err)) from err
        if options["service_key"] is None:
            raise CommandError("--service-key: the service's published checkpoint key is required")
        service_key = signing.load_public_key(options["service_key"].read_bytes())
        if options["export"]:
            return _from_export(options["export"], since), service_key
        return _fetch(options["url"], since), service_key

    def _deliver(self, options: dict[str, Any], cosignature: dict[str, Any]) -> None:
        if options["local"]:
            from audit.services import AuditError, command_actor, record_cosignature

            try:
                record_cosignature(cosignature, actor=command_actor("audit_witness"))
            except AuditError as err:
                raise CommandError(f"the service did not store the cosignature: {err.message}") from err
        elif options["url"]:
            _post(options["url"], cosignature)
        else:
            self.stdout.write(json.dumps(cosignature, ensure_ascii=False))
