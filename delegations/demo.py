"""Demo data for signatures and delegations: the test PKI under SIGNATURE_TEST_PKI_DIR, its root as a
trust anchor, its time-stamping authority's root as a TSA anchor and a fresh CRL, so the demo can
sign with "test cards" (PAdES followed by a document timestamp); an active delegation and a
draft for the demo subscriber. DEMO_MODE only; idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

import audit
from delegations import trust
from delegations.models import RevocationList, TrustAnchor
from delegations.signatures.profile import fingerprint
from delegations.signatures.testpki import TestPKI
from kernel import Actor


def load_demo_pki() -> TestPKI:
    """The demo's test PKI (created on first use); for demo helpers that sign with test cards."""
    if settings.PRODUCTION or not settings.DEMO_MODE:
        raise RuntimeError("the demo test PKI exists only in DEMO_MODE")
    directory = settings.SIGNATURE_TEST_PKI_DIR
    if TestPKI.exists(directory):
        return TestPKI.load(directory)
    pki = TestPKI.generate()
    pki.save(directory)
    return pki


def setup(command: Any) -> None:
    if settings.PRODUCTION or not settings.DEMO_MODE:
        return
    pki = load_demo_pki()
    anchor = trust.install_demo_anchor(pki.root_der)
    # The test TSA: test cards add a document timestamp, as long-term (LTA) signing tools do.
    trust.install_demo_anchor(pki.timestamping.root_der, purpose=TrustAnchor.Purpose.TIMESTAMPING)
    pki.save(settings.SIGNATURE_TEST_PKI_DIR)
    current = RevocationList.objects.current_for(anchor.fingerprint_sha256)
    now = datetime.now(UTC)
    if current is None or current.next_update < now + timedelta(days=7):
        der = pki.crl(this_update=now - timedelta(minutes=1), next_update=now + timedelta(days=30))
        pki.save(settings.SIGNATURE_TEST_PKI_DIR)
        trust.import_crl(der, actor=audit.SYSTEM)
    # The TSA root's CRL: a timestamp counts only with its TSA certificate checked for revocation.
    tsa_root = fingerprint(pki.timestamping.root)
    current = RevocationList.objects.current_for(tsa_root)
    if current is None or current.next_update < now + timedelta(days=7):
        trust.import_crl(
            pki.timestamping.crl(
                this_update=now - timedelta(minutes=1),
                next_update=now + timedelta(days=30),
                number=int(now.timestamp()),  # the TSA's CRL counter is not kept with the demo PKI
            ),
            actor=audit.SYSTEM,
        )
    command.stdout.write(
        gettext("テスト用 PKI：%(path)s（ルート %(root)s…、ペルソナ：%(personas)s）")
        % {
            "path": settings.SIGNATURE_TEST_PKI_DIR,
            "root": pki.root_fingerprint[:16],
            "personas": ", ".join(pki.personas),
        }
    )
    _demo_delegations(command)


# --- test cards ----------------------------------------------------------------------------------------

# A test card is a signing certificate from the demo test PKI, issued on the spot to the person the
# service expects: the registered representative (principal) or the agent named in the delegation.
_TEST_CARD_BIRTH = "419700401"


def _jpki_name(name: str) -> str:
    # JPKI separates family and given name with an ideographic space.
    return "\u3000".join(name.replace("\u3000", " ").split())


def test_card_persona(delegation: Any, role: str) -> Any:
    from delegations.models import SignedFile
    from delegations.signatures.testpki import PersonaSpec

    if role == SignedFile.Role.PRINCIPAL:
        registered = delegation.subscriber.registered_representative()
        if registered is None:
            raise RuntimeError("the subscriber has no registered representative")
        name, address = registered
        label = "代表者のテストカード"
    else:
        name, address = delegation.agent_name, delegation.agent_address
        label = "受任者のテストカード"
    return PersonaSpec(key=f"card-{role}", label=label, name=_jpki_name(name), address=address, birth=_TEST_CARD_BIRTH)


