"""Acknowledging a restore older than the last signed audit head (docs/runbook.md §9).

After such a restore the sequencer refuses to sign (audit.restores): the entries signed after the
backup are lost, and no one alone may declare that and let signing resume. Two people, each acting
within their trusted role (§7.2.1), each proving who they are (the command line asks for the
current code of their authenticator):

- the service manager (サービス責任者), who answers for the service and its recovery (§6.3.1, and
  the report to users and authorities of §2.1.1 and §6.3.2), requests the acknowledgement with a
  reason, after the restore was done and checked;
- the auditor (監査人), who manages the audit log (§7.2.1, §6.2.4), confirms it. Then the loss is
  recorded for good and the sequencer's head file is re-based.

Every refusal is an audit event. A request lapses after ``REQUEST_HOURS`` hours or as soon as the
state it describes changes (another signed head, another restore).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext

import audit
from audit import heads, restores
from audit.models import AuditEvent
from kernel import Actor, ServiceError
from mynatrust.roles import Role

if TYPE_CHECKING:
    from mynatrust.models import User

REQUEST = "audit.restore_loss_request"
REQUESTED = "audit.restore_loss_requested"
ACKNOWLEDGE = "audit.restore_loss_acknowledge"
REQUEST_HOURS = 24


class RestoreError(ServiceError):
    """A refused request or confirmation; ``message`` is translated and safe to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


def _refuse(attempt: str, code: str, message: str, *, actor: Actor, **data: Any) -> RestoreError:
    audit.record_refused(f"{attempt}_refused", actor=actor, reason=code, **data)
    error = RestoreError(code, message)
    error.recorded = True
    return error


def _loss(attempt: str, *, actor: Actor) -> restores.Loss:
    try:
        loss = restores.find_loss()
    except (restores.Unprovable, heads.Unreadable) as err:
        raise _refuse(
            attempt,
            "unprovable",
            gettext("監査ログがそれ自体の検証に失敗しています。復元ではなく改ざんとして調査してください：%(problem)s")
            % {"problem": err},
            actor=actor,
        ) from err
    if loss is None:
        raise _refuse(
            attempt,
            "no_loss",
            gettext("監査ログは最後に署名された先頭を延長しています。確認すべき欠落はありません。"),
            actor=actor,
        )
    return loss


def request_acknowledgement(*, actor: User, reason: str) -> AuditEvent:
    """The service manager asks that the loss found now be acknowledged."""
    if not actor.has_role(Role.SERVICE_MANAGER):
        raise _refuse(REQUEST, "role", gettext("欠落の確認を依頼できるのはサービス責任者だけです。"), actor=actor)
    reason = " ".join(reason.split())
    if not reason:
        raise _refuse(
            REQUEST, "no_reason", gettext("理由（復元の経緯と記録した台帳）を入力してください。"), actor=actor
        )
    loss = _loss(REQUEST, actor=actor)
    return audit.record(REQUESTED, actor=actor, reason=reason[:1000], **loss.facts())


def pending_requests() -> list[AuditEvent]:
    """Requests not yet confirmed and not lapsed, newest first."""
    since = timezone.now() - timedelta(hours=REQUEST_HOURS)
    done = {
        e.data.get("request_id")
        for e in AuditEvent.objects.filter(event_type=restores.ACKNOWLEDGED, created_at__gte=since)
    }
    requests = AuditEvent.objects.filter(event_type=REQUESTED, created_at__gte=since).order_by("-id")
    return [r for r in requests if r.pk not in done]


def acknowledge(request_id: int, *, actor: User) -> AuditEvent:
    """The auditor confirms a pending request by someone else; the loss is recorded for good and the
    head file re-based (audit.restores.acknowledge)."""
    if not actor.has_role(Role.AUDITOR):
        raise _refuse(
            ACKNOWLEDGE, "role", gettext("欠落を確認できるのは監査人だけです。"), actor=actor, request_id=request_id
        )
    request = next((r for r in pending_requests() if r.pk == request_id), None)
    if request is None:
        raise _refuse(
            ACKNOWLEDGE,
            "no_request",
            gettext("確認待ちの依頼 %(id)s はありません（確認済み、%(hours)s 時間の期限切れ、または番号の誤り）。")
            % {"id": request_id, "hours": REQUEST_HOURS},
            actor=actor,
            request_id=request_id,
        )
    if request.actor_id == str(actor.pk):
        raise _refuse(
            ACKNOWLEDGE,
            "own_request",
            gettext("自分の依頼は確認できません。別の職員（監査人）が確認します。"),
            actor=actor,
            request_id=request_id,
        )
    loss = _loss(ACKNOWLEDGE, actor=actor)
    asked = {key: request.data.get(key) for key in ("signed_seq", "signed_head", "anchor_seq", "anchor_head")}
    if asked != {key: loss.facts()[key] for key in asked}:
        raise _changed(actor=actor, request_id=request_id)
    try:
        return restores.acknowledge(
            loss,
            actor=actor,
            request_id=request.pk,
            requested_by=request.actor_label,
            reason=request.data.get("reason", ""),
        )
    except restores.Unprovable as err:
        raise _changed(actor=actor, request_id=request_id) from err


