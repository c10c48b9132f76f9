"""Verify a signed file as the service would, for operators investigating a submission."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from delegations import trust
from delegations.signatures import Indication, signed_content_matches, verify

EXIT_CODES = {Indication.TOTAL_PASSED: 0, Indication.TOTAL_FAILED: 1, Indication.INDETERMINATE: 2}


class Command(BaseCommand):
    help = (
        "Verify a PAdES PDF, an enveloped XMLDSig/XAdES XML or a detached CMS signature under the service's "
        "one verification policy (the one uploads use: installed trust anchors, TSA trust anchors, the "
        "configured revocation source, later signatures and document timestamps accepted). Exit status: "
        "0 TOTAL_PASSED, 1 TOTAL_FAILED or signed content other than --content, 2 INDETERMINATE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the signed file (PDF, XML, or a DER/PEM CMS signature)")
        parser.add_argument(
            "--content",
            help="the expected signed XML: the bytes a detached CMS covers; for a PDF or XML signature, "
            "compared with the embedded or enveloped document (the command fails when they differ)",
        )
        parser.add_argument(
            "--document",
            choices=trust.DOCUMENTS,
            default="delegation",
            help="which XML a signed PDF must carry: the delegation (default) or the agent's acceptance",
        )
        parser.add_argument("--json", action="store_true", help="print the stored JSON form of the report")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = Path(options["file"]).read_bytes()
            content = Path(options["content"]).read_bytes() if options["content"] else None
        except OSError as exc:
            raise CommandError(f"cannot read: {exc}") from exc
        policy = trust.verification_policy(document=options["document"])
        report = verify(data, policy, content=content)
        code = EXIT_CODES[report.indication]
        mismatch = content is not None and report.passed and not signed_content_matches(report, content)
        if mismatch:
            code = 1
        if options["json"]:
            self.stdout.write(report.to_json())
        else:
            self.stdout.write(gettext("適用したポリシー"))
            for label, value in policy.describe():
                self.stdout.write(f"  {label}: {value}")
            for label, value in report.rows():
                self.stdout.write(f"{label}: {value}")
            if content is not None and report.passed:
                self.stdout.write(
                    gettext("署名対象の内容: %(verdict)s")
                    % {
                        "verdict": gettext("--content と一致しません")
                        if mismatch
                        else gettext("--content と一致します")
                    }
                )
            style = self.style.SUCCESS if code == 0 else self.style.ERROR
            self.stdout.write(style(f"{report.indication.value} {report.sub_indication or ''}".strip()))
        if mismatch and options["json"]:
            self.stderr.write(gettext("署名対象の内容: %(verdict)s") % {"verdict": gettext("--content と一致しません")})
        if code:
            sys.exit(code)
