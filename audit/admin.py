"""The audit log in the admin: read by the auditor and the service administrator, never changed by
anyone; verification, export and the checkpoint public key for the auditor."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit import keys, labels, services, signing, tally
from audit.forms import ExportForm, VerifyForm
from audit.models import AuditCheckpoint, AuditCosignature, AuditEvent, AuditSegment


class ReadOnlyAdmin(admin.ModelAdmin):
    actions: Sequence[Any] | None = None  # subclasses may offer their own

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NamespaceFilter(admin.SimpleListFilter):
    title = _("種別の分類")
    parameter_name = "ns"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(labels.NAMESPACES.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(event_type__startswith=f"{value}.") if value else queryset


class ActorKindFilter(admin.SimpleListFilter):
    title = _("操作者種別")
    parameter_name = "actor_kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(labels.ACTOR_LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(actor_kind=value) if value else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "event_name",
        "actor_kind_name",
        "actor_label",
        "subject_type",
        "subject_id",
        "ip",
        "seq",
    )
    list_filter = (NamespaceFilter, ActorKindFilter, ("created_at", admin.DateFieldListFilter))
    search_fields = ("=event_type", "actor_label", "=actor_id", "=subject_id", "=request_id", "=ip")
    ordering = ("-id",)
    show_full_result_count = False  # COUNT(*) over years of events is not worth a page view
    list_select_related = ("seal",)
    fields = (
        "created_at",
        "event_name",
        "event_type",
        "actor_kind_name",
        "actor_id",
        "actor_label",
        "subject_type",
        "subject_id",
        "data_pretty",
        "request_id",
        "ip",
        "user_agent",
        "seq",
        "seal_hash",
    )
    readonly_fields = fields

    @admin.display(description=_("種別"), ordering="event_type")
    def event_name(self, obj: AuditEvent) -> str:
        # The recorded type stays readable as the tooltip: it is what exports and searches use.
        return format_html('<span title="{}">{}</span>', obj.event_type, labels.event_label(obj.event_type))

    @admin.display(description=_("操作者種別"), ordering="actor_kind")
    def actor_kind_name(self, obj: AuditEvent) -> str:
        return labels.actor_label(obj.actor_kind)

    @admin.display(description=_("連番"), ordering="seal__seq")
    def seq(self, obj: AuditEvent) -> Any:
        seal = getattr(obj, "seal", None)
        return seal.seq if seal else _("未封印")

    @admin.display(description=_("ハッシュ"))
    def seal_hash(self, obj: AuditEvent) -> str:
        seal = getattr(obj, "seal", None)
        return seal.hash if seal else ""

    @admin.display(description=_("内容"))
    def data_pretty(self, obj: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.data, ensure_ascii=False, indent=2, sort_keys=True))

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("verify/", wrap(self.verify_view), name="audit_auditevent_verify"),
            path("export/", wrap(self.export_view), name="audit_auditevent_export"),
            path("key/", wrap(self.key_view), name="audit_auditevent_key"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if self.has_view_permission(request):
            tally.flush()  # refusals counted in windows that have closed are listed too
        extra = {
            "can_verify": request.user.has_perm("audit.verify_auditlog"),
            "can_export": request.user.has_perm("audit.export_auditlog"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    def _page(self, request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
        base = {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta}
        return render(request, f"admin/audit/{template}", {**base, **context})

    def _require(self, request: HttpRequest, perm: str) -> None:
        if not request.user.has_perm(perm):
            raise PermissionDenied

    def verify_view(self, request: HttpRequest) -> HttpResponse:
        self._require(request, "audit.verify_auditlog")
        form = VerifyForm(request.POST or None)
        report = None
        if request.method == "POST" and form.is_valid():
            report = services.verify_log(
                actor=request.user, from_seq=form.cleaned_data["from_seq"], to_seq=form.cleaned_data["to_seq"]
            )
            if report.ok:
                messages.success(request, _("監査ログの検証に成功しました。"))
            else:
                messages.error(request, _("監査ログの検証で問題が見つかりました。"))
        return self._page(request, "verify.html", str(_("監査ログの検証")), form=form, report=report)

    def export_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        self._require(request, "audit.export_auditlog")
        form = ExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                plan, chunks = services.stream_export(
                    form.filters(), form.cleaned_data["fmt"], actor=request.user, evidence=form.cleaned_data["evidence"]
                )
            except services.AuditError as err:
                form.add_error(None, err.message)
            else:
                response = StreamingHttpResponse(chunks, content_type="application/zip")
                response["Content-Disposition"] = f'attachment; filename="{plan.file_name()}"'
                return response
        return self._page(request, "export.html", str(_("監査ログのエクスポート")), form=form)

    def key_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            key = keys.private_key().public_key()
        except keys.KeyUnavailable:
            return self._page(request, "key.html", str(_("チェックポイント公開鍵")), pem="", key_id="")
        return self._page(
            request,
            "key.html",
            str(_("チェックポイント公開鍵")),
            pem=signing.public_pem(key),
            key_id=signing.key_id(key),
        )


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("seq", "head_hash", "signed_at", "key_id")
    fields = ("seq", "head_hash", "signed_at", "key_id", "signature")
    readonly_fields = fields


class _JapaneseLabels(forms.ModelForm):
    """Labels without Django's half-width colon: a Japanese label takes none."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@admin.register(AuditCosignature)
