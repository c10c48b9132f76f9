"""Demo repository: the terms of use and the operating rules in force (drafted by the operator,
approved by the service manager), a revision of the terms waiting for the service manager's approval
(its comparison table shows one changed and one added article) and one maintenance notice in the
banner. Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from mynatrust.management.commands.demo_setup import demo_email
from mynatrust.models import User
from mynatrust.repository import services
from mynatrust.repository.models import DocumentKind, DocumentVersion, Notice, TermsAcceptance

TERMS_BODY = """第1条（目的）
この約款は、{operator}（以下「当社」）が提供する{formal_name}（{service}、以下「本サービス」）の利用条件を定めるものです。

第2条（定義）
「利用者」とは、本サービスの利用を申し込み、当社が承諾した事業者をいいます。
「受領者等」とは、電子委任状を受領し、その有効性を確認する者をいいます。

第3条（電子委任状の取扱い）
当社は、委任者が署名用電子証明書により電子署名を行った電子委任状を受け付け、保管し、受領者等の求めに応じてその有効性を回答します。

第3条の2（電子委任状の取消）
利用者は、保管を依頼した有効な電子委任状を、管理アプリケーションから取り消すことができます。
当社は、不正利用の届出その他取り消す必要があると認めるときは、サービス運用者の申請とサービス責任者の承認により、電子委任状を取り消すことがあります。
取り消された電子委任状について有効性確認の問い合わせがあったときは、当社は取消済み（revoked）である旨と取消の日時を回答します。

第3条の3（定期的な確認）
利用者は、登録済みの電子委任状が真正かつ正確な情報であることを定期的に確認するものとします（運用規程 4.3）。

第4条（利用者の義務）
利用者は、登録した基本情報に変更があったときは、速やかに届け出るものとします。

第5条（サービスの終了）
当社は、本サービスを終了するときは、終了日の90日前までに利用者及び受領者等に告知します。"""

RULES_BODY = """第1章 総則
1.1 本規程は、{service} の運用に関する事項を定める。
1.2 当社（{operator}）の OID は {operator_oid}、本サービスの OID は {service_oid} とする。

第6章 記録の保存
6.2.9 記録の保存期間は、リポジトリに掲載する保存期間表のとおりとする。

第9章 規程の変更
9.2 本規程の変更は、サービス運用者が起案し、サービス責任者の承認を得て公開する。"""

PRIVACY_BODY = """個人情報の取扱いについて
{operator}（以下「当社」）は、{formal_name}の提供にあたり、個人情報を次のとおり取り扱います（運用規程 2.8）。

1. 利用目的
ご提出いただいた個人情報は、本サービスを提供するために必要な情報であり、次の目的に利用します。
・利用者との契約上の責任を果たすため
・利用者へよりよいサービスを提供するため
・利用者へ有用な情報を提供するため
・その他の正当な目的のため

2. 第三者への開示
利用者の同意がある場合および法令に基づく場合を除き、個人情報を第三者に開示しません。

3. 開示・訂正・削除
ご本人からの書面による申請により、ご本人であることを確認したうえで開示し、誤りがあれば訂正または削除します。不要となった個人情報は速やかかつ確実に消去します。"""


PROCEDURES_BODY = """1. 利用申込の審査（運用規程 3.1.3）
登記事項証明書または登記情報の会社法人等番号、本店所在地、代表者を申込内容と照合し、結果を審査記録に残す。

2. 士業の資格確認（運用規程 4.1.2）
資格団体のホームページで氏名と登録番号を照合する。確認できない場合は資格団体へ電話で問い合わせる。