def sign_with_test_card(delegation: Any, role: str, *, actor: Actor, spec: Any = None) -> bytes:
    """The delegation PDF (principal) or the acceptance PDF (agent) signed with a test card (PAdES);
    ``spec`` names another card than the one the service expects (the demo's substitute characters)."""
    from delegations.models import SignedFile

    pki = load_demo_pki()
    spec = spec or test_card_persona(delegation, role)
    pki.issue(spec)
    document = bytes(delegation.pdf if role == SignedFile.Role.PRINCIPAL else delegation.acceptance_pdf)
    signed = pki.sign_pdf(document, spec.key)
    tsa = fingerprint(pki.timestamping.root)
    if TrustAnchor.objects.active().timestamping().filter(fingerprint_sha256=tsa).exists():
        signed = pki.timestamp_pdf(signed)  # a document timestamp from the demo's trusted test TSA
    audit.record("delegations.test_card.signed", actor=actor, subject=delegation, role=role)
    return signed


# --- demo delegations ----------------------------------------------------------------------------------
DEMO_AGENT = {
    "agent_name": "鈴木 一郎",
    "agent_title": "購買部長",
    "agent_qualification": "",
    "agent_address": "東京都練馬区豊玉北六丁目12番1号",
    "agent_identifier_kind": "employee_number",
    "agent_identifier": "E-10234",
    "powers": "当社の物品購入に関する契約の締結（1件 500 万円以下）\n上記契約に係る請求書の受領",
    "limitations": "",
}


# A 士業 agent (§4.1.2, §4.1.3): the qualification and its registration number are in the delegation;
# reception confirms them with the professional body before the delegation becomes active.
DEMO_QUALIFIED_AGENT = {
    "agent_name": "田中 税一",
    "agent_title": "",
    "agent_qualification": "tax_accountant",
    "agent_address": "大阪府大阪市中央区本町一丁目1番1号",
    "agent_identifier_kind": "qualification_registration_number",
    "agent_identifier": "123456",
    "powers": "所得税及び消費税の申告に係る電子申告の代理",
    "limitations": "",
}


def _demo_sole_proprietor(period: dict[str, Any]) -> None:
    from delegations import services
    from delegations.models import Delegation, SignedFile
    from mynatrust.management.commands.demo_setup import demo_email
    from mynatrust.models import User
    from registry.models import member_subscriber

    member = User.objects.filter(email=demo_email("sole")).first()
    subscriber = member_subscriber(member) if member else None
    if member is None or subscriber is None or not subscriber.may_submit():
        return
    if Delegation.objects.for_subscriber(subscriber).exists():
        return
    draft = services.create_draft(subscriber, actor=member, values={**DEMO_QUALIFIED_AGENT, **period})
    finalised = services.finalise_draft(draft, actor=member)
    for role in SignedFile.Role.values:
        signed = sign_with_test_card(finalised, role, actor=member)
        services.submit_signed_file(finalised, signed, actor=member, role=role, file_name=f"{role}.pdf")


def _demo_delegations(command: Any) -> None:
    from datetime import date
    from unittest import mock

    from django.utils import timezone

    from delegations import services
    from delegations.models import Delegation, SignedFile
    from mynatrust.management.commands.demo_setup import demo_email
    from mynatrust.models import User
    from registry.models import member_subscriber

    member = User.objects.filter(email=demo_email("subscriber")).first()
    subscriber = member_subscriber(member) if member else None
    if member is None or subscriber is None or not subscriber.may_submit():
        return
    today = timezone.localdate()
    period = {"valid_from": today, "valid_until": date(today.year + 1, 3, 31)}
    with (
        mock.patch("delegations.services.notices.notify_after_commit"),
        mock.patch("delegations.services.acceptance.send_unstored_after_commit"),
    ):
        if not Delegation.objects.for_subscriber(subscriber).active().exists():
            draft = services.create_draft(subscriber, actor=member, values={**DEMO_AGENT, **period})
            finalised = services.finalise_draft(draft, actor=member)
            for role in SignedFile.Role.values:
                signed = sign_with_test_card(finalised, role, actor=member)
                services.submit_signed_file(finalised, signed, actor=member, role=role, file_name=f"{role}.pdf")
        if not Delegation.objects.for_subscriber(subscriber).drafts().exists():
            services.create_draft(
                subscriber,
                actor=member,
                values={**DEMO_AGENT, "agent_name": "高橋 花子", "agent_title": "経理課長", **period},
            )
        _demo_sole_proprietor(period)
        _demo_queues(subscriber, member, period, command)
        _demo_revoked(subscriber, member, period, command)
    active = Delegation.objects.for_subscriber(subscriber).active().order_by("pk").first()
    command.stdout.write(
        gettext(
            "電子委任状：%(subscriber)s には有効な電子委任状 %(id)s と下書きがあります。/app/delegations/"
            "（確定した下書きではテスト用カードで署名できます）"
        )
        % {"subscriber": subscriber, "id": active.delegation_id if active else "—"}
    )


