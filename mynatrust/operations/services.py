"""Writing ledger entries: each entry and each correction is one audit event in the same
transaction. Nobody changes or deletes an entry (see models.py)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from audit import spreadsheet
from mynatrust.models import User
from mynatrust.operations import WRITERS
from mynatrust.operations.models import IncidentRecord, LedgerEntry, LedgerError
from mynatrust.roles import Role

__all__ = ["LedgerError", "export_csv", "record_entry"]


def writer_role(model: type[LedgerEntry]) -> Role:
    return WRITERS[model._meta.model_name or ""]


def record_entry[E: LedgerEntry](
    model: type[E], *, actor: User, corrects: E | None = None, correction_reason: str = "", **fields: Any
) -> E:
    """Append one entry to ``model``'s ledger, written by the role the rules name. With ``corrects``
    the entry is a correction: it references the first entry of that chain, which stays unchanged."""
    role = writer_role(model)
    label = model._meta.label_lower
    try:
        if not actor.has_role(role):
            raise LedgerError(
                _("%(ledger)sを記録できるのは%(role)sです。") % {"ledger": model._meta.verbose_name, "role": role.label}
            )
        if corrects is not None and not correction_reason.strip():
            raise LedgerError(_("訂正の理由を記入してください。"))
        with transaction.atomic():
            original = None
            if corrects is not None:
                original = model.objects.select_for_update().get(pk=corrects.corrects_id or corrects.pk)
            entry = model(
                recorded_by=actor,
                recorded_at=timezone.now(),
                corrects=original,
                correction_reason=correction_reason.strip(),
                **fields,
            )
            try:
                entry.full_clean()
            except ValidationError as err:
                raise LedgerError(" ".join(err.messages)) from err
            entry.save()
            audit.record(
                "operations.ledger.corrected" if original else "operations.ledger.recorded",
                actor=actor,
                subject=entry,
                ledger=label,
                corrects=original.pk if original else None,
                reason=entry.correction_reason or None,
                entry={name: _audit_value(getattr(entry, name)) for name in model.ledger_fields},
            )
    except LedgerError as err:
        audit.record(
            "operations.ledger.record_refused", actor=actor, subject=(label, ""), refused=True, reason=err.message
        )
        raise
    if isinstance(entry, IncidentRecord) and entry.security_failure:
        _notify_staff_of_security_failure(entry)
    return entry


def _audit_value(value: Any) -> Any:
    # A person named by a ledger (the approver of an entry) is recorded by key.
    return value.pk if isinstance(value, User) else value


def _notify_staff_of_security_failure(entry: IncidentRecord) -> None:
    """§6.3.2: a security failure is made known to everyone who works in the service, once per
    incident (a correction of an entry that already said so mails nobody again)."""
    root = entry.corrects_id or entry.pk
    earlier = IncidentRecord.objects.filter(Q(pk=root) | Q(corrects=root), security_failure=True).exclude(pk=entry.pk)
    if earlier.exists():
        return
    entry_id = entry.pk
    transaction.on_commit(lambda: mail_security_failure(entry_id))


def mail_security_failure(entry_id: int) -> int:
    entry = IncidentRecord.objects.get(pk=entry_id)
    staff = User.objects.filter(kind=User.Kind.STAFF, is_active=True).order_by("pk").values_list("email", flat=True)
    context = {"entry": entry, "SERVICE_NAME": settings.SERVICE_NAME}
    subject = render_to_string("operations/email/security_failure_subject.txt", context).strip()
    body = render_to_string("operations/email/security_failure_body.txt", context)
    messages = [EmailMessage(subject, body, None, [email]) for email in staff]
    sent = int(mailers.default.send_messages(messages) or 0) if messages else 0
    audit.record("operations.incident.staff_notified", actor=audit.SYSTEM, subject=entry, sent=sent)
    return sent


# --- export ----------------------------------------------------------------------------------------
def _columns(model: type[LedgerEntry]) -> list[str]:
    return ["pk", "recorded_at", "recorded_by", *model.ledger_fields, "corrects", "correction_reason"]


def _header(model: type[LedgerEntry], name: str) -> str:
    if name == "pk":
        return gettext("記録番号")
    field: Any = model._meta.get_field(name)
    return str(field.verbose_name)


def _cell(entry: LedgerEntry, name: str) -> str:
    if name == "pk":
        return str(entry.pk)
    if name == "recorded_by":
        user: Any = entry.recorded_by
        return f"{user.display_name} <{user.email}>"
    if name == "corrects":
        return str(entry.corrects_id or "")
    field = entry._meta.get_field(name)
    value = getattr(entry, name)
    if value is None:
        return ""
    if isinstance(value, User):
        return f"{value.display_name} <{value.email}>"
    if getattr(field, "choices", None):
        return str(getattr(entry, f"get_{name}_display")())
    if isinstance(value, bool):
        return gettext("はい") if value else gettext("いいえ")
    if hasattr(value, "astimezone"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def export_rows(model: type[LedgerEntry], entries: Iterable[LedgerEntry]) -> Iterator[list[str]]:
    columns = _columns(model)
    yield [_header(model, name) for name in columns]
    for entry in entries:
        yield [_cell(entry, name) for name in columns]


def export_csv(model: type[LedgerEntry], *, actor: User) -> bytes:
    """The whole ledger, oldest first, as CSV for Excel: UTF-8 with BOM, Japanese headers, CRLF."""
    if not actor.has_perm("mynatrust.export_ledgers"):
        raise LedgerError(_("運用台帳をエクスポートできるのは監査人です。"))
    entries = model.objects.select_related("recorded_by").order_by("recorded_at", "pk")
    buffer = io.StringIO()
    # Every cell, "recorded by" included, is neutralised against spreadsheet formulas.
    writer = spreadsheet.Writer(buffer)
    count = -1
    for count, row in enumerate(export_rows(model, entries.iterator(chunk_size=1000))):  # noqa: B007
        writer.writerow(row)
    audit.record("operations.ledger.exported", actor=actor, subject=(model._meta.label_lower, ""), rows=count)
    return (spreadsheet.BOM + buffer.getvalue()).encode("utf-8")
