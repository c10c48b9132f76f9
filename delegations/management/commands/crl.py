"""Import CRLs into the indexed revoked-serial table and show their freshness."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import audit
from delegations import trust
from delegations.models import RevocationList
from mynatrust import cli


class Command(BaseCommand):
    help = (
        "CRL data: `crl import FILE [--as EMAIL] [--dry-run]`, `crl status`. With --as, the staff member's "
        f"current authenticator code is asked (or read from ${cli.CODE_VARIABLE}); without it the import is "
        "recorded as the system's, from the command line of this host and user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="check and import a CRL (DER or PEM)")
        imp.add_argument("file")
        imp.add_argument(
            "--as", dest="actor", help="your staff e-mail address (asks your authenticator code); default: the system"
        )
        imp.add_argument("--dry-run", action="store_true", help="check the CRL without storing it")
        sub.add_parser("status", help="current CRL per issuer, with freshness")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            self._status()
            return
        try:
            data = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read: {exc}") from exc
        with cli.entry_point("crl import"):
            actor = cli.verified_staff(options["actor"], command="crl import") if options["actor"] else audit.SYSTEM
            try:
                result = trust.import_crl(data, actor=actor, dry_run=options["dry_run"])
            except trust.TrustError as exc:
                raise CommandError(f"refused ({exc.code}): {exc.message}") from exc
        verb = "would import" if result.dry_run else "imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} CRL #{result.crl_number}: {result.entries} entries, "
                f"thisUpdate {result.this_update:%Y-%m-%d %H:%M}Z, nextUpdate "
                f"{result.next_update:%Y-%m-%d %H:%M}Z, {result.seconds:.1f} s"
            )
        )

    def _status(self) -> None:
        now = datetime.now(UTC)
        current = list(RevocationList.objects.filter(is_current=True).select_related("anchor"))
        stale = 0
        for crl in current:
            fresh = crl.next_update > now
            stale += not fresh
            style = self.style.SUCCESS if fresh else self.style.ERROR
            self.stdout.write(
                style(
                    f"{crl.anchor.fingerprint_sha256[:16]}… CRL #{crl.crl_number} entries={crl.entries} "
                    f"nextUpdate={crl.next_update.isoformat()} {'fresh' if fresh else 'STALE'}"
                )
            )
        self.stdout.write(f"{len(current)} current CRL(s), {stale} stale")
