"""The ledgers in the staff admin: add and view only. Corrections are new entries ("訂正を記録" on an
entry opens the add form filled with its values); the auditor exports each ledger as CSV."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from mynatrust.access import signed_in
from mynatrust.operations import services
from mynatrust.operations.models import LEDGERS, LedgerEntry, LedgerError


class LedgerAdmin(admin.ModelAdmin):
    change_list_template = "admin/repository/ledger_change_list.html"
    change_form_template = "admin/repository/ledger_change_form.html"
    raw_id_fields = ("corrects",)
    actions = None
    list_select_related = ("recorded_by",)

    def get_list_display(self, request: HttpRequest) -> Any:
        return ("pk", "chain", *self.model.ledger_fields[:4], "recorder")

    def get_list_filter(self, request: HttpRequest) -> Any:
        return ("recorded_at", *getattr(self.model, "ledger_filters", ()))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [*self.model.ledger_fields, "corrects", "correction_reason"]
        if obj is not None:
            fields += ["recorded_at", "recorded_by", "corrections_list"]
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return self.get_fields(request, obj)
        return ()

    @admin.display(description=_("記録者"), ordering="recorded_by__display_name")
    def recorder(self, obj: Any) -> str:
        return str(obj.recorded_by.display_name or obj.recorded_by.email)

    @admin.display(description=_("訂正"))
    def chain(self, obj: Any) -> str:
        if obj.corrects_id is not None:
            return str(_("#%(pk)s の訂正") % {"pk": obj.corrects_id})
        if getattr(obj, "correction_count", 0):
            return str(_("訂正あり（%(n)s 件）") % {"n": obj.correction_count})
        return "—"

    @admin.display(description=_("この記録への訂正"))
    def corrections_list(self, obj: LedgerEntry) -> str:
        corrections: Any = obj.corrections  # type: ignore[attr-defined]
        rows = [
            (c.pk, timezone.localtime(c.recorded_at).strftime("%Y-%m-%d %H:%M"), c.correction_reason)
            for c in corrections.all()
        ]
        return format_html_join("", "<p>#{} {} — {}</p>", rows) or "—"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # "訂正を記録": start from the values of the entry being corrected.
        corrects = request.GET.get("corrects", "")
        # Only a plain key names an entry to correct; anything else opens an empty form.
        original = (
            self.model.objects.filter(pk=int(corrects)).first() if corrects.isascii() and corrects.isdigit() else None
        )
        if original is None:
            return {}
        return {
            **{name: getattr(original, name) for name in self.model.ledger_fields},
            "corrects": original.corrects_id or original.pk,
        }

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = dict(form.cleaned_data)
        corrects = data.pop("corrects", None)
        reason = data.pop("correction_reason", "")
        fields = {name: data[name] for name in self.model.ledger_fields}
        actor = signed_in(request)
        entry = services.record_entry(
            self.model,
            actor=actor,
            corrects=corrects,
            correction_reason=reason,
            **fields,
        )
        obj.pk = entry.pk

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Not inside the admin's transaction: record_entry is atomic itself and records a refusal
        # after leaving it, which an enclosing rollback would erase. CSRF: admin_site.admin_view.
        extra = {"can_add": self.has_add_permission(request), **(extra_context or {})}
        try:
            return self._changeform_view(request, object_id, form_url, extra)  # type: ignore[attr-defined]
        except LedgerError as err:
            messages.error(request, err.message)
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"can_export": request.user.has_perm("mynatrust.export_ledgers"), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_urls(self) -> list[Any]:
        opts = self.model._meta
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_view),
                name=f"{opts.app_label}_{opts.model_name}_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            data = services.export_csv(self.model, actor=request.user)  # type: ignore[arg-type]
        except LedgerError as err:
            raise PermissionDenied(err.message) from err
        name = f"{self.model._meta.model_name}-{timezone.localdate():%Y%m%d}.csv"
        response = HttpResponse(data, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super().get_queryset(request).select_related("recorded_by").annotate(correction_count=Count("corrections"))
        )


for _model in LEDGERS:
    admin.site.register(_model, LedgerAdmin)
