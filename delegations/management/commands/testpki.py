"""The generated test PKI (JPKI profile) for the demo, tests and benchmarks. Never in production."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from delegations.signatures.testpki import PERSONAS, PersonaSpec, TestPKI
from kernel import commands


class Command(commands.Command):
    help = _(
        "JPKI の署名用プロファイルによるテスト用 PKI：`testpki init`、`testpki issue NAME --name ... --address ...`、"
        "`testpki revoke NAME`、`testpki crl --out FILE`、`testpki sign PERSONA FILE --out FILE`、"
        "`testpki timestamp FILE --out FILE`（テスト用時刻認証局のドキュメントタイムスタンプ）、"
        "`testpki dss FILE --out FILE`。本番環境では拒否します。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        dry_run, out = gettext("何をするかを示すだけにする"), gettext("書き出すファイル")
        parser.add_argument("--dir", default=None, help=gettext("PKI のディレクトリ（既定：SIGNATURE_TEST_PKI_DIR）"))
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser(
            "init", help=gettext("ルート、よく似た名前の偽ルート、OCSP レスポンダー、ペルソナを生成する")
        )
        init.add_argument("--force", action="store_true", help=gettext("既存の PKI を置き換える"))
        init.add_argument("--dry-run", action="store_true", help=dry_run)
        issue = sub.add_parser("issue", help=gettext("新しいペルソナに署名用電子証明書を発行する"))
        issue.add_argument("key", help=gettext("ペルソナの名前（英数字）"))
        issue.add_argument("--name", required=True, help=gettext("氏と名（空白で区切る）"))
        issue.add_argument("--address", required=True, help=gettext("住所"))
        issue.add_argument("--birth", default="419800401", help=gettext("生年月日（EYYYYMMDD 形式）"))
        issue.add_argument("--gender", default="1", choices=["1", "2", "3"], help=gettext("性別（1 男、2 女、3 不明）"))
        issue.add_argument("--dry-run", action="store_true", help=dry_run)
        revoke = sub.add_parser("revoke", help=gettext("ペルソナの証明書を失効させる"))
        revoke.add_argument("key", help=gettext("ペルソナの名前"))
        revoke.add_argument("--dry-run", action="store_true", help=dry_run)
        crl = sub.add_parser("crl", help=gettext("新しい CRL（DER）を書き出す"))
        crl.add_argument("--out", required=True, help=out)
        crl.add_argument("--days", type=int, default=1, help=gettext("次回更新（nextUpdate）までの日数"))
        serve = sub.add_parser("ocsp", help=gettext("テスト用 OCSP レスポンダーを 127.0.0.1 で止めるまで動かす"))
        serve.add_argument("--port", type=int, default=8089, help=gettext("待ち受けるポート（既定 8089）"))
        sign = sub.add_parser("sign", help=gettext("実際の署名ツールと同じように、ペルソナとしてファイルに署名する"))
        sign.add_argument("persona", help=gettext("ペルソナの名前"))
        sign.add_argument("file", help=gettext("署名するファイル"))
        sign.add_argument("--out", required=True, help=out)
        sign.add_argument(
            "--container",
            choices=["pades", "xmldsig", "xades", "cms"],
            default=None,
            help=gettext("署名の形式（既定：PDF なら pades、それ以外は xmldsig）"),
        )
        stamp = sub.add_parser(
            "timestamp", help=gettext("署名済みの PDF にテスト用時刻認証局のドキュメントタイムスタンプを加える")
        )
        stamp.add_argument("file", help=gettext("署名済みの PDF"))
        stamp.add_argument("--out", required=True, help=out)
        dss = sub.add_parser("dss", help=gettext("署名済みの PDF に検証データ（DSS：ルートと CRL）を加える"))
        dss.add_argument("file", help=gettext("署名済みの PDF"))
        dss.add_argument("--out", required=True, help=out)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(gettext("テスト用 PKI は本番環境では決して使いません。"))
        directory = Path(options["dir"] or settings.SIGNATURE_TEST_PKI_DIR)
        action = options["action"]
        if action == "init":
            if TestPKI.exists(directory) and not options["force"]:
                raise CommandError(
                    gettext("%(path)s には既にテスト用 PKI があります（置き換えるには --force）。")
                    % {"path": directory}
                )
            if options["dry_run"]:
                self.stdout.write(
                    gettext("試行のみ：%(path)s にテスト用 PKI を生成することになります。") % {"path": directory}
                )
                return
            pki = TestPKI.generate()
            pki.save(directory)
            self.stdout.write(gettext("ルートの SHA-256 指紋：%(fingerprint)s") % {"fingerprint": pki.root_fingerprint})
            self.stdout.write(
                self.style.SUCCESS(
                    gettext("ペルソナ %(count)s 人のテスト用 PKI を %(path)s に作りました。")
                    % {"count": len(pki.personas), "path": directory}
                )
            )
            return
        if not TestPKI.exists(directory):
            raise CommandError(
                gettext("%(path)s にテスト用 PKI がありません。先に `manage.py testpki init` を実行してください。")
                % {"path": directory}
            )
        pki = TestPKI.load(directory)
        getattr(self, f"_{action}")(pki, directory, options)

    def _issue(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        name = options["name"].replace(" ", "\u3000", 1)
        spec = PersonaSpec(
            options["key"],
            options["key"],
            name=name,
            address=options["address"],
            birth=options["birth"],
            gender=options["gender"],
        )
        if options["dry_run"]:
            self.stdout.write(
                gettext("試行のみ：%(name)s の %(key)s を発行することになります。") % {"key": spec.key, "name": name}
            )
            return
        persona = pki.issue(spec)
        pki.save(directory)
        self.stdout.write(
            self.style.SUCCESS(
                gettext("%(key)s を発行しました（シリアル番号 %(serial)s）。")
                % {"key": spec.key, "serial": f"{persona.serial:X}"}
            )
        )

    def _revoke(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        if options["key"] not in pki.personas:
            raise CommandError(_unknown(pki))
        if options["dry_run"]:
            self.stdout.write(gettext("試行のみ：%(key)s を失効させることになります。") % {"key": options["key"]})
            return
        pki.revoke(options["key"])
        pki.save(directory)
        self.stdout.write(
            self.style.SUCCESS(
                gettext("%(key)s を失効させました（新しい CRL を発行して取り込んでください）。")
                % {"key": options["key"]}
            )
        )

    def _crl(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        der = pki.crl(this_update=now - timedelta(minutes=1), next_update=now + timedelta(days=options["days"]))
        pki.save(directory)  # keeps the CRL number increasing
        Path(options["out"]).write_bytes(der)
        self.stdout.write(
            self.style.SUCCESS(
                gettext("失効 %(entries)s 件の CRL #%(number)s → %(out)s")
                % {"number": pki.crl_number, "entries": len(pki.revoked), "out": options["out"]}
            )
        )

    def _ocsp(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        from delegations.signatures.testpki import serve_ocsp

        with serve_ocsp(pki, port=options["port"]) as url:
            self.stdout.write(
                self.style.SUCCESS(
                    gettext("OCSP レスポンダーが %(url)s で動いています（SIGNATURE_OCSP_URL）。Ctrl-C で止まります。")
                    % {"url": url}
                )
            )
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                self.stdout.write(gettext("停止しました。"))

    def _sign(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        if options["persona"] not in pki.personas:
            raise CommandError(_unknown(pki))
        data = Path(options["file"]).read_bytes()
        container = options["container"] or ("pades" if data.lstrip().startswith(b"%PDF") else "xmldsig")
        if container == "pades":
            out = pki.sign_pdf(data, options["persona"])
        elif container in ("xmldsig", "xades"):
            out = pki.sign_xml(data, options["persona"], xades=container == "xades")
        else:
            out = pki.sign_cms(data, options["persona"])
        Path(options["out"]).write_bytes(out)
        self.stdout.write(
            self.style.SUCCESS(
                gettext("%(persona)s による %(container)s 署名 → %(out)s")
                % {"container": container, "persona": options["persona"], "out": options["out"]}
            )
        )

    def _timestamp(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        out = pki.timestamp_pdf(Path(options["file"]).read_bytes())
        pki.save(directory)  # a PKI saved before the TSA existed keeps the one just generated
        Path(options["out"]).write_bytes(out)
        self.stdout.write(
            self.style.SUCCESS(
                gettext("%(tsa)s によるドキュメントタイムスタンプ → %(out)s")
                % {"tsa": pki.timestamping.cert.subject.rfc4514_string(), "out": options["out"]}
            )
        )

    def _dss(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        Path(options["out"]).write_bytes(pki.add_validation_data(Path(options["file"]).read_bytes()))
        pki.save(directory)
        self.stdout.write(self.style.SUCCESS(gettext("検証データを加えました → %(out)s") % {"out": options["out"]}))


def _unknown(pki: TestPKI) -> str:
    return gettext("そのペルソナはありません。あるのは %(known)s です。") % {"known": ", ".join(pki.personas)}


__all__ = ["PERSONAS", "Command"]
