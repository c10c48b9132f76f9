"""Demo data (``manage.py demo_setup``): an approved recipient organisation for the demo recipient
with one API key, a second organisation whose registration waits for reception, and the response
signing key under var/. Idempotent; demo only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

import audit
from mynatrust.models import User
from validity import services, signing
from validity.management.commands.validity_signing_key import SIGNING_KEY
from validity.models import ApiKey, CheckResult, RecipientMember, RecipientOrganisation

RECIPIENT_EMAIL = "recipient@demo.mynatrust.example.jp"
COLLEAGUE_EMAIL = "recipient-colleague@demo.mynatrust.example.jp"
APPLICANT_EMAIL = "recipient-applicant@demo.mynatrust.example.jp"
DEMO_KEY_LABEL = "デモ用キー"
SAMPLE_ID = "7K3Q-9XWA-2M4P-HJ"


def setup(command: Any) -> None:
    out, style = command.stdout, command.style
    key_path = Path(settings.VALIDITY_SIGNING_KEY_FILE) if settings.VALIDITY_SIGNING_KEY_FILE else None
    if key_path is not None and not key_path.exists():
        kid = SIGNING_KEY.create(key_path, signing.generate_key_file, command="demo_setup")
        out.write(
            gettext("有効性確認：回答の署名鍵 %(path)s を作りました（鍵 ID %(kid)s）") % {"path": key_path, "kid": kid}
        )
    _pending_registration(command)
    user = User.objects.filter(email=RECIPIENT_EMAIL, kind=User.Kind.RECIPIENT).first()
    if user is None:
        out.write(
            style.WARNING(
                gettext("有効性確認：デモの受領者 %(email)s がいないため飛ばしました") % {"email": RECIPIENT_EMAIL}
            )
        )
        return
    organisation, plaintext = _recipient_with_key(user)
    _kept_check(organisation, user)
    _colleague(organisation)
    _end_notice(organisation, user, command)
    _tell(command, organisation, plaintext)


def _recipient_with_key(user: Any) -> tuple[RecipientOrganisation, str | None]:
    """The demo recipient's organisation, registered and approved, with a live demo key (its
    plaintext when created now, else None)."""
    plaintext = None
    with transaction.atomic():
        membership = RecipientMember.objects.filter(user=user).select_related("organisation").first()
        if membership is None:
            organisation = services.register_recipient(
                user,
                services.RecipientDetails(
                    kind=RecipientOrganisation.Kind.CORPORATION,
                    name="デモ受領商事株式会社",
                    address="東京都千代田区大手町一丁目1番1号",
                    representative_title="代表取締役",
                    representative_name="受領 一郎",
                    representative_address="東京都世田谷区太子堂一丁目1番1号",
                    representative_date_of_birth=None,
                    declarant_name=user.display_name or "鈴木 花子",
                ),
                actor=user,
            )
        else:
            organisation = membership.organisation
        if not organisation.is_approved:
            services.approve_recipient(organisation, actor=audit.SYSTEM, reason="デモ：登録内容を確認しました。")
        if not ApiKey.objects.filter(organisation=organisation, label=DEMO_KEY_LABEL).live().exists():
            _key, plaintext = services.create_api_key(organisation, label=DEMO_KEY_LABEL, actor=user)
    return organisation, plaintext


def _tell(command: Any, organisation: RecipientOrganisation, plaintext: str | None) -> None:
    out, style = command.stdout, command.style
    out.write(style.MIGRATE_HEADING(gettext("有効性確認（受領者のページと API）")))
    out.write(
        gettext("  受領者の組織：%(name)s（%(status)s）")
        % {"name": organisation.name, "status": organisation.get_status_display()}
    )
    if plaintext:
        out.write(
            gettext("  API キー（デモ専用。表示はこの1回だけで、ハッシュ値で保存します）：%(key)s") % {"key": plaintext}
        )
        shown = plaintext
    else:
        shown = gettext("[作成時に表示したデモのキー、または /recipient/keys/ で作る新しいキー]")
        out.write(gettext("  API キー：作成済みです（別のキーは /recipient/keys/ で作れます）"))
    base = settings.SERVICE_BASE_URL.rstrip("/")
    sample = _demo_delegation_id() or SAMPLE_ID
    out.write(gettext("  試してみてください："))
    out.write(f"    curl -s -H 'Authorization: Bearer {shown}' {base}/api/v1/delegations/{sample}/validity")
    out.write(
        f"    curl -s -H 'Authorization: Bearer {shown}' -H 'Accept: application/jose' "
        f"{base}/api/v1/delegations/{sample}/validity > answer.jws"
    )
    out.write(
        f"    curl -s {base}/.well-known/jwks.json > jwks.json && .venv/bin/python docs/examples/verify_answer.py answer.jws jwks.json"
    )
    out.write(
        gettext("    確認のフォーム：%(url)s（%(email)s でログイン）")
        % {"url": f"{base}/recipient/check/", "email": RECIPIENT_EMAIL}
    )
    out.write(gettext("    確認の履歴：%(url)s") % {"url": f"{base}/recipient/checks/"})
    out.write(
        gettext(
            "    構成員：%(url)s（%(admin)s が管理者です。%(colleague)s は確認と履歴の閲覧ができ、API キーは"
            "作れません）"
        )
        % {"url": f"{base}/recipient/members/", "admin": RECIPIENT_EMAIL, "colleague": COLLEAGUE_EMAIL}
    )


def _new_recipient_account(email: str, display_name: str) -> Any:
    """A confirmed recipient account with the demo password; None when it exists already."""
    from django.utils import timezone

    from mynatrust.management.commands.demo_setup import DEMO_PASSWORD

    if User.objects.filter(email=email).exists():
        return None
    return User.objects.create_user(
        email, DEMO_PASSWORD, kind=User.Kind.RECIPIENT, display_name=display_name, email_confirmed_at=timezone.now()
    )


def _colleague(organisation: RecipientOrganisation) -> None:
    """An ordinary member beside the administrator who registered the organisation."""
    with transaction.atomic():
        user = _new_recipient_account(COLLEAGUE_EMAIL, "確認 次郎")
        if user is not None:
            RecipientMember.objects.create(organisation=organisation, user=user, role=RecipientMember.Role.MEMBER)


def _pending_registration(command: Any) -> None:
    """An organisation that registered as a recipient and waits for reception's decision."""
    with transaction.atomic():
        user = _new_recipient_account(APPLICANT_EMAIL, "申請 三郎")
        if user is None:
            return
        services.register_recipient(
            user,
            services.RecipientDetails(
                kind=RecipientOrganisation.Kind.CORPORATION,
                name="デモ確認工業株式会社",
                address="大阪府大阪市北区梅田一丁目1番1号",
                representative_title="代表取締役",
                representative_name="確認 四郎",
                representative_address="大阪府吹田市江坂町一丁目1番1号",
                representative_date_of_birth=None,
                declarant_name="申請 三郎",
            ),
            actor=user,
        )
    command.stdout.write(
        gettext("  受領者の組織 %(name)s が受付を待っています（%(email)s）")
        % {"name": "デモ確認工業株式会社", "email": APPLICANT_EMAIL}
    )


