from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from validity import signing


class Command(BaseCommand):
    help = (
        "Create a P-256 key for signed validity answers (ES256), or show the published keys. "
        "Rotation: create a new key, add the old file to VALIDITY_PUBLISHED_KEY_FILES, point "
        "VALIDITY_SIGNING_KEY_FILE at the new one, restart the workers."
    )

    # It creates the key whose absence the checks report (validity.E001).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["create", "show"])
        parser.add_argument("path", nargs="?", help="file to create (default: VALIDITY_SIGNING_KEY_FILE)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be created, create nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            keys = signing.jwks()["keys"]
            for jwk in keys:
                self.stdout.write(f"kid {jwk['kid']} ({jwk['alg']})")
            self.stdout.write(self.style.SUCCESS(f"{len(keys)} key(s) published"))
            return
        target = Path(options["path"] or settings.VALIDITY_SIGNING_KEY_FILE or "")
        if not str(target) or str(target) == ".":
            raise CommandError("Give a path or set VALIDITY_SIGNING_KEY_FILE.")
        if target.exists():
            raise CommandError(f"{target} exists; keys are never overwritten.")
        if options["dry_run"]:
            self.stdout.write(f"would create {target}")
            return
        kid = signing.generate_key_file(target)
        self.stdout.write(self.style.SUCCESS(f"created {target} (kid {kid})"))