# --- the staff queues ------------------------------------------------------------------------------------
# So that a newcomer sees every queue of the staff dashboards at work: a delegation waiting for
# reception (its agent's certificate differs from the delegation only at a character JPKI flagged as a
# substitute), a revocation requested by the operator waiting for a second staff member, and a new
# trust anchor requested by the operator waiting for approval.
DEMO_SUBSTITUTE_AGENT = {
    **DEMO_AGENT,
    "agent_name": "渡邉 健太",
    "agent_title": "営業部長",
    "agent_identifier": "E-20871",
    "agent_address": "東京都杉並区阿佐谷南一丁目15番1号",
}
# §4.3: a delegation registered more than a year ago whose periodic confirmation the subscriber has
# not made, past the reminder mails: it stays in force and waits in reception's follow-up queue.
DEMO_UNCONFIRMED_AGENT = {
    **DEMO_AGENT,
    "agent_name": "伊藤 三郎",
    "agent_title": "物流課長",
    "agent_identifier": "E-11852",
}
DEMO_REVOKED_AGENT = {
    **DEMO_AGENT,
    "agent_name": "佐藤 次郎",
    "agent_title": "元購買課長",
    "agent_identifier": "E-09911",
}


def _signed(subscriber: Any, member: Any, values: dict[str, Any], agent_card: Any = None) -> Any:
    from delegations import services
    from delegations.models import SignedFile

    finalised = services.finalise_draft(services.create_draft(subscriber, actor=member, values=values), actor=member)
    for role in SignedFile.Role.values:
        spec = agent_card if role == SignedFile.Role.AGENT else None
        signed = sign_with_test_card(finalised, role, actor=member, spec=spec)
        services.submit_signed_file(finalised, signed, actor=member, role=role, file_name=f"{role}.pdf")
    finalised.refresh_from_db()
    return finalised


def signed_demo_delegation(values: dict[str, Any]) -> Any:
    """A delegation of the demo corporation with ``values`` (agent and matters; the period is the demo's),
    signed with test cards and registered, for another app's demo data; None without the demo subscriber."""
    from datetime import date
    from unittest import mock

    from django.utils import timezone

    from mynatrust.management.commands.demo_setup import demo_email
    from mynatrust.models import User
    from registry.models import member_subscriber

    member = User.objects.filter(email=demo_email("subscriber")).first()
    subscriber = member_subscriber(member) if member else None
    if member is None or subscriber is None or not subscriber.may_submit():
        return None
    today = timezone.localdate()
    period = {"valid_from": today, "valid_until": date(today.year + 1, 3, 31)}
    with (
        mock.patch("delegations.services.notices.notify_after_commit"),
        mock.patch("delegations.services.acceptance.send_unstored_after_commit"),
    ):
        return _signed(subscriber, member, {**DEMO_AGENT, **values, **period})


DEMO_ENDED_AGENT = {
    **DEMO_AGENT,
    "agent_name": "鈴木 三郎",
    "agent_title": "プロジェクト責任者",
    "agent_identifier": "E-10422",
}


