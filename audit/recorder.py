from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from audit import context
from audit.actors import describe
from audit.models import AuditEvent


def _subject(subject: Any) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, tuple):
        return str(subject[0]), str(subject[1])
    meta = getattr(subject, "_meta", None)
    if meta is not None:
        return meta.label_lower, str(getattr(subject, "audit_id", None) or subject.pk)
    return type(subject).__name__, str(subject)


def record(event_type: str, *, actor: Any, subject: Any = None, **data: Any) -> AuditEvent:
    who = describe(actor)
    ctx = context.current()
    subject_type, subject_id = _subject(subject)
    clean = json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False))
    return AuditEvent.objects.create(
        created_at=timezone.now(),
        event_type=event_type,
        actor_kind=who.kind,
        actor_id=who.id,
        actor_label=who.label[:255],
        subject_type=subject_type,
        subject_id=subject_id[:64],
        data=clean,
        request_id=ctx.request_id,
        ip=ctx.ip,
        user_agent=ctx.user_agent[:255],
    )
