"""Verify a signed file as the service would, for operators investigating a submission."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from delegations import trust
from delegations.signatures import Indication, verify

EXIT_CODES = {Indication.TOTAL_PASSED: 0, Indication.TOTAL_FAILED: 1, Indication.INDETERMINATE: 2}


class Command(BaseCommand):
    help = (
        "Verify a PAdES PDF, an enveloped XMLDSig/XAdES XML or a detached CMS signature with the installed "
        "trust anchors and the configured revocation source. Exit status: 0 TOTAL_PASSED, 1 TOTAL_FAILED, "
        "2 INDETERMINATE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the signed file (PDF, XML, or a DER/PEM CMS signature)")
        parser.add_argument("--content", help="the bytes a detached CMS signature covers")
        parser.add_argument("--json", action="store_true", help="print the stored JSON form of the report")
        parser.add_argument(
            "--allow-later-signatures", action="store_true", help="PDF: accept later signature-only revisions"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = Path(options["file"]).read_bytes()
            content = Path(options["content"]).read_bytes() if options["content"] else None
        except OSError as exc:
            raise CommandError(f"cannot read: {exc}") from exc
        policy = trust.verification_policy(allow_later_signatures=options["allow_later_signatures"])
        report = verify(data, policy, content=content)
        if options["json"]:
            self.stdout.write(report.to_json())
        else:
            for label, value in report.rows():
                self.stdout.write(f"{label}: {value}")
            style = self.style.SUCCESS if report.passed else self.style.ERROR
            self.stdout.write(style(f"{report.indication.value} {report.sub_indication or ''}".strip()))
        code = EXIT_CODES[report.indication]
        if code:
            sys.exit(code)