def _demo_revoked(subscriber: Any, member: Any, period: dict[str, Any], command: Any) -> None:
    """A delegation the subscriber revoked, with its 登録完了通知 and 取消通知 and their 受付番号."""
    from delegations import services
    from delegations.models import Delegation

    if Delegation.objects.for_subscriber(subscriber).filter(agent_name=DEMO_ENDED_AGENT["agent_name"]).exists():
        return
    ended = _signed(subscriber, member, {**DEMO_ENDED_AGENT, **period})
    services.revoke_delegation(ended, actor=member, reason="プロジェクトの終了")
    ended.refresh_from_db()
    command.stdout.write(
        gettext(
            "  電子委任状：%(id)s は利用者が取り消しました（受付番号 %(number)s）。そのページから登録完了通知と"
            "取消通知の PDF を開けます"
        )
        % {"id": ended.delegation_id, "number": ended.revocation_number}
    )


def _demo_queues(subscriber: Any, member: Any, period: dict[str, Any], command: Any) -> None:
    from delegations import services
    from delegations.models import AnchorChange, Delegation, RevocationRequest
    from delegations.signatures.testpki import PersonaSpec
    from mynatrust.management.commands.demo_setup import demo_email
    from mynatrust.models import User

    operator = User.objects.get(email=demo_email("operator"))
    mine = Delegation.objects.for_subscriber(subscriber)
    if not mine.filter(agent_name=DEMO_SUBSTITUTE_AGENT["agent_name"]).exists():
        card = PersonaSpec(
            key="card-agent-substitute",
            label="受任者のテストカード（代替文字あり）",
            name="渡辺\u3000健太",  # 邉 could not be encoded: JPKI wrote 辺 and flagged it
            name_flags="01000",
            address=DEMO_SUBSTITUTE_AGENT["agent_address"],
            birth=_TEST_CARD_BIRTH,
        )
        _signed(subscriber, member, {**DEMO_SUBSTITUTE_AGENT, **period}, agent_card=card)
        command.stdout.write(gettext("  電子委任状：代替文字を含む1件が受付の確認を待っています"))
    if not RevocationRequest.objects.exists():
        revoked = _signed(subscriber, member, {**DEMO_REVOKED_AGENT, **period})
        services.request_revocation(revoked, actor=operator, reason="担当者の退職（利用者からの届出）")
        command.stdout.write(
            gettext("  電子委任状：%(id)s の取消しが2人目の職員の判断を待っています") % {"id": revoked.delegation_id}
        )
    if not mine.filter(agent_name=DEMO_UNCONFIRMED_AGENT["agent_name"]).exists():
        _unconfirmed(_signed(subscriber, member, {**DEMO_UNCONFIRMED_AGENT, **period}), command)
    if not AnchorChange.objects.filter(decision=AnchorChange.Decision.PENDING).exists():
        next_generation = TestPKI.generate()
        trust.request_anchor_addition(
            next_generation.root_der,
            actor=operator,
            reason="署名用認証局の次の世代（デモ）",
            label="デモ：次の世代の署名用認証局",
        )
        command.stdout.write(gettext("  トラストアンカー：次の世代のルート証明書が承認を待っています"))


def _unconfirmed(delegation: Any, command: Any) -> None:
    """Let the periodic confirmation of ``delegation`` fall overdue past the reminders (as if it had
    been registered over a year ago), and send the mails that would have gone (§4.3)."""
    from datetime import timedelta
    from unittest import mock

    from delegations import confirmation
    from delegations.models import Delegation

    overdue = confirmation.today() - timedelta(days=settings.DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS + 6)
    Delegation.objects.filter(pk=delegation.pk).update(confirmation_due_on=overdue)
    with mock.patch("mynatrust.mail.send_now"):
        confirmation.send_reminders()
    command.stdout.write(
        gettext("  電子委任状：%(id)s は定期確認の期限を過ぎています（受付が対応します）")
        % {"id": delegation.delegation_id}
    )
