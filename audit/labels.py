"""The catalogue of audit event types, and the names of actor types, for the admin, exports and docs.

Every event type the service records is declared here once, with its Japanese label (English in the
catalogue of translations); its namespace is the part before the first dot and must be one of
``NAMESPACES``. A refusal is the attempt's type followed by ``_refused`` and is declared by declaring
the attempt; it reads as the attempt followed by 「（拒否）」. A few types are refusals under a name of
their own (``REFUSALS``).

``audit.record`` and its siblings refuse a type that is not declared (``UndeclaredEventType``), so a
misspelt or forgotten name fails where it is written, not in an auditor's filter years later. The
admin's namespace filter and the event table of docs/auditor.md (``manage.py audit_events``) are
made from this catalogue, and ``audit/tests/test_event_labels.py`` fails when the docs drift.
A type recorded before it was declared (an older export) is shown as recorded, never hidden.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

REFUSED = "_refused"

NAMESPACES: dict[str, Any] = {
    "system": _("システム"),
    "admin": _("管理画面"),
    "demo": _("デモ"),
    "form": _("入力"),
    "access": _("アクセスの拒否"),
    "auth": _("認証"),
    "staff": _("職員と役割"),
    "accounts": _("アカウント"),
    "mail": _("メールの送信"),
    "audit": _("監査ログ"),
    "registry": _("利用者の登録"),
    "delegations": _("電子委任状"),
    "validity": _("有効性の照会"),
    "repository": _("公開文書と告知"),
    "operations": _("運用台帳"),
    "retention": _("保存期間"),
}

EVENT_LABELS: dict[str, Any] = {
    # service start and stop, admin changes, demo
    "system.start": _("サービスの起動"),
    "system.stop": _("サービスの停止"),
    "admin.added": _("管理画面での追加"),
    "admin.changed": _("管理画面での変更"),
    "admin.deleted": _("管理画面での削除"),
    "demo.setup": _("デモデータの作成"),
    "form.refused": _("入力の拒否"),
    # refused access, counted per actor, page and minute
    "access.denied": _("権限のないページへのアクセス"),
    "access.not_found": _("存在しないか他の利用者の対象へのアクセス"),
    # authentication
    "auth.signup": _("利用登録"),
    "auth.signup_existing": _("利用登録の申込み（既にアカウントがある宛先）"),
    "auth.login": _("ログイン"),
    "auth.login_failed": _("ログインの失敗"),
    "auth.login_refused": _("ログインの拒否"),
    "auth.logout": _("ログアウト"),
    "auth.locked_out": _("ログインの一時停止（失敗の繰り返し）"),
    "auth.email_confirmed": _("メールアドレスの確認"),
    "auth.email_confirmation_failed": _("メールアドレスの確認の失敗"),
    "auth.otp_enrol": _("二要素認証の登録"),
    "auth.otp_enrolled": _("二要素認証の登録"),
    "auth.otp_verified": _("二要素認証に成功"),
    "auth.otp_failed": _("二要素認証の失敗"),
    "auth.passkey_remove": _("パスキーの削除"),
    "auth.passkey_removed": _("パスキーの削除"),
    "auth.cli_verified": _("管理コマンドの本人確認"),
    "auth.cli_refused": _("管理コマンドの本人確認の拒否"),
    "mail.throttled": _("メール送信の制限（送信せず）"),
    "mail.announcement.queued": _("一斉メールの送信予約"),
    "mail.announcement.started": _("一斉メールの送信開始"),
    "mail.message.retrying": _("メール送信の失敗（再試行予定）"),
    "mail.message.given_up": _("メール送信の断念"),
    "mail.not_sent": _("メールを送信できなかった"),
    "mail.sent_late": _("すぐに送れなかった通知メールの送信完了"),
    # staff and roles
    "staff.appoint": _("職員の任命"),
    "staff.appointed": _("職員の任命"),
    "staff.dismiss": _("職員の解任"),
    "staff.dismissed": _("職員の解任"),
    "staff.role_change": _("職員の役割変更"),
    "staff.role_changed": _("職員の役割変更"),
    "staff.role_permissions_changed": _("役割の権限の変更"),
    "staff.decision": _("職員の判断"),
    "staff.invitation_sent": _("職員への招待の送信"),
    "staff.invitation_accepted": _("職員の招待の受諾"),
    "staff.invitation_refused": _("職員の招待の拒否"),
    "staff.second_factor_reset": _("職員の二要素認証の再設定"),
    # the audit log itself
    "audit.verified": _("監査ログの検証"),
    "audit.export": _("監査ログのエクスポート"),
    "audit.exported": _("監査ログのエクスポート"),
    "audit.cosignature": _("立会人の連署の受付"),
    "audit.cosigned": _("立会人の連署の記録"),
    "audit.witness_rebase": _("復元による欠落の確認後の立会人の付け替え"),
    "audit.witness_rebased": _("復元による欠落の確認後の立会人の付け替え"),
    "audit.archived": _("監査ログのアーカイブ"),
    "audit.archive_failed": _("監査ログのアーカイブの失敗"),
    "audit.pruned": _("アーカイブ済み監査ログの削除"),
    "audit.checkpoint": _("チェックポイントの署名"),
    "audit.checkpoint_key.create": _("チェックポイントの署名鍵の作成"),
    "audit.checkpoint_key.created": _("チェックポイントの署名鍵の作成"),
    "audit.server_changed": _("データベースサーバーの変更の検知"),
    "audit.restore_loss_request": _("古いバックアップからの復元による欠落の確認依頼"),
    "audit.restore_loss_requested": _("古いバックアップからの復元による欠落の確認依頼"),
    "audit.restore_loss_acknowledge": _("古いバックアップからの復元による欠落の確認"),
    "audit.restore_loss_acknowledged": _("古いバックアップからの復元による欠落の確認"),
    # subscribers (registry)
    "registry.subscriber.apply": _("利用申込"),
    "registry.subscriber.applied": _("利用申込"),
    "registry.subscriber.review_started": _("審査の開始"),
    "registry.subscriber.approved": _("利用申込の承認"),
    "registry.subscriber.rejected": _("利用申込の不承認"),
    "registry.subscriber.suspend": _("利用停止"),
    "registry.subscriber.suspended": _("利用停止"),
    "registry.subscriber.reinstate": _("利用停止の解除"),
    "registry.subscriber.reinstated": _("利用停止の解除"),
    "registry.subscriber.terminate": _("契約終了"),
    "registry.subscriber.terminated": _("契約終了"),
    "registry.facts.approve": _("届出内容の承認"),
    "registry.facts.approved": _("届出内容の承認"),
    "registry.facts.return": _("届出の差戻し"),
    "registry.facts.returned": _("届出の差戻し"),
    "registry.facts.reject": _("届出の不承認"),
    "registry.facts.rejected": _("届出の不承認"),
    "registry.facts.resubmit": _("届出の再提出"),
    "registry.facts.resubmitted": _("届出の再提出"),
    "registry.facts.withdraw": _("届出の取下げ"),
    "registry.facts.withdrawn": _("届出の取下げ"),
    "registry.facts.change": _("変更届"),
    "registry.facts.change_submitted": _("変更届の提出"),
    "registry.facts.changed": _("登録内容の変更"),
    "registry.facts.nta_rechecked": _("法人番号の再照会"),
    "registry.facts.nta_confirmed": _("国税庁の公表データの行ごとの確認"),
    "registry.evidence.uploaded": _("登記事項証明書の提出"),
    "registry.evidence.viewed": _("登記事項証明書の閲覧"),
    "registry.contract.renew": _("契約の更新"),
    "registry.contract.renewed": _("契約の更新"),
    "registry.contract.reminder_sent": _("契約更新の案内の送信"),
    "registry.corporate_numbers.imported": _("法人番号データの取込み"),
    "registry.data_request.received": _("開示等の請求の受付"),
    "registry.data_request.record": _("開示等の請求の記録"),
    "registry.data_request.close": _("開示等の請求の完了"),
    "registry.data_request.closed": _("開示等の請求の完了"),
    "registry.member.invite": _("担当者の招待"),
    "registry.member.invited": _("担当者の招待"),
    "registry.member.accept": _("招待の受諾"),
    "registry.member.joined": _("担当者の追加"),
    "registry.member.revoke_invitation": _("招待の取消"),
    "registry.member.invitation_revoked": _("招待の取消"),
    "registry.member.remove": _("担当者の削除"),
    "registry.member.removed": _("担当者の削除"),
    "registry.member.roles": _("担当者の権限の変更"),
    "registry.member.role_changed": _("担当者の権限の変更"),
    "accounts.deactivate": _("アカウントの無効化"),
    "accounts.deactivated": _("アカウントの無効化"),
    # delegations
    "delegations.draft.create": _("下書きの作成"),
    "delegations.draft.created": _("下書きの作成"),
    "delegations.draft.edit": _("下書きの編集"),
    "delegations.draft.edited": _("下書きの編集"),
    "delegations.draft.delete": _("下書きの削除"),
    "delegations.draft.deleted": _("下書きの削除"),
    "delegations.draft.copy": _("複写による下書きの作成"),
    "delegations.draft.copied": _("複写による下書きの作成"),
    "delegations.draft.idle_notice_sent": _("下書きの削除予定の案内"),
    "delegations.matter_template.save": _("委任事項のひな形の保存"),
    "delegations.matter_template.saved": _("委任事項のひな形の保存"),
    "delegations.list.exported": _("電子委任状の一覧の CSV 出力"),
    "delegations.delegation.finalise": _("電子委任状の確定"),
    "delegations.delegation.finalised": _("電子委任状の確定"),
    "delegations.delegation.submitted": _("署名済みファイルの受付"),
    "delegations.delegation.confirm_identity": _("代替文字の照合結果の確認"),
    "delegations.delegation.identity_confirmed": _("代替文字の照合結果の確認"),
    "delegations.delegation.qualification_check": _("士業の資格確認"),
    "delegations.delegation.qualification_checked": _("士業の資格確認"),
    "delegations.delegation.activated": _("電子委任状の有効化"),
    "delegations.delegation.end_reminder_sent": _("委任期間の終了の案内"),
    "delegations.delegation.reject": _("電子委任状の不受理"),
    "delegations.delegation.rejected": _("電子委任状の不受理"),
    "delegations.delegation.revoke": _("電子委任状の取消"),
    "delegations.delegation.revoked": _("電子委任状の取消"),
    "delegations.delegation.update": _("電子委任状の変更"),
    "delegations.delegation.update_started": _("電子委任状の変更の開始"),
    "delegations.delegation.update_closed": _("電子委任状の変更の終了"),
    "delegations.delegation.superseded": _("変更による失効"),
    "delegations.confirmation.confirm": _("電子委任状の定期確認"),
    "delegations.confirmation.confirmed": _("電子委任状の定期確認"),
    "delegations.confirmation.reminded": _("定期確認のお知らせの送信"),
    "delegations.confirmation.follow_up": _("定期確認の督促の記録"),
    "delegations.confirmation.followed_up": _("定期確認の督促の記録"),
    "delegations.revocation.request": _("取消の申請"),
    "delegations.revocation.requested": _("取消の申請"),
    "delegations.revocation.approve": _("取消申請の承認"),
    "delegations.revocation.approved": _("取消申請の承認"),
    "delegations.revocation.reject": _("取消申請の却下"),
    "delegations.revocation.rejected": _("取消申請の却下"),
    "delegations.signed_file.stored": _("署名済みファイルの保存"),
    "delegations.signed_file.refused": _("署名済みファイルの拒否"),
    "delegations.file.downloaded": _("ファイルのダウンロード"),
    "delegations.acceptance.send": _("受諾書の受任者へのメール送信"),
    "delegations.acceptance.sent": _("受諾書の受任者へのメール送信"),
    "delegations.test_card.signed": _("テスト用カードでの署名"),
    "delegations.crl.import": _("失効リストの取込み"),
    "delegations.crl.imported": _("失効リストの取込み"),
    "delegations.trust_anchor.add": _("トラストアンカーの追加申請"),
    "delegations.trust_anchor.addition_requested": _("トラストアンカーの追加申請"),
    "delegations.trust_anchor.removal_requested": _("トラストアンカーの削除申請"),
    "delegations.trust_anchor.remove": _("トラストアンカーの削除申請"),
    "delegations.trust_anchor.approve": _("トラストアンカー変更の承認"),
    "delegations.trust_anchor.reject": _("トラストアンカー変更の却下"),
    "delegations.trust_anchor.add_approved": _("トラストアンカー追加の承認"),
    "delegations.trust_anchor.add_rejected": _("トラストアンカー追加の却下"),
    "delegations.trust_anchor.remove_approved": _("トラストアンカー削除の承認"),
    "delegations.trust_anchor.remove_rejected": _("トラストアンカー削除の却下"),
    "delegations.trust_anchor.demo_installed": _("デモ用トラストアンカーの設定"),
    # validity (recipients)
    "validity.member.invite": _("受領者等の担当者の招待"),
    "validity.member.invited": _("受領者等の担当者の招待"),
    "validity.member.accept": _("受領者等の招待の受諾"),
    "validity.member.joined": _("受領者等の担当者の追加"),
    "validity.member.revoke_invitation": _("受領者等の招待の取消"),
    "validity.member.invitation_revoked": _("受領者等の招待の取消"),
    "validity.member.remove": _("受領者等の担当者の削除"),
    "validity.member.removed": _("受領者等の担当者の削除"),
    "validity.member.roles": _("受領者等の担当者の権限の変更"),
    "validity.member.role_changed": _("受領者等の担当者の権限の変更"),
    "validity.query": _("有効性の照会"),
    "validity.query_mismatch": _("有効性の照会（ファイルの不一致）"),
    "validity.enumeration_suspected": _("ID の総当たりの疑い"),
    "validity.api_key_rejected": _("API キーの拒否"),
    "validity.api_key.created": _("API キーの発行"),
    "validity.api_key.revoked": _("API キーの失効"),
    "validity.signing_key.create": _("有効性回答の署名鍵の作成"),
    "validity.signing_key.created": _("有効性回答の署名鍵の作成"),
    "validity.recipient.registered": _("受領者等の登録申請"),
    "validity.recipient.approved": _("受領者等の登録の承認"),
    "validity.recipient.rejected": _("受領者等の登録の却下"),
    "validity.recipient.suspended": _("受領者等の利用停止"),
    "validity.end_notice.queued": _("確認済みの電子委任状の取消し等の通知の送信予約"),
    "validity.end_notice.sent": _("確認済みの電子委任状の取消し等の通知の送信完了"),
    "validity.end_notice.throttled": _("確認済みの電子委任状の取消し等の通知の制限（送信せず）"),
    "validity.check_result.printed": _("有効性確認の結果の PDF 出力"),
    # repository (public documents and notices)
    "repository.document.draft": _("公開文書の起案"),
    "repository.document.drafted": _("公開文書の起案"),
    "repository.document.update": _("公開文書の下書きの更新"),
    "repository.document.updated": _("公開文書の下書きの更新"),
    "repository.document.approve": _("公開文書の承認"),
    "repository.document.approved": _("公開文書の承認"),
    "repository.document.reject": _("公開文書の差戻し"),
    "repository.document.rejected": _("公開文書の差戻し"),
    "repository.document.mailed": _("公開文書の改定予告のメール送信"),
    "repository.notice.created": _("告知の作成"),
    "repository.notice.save": _("告知の保存"),
    "repository.notice.updated": _("告知の更新"),
    "repository.notice.publish": _("告知の公開"),
    "repository.notice.published": _("告知の公開"),
    "repository.notice.end": _("告知の終了"),
    "repository.notice.ended": _("告知の終了"),
    "repository.notice.mailed": _("告知のメール送信"),
    "repository.terms.accept": _("利用約款への同意"),
    "repository.terms.accepted": _("利用約款への同意"),
    "repository.privacy_notice.accepted": _("個人情報の取扱いへの同意"),
    # operations
    "operations.backup.create": _("バックアップの作成"),
    "operations.backup.created": _("バックアップの作成"),
    "operations.backup.restored": _("バックアップからの復元"),
    "operations.ledger.record": _("台帳への記録"),
    "operations.ledger.recorded": _("台帳への記録"),
    "operations.ledger.corrected": _("台帳の訂正"),
    "operations.ledger.exported": _("台帳のエクスポート"),
    "operations.incident.staff_notified": _("セキュリティ障害の全職員への周知"),
    "retention.run": _("保存期間の処理"),
    "retention.anonymised": _("保存期間満了による匿名化"),
    "retention.deleted": _("保存期間満了による削除"),
    "retention.notice_failed": _("削除前のお知らせの送信失敗"),
    "retention.notices_not_tried": _(
        "メールサーバーに接続できないか送信元アドレスを拒否されたため送らなかった削除前のお知らせ"
    ),
    "retention.failed": _("保存期間の処理の失敗"),
}

# Refusals whose name does not end in "_refused".
REFUSALS = frozenset(
    {
        "form.refused",
        "access.denied",
        "access.not_found",
        "auth.login_failed",
        "auth.locked_out",
        "auth.otp_failed",
        "auth.email_confirmation_failed",
        "validity.api_key_rejected",
        "validity.enumeration_suspected",
        "delegations.signed_file.refused",
        "audit.archive_failed",
        "mail.throttled",
    }
)


class UndeclaredEventType(ValueError):
    """Raised by ``audit.record`` for an event type the catalogue does not declare."""


def declare(event_type: str, label: Any) -> None:
    """Declare one more event type: for tests and benchmarks, whose types are not the service's."""
    EVENT_LABELS[event_type] = label