def _changed(*, actor: Actor, request_id: int) -> RestoreError:
    return _refuse(
        ACKNOWLEDGE,
        "changed",
        gettext("依頼の後に状態が変わりました（署名済みの先頭または復元されたログ）。改めて依頼してください。"),
        actor=actor,
        request_id=request_id,
    )


REBASE = "audit.witness_rebase"
REBASED = "audit.witness_rebased"


def _rebase_messages(code: str, facts: dict[str, Any]) -> str:
    messages = {
        "no_fork": gettext(
            "新しいチェックポイントは立会人が最後に連署した先頭を延長しています。付け替えは不要です（通常どおり連署してください）。"
        ),
        "not_covered": gettext(
            "確認された欠落（#%(lost_from)s–#%(lost_to)s）に、立会人が最後に連署した先頭が含まれていません。"
            "確認されていない分岐です。付け替えず、改ざんとして調査してください。"
        ),
        "used": gettext("この欠落の確認では、既に立会人を付け替えています。"),
        "fork": gettext(
            "立会人が連署した先頭から新しいチェックポイントまで、監査ログの連鎖がつながりません。付け替えず、改ざんとして調査してください。"
        ),
        "anchor": gettext("欠落の確認が示す基点が、新しいチェックポイントまでの連鎖の上にありません。"),
        "not_in_log": gettext(
            "欠落の確認の記録が、サービスの署名したチェックポイントの範囲で封印されていません（署名されていない記録は証拠になりません）。"
        ),
        "signature": gettext("チェックポイントの署名がサービスの鍵で検証できません。"),
    }
    return str(messages.get(code, gettext("立会人は付け替えを拒否しました。"))) % facts


def rebase_witness(
    event_id: int,
    *,
    actor: User,
    state: Any,
    witness_key: Any,
    document_since: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The auditor who acknowledged a loss (``event_id``, audit.restore_loss_acknowledged) moves
    this host's witness on to the service's new checkpoint (audit.witness.rebase): refused unless
    the actor is an auditor and that acknowledgement is theirs, and unless the witness itself finds
    the proof sound. ``document_since(seq)`` answers ``(checkpoint document with the links after
    seq, the service's public key)``. Records audit.witness_rebased, or the refusal."""
    from audit import services, witness

    def refuse(code: str, message: str) -> RestoreError:
        return _refuse(REBASE, code, message, actor=actor, event_id=event_id)

    if not actor.has_role(Role.AUDITOR):
        raise refuse("role", gettext("立会人を付け替えられるのは監査人だけです。"))
    found = services.sealed_entry(event_id)
    if found is None:
        raise refuse("no_event", gettext("記録 %(id)s は封印済みの監査ログにありません。") % {"id": event_id})
    entry_seq, entry = found
    if entry["event_type"] != restores.ACKNOWLEDGED:
        raise refuse(
            "not_acknowledgement",
            gettext("記録 %(id)s は古いバックアップからの復元による欠落の確認ではありません。") % {"id": event_id},
        )
    if entry["actor_kind"] != "staff" or entry["actor_id"] != str(actor.pk):
        raise refuse(
            "not_yours",
            gettext("この欠落を確認したのは別の人です。確認した監査人本人が、自分の立会人を付け替えます。"),
        )
    document, service_key = document_since(witness.rebase_start(state, entry).seq)
    try:
        cosignature, facts = witness.rebase(
            document,
            entry_seq=entry_seq,
            entry=entry,
            service_key=service_key,
            witness_key=witness_key,
            state=state,
            by=str(actor.email),
        )
    except witness.Refused as err:
        raise refuse(err.code, _rebase_messages(err.code, err.facts)) from err
    audit.record(REBASED, actor=actor, **facts)
    return cosignature, facts
