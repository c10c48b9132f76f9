"""Trust anchors and revocation data in the staff admin (service operator role).

Records are read-only here: additions, removals, approvals and CRL imports go through
``delegations.trust`` so the 4-eyes rule and the audit events apply whatever the entry point.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from delegations import trust
from delegations.models import AnchorChange, RevocationList, TrustAnchor


class _UploadForm(forms.ModelForm):
    file = forms.FileField(label=_("ファイル"))
    reason = forms.CharField(label=_("理由"), max_length=500, required=False)

    def read(self) -> bytes:
        upload = self.cleaned_data["file"]
        upload.seek(0)
        return bytes(upload.read())


class TrustAnchorAddForm(_UploadForm):
    class Meta:
        model = TrustAnchor
        fields = ["label"]


def _upload_outside_transaction(
    admin_obj: admin.ModelAdmin, request: HttpRequest, form_class: Any, action: Any, done: Any
) -> HttpResponseRedirect | None:
    """Handle an upload POST through a service, outside the admin's transaction, so that a refused
    change stays in the audit log; errors come back as messages on the empty form."""
    if request.method != "POST" or not admin_obj.has_add_permission(request):
        return None
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("ファイルを選んでください。"))
        return HttpResponseRedirect(request.get_full_path())
    try:
        result = action(form)
    except trust.TrustError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(request.get_full_path())
    messages.info(request, done(result))
    opts = admin_obj.model._meta
    return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))


@admin.register(TrustAnchor)
class TrustAnchorAdmin(admin.ModelAdmin):
    list_display = ["__str__", "subject", "fingerprint_sha256", "not_before", "not_after", "jlis", "status"]
    list_filter = ["status", "is_test_pki"]
    readonly_fields = [
        "subject",
        "fingerprint_sha256",
        "not_before",
        "not_after",
        "jlis",
        "is_test_pki",
        "status",
        "label",
        "created_at",
    ]
    exclude = ["certificate_der"]
    actions = ["request_removal"]

    @admin.display(boolean=True, description=_("J-LIS 公表値と一致"))
    def jlis(self, obj: TrustAnchor) -> bool:
        return obj.matches_jlis

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = TrustAnchorAddForm
            kwargs["fields"] = ["label", "file", "reason"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["label", "file", "reason"] if obj is None else self.readonly_fields

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        def add(form: Any) -> Any:
            return trust.request_anchor_addition(
                form.read(),
                actor=request.user,
                reason=form.cleaned_data.get("reason", ""),
                label=form.cleaned_data.get("label", ""),
            )

        def done(change: Any) -> Any:
            return _("追加を申請しました（申請 #%(id)s）。別の職員が承認すると有効になります。") % {"id": change.pk}

        response = _upload_outside_transaction(self, request, TrustAnchorAddForm, add, done)
        return response or super().add_view(request, form_url, extra_context)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("選択したトラストアンカーの削除を申請する"), permissions=["add"])
    def request_removal(self, request: HttpRequest, queryset: QuerySet[TrustAnchor]) -> None:
        for anchor in queryset:
            try:
                trust.request_anchor_removal(anchor, actor=request.user, reason="admin")
            except trust.TrustError as exc:
                messages.error(request, f"{anchor}: {exc.message}")
            else:
                messages.info(request, _("削除を申請しました: %(anchor)s") % {"anchor": anchor})


@admin.register(AnchorChange)
class AnchorChangeAdmin(admin.ModelAdmin):
    list_display = ["anchor", "action", "requested_by", "requested_at", "decision", "decided_by", "decided_at"]
    list_filter = ["decision", "action"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "has_perm", lambda p: False)("delegations.approve_anchorchange"))

    def _decide(self, request: HttpRequest, queryset: QuerySet[AnchorChange], approve: bool) -> None:
        for change in queryset:
            try:
                fn = trust.approve_anchor_change if approve else trust.reject_anchor_change
                fn(change, actor=request.user)
            except trust.TrustError as exc:
                messages.error(request, f"{change}: {exc.message}")
            else:
                messages.info(request, str(change))

    @admin.action(description=_("選択した申請を承認する（申請者以外）"), permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[AnchorChange]) -> None:
        self._decide(request, queryset, True)

    @admin.action(description=_("選択した申請を却下する（申請者以外）"), permissions=["approve"])
    def reject(self, request: HttpRequest, queryset: QuerySet[AnchorChange]) -> None:
        self._decide(request, queryset, False)


class CRLUploadForm(_UploadForm):
    class Meta:
        model = RevocationList
        fields: list[str] = []


@admin.register(RevocationList)
class RevocationListAdmin(admin.ModelAdmin):
    list_display = ["__str__", "anchor", "crl_number", "this_update", "next_update", "entries", "is_current"]
    list_filter = ["is_current"]
    readonly_fields = [
        "anchor",
        "crl_number",
        "this_update",
        "next_update",
        "entries",
        "sha256",
        "size",
        "is_current",
        "imported_at",
        "imported_by",
    ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = CRLUploadForm
            kwargs["fields"] = ["file"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["file"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        def done(result: Any) -> Any:
            return _("CRL を取り込みました（%(n)s 件）。") % {"n": result.entries}

        response = _upload_outside_transaction(
            self, request, CRLUploadForm, lambda form: trust.import_crl(form.read(), actor=request.user), done
        )
        return response or super().add_view(request, form_url, extra_context)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
