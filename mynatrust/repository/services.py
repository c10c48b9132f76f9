"""State changes of the repository: drafting and approving document versions (§9.2), accepting the
terms of use, and notices (§6.3). Each is atomic and records its audit event in the same
transaction; a refusal is recorded after the transaction is left, then raised as RepositoryError."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from kernel import Actor
from mynatrust.models import User
from mynatrust.outbox import services as outbox
from mynatrust.repository.models import (
    PUBLIC_KINDS,
    DocumentKind,
    DocumentVersion,
    Notice,
    RepositoryError,
    TermsAcceptance,
)
from mynatrust.repository.terms import ACCEPTING_KINDS, current_privacy_notice, current_terms
from mynatrust.roles import Role

__all__ = [
    "RepositoryError",
    "accept_current_terms",
    "approve_document",
    "draft_document",
    "end_notice",
    "publish_notice",
    "queue_document_announcement",
    "queue_notice_mail",
    "record_privacy_notice",
    "reject_document",
    "save_notice_draft",
    "update_draft",
]

DRAFTERS = (Role.SERVICE_OPERATOR, Role.SERVICE_MANAGER)
NOTICE_PUBLISHERS = (Role.SERVICE_OPERATOR, Role.SERVICE_MANAGER)
# §6.3.3: the end of the service is announced at least this many days ahead.
TERMINATION_NOTICE_DAYS = 90


def _refusing(event_type: str, actor: Actor, subject: Any, **data: Any) -> Callable[[RepositoryError], None]:
    def refuse(err: RepositoryError) -> None:
        audit.record(event_type, actor=actor, subject=subject, refused=True, reason=err.message, **data)

    return refuse


# --- documents ---------------------------------------------------------------------------------
def draft_document(
    *,
    kind: str,
    version: str,
    title: str,
    body: str,
    effective_at: datetime,
    change_summary: str = "",
    actor: User,
) -> DocumentVersion:
    refuse = _refusing("repository.document.draft_refused", actor, (DocumentVersion._meta.label_lower, ""))
    try:
        if kind not in DocumentKind.values:
            raise RepositoryError(_("文書の種類が正しくありません。"))
        if kind == DocumentKind.PROCEDURES:
            # §7.2.4: the service administrator documents and revises the business procedures.
            if not actor.has_role(Role.SERVICE_ADMINISTRATOR):
                raise RepositoryError(_("業務手続書を起案できるのはサービス管理者です。"))
        elif not actor.has_role(*DRAFTERS):
            raise RepositoryError(_("公開文書を起案できるのはサービス運用者とサービス責任者です。"))
        with transaction.atomic():
            if DocumentVersion.objects.filter(kind=kind, version=version).exists():
                raise RepositoryError(_("この版は既にあります。別の版を指定してください。"))
            doc = DocumentVersion(
                kind=kind,
                version=version,
                title=title,
                body=body,
                change_summary=change_summary,
                effective_at=effective_at,
                drafted_by=actor,
            )
            doc.full_clean()
            doc.save(force_insert=True)
            audit.record(
                "repository.document.drafted",
                actor=actor,
                subject=doc,
                kind=kind,
                version=version,
                effective_at=effective_at,
            )
    except RepositoryError as err:
        refuse(err)
        raise
    return doc


def update_draft(doc: DocumentVersion, *, actor: User, **fields: Any) -> DocumentVersion:
    """Change a draft before the decision. Only its drafter may, and only while it is a draft."""
    allowed = {"title", "body", "change_summary", "effective_at"}
    refuse = _refusing("repository.document.update_refused", actor, doc)
    try:
        if set(fields) - allowed:
            raise RepositoryError(_("文書の種類と版は変更できません。"))
        with transaction.atomic():
            locked = DocumentVersion.objects.select_for_update().get(pk=doc.pk)
            if not locked.is_draft:
                raise RepositoryError(_("承認または差戻し済みの版は変更できません。新しい版を起案してください。"))
            if locked.drafted_by_id != actor.pk:
                raise RepositoryError(_("下書きを変更できるのは起案者だけです。"))
            changed = sorted(name for name, value in fields.items() if getattr(locked, name) != value)
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.full_clean()
            locked.save()
            audit.record("repository.document.updated", actor=actor, subject=locked, changed=changed)
    except RepositoryError as err:
        refuse(err)
        raise
    return locked


def _decide(
    doc: DocumentVersion, *, actor: User, approve: bool, note: str, effective_at: datetime | None
) -> DocumentVersion:
    event = "repository.document.approved" if approve else "repository.document.rejected"
    refuse = _refusing(
        "repository.document.approve_refused" if approve else "repository.document.reject_refused", actor, doc
    )
    try:
        if not actor.has_role(Role.SERVICE_MANAGER):
            raise RepositoryError(_("公開文書の承認・差戻しはサービス責任者だけが行えます。"))
        with transaction.atomic():
            locked = DocumentVersion.objects.select_for_update().get(pk=doc.pk)
            if not locked.is_draft:
                raise RepositoryError(_("この版は既に承認または差戻し済みです。"))
            if locked.drafted_by_id == actor.pk:
                raise RepositoryError(_("自分が起案した版は承認・差戻しできません（二者確認）。"))
            now = timezone.now()
            if effective_at is not None:
                locked.effective_at = effective_at
            if approve and locked.effective_at < now:
                # Never in force before it was approved: a past date becomes "now".
                locked.effective_at = now
            locked.status = DocumentVersion.Status.APPROVED if approve else DocumentVersion.Status.REJECTED
            locked.decided_by = actor
            locked.decided_at = now
            locked.decision_note = note
            locked.save()
            if approve and locked.effective_at > now and locked.kind in PUBLIC_KINDS:
                # Announced before it takes effect (§2.3.2(4)): the repository shows it as upcoming
                # from now on, and the mail to everyone concerned is queued with the approval (the
                # outbox worker sends it; mynatrust/outbox/services.py).
                queue_document_announcement(locked)
            audit.record(
                event,
                actor=actor,
                subject=locked,
                kind=locked.kind,
                version=locked.version,
                effective_at=locked.effective_at,
                drafted_by=locked.drafted_by_id,
                note=note,
            )
    except RepositoryError as err:
        refuse(err)
        raise
    return locked


def approve_document(
    doc: DocumentVersion, *, actor: User, note: str = "", effective_at: datetime | None = None
) -> DocumentVersion:
    """Approve a draft (service manager, not its drafter). It is published at ``effective_at``
    (the drafted time unless given; never earlier than now)."""
    return _decide(doc, actor=actor, approve=True, note=note, effective_at=effective_at)


def reject_document(doc: DocumentVersion, *, actor: User, note: str) -> DocumentVersion:
    return _decide(doc, actor=actor, approve=False, note=note, effective_at=None)


# --- terms acceptance ----------------------------------------------------------------------------
def record_privacy_notice(user: User, *, actor: Actor) -> TermsAcceptance | None:
    """Record that ``user`` was shown, and accepted, the privacy notice in force (§2.8(2)) when
    giving personal data (application, recipient registration). Idempotent; None while no notice
    is published."""
    notice = current_privacy_notice()
    if notice is None:
        return None
    acceptance, created = TermsAcceptance.objects.get_or_create(user=user, document=notice)
    if created:
        audit.record(
            "repository.privacy_notice.accepted",
            actor=actor,
            subject=user,
            version=notice.version,
            accepted_at=acceptance.accepted_at,
        )
    return acceptance


def accept_current_terms(user: User, *, actor: Actor) -> TermsAcceptance:
    """Record that ``user`` accepts the terms in force. Idempotent. Refused when no terms are
    published or the account is not one that accepts terms."""
    refuse = _refusing("repository.terms.accept_refused", actor, user)
    try:
        if user.kind not in ACCEPTING_KINDS:
            raise RepositoryError(_("このアカウントは利用約款への同意の対象ではありません。"))
        terms = current_terms()
        if terms is None:
            raise RepositoryError(_("公開中の利用約款がありません。"))
        existing = TermsAcceptance.objects.filter(user=user, document=terms).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                acceptance = TermsAcceptance.objects.create(user=user, document=terms)
                audit.record(
                    "repository.terms.accepted",
                    actor=actor,
                    subject=user,
                    version=terms.version,
                    accepted_at=acceptance.accepted_at,
                )
        except IntegrityError:  # accepted at the same moment in another request
            return TermsAcceptance.objects.get(user=user, document=terms)
    except RepositoryError as err:
        refuse(err)
        raise
    return acceptance


# --- notices ---------------------------------------------------------------------------------------
def save_notice_draft(notice: Notice, *, actor: User) -> Notice:
    """Create or change an unpublished notice."""
    refuse = _refusing("repository.notice.save_refused", actor, notice if notice.pk else None)
    try:
        if not actor.has_role(*NOTICE_PUBLISHERS):
            raise RepositoryError(_("告知を作成できるのはサービス運用者とサービス責任者です。"))
        with transaction.atomic():
            creating = notice.pk is None
            if not creating:
                stored = Notice.objects.select_for_update().get(pk=notice.pk)
                if stored.is_published:
                    raise RepositoryError(_("公開済みの告知は変更できません。新しい告知で訂正してください。"))
            else:
                notice.created_by = actor
            notice.full_clean()
            notice.save()
            audit.record(
                "repository.notice.created" if creating else "repository.notice.updated",
                actor=actor,
                subject=notice,
                kind=notice.kind,
                title=notice.title,
            )
    except RepositoryError as err:
        refuse(err)
        raise
    return notice


def _local_today() -> date:
    return timezone.localdate()


def earliest_service_end_date(today: date | None = None) -> date:
    return (today or _local_today()) + timedelta(days=TERMINATION_NOTICE_DAYS)


def publish_notice(notice: Notice, *, actor: User) -> Notice:
    """Publish a notice now. A service-termination notice needs the service manager and an end date at
    least 90 days after today (§6.3.3). On commit every active subscriber and recipient is e-mailed
    an incident, recovery or termination notice (§2.1.1, §6.3.1, §6.3.3)."""
    refuse = _refusing("repository.notice.publish_refused", actor, notice)
    try:
        if not actor.has_role(*NOTICE_PUBLISHERS):
            raise RepositoryError(_("告知を公開できるのはサービス運用者とサービス責任者です。"))
        with transaction.atomic():
            locked = Notice.objects.select_for_update().get(pk=notice.pk)
            if locked.is_published:
                raise RepositoryError(_("この告知は既に公開されています。"))
            if locked.kind == Notice.Kind.TERMINATION:
                _check_termination(locked, actor)
            locked.published_at = timezone.now()
            locked.published_by = actor
            locked.save(update_fields=["published_at", "published_by"])
            audit.record(
                "repository.notice.published",
                actor=actor,
                subject=locked,
                kind=locked.kind,
                title=locked.title,
                service_end_date=locked.service_end_date,
            )
            if locked.is_mailed:
                queue_notice_mail(locked)
    except RepositoryError as err:
        refuse(err)
        raise
    return locked


def _check_termination(notice: Notice, actor: User) -> None:
    if not actor.has_role(Role.SERVICE_MANAGER):
        raise RepositoryError(_("サービスの終了の告知を公開できるのはサービス責任者だけです。"))
    earliest = earliest_service_end_date()
    if notice.service_end_date is None or notice.service_end_date < earliest:
        raise RepositoryError(
            _("サービスの終了は90日以上前に告知しなければなりません。終了日は %(date)s 以降にしてください。")
            % {"date": earliest.isoformat()}
        )


def end_notice(notice: Notice, *, actor: User) -> Notice:
    """Take a published notice out of the banner now (it stays in the list of notices)."""
    refuse = _refusing("repository.notice.end_refused", actor, notice)
    try:
        if not actor.has_role(*NOTICE_PUBLISHERS):
            raise RepositoryError(_("告知の掲示を終了できるのはサービス運用者とサービス責任者です。"))
        with transaction.atomic():
            locked = Notice.objects.select_for_update().get(pk=notice.pk)
            if not locked.is_published:
                raise RepositoryError(_("公開前の告知です。"))
            if locked.kind == Notice.Kind.TERMINATION:
                raise RepositoryError(_("サービスの終了の告知は終了日まで掲示します。"))
            now = timezone.now()
            if locked.ends_at is not None and locked.ends_at <= now:
                raise RepositoryError(_("この告知の掲示は既に終了しています。"))
            locked.ends_at = now
            locked.save(update_fields=["ends_at"])
            audit.record("repository.notice.ended", actor=actor, subject=locked)
    except RepositoryError as err:
        refuse(err)
        raise
    return locked


def queue_notice_mail(notice: Notice) -> None:
    """Queue one notice to every active subscriber and recipient (inside the publishing
    transaction); ``repository.notice.mailed`` is recorded with the counts once it is sent."""
    context = {"notice": notice, "SERVICE_NAME": settings.SERVICE_NAME, "base_url": settings.SERVICE_BASE_URL}
    subject = render_to_string("repository/email/notice_subject.txt", context).strip()
    body = render_to_string("repository/email/notice_body.txt", context)
    outbox.queue_announcement(event_type="repository.notice.mailed", subject=subject, body=body, notice=notice)


def queue_document_announcement(doc: DocumentVersion) -> None:
    """Queue the advance announcement of an approved version that takes effect later (the new terms
    of use, rules or privacy notice, the date it takes effect and where to read it) to every active
    subscriber and recipient; ``repository.document.mailed`` is recorded with the counts once sent."""
    context = {"doc": doc, "SERVICE_NAME": settings.SERVICE_NAME, "base_url": settings.SERVICE_BASE_URL}
    subject = render_to_string("repository/email/document_subject.txt", context).strip()
    body = render_to_string("repository/email/document_body.txt", context)
    outbox.queue_announcement(event_type="repository.document.mailed", subject=subject, body=body, document=doc)
