"""Reception reviews recipient registrations here: approve, suspend or reject, each through
validity/services.py. Nothing is edited directly; API keys are visible, never their secrets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from validity import services
from validity.answer import ValidityError
from validity.models import ApiKey, RecipientMember, RecipientOrganisation

DECIDE = "validity.decide_recipientorganisation"
DECISIONS = {
    "approve": services.approve_recipient,
    "suspend": services.suspend_recipient,
    "reject": services.reject_recipient,
}


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("理由（停止・却下のときは必須）"), max_length=500, required=False)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MemberInline(ReadOnlyInline):
    model = RecipientMember
    fields = ("user", "created_at")
    readonly_fields = fields


class ApiKeyInline(ReadOnlyInline):
    model = ApiKey
    fields = ("label", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields


@admin.register(RecipientOrganisation)
class RecipientOrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "status", "declarant_name", "created_at", "decided_at")
    list_filter = ("status", "kind")
    search_fields = ("name", "representative_name", "declarant_name")
    ordering = ("-created_at",)
    actions = None
    inlines = (MemberInline, ApiKeyInline)
    change_form_template = "admin/validity/recipientorganisation/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/decide/<str:decision>/",
                wrap(require_POST(self.decide_view)),
                name="validity_recipientorganisation_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "can_decide": request.user.has_perm(DECIDE),
            "decision_form": DecisionForm(),
        }
        return super().change_view(request, object_id, form_url, extra)

    def decide_view(self, request: HttpRequest, object_id: int, decision: str) -> HttpResponse:
        if not request.user.has_perm(DECIDE) or decision not in DECISIONS:
            raise PermissionDenied
        organisation = get_object_or_404(RecipientOrganisation, pk=object_id)
        form = DecisionForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        back = HttpResponseRedirect(reverse("admin:validity_recipientorganisation_change", args=[organisation.pk]))
        if decision in ("suspend", "reject") and not reason:
            messages.error(request, _("停止・却下には理由を入力してください。"))
            return back
        try:
            DECISIONS[decision](organisation, actor=request.user, reason=reason)
        except ValidityError as exc:
            messages.error(request, exc.message)
            return back
        messages.success(request, _("「%(name)s」を更新しました。") % {"name": organisation.name})
        return back


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "label", "organisation", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "label", "organisation__name")
    list_select_related = ("organisation",)
    actions = None
    exclude = ("secret_sha256",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name not in ("id", "secret_sha256")]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