class AuditCosignatureAdmin(ReadOnlyAdmin):
    """Witnesses' cosignatures (audit.witness), for the auditor and the service administrator: which
    checkpoint each witness saw extend the last one it cosigned, and whether its signature and the
    checkpoint still check out here. Times in the service's time zone; key IDs are fingerprints."""

    list_display = ("seq", "witness", "cosigned_at", "received_at", "signature_status", "checkpoint_status")
    fields = (
        "seq",
        "head_hash",
        "checkpoint_key_id",
        "witness_key_id",
        "cosigned_at",
        "received_at",
        "signature_status",
        "checkpoint_status",
        "signature",
    )
    readonly_fields = fields
    form = _JapaneseLabels
    search_fields = ("=seq", "witness_key_id")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        if search_term.strip() and not search_term.strip().isdigit():
            # "=seq" would compare text with a number column: look only at the key IDs then.
            return queryset.filter(witness_key_id__icontains=search_term.strip()), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("立会人の鍵ID"), ordering="witness_key_id")
    def witness(self, obj: AuditCosignature) -> str:
        return f"{obj.witness_key_id[:16]}…"

    @admin.display(description=_("連署日時"))
    def cosigned_at(self, obj: AuditCosignature) -> str:
        try:
            moment = datetime.fromisoformat(obj.signed_at)
        except ValueError:
            return str(_("（読み取れない日時）"))
        return date_format(timezone.localtime(moment), "DATETIME_FORMAT")

    @admin.display(description=_("連署の署名"))
    def signature_status(self, obj: AuditCosignature) -> str:
        from audit.witness import verify_cosignature

        key = keys.witness_public_keys().get(obj.witness_key_id)
        if key is None:
            return str(_("登録されていない立会人の鍵"))
        return str(_("正しい") if verify_cosignature(key, obj.document()) else _("一致しません"))

    @admin.display(description=_("チェックポイント"))
    def checkpoint_status(self, obj: AuditCosignature) -> str:
        found = AuditCheckpoint.objects.filter(seq=obj.seq, head_hash=obj.head_hash).exists()
        return str(_("このサービスのチェックポイントと一致") if found else _("一致するチェックポイントがありません"))


@admin.register(AuditSegment)
class AuditSegmentAdmin(ReadOnlyAdmin):
    list_display = ("first_seq", "last_seq", "file_name", "sha256", "created_at")
    fields = (
        "first_seq",
        "last_seq",
        "prev_hash",
        "last_hash",
        "file_name",
        "sha256",
        "created_at",
        "key_id",
        "signature",
    )
    readonly_fields = fields
