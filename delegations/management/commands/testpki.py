"""The generated test PKI (JPKI profile) for the demo, tests and benchmarks. Never in production."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from delegations.signatures.testpki import PERSONAS, PersonaSpec, TestPKI


class Command(BaseCommand):
    help = (
        "Test PKI with the JPKI signing profile: `testpki init`, `testpki issue NAME --name ... --address ...`, "
        "`testpki revoke NAME`, `testpki crl --out FILE`, `testpki sign PERSONA FILE --out FILE`, "
        "`testpki timestamp FILE --out FILE` (a document timestamp from the test TSA), `testpki dss FILE --out FILE`. "
        "Refused in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=None, help="PKI directory (default: SIGNATURE_TEST_PKI_DIR)")
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="generate root, look-alike root, OCSP responder and personas")
        init.add_argument("--force", action="store_true", help="replace an existing PKI")
        init.add_argument("--dry-run", action="store_true")
        issue = sub.add_parser("issue", help="issue a signing certificate for a new persona")
        issue.add_argument("key")
        issue.add_argument("--name", required=True, help="family and given name, separated by a space")
        issue.add_argument("--address", required=True)
        issue.add_argument("--birth", default="419800401", help="EYYYYMMDD")
        issue.add_argument("--gender", default="1", choices=["1", "2", "3"])
        issue.add_argument("--dry-run", action="store_true")
        revoke = sub.add_parser("revoke", help="revoke a persona's certificate")
        revoke.add_argument("key")
        revoke.add_argument("--dry-run", action="store_true")
        crl = sub.add_parser("crl", help="write a fresh CRL (DER)")
        crl.add_argument("--out", required=True)
        crl.add_argument("--days", type=int, default=1, help="days until nextUpdate")
        serve = sub.add_parser("ocsp", help="run the test OCSP responder on 127.0.0.1 until interrupted")
        serve.add_argument("--port", type=int, default=8089)
        sign = sub.add_parser("sign", help="sign a file as a persona, as the real tools would")
        sign.add_argument("persona")
        sign.add_argument("file")
        sign.add_argument("--out", required=True)
        sign.add_argument("--container", choices=["pades", "xmldsig", "xades", "cms"], default=None)
        stamp = sub.add_parser("timestamp", help="add a document timestamp from the test TSA to a signed PDF")
        stamp.add_argument("file")
        stamp.add_argument("--out", required=True)
        dss = sub.add_parser("dss", help="add validation data (DSS: the root and a CRL) to a signed PDF")
        dss.add_argument("file")
        dss.add_argument("--out", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("the test PKI is never used in production")
        directory = Path(options["dir"] or settings.SIGNATURE_TEST_PKI_DIR)
        action = options["action"]
        if action == "init":
            if TestPKI.exists(directory) and not options["force"]:
                raise CommandError(f"{directory} already holds a test PKI (use --force to replace it)")
            if options["dry_run"]:
                self.stdout.write(f"dry run: would generate a test PKI in {directory}")
                return
            pki = TestPKI.generate()
            pki.save(directory)
            self.stdout.write(f"root SHA-256 {pki.root_fingerprint}")
            self.stdout.write(self.style.SUCCESS(f"test PKI with {len(pki.personas)} personas in {directory}"))
            return
        if not TestPKI.exists(directory):
            raise CommandError(f"no test PKI in {directory}: run `manage.py testpki init` first")
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
            self.stdout.write(f"dry run: would issue {spec.key} for {name}")
            return
        persona = pki.issue(spec)
        pki.save(directory)
        self.stdout.write(self.style.SUCCESS(f"issued {spec.key}: serial {persona.serial:X}"))

    def _revoke(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        if options["key"] not in pki.personas:
            raise CommandError(f"unknown persona; known: {', '.join(pki.personas)}")
        if options["dry_run"]:
            self.stdout.write(f"dry run: would revoke {options['key']}")
            return
        pki.revoke(options["key"])
        pki.save(directory)
        self.stdout.write(self.style.SUCCESS(f"revoked {options['key']} (issue a new CRL and import it)"))

    def _crl(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        der = pki.crl(this_update=now - timedelta(minutes=1), next_update=now + timedelta(days=options["days"]))
        pki.save(directory)  # keeps the CRL number increasing
        Path(options["out"]).write_bytes(der)
        self.stdout.write(
            self.style.SUCCESS(f"CRL #{pki.crl_number} with {len(pki.revoked)} entries → {options['out']}")
        )

    def _ocsp(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        from delegations.signatures.testpki import serve_ocsp

        with serve_ocsp(pki, port=options["port"]) as url:
            self.stdout.write(self.style.SUCCESS(f"OCSP responder at {url} (SIGNATURE_OCSP_URL); Ctrl-C stops it"))
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                self.stdout.write("stopped")

    def _sign(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        if options["persona"] not in pki.personas:
            raise CommandError(f"unknown persona; known: {', '.join(pki.personas)}")
        data = Path(options["file"]).read_bytes()
        container = options["container"] or ("pades" if data.lstrip().startswith(b"%PDF") else "xmldsig")
        if container == "pades":
            out = pki.sign_pdf(data, options["persona"])
        elif container in ("xmldsig", "xades"):
            out = pki.sign_xml(data, options["persona"], xades=container == "xades")
        else:
            out = pki.sign_cms(data, options["persona"])
        Path(options["out"]).write_bytes(out)
        self.stdout.write(self.style.SUCCESS(f"{container} signature by {options['persona']} → {options['out']}"))

    def _timestamp(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        out = pki.timestamp_pdf(Path(options["file"]).read_bytes())
        pki.save(directory)  # a PKI saved before the TSA existed keeps the one just generated
        Path(options["out"]).write_bytes(out)
        self.stdout.write(
            self.style.SUCCESS(
                f"document timestamp by {pki.timestamping.cert.subject.rfc4514_string()} → {options['out']}"
            )
        )

    def _dss(self, pki: TestPKI, directory: Path, options: dict[str, Any]) -> None:
        Path(options["out"]).write_bytes(pki.add_validation_data(Path(options["file"]).read_bytes()))
        pki.save(directory)
        self.stdout.write(self.style.SUCCESS(f"validation data added → {options['out']}"))


__all__ = ["PERSONAS", "Command"]
