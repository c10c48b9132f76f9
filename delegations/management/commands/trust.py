"""Trust anchors: list, request an addition or removal, approve or reject (a second staff member)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from delegations import trust
from delegations.models import AnchorChange, TrustAnchor
from delegations.signatures.profile import fingerprint
from mynatrust import cli

if TYPE_CHECKING:
    from mynatrust.models import User


class Command(BaseCommand):
    help = (
        "Trust anchors (J-LIS signing CA certificates, and roots of trusted time-stamping authorities with "
        "--purpose timestamping). `trust list`; `trust add FILE --as EMAIL`; "
        "`trust remove FINGERPRINT --as EMAIL`; `trust approve CHANGE_ID --as EMAIL` and `trust reject ...` "
        "by a different staff member (4-eyes). Acting --as a staff member asks for that member's current "
        f"authenticator code (without echo, or from ${cli.CODE_VARIABLE}); the role is checked as in the admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="anchors and pending changes")
        add = sub.add_parser("add", help="request the addition of a CA certificate (PEM or DER)")
        add.add_argument("file")
        add.add_argument("--label", default="")
        add.add_argument(
            "--purpose",
            choices=["signing", "timestamping"],
            default="signing",
            help="signing: a J-LIS signing CA (default); timestamping: the root of a trusted time-stamping authority",
        )
        add.add_argument("--reason", default="")
        add.add_argument("--dry-run", action="store_true", help="show what would be requested")
        remove = sub.add_parser("remove", help="request the removal of an anchor")
        remove.add_argument("fingerprint")
        remove.add_argument("--reason", default="")
        remove.add_argument("--dry-run", action="store_true")
        for verb in ("approve", "reject"):
            decide = sub.add_parser(verb, help=f"{verb} a pending change (not your own)")
            decide.add_argument("change_id", type=int)
            decide.add_argument("--dry-run", action="store_true")
        for p in sub.choices.values():
            if p.prog.split()[-1] != "list":
                cli.add_actor_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list()
            return
        with cli.entry_point(f"trust {action}"):
            actor = cli.verified_staff(options["actor"], command=f"trust {action}")
            try:
                getattr(self, f"_{action}")(actor, options)
            except trust.TrustError as exc:
                raise CommandError(f"refused ({exc.code}): {exc.message}") from exc

    def _list(self) -> None:
        anchors = list(TrustAnchor.objects.all())
        for a in anchors:
            jlis = "J-LIS" if a.matches_jlis else ("TEST-PKI" if a.is_test_pki else "not-J-LIS")
            self.stdout.write(
                f"{a.fingerprint_sha256} {a.purpose:<12} {a.status:<16} {jlis:<9} "
                f"{a.not_before:%Y-%m-%d}..{a.not_after:%Y-%m-%d} "
                f"{a.subject}"
            )
        pending = AnchorChange.objects.filter(decision=AnchorChange.Decision.PENDING).select_related("anchor")
        for c in pending:
            self.stdout.write(
                f"pending change #{c.pk}: {c.action} {c.anchor.fingerprint_sha256[:16]}… by {c.requested_by}"
            )
        self.stdout.write(f"{len(anchors)} anchor(s), {pending.count()} pending change(s)")

    def _add(self, actor: User, options: dict[str, Any]) -> None:
        try:
            data = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read: {exc}") from exc
        cert = trust.anchor_candidate(data)
        fp = fingerprint(cert)
        matches = fp in {f.replace(":", "").upper() for f in _published()}
        self.stdout.write(f"subject:     {cert.subject.rfc4514_string()}")
        self.stdout.write(f"SHA-256:     {fp}")
        self.stdout.write(f"validity:    {cert.not_valid_before_utc:%Y-%m-%d} .. {cert.not_valid_after_utc:%Y-%m-%d}")
        self.stdout.write(f"purpose:     {options['purpose']}")
        self.stdout.write(f"J-LIS match: {'yes' if matches else 'NO'}")
        if options["dry_run"]:
            self.stdout.write("dry run: nothing requested")
            return
        change = trust.request_anchor_addition(
            data, actor=actor, reason=options["reason"], label=options["label"], purpose=options["purpose"]
        )
        self.stdout.write(self.style.SUCCESS(f"requested change #{change.pk}; another staff member must approve it"))

    def _remove(self, actor: User, options: dict[str, Any]) -> None:
        anchor = TrustAnchor.objects.filter(fingerprint_sha256=options["fingerprint"].replace(":", "").upper()).first()
        if anchor is None:
            raise CommandError("no such anchor")
        if options["dry_run"]:
            self.stdout.write(f"dry run: would request removal of {anchor}")
            return
        change = trust.request_anchor_removal(anchor, actor=actor, reason=options["reason"])
        self.stdout.write(self.style.SUCCESS(f"requested change #{change.pk}; another staff member must approve it"))

    def _decide(self, actor: User, options: dict[str, Any], approve: bool) -> None:
        change = AnchorChange.objects.filter(pk=options["change_id"]).first()
        if change is None:
            raise CommandError("no such change")
        if options["dry_run"]:
            self.stdout.write(f"dry run: would {'approve' if approve else 'reject'} {change}")
            return
        fn = trust.approve_anchor_change if approve else trust.reject_anchor_change
        change = fn(change, actor=actor)
        self.stdout.write(self.style.SUCCESS(f"{change}: anchor is now {change.anchor.status}"))

    def _approve(self, actor: User, options: dict[str, Any]) -> None:
        self._decide(actor, options, True)

    def _reject(self, actor: User, options: dict[str, Any]) -> None:
        self._decide(actor, options, False)


def _published() -> list[str]:
    from django.conf import settings

    return list(settings.JLIS_SIGN_CA_FINGERPRINTS)
