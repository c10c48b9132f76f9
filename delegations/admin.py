"""Trust anchors and revocation data in the staff admin (service operator role).

Records are read-only here: additions, removals, approvals and CRL imports go through
``delegations.trust`` so the 4-eyes rule and the audit events apply whatever the entry point.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.admin import ReadOnlyAdmin
from delegations import services as delegation_services
from delegations import trust
from delegations.forms import QualificationCheckForm, ReasonForm
from delegations.models import AnchorChange, Delegation, RevocationList, RevocationRequest, TrustAnchor
from delegations.signatures import SignatureReport


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


# --- delegations (operators and reception) ----------------------------------------------------------------
# Stored facts are never edited here: the page shows the delegation, its signed files and their
# verification reports; the forms on it call the lifecycle services (outside the admin's transaction,
# so a refusal stays in the audit log).


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "subscriber", "agent_name", "status", "valid_from", "valid_until", "created_at"]
    list_filter = ["status", "agent_qualification"]
    search_fields = [
        "delegation_id",
        "agent_name",
        "subscriber__public_id",
        "subscriber__corporate_number",
        "subscriber__facts__organisation_name",
    ]
    list_select_related = ["subscriber"]
    ordering = ["-created_at"]
    list_per_page = 50
    show_full_result_count = False

    ACTIONS = ("confirm", "qualification", "reject", "revoke")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        # A delegation ID is accepted as people type it (lower case, no hyphens, I/L/O aliases).
        from mynatrust.lib import delegation_id as ids

        if ids.is_valid(search_term.strip()):
            return queryset.filter(delegation_id=ids.parse(search_term.strip())), False
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/review/", wrap(self.review_view), name="delegations_delegation_review"),
            path("<int:object_id>/action/<str:action>/", wrap(self.action_view), name="delegations_delegation_action"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> Any:
        return self.review_view(request, int(object_id))

    def _delegation(self, request: HttpRequest, object_id: int) -> Delegation:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            Delegation.objects.select_related("subscriber", "replaces", "superseded_by"), pk=object_id
        )

    def review_view(self, request: HttpRequest, object_id: int, forms_: dict[str, Any] | None = None) -> Any:
        delegation = self._delegation(request, object_id)
        files = list(delegation.signed_files.select_related("uploaded_by"))
        can_review = request.user.has_perm("delegations.review_delegation")
        can_revoke = request.user.has_perm("delegations.revoke_delegation")
        action_forms = {
            "confirm": ReasonForm(auto_id="id_confirm_%s", initial={"reason": gettext("代替文字を確認した")}),
            "qualification": QualificationCheckForm(auto_id="id_qualification_%s"),
            "reject": ReasonForm(auto_id="id_reject_%s"),
            "revoke": ReasonForm(auto_id="id_revoke_%s"),
            **(forms_ or {}),
        }
        waiting = (
            delegation_services.waiting_for(delegation) if delegation.status == Delegation.Status.SUBMITTED else []
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("電子委任状 %(id)s") % {"id": delegation},
            "delegation": delegation,
            "files": [(f, SignatureReport.from_dict(f.report)) for f in files],
            "waiting": waiting,
            "check": getattr(delegation, "qualification_check", None) if delegation.agent_qualification else None,
            "revocation_requests": delegation.revocation_requests.select_related("requested_by", "decided_by"),
            "forms": action_forms,
            "can_review": can_review and delegation.status == Delegation.Status.SUBMITTED,
            "can_revoke": can_revoke and delegation.status == Delegation.Status.ACTIVE,
        }
        return TemplateResponse(request, "admin/delegations/delegation/review.html", context)

    def action_view(self, request: HttpRequest, object_id: int, action: str) -> Any:
        delegation = self._delegation(request, object_id)
        perm = "delegations.revoke_delegation" if action == "revoke" else "delegations.review_delegation"
        if request.method != "POST" or action not in self.ACTIONS or not request.user.has_perm(perm):
            raise PermissionDenied
        form: Any = (QualificationCheckForm if action == "qualification" else ReasonForm)(
            request.POST, auto_id=f"id_{action}_%s"
        )
        if not form.is_valid():
            return self.review_view(request, object_id, {action: form})
        data, actor = form.cleaned_data, request.user
        try:
            if action == "confirm":
                delegation_services.confirm_identity(delegation, actor=actor, note=data["reason"])
            elif action == "qualification":
                delegation_services.record_qualification_check(delegation, actor=actor, **data)
            elif action == "reject":
                delegation_services.reject_submission(delegation, actor=actor, reason=data["reason"])
            else:
                delegation_services.request_revocation(delegation, actor=actor, reason=data["reason"])
        except delegation_services.DelegationError as exc:
            messages.error(request, exc.message)
        else:
            messages.info(request, gettext("記録しました。"))
        return HttpResponseRedirect(reverse("admin:delegations_delegation_change", args=[object_id]))


@admin.register(RevocationRequest)
class RevocationRequestAdmin(ReadOnlyAdmin):
    FIELDS = ("delegation", "reason", "requested_by", "requested_at", "decision", "decided_by", "decided_at")
    list_display = FIELDS
    list_filter = ["decision"]
    search_fields = ["delegation__delegation_id"]
    list_select_related = ["delegation", "requested_by", "decided_by"]
    actions = ["approve", "reject"]
    readonly_fields = FIELDS

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("delegations.revoke_delegation")

    def _decide(self, request: HttpRequest, queryset: QuerySet[RevocationRequest], approve: bool) -> None:
        decide = delegation_services.approve_revocation if approve else delegation_services.reject_revocation
        for item in queryset:
            try:
                decide(item, actor=request.user)
            except delegation_services.DelegationError as exc:
                messages.error(request, f"{item.delegation}: {exc.message}")
            else:
                messages.info(request, f"{item.delegation}: {gettext('判断を記録しました。')}")

    @admin.action(description=_("選択した取消申請を承認する（取消を実行）"), permissions=["decide"])
    def approve(self, request: HttpRequest, queryset: QuerySet[RevocationRequest]) -> None:
        self._decide(request, queryset, True)

    @admin.action(description=_("選択した取消申請を却下する"), permissions=["decide"])
    def reject(self, request: HttpRequest, queryset: QuerySet[RevocationRequest]) -> None:
        self._decide(request, queryset, False)
