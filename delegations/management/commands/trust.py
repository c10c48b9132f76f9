"""Trust anchors: list, request an addition or removal, approve or reject (a second staff member)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError, CommandParser
from django.template.defaultfilters import date
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from delegations import trust
from delegations.models import AnchorChange, TrustAnchor
from delegations.signatures.profile import fingerprint
from kernel import commands
from kernel.services import record_refusal
from mynatrust import cli

if TYPE_CHECKING:
    from mynatrust.models import User


class Command(commands.Command):
    help = format_lazy(
        _(
            "トラストアンカー（J-LIS の署名用認証局の証明書と、--purpose timestamping では信頼する時刻認証局の"
            "ルート証明書）。`trust list`、`trust add FILE --as EMAIL`、`trust remove FINGERPRINT --as EMAIL`。"
            "`trust approve CHANGE_ID --as EMAIL` と `trust reject ...` は別の職員が行います（4つの目）。"
            "--as で職員として操作するときは、その職員の認証アプリの現在のコードを尋ねます（画面に表示せず、"
            "または ${variable} から）。役割は管理画面と同じく確かめます。"
        ),
        variable=cli.CODE_VARIABLE,
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help=gettext("トラストアンカーと承認待ちの変更"))
        add = sub.add_parser("add", help=gettext("CA 証明書（PEM または DER）の追加を申請する"))
        add.add_argument("file", help=gettext("CA 証明書のファイル"))
        add.add_argument("--label", default="", help=gettext("一覧に表示する名前"))
        add.add_argument(
            "--purpose",
            choices=["signing", "timestamping"],
            default="signing",
            help=gettext("signing: J-LIS の署名用認証局（既定）、timestamping: 信頼する時刻認証局のルート証明書"),
        )
        add.add_argument("--reason", default="", help=gettext("申請の理由"))
        add.add_argument("--dry-run", action="store_true", help=gettext("何を申請するかを示すだけにする"))
        remove = sub.add_parser("remove", help=gettext("トラストアンカーの削除を申請する"))
        remove.add_argument("fingerprint", help=gettext("トラストアンカーの SHA-256 指紋"))
        remove.add_argument("--reason", default="", help=gettext("申請の理由"))
        remove.add_argument("--dry-run", action="store_true", help=gettext("何を申請するかを示すだけにする"))
        for verb, said in (
            ("approve", gettext("承認待ちの変更を承認する（自分の申請は不可）")),
            ("reject", gettext("承認待ちの変更を却下する（自分の申請は不可）")),
        ):
            decide = sub.add_parser(verb, help=said)
            decide.add_argument("change_id", type=int, help=gettext("変更の番号"))
            decide.add_argument("--dry-run", action="store_true", help=gettext("何をするかを示すだけにする"))
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
                # A refusal found before the service ran (an unreadable file, an unknown anchor) is on
                # the record too; one the service recorded is not written twice.
                record_refusal(f"delegations.trust_anchor.{action}_refused", exc, actor=actor)
                raise CommandError(gettext("拒否しました：%(reason)s") % {"reason": exc.message}) from exc

    def _list(self) -> None:
        anchors = list(TrustAnchor.objects.all())
        for a in anchors:
            if a.matches_jlis:
                origin = "J-LIS"
            elif a.is_test_pki:
                origin = gettext("テスト用 PKI")
            else:
                origin = gettext("J-LIS 以外")
            self.stdout.write(
                gettext(
                    "%(fingerprint)s %(purpose)s／%(status)s／%(origin)s／%(not_before)s〜%(not_after)s／%(subject)s"
                )
                % {
                    "fingerprint": a.fingerprint_sha256,
                    "purpose": a.get_purpose_display(),
                    "status": a.get_status_display(),
                    "origin": origin,
                    "not_before": _day(a.not_before),
                    "not_after": _day(a.not_after),
                    "subject": a.subject,
                }
            )
        pending = AnchorChange.objects.filter(decision=AnchorChange.Decision.PENDING).select_related("anchor")
        for c in pending:
            self.stdout.write(
                gettext("承認待ちの変更 #%(id)s: %(action)s %(fingerprint)s…（申請者 %(who)s）")
                % {
                    "id": c.pk,
                    "action": c.get_action_display(),
                    "fingerprint": c.anchor.fingerprint_sha256[:16],
                    "who": c.requested_by,
                }
            )
        self.stdout.write(
            gettext("トラストアンカー %(anchors)s 件、承認待ちの変更 %(pending)s 件")
            % {"anchors": len(anchors), "pending": pending.count()}
        )

    def _add(self, actor: User, options: dict[str, Any]) -> None:
        data = trust.read_file(options["file"])
        cert = trust.anchor_candidate(data)
        fp = fingerprint(cert)
        matches = fp in {f.replace(":", "").upper() for f in _published()}
        purposes = dict(TrustAnchor.Purpose.choices)
        self.stdout.write(gettext("主体者：%(subject)s") % {"subject": cert.subject.rfc4514_string()})
        self.stdout.write(gettext("SHA-256 指紋：%(fingerprint)s") % {"fingerprint": fp})
        self.stdout.write(
            gettext("有効期間：%(not_before)s〜%(not_after)s")
            % {"not_before": _day(cert.not_valid_before_utc), "not_after": _day(cert.not_valid_after_utc)}
        )
        self.stdout.write(gettext("用途：%(purpose)s") % {"purpose": purposes[options["purpose"]]})
        self.stdout.write(
            gettext("J-LIS の公表する指紋との一致：%(answer)s")
            % {"answer": gettext("一致します") if matches else gettext("一致しません")}
        )
        if options["dry_run"]:
            self.stdout.write(gettext("試行のみ：何も申請していません。"))
            return
        change = trust.request_anchor_addition(
            data, actor=actor, reason=options["reason"], label=options["label"], purpose=options["purpose"]
        )
        self.stdout.write(self.style.SUCCESS(_requested(change)))

    def _remove(self, actor: User, options: dict[str, Any]) -> None:
        wanted = options["fingerprint"].replace(":", "").upper()
        anchor = TrustAnchor.objects.filter(fingerprint_sha256=wanted).first()
        if anchor is None:
            raise trust.TrustError(
                gettext("指紋 %(fingerprint)s のトラストアンカーはありません。") % {"fingerprint": wanted},
                "no_such_anchor",
            )
        if options["dry_run"]:
            self.stdout.write(gettext("試行のみ：%(anchor)s の削除を申請することになります。") % {"anchor": anchor})
            return
        change = trust.request_anchor_removal(anchor, actor=actor, reason=options["reason"])
        self.stdout.write(self.style.SUCCESS(_requested(change)))

    def _decide(self, actor: User, options: dict[str, Any], approve: bool) -> None:
        change = AnchorChange.objects.filter(pk=options["change_id"]).first()
        if change is None:
            raise trust.TrustError(
                gettext("変更 #%(id)s はありません。") % {"id": options["change_id"]}, "no_such_change"
            )
        if options["dry_run"]:
            if approve:
                said = gettext("試行のみ：%(change)s を承認することになります。")
            else:
                said = gettext("試行のみ：%(change)s を却下することになります。")
            self.stdout.write(said % {"change": change})
            return
        fn = trust.approve_anchor_change if approve else trust.reject_anchor_change
        change = fn(change, actor=actor)
        self.stdout.write(
            self.style.SUCCESS(
                gettext("%(change)s: トラストアンカーは「%(status)s」になりました。")
                % {"change": change, "status": change.anchor.get_status_display()}
            )
        )

    def _approve(self, actor: User, options: dict[str, Any]) -> None:
        self._decide(actor, options, True)

    def _reject(self, actor: User, options: dict[str, Any]) -> None:
        self._decide(actor, options, False)


def _requested(change: AnchorChange) -> str:
    return gettext("変更 #%(id)s を申請しました。別の職員が承認する必要があります。") % {"id": change.pk}


def _day(value: datetime) -> str:
    """A certificate's validity bound as a day in Japan: 2026年12月7日."""
    return str(date(timezone.localtime(value), "DATE_FORMAT"))


def _published() -> list[str]:
    from django.conf import settings

    return list(settings.JLIS_SIGN_CA_FINGERPRINTS)
