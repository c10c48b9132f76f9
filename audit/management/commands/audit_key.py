from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import keys, signing


class Command(BaseCommand):
    help = "Show the public key auditors use to check checkpoints, or generate a new Ed25519 checkpoint key file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--generate", type=Path, metavar="PATH", help="write a new private key to PATH (mode 600)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["generate"]
        if path is not None:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError as err:
                raise CommandError(f"{path} exists; refusing to overwrite a key.") from err
            with os.fdopen(fd, "wb") as fh:
                fh.write(signing.generate_private_key_pem())
            key = signing.load_private_key(path.read_bytes()).public_key()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Wrote {path}; key ID {signing.key_id(key)}. Point AUDIT_CHECKPOINT_KEY_PATH at it."
                )
            )
            return
        try:
            key = keys.private_key().public_key()
        except keys.KeyUnavailable as err:
            raise CommandError(str(err)) from err
        self.stdout.write(signing.public_pem(key))
        self.stdout.write(f"key ID (SHA-256 of the raw key): {signing.key_id(key)}")
