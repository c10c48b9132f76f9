"""Demo only: put a test card for one delegation in SoftHSM2, for signing with the card helper."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from delegations import softcard
from delegations.models import Delegation, SignedFile
from mynatrust.lib import delegation_id as delegation_ids

PIN = "1234abcd"


class Command(BaseCommand):
    help = (
        "Demo only: a SoftHSM2 token holding a test card for a delegation awaiting signatures (the "
        "representative's for the delegation PDF, or the agent's for the acceptance PDF, each beside an "
        "authentication key), and the command that signs the downloaded PDF with it through PKCS#11."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("delegation_id", help="the delegation ID shown on its page")
        parser.add_argument("--role", choices=SignedFile.Role.values, default=SignedFile.Role.PRINCIPAL)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION or not settings.DEMO_MODE:
            raise CommandError("demo_card runs only in the demo (DEMO_MODE)")
        from delegations.demo import load_demo_pki, test_card_persona

        try:
            canonical = delegation_ids.parse(options["delegation_id"])
        except delegation_ids.DelegationIdError as exc:
            raise CommandError(str(exc.message)) from exc
        delegation = Delegation.objects.filter(delegation_id=canonical).select_related("subscriber").first()
        if delegation is None or delegation.status != Delegation.Status.AWAITING_SIGNATURES:
            raise CommandError(f"no delegation {canonical} awaiting signatures")
        role = options["role"]
        pki = load_demo_pki()
        persona = pki.issue(test_card_persona(delegation, role))
        folder = Path(settings.BASE_DIR) / "var" / "softhsm"
        conf = softcard.configure(folder)
        label = f"DEMO-{role}-{secrets.token_hex(3)}"
        keys = [pki.personas["authentication"], persona]  # as on a card: authentication key, then signing
        softcard.create_token(folder, label, PIN, [p.key for p in keys])
        softcard.add_certificates(label, PIN, [p.cert for p in keys])
        (folder / "test-root.der").write_bytes(pki.root_der)
        (folder / "test-crl.der").write_bytes(pki.crl())
        document = "delegation" if role == SignedFile.Role.PRINCIPAL else "acceptance"
        self.stdout.write(self.style.SUCCESS(f"test card {label} ({persona.spec.name}) in {folder}"))
        self.stdout.write(f"Download {document}-{delegation.file_name_id}.pdf from the delegation's page, then:")
        self.stdout.write(
            f"  SOFTHSM2_CONF={conf} .venv/bin/python -m delegations.cardsign {document}-{delegation.file_name_id}.pdf"
            f" --module {softcard.SOFTHSM_MODULE} --token {label}"
            f" --trust {folder / 'test-root.der'} --crl {folder / 'test-crl.der'}"
        )
        self.stdout.write(f"The card's signing password is {PIN}. Upload the -signed.pdf it writes.")