def _kept_check(organisation: RecipientOrganisation, user: Any) -> None:
    """One check of the demo delegation through the form, so the recipient's history shows it."""
    delegation_id = _demo_delegation_id()
    if delegation_id is None or CheckResult.objects.filter(organisation=organisation).exists():
        return
    query = services.answer_query(delegation_id, sha256=None, organisation=organisation, actor=user, channel="form")
    services.keep_check_result(query, organisation=organisation, actor=user)


# The agent of the delegation the demo recipient checks and its subscriber then revokes.
DEMO_ENDED_AGENT = {
    "agent_name": "中村 四郎",
    "agent_title": "入札担当課長",
    "agent_identifier": "E-12760",
    "powers": "国及び地方公共団体の入札への参加、見積書の提出並びに契約の締結",
}


def _end_notice(organisation: RecipientOrganisation, user: Any, command: Any) -> None:
    """The end notice a newcomer should see: the demo recipient checks and keeps a delegation of the
    demo corporation, which then revokes it; the recipient's notice is queued in the mail outbox as
    validity.notices does for every organisation that kept a check of an ended delegation, and the
    demo's pass of the outbox (demo_setup, after every app's demo) sends it, printed by the console
    mail like the demo's other mails."""
    from unittest import mock

    from delegations import demo as delegations_demo
    from delegations import services as delegation_services
    from delegations.models import Delegation

    if Delegation.objects.filter(agent_name=DEMO_ENDED_AGENT["agent_name"]).exists():
        return
    delegation = delegations_demo.signed_demo_delegation(DEMO_ENDED_AGENT)
    if delegation is None or delegation.status != Delegation.Status.ACTIVE:
        return
    query = services.answer_query(
        delegation.delegation_id, sha256=None, organisation=organisation, actor=user, channel="form"
    )
    services.keep_check_result(query, organisation=organisation, actor=user)
    owner = delegation.subscriber.memberships.order_by("pk").first()
    command.stdout.write(
        gettext(
            "  終了の通知：%(organisation)s が %(id)s を確認して結果を保存しました。その利用者がいまこれを取り消し、"
            "%(email)s あてのメール（終了の通知）を取消しの確定後すぐに送ります（下に表示します。送れなかったときは"
            "送信待ちに残り、再送されます）"
        )
        % {"organisation": organisation.name, "id": delegation.delegation_id, "email": user.email}
    )
    # Only the recipient's notice is printed: the subscriber's own 取消通知 is in its page as a PDF.
    with mock.patch("delegations.services.notices.notify_after_commit"):
        delegation_services.revoke_delegation(delegation, actor=owner.user, reason="受任者の異動（デモ）")


def _demo_delegation_id() -> str | None:
    """The demo subscriber's active delegation (the delegations demo runs first), so the curl lines
    answer ``valid`` rather than ``unknown``."""
    from delegations.models import Delegation

    return (
        Delegation.objects.filter(status=Delegation.Status.ACTIVE)
        .order_by("id")
        .values_list("delegation_id", flat=True)
        .first()
    )
