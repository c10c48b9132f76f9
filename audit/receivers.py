"""§6.2.1 events that no service records itself: lockouts (django-axes) and every add, change and
delete made through the admin, with the changed fields (secrets masked)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import audit

SECRET_FIELD = re.compile(r"password|passwd|secret|token|key|otp|pin|credential|private", re.IGNORECASE)
MASK = "********"


def on_locked_out(sender: Any, request: Any = None, username: str = "", ip_address: str = "", **kwargs: Any) -> None:
    # Every attempt during a lockout signals again: one event per address, account and minute.
    name = str(username)[:254]
    audit.record_tallied(
        "auth.locked_out", actor=audit.ActorRecord("anonymous", ip=ip_address or ""), key=name, username=name
    )


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time | Decimal | UUID):
        return str(value)
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        return value.pk
    if isinstance(value, list | tuple | set) or hasattr(value, "model"):
        return [_plain(v) for v in value]
    name = getattr(value, "name", None)  # uploaded or stored files
    if isinstance(name, str):
        return name
    return str(value)


def _value(name: str, value: Any) -> Any:
    return MASK if SECRET_FIELD.search(name) and value not in (None, "") else _plain(value)


def changed_fields(form: Any, *, change: bool) -> dict[str, Any]:
    names = form.changed_data if change else list(form.cleaned_data)
    out: dict[str, Any] = {}
    for name in names:
        after = _value(name, form.cleaned_data.get(name))
        out[name] = {"before": _value(name, form.initial.get(name)), "after": after} if change else after
    return out


def connect() -> None:
    from axes.signals import user_locked_out
    from django.contrib.admin import ModelAdmin

    user_locked_out.connect(on_locked_out, dispatch_uid="audit_locked_out")
    if getattr(ModelAdmin, "_audit_hooked", False):
        return
    # Wrapping the base class reaches every ModelAdmin of every app, including ones written later,
    # without audit importing them; overrides that call super() are covered too.
    save_model, delete_model, delete_queryset = (
        ModelAdmin.save_model,
        ModelAdmin.delete_model,
        ModelAdmin.delete_queryset,
    )

    def audited_save_model(self: ModelAdmin, request: Any, obj: Any, form: Any, change: bool) -> None:
        fields = changed_fields(form, change=change)
        save_model(self, request, obj, form, change)
        audit.record(
            "admin.changed" if change else "admin.added",
            actor=request.user,
            subject=obj,
            model=obj._meta.label_lower,
            object=str(obj)[:200],
            fields=fields,
        )

    def audited_delete_model(self: ModelAdmin, request: Any, obj: Any) -> None:
        subject = (obj._meta.label_lower, str(obj.pk))
        label = str(obj)[:200]
        delete_model(self, request, obj)
        audit.record("admin.deleted", actor=request.user, subject=subject, model=obj._meta.label_lower, object=label)

    def audited_delete_queryset(self: ModelAdmin, request: Any, queryset: Any) -> None:
        objects = [(str(o.pk), str(o)[:200]) for o in queryset]
        delete_queryset(self, request, queryset)
        for pk, label in objects:
            audit.record(
                "admin.deleted",
                actor=request.user,
                subject=(queryset.model._meta.label_lower, pk),
                model=queryset.model._meta.label_lower,
                object=label,
                bulk=True,
            )

    ModelAdmin.save_model = audited_save_model  # type: ignore[method-assign]
    ModelAdmin.delete_model = audited_delete_model  # type: ignore[method-assign]
    ModelAdmin.delete_queryset = audited_delete_queryset  # type: ignore[method-assign]
    ModelAdmin._audit_hooked = True  # type: ignore[attr-defined]
