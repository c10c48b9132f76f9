"""Demo data for the registry (called by ``manage.py demo_setup``; idempotent).

An approved corporation whose member is the demo subscriber, one application waiting for reception,
and a few rows of the NTA table. Everything goes through registry.services, so the audit log shows
the same events as real use."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any
from unittest import mock

from django.utils import timezone
from django.utils.translation import gettext

from mynatrust.management.commands.demo_setup import DEMO_PASSWORD, demo_email
from mynatrust.models import User
from registry import services
from registry.models import CorporateRecord, Membership
from registry.pdf_check import check_pdf

# The approved demo corporation; the delegation demo issues its test certificate to this person.
DEMO_CORPORATE_NUMBER = "5835678256246"
DEMO_CORPORATION = {
    "organisation_name": "株式会社マイナ商事",
    "address": "東京都千代田区霞が関二丁目1番2号",
    "representative_title": "代表取締役",
    "representative_name": "山田 太郎",
    "representative_address": "東京都世田谷区太子堂四丁目5番6号",
    "representative_phone": "0335810000",
    "representative_birth_date": None,
}
DEMO_REPRESENTATIVE = ("山田 太郎", "東京都世田谷区太子堂四丁目5番6号")

PENDING_CORPORATE_NUMBER = "2010401099001"
PENDING_CORPORATION = {
    "organisation_name": "合同会社みなとデザイン",
    "address": "東京都港区芝公園一丁目2番3号",
    "representative_title": "代表社員",
    "representative_name": "佐藤 花子",
    "representative_address": "神奈川県横浜市中区山下町1番地",
    "representative_phone": "0454000000",
    "representative_birth_date": None,
}

# An application reception returned: its applicant corrects it in three steps on /app/apply/resubmit/.
RETURNED_CORPORATE_NUMBER = "9120001077777"
RETURNED_CORPORATION = {
    "organisation_name": "株式会社なにわ物産",
    "address": "大阪府大阪市北区梅田一丁目2番3号",
    "representative_title": "社長",
    "representative_name": "高橋 次郎",
    "representative_address": "大阪府大阪市北区梅田一丁目2番3号",
    "representative_phone": "0661230000",
    "representative_birth_date": None,
}
RETURNED_REASON = "代表者の役職を登記事項証明書のとおり（代表取締役）に直して、再提出してください。"

RECORDS = [
    # number, name, prefecture, city, street, close date
    (DEMO_CORPORATE_NUMBER, "株式会社マイナ商事", "東京都", "千代田区", "霞が関２丁目１－２", None),
    # The NTA address is the old one: reception sees "所在地が公表データと異なります" beside the application.
    (PENDING_CORPORATE_NUMBER, "合同会社みなとデザイン", "東京都", "港区", "海岸１丁目１－１", None),
    ("4010001012345", "株式会社閉鎖済み商会", "東京都", "中央区", "日本橋１丁目１－１", date(2023, 3, 31)),
    (RETURNED_CORPORATE_NUMBER, "株式会社なにわ物産", "大阪府", "大阪市北区", "梅田１丁目２－３", None),
]


def certificate_pdf(organisation: str, number: str) -> bytes:
    """A one-page stand-in for a 履歴事項全部証明書 (clearly marked as a demo)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer)
    doc.setFont("HeiseiMin-W3", 16)
    doc.drawString(72, 760, "履歴事項全部証明書（デモ用・実在しません）")
    doc.setFont("HeiseiMin-W3", 11)
    for line_number, text in enumerate(
        [f"会社法人等番号　{number[1:]}", f"商号　{organisation}", "（デモ環境のためのサンプルです）"]
    ):
        doc.drawString(72, 720 - 20 * line_number, text)
    doc.showPage()
    doc.save()
    return buffer.getvalue()


def _evidence(organisation: str, number: str) -> services.EvidenceInput:
    content = certificate_pdf(organisation, number)
    return services.EvidenceInput(
        issued_on=timezone.localdate() - timedelta(days=14),
        pdf=check_pdf(content, max_size=10 * 1024 * 1024),
        file_name="touki-demo.pdf",
    )


def _records() -> None:
    for number, name, prefecture, city, street, closed in RECORDS:
        CorporateRecord.objects.update_or_create(
            corporate_number=number,
            defaults={
                "name": name,
                "prefecture_name": prefecture,
                "city_name": city,
                "street_number": street,
                "close_date": closed,
                "close_cause": "01" if closed else "",
                "process": "21" if closed else "01",
                "kind": "301",
                "latest": "1",
                "update_date": date(2025, 4, 1),
                "assignment_date": date(2015, 10, 5),
            },
        )


# A sole proprietor (§3.1): no registry certificate; identified by the representative's own JPKI
# signature and basic four items. 所在地 is the business address the delegation carries (Table 4-1).
DEMO_SOLE_PROPRIETOR = {
    "organisation_name": "やまだ商店",
    "address": "大阪府大阪市北区梅田一丁目2番3号",
    "representative_title": "",
    "representative_name": "山田 花子",
    "representative_address": "大阪府豊中市岡上の町二丁目1番1号",
    "representative_phone": "0661234567",
    "representative_birth_date": date(1970, 4, 1),
}