3. 入退室（運用規程 7.1.1、10.2.3）
サービス責任者の事前承認を得て、保守員の立会いのもと入室し、入退室記録に記録する。"""


def setup(command: Any) -> None:
    operator = User.objects.get(email=demo_email("operator"))
    manager = User.objects.get(email=demo_email("manager"))
    context = {
        "service": settings.SERVICE_NAME,
        "formal_name": settings.SERVICE_FORMAL_NAME,
        "operator": settings.OPERATOR_NAME,
        "operator_oid": settings.OPERATOR_POLICY_OID,
        "service_oid": settings.SERVICE_OID,
    }
    effective = timezone.now() - timedelta(days=1)
    _procedures(manager, effective, command)
    _published_documents(context, operator, manager, effective, command)
    # The demo subscriber accepted these terms when applying.
    subscriber = User.objects.filter(email=demo_email("subscriber")).first()
    terms = DocumentVersion.objects.current(DocumentKind.TERMS)
    if subscriber is not None and terms and not TermsAcceptance.objects.filter(user=subscriber, document=terms):
        services.accept_current_terms(subscriber, actor=subscriber)
    _draft_revision(context, operator, command)
    _maintenance_notice(operator, command)


def _procedures(manager: User, effective: datetime, command: Any) -> None:
    """The business procedures (§7.2.4): internal, drafted by the service administrator. Drafted
    before the rules are approved, so their review waits in the administrator's queue."""
    if DocumentVersion.objects.filter(kind=DocumentKind.PROCEDURES).exists():
        return
    administrator = User.objects.get(email=demo_email("admin"))
    doc = services.draft_document(
        kind=DocumentKind.PROCEDURES,
        version="1.0",
        title="電子委任状の受付・確認手順書",
        body=PROCEDURES_BODY,
        effective_at=effective,
        change_summary="初版（運用規程 1.0 に基づく）",
        actor=administrator,
    )
    services.approve_document(doc, actor=manager, note="デモ：手順を確認しました。")
    command.stdout.write(gettext("  リポジトリ：業務手順書 1.0 を承認しました（職員のみ）"))


def _published_documents(
    context: dict[str, Any], operator: User, manager: User, effective: datetime, command: Any
) -> None:
    for kind, version, title, body in (
        (DocumentKind.TERMS, settings.REGISTRY_TERMS_VERSION, "利用約款", TERMS_BODY),
        (DocumentKind.RULES, "1.0", "電子委任状取扱業務 運用規程", RULES_BODY),
        (DocumentKind.PRIVACY, "1.0", "個人情報の取扱いについて", PRIVACY_BODY),
    ):
        if DocumentVersion.objects.filter(kind=kind, version=version).exists():
            continue
        doc = services.draft_document(
            kind=kind,
            version=version,
            title=title,
            body=body.format(**context),
            effective_at=effective,
            change_summary="初版",
            actor=operator,
        )
        services.approve_document(doc, actor=manager, note="デモ：内容を確認しました。")
        command.stdout.write(
            gettext("  リポジトリ：%(kind)s %(version)s を公開しました") % {"kind": kind.label, "version": version}
        )


def _maintenance_notice(operator: User, command: Any) -> None:
    if Notice.objects.filter(title="定期保守のお知らせ").exists():
        return
    start = timezone.localtime() + timedelta(days=7)
    start = start.replace(hour=2, minute=0, second=0, microsecond=0)
    notice = services.save_notice_draft(
        Notice(
            kind=Notice.Kind.MAINTENANCE,
            title="定期保守のお知らせ",
            body=f"{start:%Y年%-m月%-d日} 2:00〜4:00 に定期保守を行います。この間、有効性確認 API と画面を停止します。",
            period_start=start,
            ends_at=start + timedelta(hours=2),
            banner=True,
        ),
        actor=operator,
    )
    services.publish_notice(notice, actor=operator)
    command.stdout.write(gettext("  リポジトリ：保守のお知らせを公開しました（バナー）"))


REVISION_VERSION = "2027-04-01"


def revised_terms(body: str) -> str:
    """The demo's next terms of use: one article reworded, one added."""
    return body.replace(
        "利用者は、登録した基本情報に変更があったときは、速やかに届け出るものとします。",
        "利用者は、登録した基本情報に変更があったときは、変更の日から14日以内に届け出るものとします。",
    ).replace(
        "第5条（サービスの終了）",
        "第4条の2（通知）\n当社は、利用者への通知を、リポジトリへの掲載又は電子メールにより行います。\n\n第5条（サービスの終了）",
    )


def _draft_revision(context: dict[str, Any], operator: User, command: Any) -> None:
    """A revision drafted by the operator, waiting in the service manager's approval queue."""
    if DocumentVersion.objects.filter(kind=DocumentKind.TERMS, version=REVISION_VERSION).exists():
        return
    services.draft_document(
        kind=DocumentKind.TERMS,
        version=REVISION_VERSION,
        title="利用約款",
        body=revised_terms(TERMS_BODY.format(**context)),
        effective_at=timezone.now() + timedelta(days=60),
        change_summary="第4条に届出の期限を定め、第4条の2（通知）を新設します。",
        actor=operator,
    )
    command.stdout.write(
        gettext("  リポジトリ：利用約款 %(version)s の案を作りました。サービス責任者の承認を待っています")
        % {"version": REVISION_VERSION}
    )
