"""Writing ledger entries: each entry and each correction is one audit event in the same
transaction. Nobody changes or deletes an entry (see models.py)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

import audit
from audit import spreadsheet
from mynatrust.models import User
from mynatrust.operations import WRITERS
from mynatrust.operations.models import LedgerEntry, LedgerError
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
            entry.full_clean()
            entry.save()
            audit.record(
                "operations.ledger.corrected" if original else "operations.ledger.recorded",
                actor=actor,
                subject=entry,
                ledger=label,
                corrects=original.pk if original else None,
                reason=entry.correction_reason or None,
                entry={name: getattr(entry, name) for name in model.ledger_fields},
            )
    except LedgerError as err:
        audit.record(
            "operations.ledger.record_refused", actor=actor, subject=(label, ""), refused=True, reason=err.message
        )
        raise
    return entry


# --- export ----------------------------------------------------------------------------------------
def _columns(model: type[LedgerEntry]) -> list[str]:
    return ["pk", "recorded_at", "recorded_by", *model.ledger_fields, "corrects", "correction_reason"]


def _header(model: type[LedgerEntry], name: str) -> str:
    if name == "pk":
        return gettext_now("記録番号")
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
    if getattr(field, "choices", None):
        return str(getattr(entry, f"get_{name}_display")())
    if isinstance(value, bool):
        return gettext_now("はい") if value else gettext_now("いいえ")
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