def _sole_proprietor(reception: User) -> None:
    user, created = User.objects.get_or_create(
        email=demo_email("sole"),
        defaults={"kind": User.Kind.SUBSCRIBER, "display_name": "山田 花子", "email_confirmed_at": timezone.now()},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if Membership.objects.filter(user=user).exists():
        return
    subscriber = services.apply_for_registration(
        actor=user,
        kind="sole_proprietor",
        corporate_number="",
        facts=DEMO_SOLE_PROPRIETOR,
        evidence=None,
        terms_accepted=True,
        antisocial_declared=True,
    )
    open_facts = subscriber.open_facts
    assert open_facts is not None  # noqa: S101  (just applied)
    services.approve_facts(
        open_facts,
        actor=reception,
        company_registry_number="",
        registered_representative_name="",
        registered_representative_address="",
        reason="デモ：個人事業主（登記事項証明書なし。署名用電子証明書と基本4情報で本人確認）",
    )


def _apply(user: User, number: str, facts: dict[str, Any]) -> Any:
    return services.apply_for_registration(
        actor=user,
        kind="corporation",
        corporate_number=number,
        facts=facts,
        evidence=_evidence(facts["organisation_name"], number),
        terms_accepted=True,
        antisocial_declared=True,
    )


def _demo_subscriber_account(role: str, display_name: str) -> Any:
    """A confirmed subscriber-kind account with the demo password (kept as it is when it exists)."""
    user, created = User.objects.get_or_create(
        email=demo_email(role),
        defaults={"kind": User.Kind.SUBSCRIBER, "display_name": display_name, "email_confirmed_at": timezone.now()},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _tell(command: Any) -> None:
    out = command.stdout
    out.write("")
    out.write(command.style.MIGRATE_HEADING(gettext("利用者登録のデモ")))
    out.write(
        gettext("  %(email)s: 承認済みの%(name)s（%(number)s）の構成員です。")
        % {"email": demo_email("subscriber"), "name": "株式会社マイナ商事", "number": DEMO_CORPORATE_NUMBER}
    )
    out.write(
        gettext("    代表者は%(name)s、%(address)sです。/app/、/app/info/、/app/members/ を開いてみてください。")
        % {"name": "山田 太郎", "address": "東京都世田谷区太子堂四丁目5番6号"}
    )
    out.write(
        gettext(
            "  %(email)s: %(name)sの一般の構成員です（下書きと閲覧ができ、取消しはできません）。"
            "管理者（subscriber@）として /app/members/ で、取消しの許可、管理者にすること、削除ができます。"
        )
        % {"email": demo_email("colleague"), "name": "株式会社マイナ商事"}
    )
    out.write(
        gettext("  %(email)s: %(name)sの利用を申し込み、受付を待っています。")
        % {"email": demo_email("applicant"), "name": "合同会社みなとデザイン"}
    )
    out.write(
        gettext(
            "  %(email)s: %(name)sの申込みが受付から差し戻されています。/app/apply/resubmit/ で修正し、確認してから再提出します。"
        )
        % {"email": demo_email("returned"), "name": "株式会社なにわ物産"}
    )
    out.write(
        gettext(
            "  %(email)s: 登記事項証明書なしで承認された個人事業主の%(name)sです。税理士（登録番号）への"
            "電子委任状が受付の資格確認を待っています。"
        )
        % {"email": demo_email("sole"), "name": "やまだ商店"}
    )
    out.write(
        gettext(
            "  %(email)s として：管理画面 → 利用者 → 受付キュー「審査待ち」で申込みを開き、証明書の PDF を見て、"
            "国税庁のデータとの照合結果（所在地が違う）を確かめてから、承認・差戻し・却下します。"
        )
        % {"email": demo_email("reception")}
    )
    out.write(
        gettext(
            "  国税庁のデータ：`manage.py import_corporate_numbers FILE.zip` で全件データを取り込みます"
            "（docs/registry.md を参照）。"
        )
    )


def setup(command: Any) -> None:
    _records()
    member = User.objects.get(email=demo_email("subscriber"))
    reception = User.objects.get(email=demo_email("reception"))
    applicant = _demo_subscriber_account("applicant", "佐藤 花子")
    # The demo's console mailer would print every notice as raw MIME; the demo does not need them.
    with mock.patch("registry.services.mail.notify_after_commit"):
        if not Membership.objects.filter(user=member).exists():
            subscriber = _apply(member, DEMO_CORPORATE_NUMBER, DEMO_CORPORATION)
            name, address = DEMO_REPRESENTATIVE
            services.approve_facts(
                subscriber.open_facts,
                actor=reception,
                company_registry_number=DEMO_CORPORATE_NUMBER[1:],
                registered_representative_name=name,
                registered_representative_address=address,
                reason="デモ：登記事項証明書で確認済み",
                nta_confirmation={key: services.NtaRow("match") for key in services.NTA_ROWS},
            )
        if not Membership.objects.filter(user=applicant).exists():
            _apply(applicant, PENDING_CORPORATE_NUMBER, PENDING_CORPORATION)
        returned = _demo_subscriber_account("returned", "高橋 次郎")
        if not Membership.objects.filter(user=returned).exists():
            applied = _apply(returned, RETURNED_CORPORATE_NUMBER, RETURNED_CORPORATION)
            services.return_facts(applied.open_facts, actor=reception, reason=RETURNED_REASON)
        _sole_proprietor(reception)
    # An ordinary member beside the administrator (the applicant): drafts and views, may not revoke
    # until the administrator allows it on /app/members/.
    colleague = _demo_subscriber_account("colleague", "鈴木 一郎")
    owner = Membership.objects.filter(user=member).select_related("subscriber").first()
    if owner is not None and not Membership.objects.filter(user=colleague).exists():
        Membership.objects.create(user=colleague, subscriber=owner.subscriber, role=Membership.Role.MEMBER)
    _tell(command)
