"""Repository documents and notices in the staff admin. Every change goes through
mynatrust.repository.services (role rules, four eyes, audit events); the admin only collects input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from mynatrust.repository import services
from mynatrust.repository.models import DocumentVersion, Notice, RepositoryError, TermsAcceptance


class DocumentForm(forms.ModelForm):
    class Meta:
        model = DocumentVersion
        fields = ("kind", "version", "title", "body", "change_summary", "effective_at")


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("所見"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ApproveForm(DecisionForm):
    effective_at = forms.DateTimeField(
        label=_("施行日時（変更する場合）"),
        required=False,
        help_text=_("空欄なら起案どおり。過去の日時は承認の時点になります。例: 2026-12-01 00:00"),
    )


class RejectForm(DecisionForm):
    note = forms.CharField(label=_("差戻しの理由"), widget=forms.Textarea(attrs={"rows": 3}))


def _form_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, form: forms.Form, title: str, obj: Any
) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "target": obj,
        "opts": model_admin.model._meta,
    }
    return render(request, "admin/repository/action_form.html", context)


def _changeform_outside_transaction(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    object_id: str | None,
    form_url: str,
    extra_context: dict[str, Any] | None,
) -> HttpResponse:
    # The admin wraps the change form in one transaction; the services are atomic themselves and
    # record a refusal after leaving theirs, which the admin's rollback would erase. (CSRF is checked
    # by admin_site.admin_view around every admin view.)
    try:
        return model_admin._changeform_view(request, object_id, form_url, extra_context)  # type: ignore[attr-defined]
    except RepositoryError as err:
        messages.error(request, err.message)
        return HttpResponseRedirect(request.get_full_path())


@admin.register(DocumentVersion)
class DocumentVersionAdmin(admin.ModelAdmin):
    form = DocumentForm
    list_display = ("__str__", "title", "status", "effective_at", "drafted_by", "decided_by")
    list_filter = ("kind", "status")
    search_fields = ("version", "title")
    readonly_fields = ("status", "drafted_by", "drafted_at", "decided_by", "decided_at", "decision_note")
    change_form_template = "admin/repository/documentversion/change_form.html"
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[DocumentVersion]:
        return super().get_queryset(request).select_related("drafted_by", "decided_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return ("kind", "version", *self.readonly_fields)
        return self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and (not obj.is_draft or obj.drafted_by_id != request.user.pk):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: DocumentVersion, form: Any, change: bool) -> None:
        # Validation ran in the form; the services re-check roles and state inside their transaction.
        actor: Any = request.user
        if change:
            fields = {name: form.cleaned_data[name] for name in ("title", "body", "change_summary", "effective_at")}
            saved = services.update_draft(obj, actor=actor, **fields)
        else:
            saved = services.draft_document(actor=actor, **{k: form.cleaned_data[k] for k in DocumentForm.Meta.fields})
        obj.pk = saved.pk
        obj.drafted_by = saved.drafted_by

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return _changeform_outside_transaction(self, request, object_id, form_url, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        can_decide = (
            obj is not None
            and obj.is_draft
            and request.user.has_perm("mynatrust.approve_documentversion")
            and obj.drafted_by_id != request.user.pk
        )
        return super().change_view(request, object_id, form_url, {"can_decide": can_decide, **(extra_context or {})})

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", wrap(self.approve_view), name="mynatrust_documentversion_approve"),
            path("<int:pk>/reject/", wrap(self.reject_view), name="mynatrust_documentversion_reject"),
            *super().get_urls(),
        ]

    def _decision(self, request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
        if not request.user.has_perm("mynatrust.approve_documentversion"):
            raise PermissionDenied
        doc = get_object_or_404(DocumentVersion, pk=pk)
        form: forms.Form = (ApproveForm if approve else RejectForm)(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            actor: Any = request.user
            try:
                if approve:
                    services.approve_document(
                        doc, actor=actor, note=form.cleaned_data["note"], effective_at=form.cleaned_data["effective_at"]
                    )
                else:
                    services.reject_document(doc, actor=actor, note=form.cleaned_data["note"])
            except RepositoryError as err:
                form.add_error(None, err.message)
            else:
                messages.success(request, _("承認しました。") if approve else _("差し戻しました。"))
                return HttpResponseRedirect(reverse("admin:mynatrust_documentversion_change", args=[doc.pk]))
        return _form_page(self, request, form, str(_("版を承認") if approve else _("版を差し戻す")), doc)

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decision(request, pk, approve=True)

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decision(request, pk, approve=False)


class NoticeForm(forms.ModelForm):
    class Meta:
        model = Notice
        fields = ("kind", "title", "body", "period_start", "ends_at", "banner", "service_end_date")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Notice.Kind.TERMINATION and not data.get("service_end_date"):
            self.add_error("service_end_date", _("サービスの終了の告知には終了日が必要です。"))
        return data


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    form = NoticeForm
    list_display = ("title", "kind", "published_at", "ends_at", "banner")
    list_filter = ("kind", "banner")
    search_fields = ("title", "public_id")
    readonly_fields = ("public_id", "created_by", "created_at", "published_by", "published_at")
    change_form_template = "admin/repository/notice/change_form.html"
    actions = None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Notice, form: Any, change: bool) -> None:
        services.save_notice_draft(obj, actor=request.user)  # type: ignore[arg-type]

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return _changeform_outside_transaction(self, request, object_id, form_url, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        may = request.user.has_perm("mynatrust.publish_notice")
        extra = {
            "can_publish": may and obj is not None and not obj.is_published,
            "can_end": may and obj is not None and obj.is_published and obj.kind != Notice.Kind.TERMINATION,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/publish/", wrap(self.publish_view), name="mynatrust_notice_publish"),
            path("<int:pk>/end/", wrap(self.end_view), name="mynatrust_notice_end"),
            *super().get_urls(),
        ]

    def _act(self, request: HttpRequest, pk: int, *, publish: bool) -> HttpResponse:
        if not request.user.has_perm("mynatrust.publish_notice"):
            raise PermissionDenied
        notice = get_object_or_404(Notice, pk=pk)
        form = forms.Form(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            actor: Any = request.user
            try:
                if publish:
                    services.publish_notice(notice, actor=actor)
                else:
                    services.end_notice(notice, actor=actor)
            except RepositoryError as err:
                form.add_error(None, err.message)
            else:
                messages.success(request, _("公開しました。") if publish else _("掲示を終了しました。"))
                return HttpResponseRedirect(reverse("admin:mynatrust_notice_change", args=[notice.pk]))
        return _form_page(self, request, form, str(_("告知を公開") if publish else _("掲示を終了")), notice)

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._act(request, pk, publish=True)

    def end_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._act(request, pk, publish=False)


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(admin.ModelAdmin):
    list_display = ("user", "document", "accepted_at")
    list_filter = ("document",)
    search_fields = ("user__email",)
    list_select_related = ("user", "document")
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