def declare_namespace(namespace: str, label: Any) -> None:
    """Declare a namespace in which every type is accepted (the test suite's ``test.``)."""
    _OPEN_NAMESPACES.add(namespace)
    NAMESPACES.setdefault(namespace, label)


_OPEN_NAMESPACES: set[str] = set()


def is_declared(event_type: str) -> bool:
    if event_type in EVENT_LABELS:
        return True
    if event_type.endswith(REFUSED) and event_type.removesuffix(REFUSED) in EVENT_LABELS:
        return True
    return event_type.partition(".")[0] in _OPEN_NAMESPACES


def require_declared(event_type: str) -> None:
    if not is_declared(event_type):
        raise UndeclaredEventType(f"audit event type {event_type!r} is not declared in audit/labels.py")


def is_refusal(event_type: str) -> bool:
    return event_type.endswith(REFUSED) or event_type in REFUSALS


def catalogue() -> list[tuple[str, str, bool]]:
    """Every declared type with its label in the current language and whether it is a refusal."""
    return [(name, str(label), is_refusal(name)) for name, label in EVENT_LABELS.items()]


ACTOR_LABELS: dict[str, Any] = {
    "staff": _("職員"),
    "subscriber": _("利用者"),
    "recipient": _("受領者等"),
    "api_key": _("API キー"),
    "system": _("システム"),
    "anonymous": _("未ログイン"),
    "user": _("利用者アカウント"),
}


def event_label(event_type: str) -> str:
    """The Japanese (or current language's) name of ``event_type``; the type itself when unknown."""
    label = EVENT_LABELS.get(event_type)
    if label is not None:
        return str(label)
    if event_type.endswith(REFUSED):
        base = EVENT_LABELS.get(event_type.removesuffix(REFUSED))
        if base is not None:
            return gettext("%(action)s（拒否）") % {"action": base}
    return event_type


def actor_label(kind: str) -> str:
    label = ACTOR_LABELS.get(kind)
    return str(label) if label is not None else kind
