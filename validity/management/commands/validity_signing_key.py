from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from kernel import commands
from mynatrust import cli
from validity import signing


class Command(commands.Command):
    help = _(
        "署名付きの有効性回答（ES256）に使う P-256 の鍵を作るか、公開している鍵を示します。"
        "鍵の交換: 新しい鍵を作り、古いファイルを VALIDITY_PUBLISHED_KEY_FILES に加え、"
        "VALIDITY_SIGNING_KEY_FILE を新しい鍵に向けて、ワーカーを再起動します。"
    )

    # It creates the key whose absence the checks report (validity.E001).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "action", choices=["create", "show"], help=gettext("create: 鍵を作る、show: 公開している鍵を示す")
        )
        parser.add_argument("path", nargs="?", help=gettext("作るファイル（既定: VALIDITY_SIGNING_KEY_FILE）"))
        parser.add_argument("--dry-run", action="store_true", help=gettext("何を作るかを示すだけで何も作らない"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            keys = signing.jwks()["keys"]
            for jwk in keys:
                self.stdout.write(gettext("鍵 ID %(kid)s（%(alg)s）") % {"kid": jwk["kid"], "alg": jwk["alg"]})
            self.stdout.write(self.style.SUCCESS(gettext("公開している鍵: %(count)s 件") % {"count": len(keys)}))
            return
        target = Path(options["path"] or settings.VALIDITY_SIGNING_KEY_FILE or "")
        if not str(target) or str(target) == ".":
            raise CommandError(gettext("パスを指定するか、VALIDITY_SIGNING_KEY_FILE を設定してください。"))
        if target.exists():
            _refuse_to_overwrite(target)
        if options["dry_run"]:
            self.stdout.write(gettext("試行のみ: %(path)s を作ることになります。") % {"path": target})
            return
        kid = _create_on_the_record(target)
        self.stdout.write(
            self.style.SUCCESS(gettext("%(path)s を作りました（鍵 ID %(kid)s）") % {"path": target, "kid": kid})
        )


def _create_on_the_record(target: Path) -> str:
    """Write the key and its event in one step: the event is inserted in the transaction that is open
    while the file is written, and a file whose event was not committed (no database, no tables yet)
    is removed, so that no key can sign answers without the audit log knowing of it. The kid is the
    one the key set publishes (its thumbprint); the private key is never recorded."""
    created = False
    try:
        with cli.entry_point("validity_signing_key create"), transaction.atomic():
            kid = signing.generate_key_file(target)
            created = True
            audit.record("validity.signing_key.created", actor=audit.SYSTEM, kid=kid, path=str(target))
    except FileExistsError:  # made by someone else since the command looked
        _refuse_to_overwrite(target)
    except BaseException as exc:
        if created:
            target.unlink(missing_ok=True)
        if isinstance(exc, DatabaseError):
            raise CommandError(_unrecorded(exc)) from exc
        raise
    return kid


def _unrecorded(exc: DatabaseError) -> str:
    return gettext(
        "鍵の作成を監査ログに記録できないため、鍵を作りませんでした（先に migrate を実行してください）: %(error)s"
    ) % {"error": exc}


def _refuse_to_overwrite(target: Path) -> NoReturn:
    """Refuse, on the record as the system's from this command line, to replace a key file."""
    reason = gettext("%(path)s は既にあります。鍵は決して上書きしません。") % {"path": target}
    with cli.entry_point("validity_signing_key create"):
        audit.record_refused(
            "validity.signing_key.create_refused", actor=audit.SYSTEM, code="exists", reason=reason, path=str(target)
        )
    raise CommandError(reason)
