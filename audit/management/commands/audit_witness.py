from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit import heads, keys, signing, witness
from kernel import commands


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
            gettext("%(path)s は #%(first)s から始まります。前回連署した先頭 #%(since)s より後のチェーンを示せません。")
            % {"path": path, "first": manifest["from_seq"], "since": since}
        )
    return {"checkpoint": manifest["checkpoint"], "links": [link for link in links if link["seq"] > since]}


class Command(commands.Command):
    help = _(
        "監査ログを立会人として確かめます。最新の署名付きチェックポイントを（サービスの "
        "/.well-known/audit-checkpoint、または書き出しから）取得し、この立会人が前回連署した先頭（専用のファイルに保管）"
        "を延長していることを確かめ、立会人自身の Ed25519 鍵で連署して、連署を返します。監査人が別のホストで実行します。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group()  # one is required, except with --print-key
        source.add_argument("--url", help=gettext("サービスの https://…/.well-known/audit-checkpoint"))
        source.add_argument("--export", type=Path, help=gettext("代わりに書き出しの ZIP を使う（連署は画面に出力）"))
        source.add_argument("--local", action="store_true", help=gettext("このインストールのデータベース（デモ）"))
        parser.add_argument(
            "--service-key",
            type=Path,
            help=gettext("公開されているサービスのチェックポイント公開鍵（PEM）。--url では必須"),
        )
        parser.add_argument("--print-key", action="store_true", help=gettext("登録する立会人の公開鍵を出力する"))

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
            self.stderr.write(gettext("鍵 ID %(key_id)s") % {"key_id": signing.key_id(public)})
            return
        self._require_source(options)
        last = heads.read(state) or heads.GENESIS
        document, service_key = self._document(options, last.seq)
        try:
            cosignature = witness.cosign(document, service_key=service_key, witness_key=witness_key, state=state)
        except witness.Refused as err:
            raise CommandError(gettext("連署しませんでした：%(reason)s") % {"reason": err}) from err
        self._finish(
            options,
            cosignature,
            gettext(
                "チェックポイント #%(seq)s（先頭 %(head)s…）に連署しました。#%(last)s を延長しています。立会人の鍵 %(key)s…"
            )
            % {
                "seq": cosignature["seq"],
                "head": cosignature["head"][:16],
                "last": last.seq,
                "key": cosignature["witness_key_id"][:16],
            },
        )

    def _finish(self, options: dict[str, Any], cosignature: dict[str, Any], said: str) -> None:
        """Hand the cosignature over (store, post or print), then say what was done."""
        self._deliver(options, cosignature)
        self.stdout.write(self.style.SUCCESS(said))

    def _require_source(self, options: dict[str, Any]) -> None:
        if not (options["url"] or options["export"] or options["local"]):
            raise CommandError(gettext("--url、--export、--local のいずれかを指定してください"))

    def _document(self, options: dict[str, Any], since: int) -> tuple[dict[str, Any], Any]:
        if options["local"]:
            from audit.services import AuditError, checkpoint_document

            try:
                return checkpoint_document(since), keys.private_key().public_key()
            except (AuditError, keys.KeyUnavailable) as err:
                raise CommandError(str(err)) from err
        if options["service_key"] is None:
            raise CommandError(gettext("--service-key: 公開されているサービスのチェックポイント鍵が必要です"))
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
                raise CommandError(
                    gettext("サービスは連署を保存しませんでした：%(reason)s") % {"reason": err.message}
                ) from err
        elif options["url"]:
            _post(options["url"], cosignature)
        else:
            self.stdout.write(json.dumps(cosignature, ensure_ascii=False))
