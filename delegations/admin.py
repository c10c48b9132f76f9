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
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.admin import ReadOnlyAdmin
from delegations import confirmation as periodic
from delegations import services as delegation_services
from delegations import trust
from delegations.document.content import Qualification
from delegations.forms import FollowUpForm, QualificationCheckForm
from delegations.forms import ReasonForm as DelegationReasonForm
from delegations.models import (
    AnchorChange,
    Delegation,
    MatterTemplate,
    RevocationList,
    RevocationRequest,
    TrustAnchor,
)
from delegations.signatures import SignatureReport
from mynatrust.access import signed_in
from mynatrust.decisions import Decision, OptionalReasonForm, ReasonForm, confirm_page
from mynatrust.lib.identifiers import identifier, item_name


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
        fields = ["label", "purpose"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purpose"].required = False  # a J-LIS signing CA unless said otherwise


def period(start: Any, end: Any) -> str:
    """Two dates as a period in the reader's language (「2026年4月1日 〜 …」, "April 1, 2026 to …")."""
    return gettext("%(start)s 〜 %(end)s") % {
        "start": date_format(start, "DATE_FORMAT"),
        "end": date_format(end, "DATE_FORMAT"),
    }


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
    list_display = ["__str__", "purpose", "subject", "fingerprint_sha256", "not_before", "not_after", "jlis", "status"]
    list_filter = ["status", "purpose", "is_test_pki"]
    readonly_fields = [
        "purpose",
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
    actions = None

    @admin.display(boolean=True, description=_("J-LIS 公表値と一致"))
    def jlis(self, obj: TrustAnchor) -> bool:
        return obj.matches_jlis

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = TrustAnchorAddForm
            kwargs["fields"] = ["label", "purpose", "file", "reason"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["label", "purpose", "file", "reason"] if obj is None else self.readonly_fields

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        def add(form: Any) -> Any:
            return trust.request_anchor_addition(
                form.read(),
                actor=signed_in(request),
                reason=form.cleaned_data.get("reason", ""),
                label=form.cleaned_data.get("label", ""),
                purpose=form.cleaned_data.get("purpose") or TrustAnchor.Purpose.SIGNING,
            )

        def done(change: Any) -> Any:
            return _("追加を申請しました（申請 #%(id)s）。別の職員が承認すると有効になります。") % {"id": change.pk}

        response = _upload_outside_transaction(self, request, TrustAnchorAddForm, add, done)
        return response or super().add_view(request, form_url, extra_context)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/removal/", wrap(self.removal_view), name="delegations_trustanchor_removal"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> Any:
        can = (
            self.has_add_permission(request)
            and TrustAnchor.objects.filter(pk=object_id, status=TrustAnchor.Status.ACTIVE).exists()
        )
        extra = {"removal_url": reverse("admin:delegations_trustanchor_removal", args=[object_id]) if can else ""}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def removal_view(self, request: HttpRequest, pk: int) -> Any:
        if not self.has_add_permission(request):
            raise PermissionDenied
        anchor = get_object_or_404(TrustAnchor, pk=pk)

        def perform(data: dict[str, Any]) -> Any:
            trust.request_anchor_removal(anchor, actor=signed_in(request), reason=data["reason"])
            return gettext("削除を申請しました。別の職員が承認すると削除されます。")

        decision = Decision(
            key="trustanchor.removal",
            title=gettext("トラストアンカーの削除を申請する"),
            button=gettext("削除を申請する"),
            consequence=_("削除を申請します。別の職員が承認した時点で、これを根とする署名は受け付けなくなります。"),
            facts=[
                (_("トラストアンカー"), item_name(anchor)),
                (_("主体者"), identifier(anchor.subject)),
                (_("SHA-256 フィンガープリント"), identifier(anchor.fingerprint_sha256)),
                (_("状態"), anchor.get_status_display()),
            ],
            perform=perform,
            done_url=reverse("admin:delegations_trustanchor_change", args=[anchor.pk]),
            errors=(trust.TrustError,),
            danger=True,
        )
        return confirm_page(self, request, anchor, decision)


@admin.register(AnchorChange)
class AnchorChangeAdmin(ReadOnlyAdmin):
    list_display = ["anchor_label", "action", "reason_text", "requested_by", "requested_at", "decision", "decided_by"]
    list_filter = ["decision", "action"]
    list_select_related = ["anchor", "requested_by", "decided_by"]

    @admin.display(description=_("トラストアンカー"), ordering="anchor")
    def anchor_label(self, obj: AnchorChange) -> str:
        return str(obj.anchor)

    @admin.display(description=_("理由"))
    def reason_text(self, obj: AnchorChange) -> str:
        return obj.reason or "—"

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/<str:verb>/", wrap(self.decide_view), name="delegations_anchorchange_decide"),
            *super().get_urls(),
        ]

    def _facts(self, change: AnchorChange) -> list[tuple[Any, Any]]:
        anchor = change.anchor
        return [
            (_("トラストアンカー"), item_name(anchor)),
            (_("操作"), change.get_action_display()),
            (_("主体者"), identifier(anchor.subject)),
            (_("SHA-256 フィンガープリント"), identifier(anchor.fingerprint_sha256)),
            (
                _("有効期間"),
                period(anchor.not_before, anchor.not_after),
            ),
            (_("J-LIS 公表値と一致"), _("はい") if anchor.matches_jlis else _("いいえ")),
            (_("申請者"), change.requested_by),
            (_("申請日時"), date_format(timezone.localtime(change.requested_at), "DATETIME_FORMAT")),
            (_("申請の理由"), change.reason),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> Any:
        change = get_object_or_404(AnchorChange.objects.select_related("anchor", "requested_by"), pk=object_id)
        can = change.decision == AnchorChange.Decision.PENDING and self.has_approve_permission(request)
        buttons = [
            (gettext("承認する"), reverse("admin:delegations_anchorchange_decide", args=[change.pk, "approve"]), False),
            (gettext("却下する"), reverse("admin:delegations_anchorchange_decide", args=[change.pk, "reject"]), True),
        ]
        return decision_item(
            self, request, change, self._facts(change), buttons if can else [], change.get_decision_display()
        )

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("delegations.approve_anchorchange"))

    def decide_view(self, request: HttpRequest, pk: int, verb: str) -> Any:
        if verb not in ("approve", "reject") or not self.has_approve_permission(request):
            raise PermissionDenied
        change = get_object_or_404(AnchorChange.objects.select_related("anchor", "requested_by"), pk=pk)
        approve = verb == "approve"
        adding = change.action == AnchorChange.Action.ADD

        def perform(data: dict[str, Any]) -> Any:
            fn = trust.approve_anchor_change if approve else trust.reject_anchor_change
            fn(change, actor=signed_in(request), note=data["reason"])
            return gettext("承認しました。") if approve else gettext("却下しました。")

        if approve:
            consequence = (
                _("このトラストアンカーを信頼し、これを根とする署名を検証に用います。")
                if adding
                else _("このトラストアンカーを削除し、以後これを根とする署名を受け付けません。")
            )
        else:
            consequence = _("申請を却下します。トラストアンカーは申請前の状態に戻ります。")
        decision = Decision(
            key=f"anchorchange.{verb}",
            title=gettext("トラストアンカーの変更申請を承認する")
            if approve
            else gettext("トラストアンカーの変更申請を却下する"),
            button=gettext("承認する") if approve else gettext("却下する"),
            consequence=consequence,
            facts=self._facts(change),
            perform=perform,
            done_url=reverse("admin:delegations_anchorchange_change", args=[change.pk]),
            form_class=OptionalReasonForm if approve else ReasonForm,
            errors=(trust.TrustError,),
            danger=not approve,
        )
        return confirm_page(self, request, change, decision)


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
            self, request, CRLUploadForm, lambda form: trust.import_crl(form.read(), actor=signed_in(request)), done
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


class ConfirmationFilter(admin.SimpleListFilter):
    """Where the periodic confirmation of §4.3 stands."""

    title = _("定期確認（4.3）")
    parameter_name = "confirmation"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("follow_up", _("督促が必要（期限超過から一定日数）")),
            ("overdue", _("期限超過")),
            ("due", _("期限が近い・期限超過")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        chosen = {"follow_up": periodic.for_follow_up, "overdue": periodic.overdue, "due": periodic.to_confirm}
        if self.value() in chosen:
            return queryset.filter(pk__in=chosen[str(self.value())]().values("pk"))
        return queryset


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "subscriber",
        "agent_name",
        "status",
        "valid_from",
        "valid_until",
        "confirmation_due_on",
        "created_at",
    ]
    list_filter = ["status", ConfirmationFilter, "agent_qualification"]
    search_fields = [
        "delegation_id",
        "agent_name",
        "subscriber__public_id",
        "subscriber__corporate_number",
        "subscriber__facts__organisation_name",
        "=reception_number",
        "=revocation_number",
    ]
    list_select_related = ["subscriber"]
    ordering = ["-created_at"]
    list_per_page = 50
    show_full_result_count = False

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

    def review_view(self, request: HttpRequest, object_id: int) -> Any:
        delegation = self._delegation(request, object_id)
        files = list(delegation.signed_files.select_related("uploaded_by"))
        can_review = request.user.has_perm("delegations.review_delegation")
        can_revoke = request.user.has_perm("delegations.revoke_delegation")
        waiting = (
            delegation_services.waiting_for(delegation) if delegation.status == Delegation.Status.SUBMITTED else []
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("電子委任状 %(id)s") % {"id": delegation},
            "heading": SafeString(conditional_escape(gettext("電子委任状 %(id)s")) % {"id": item_name(delegation)}),
            "delegation": delegation,
            "files": [(f, SignatureReport.from_dict(f.report)) for f in files],
            "waiting": waiting,
            "check": getattr(delegation, "qualification_check", None) if delegation.agent_qualification else None,
            "revocation_requests": delegation.revocation_requests.select_related("requested_by", "decided_by"),
            "can_review": can_review and delegation.status == Delegation.Status.SUBMITTED,
            "can_revoke": can_revoke and delegation.status == Delegation.Status.ACTIVE,
            "confirmations": delegation.confirmations.select_related("confirmed_by")[:5],
            "confirmation_overdue": periodic.overdue().filter(pk=delegation.pk).exists(),
            "follow_ups": delegation.confirmation_follow_ups.select_related("recorded_by"),
            "can_follow_up": request.user.has_perm("delegations.follow_up_confirmation")
            and periodic.overdue().filter(pk=delegation.pk).exists(),
        }
        return TemplateResponse(request, "admin/delegations/delegation/review.html", context)

    # action: (title, button, consequence, form, danger)
    DECISIONS: dict[str, tuple[Any, Any, Any, Any, bool]] = {
        "confirm": (
            _("代替文字の照合結果を確認する"),
            _("確認したことを記録する"),
            _(
                "代替文字の位置だけが異なることを確認したと記録します。他の確認が済んでいれば電子委任状は有効になります。"
            ),
            DelegationReasonForm,
            False,
        ),
        "qualification": (
            _("士業の資格確認を記録する"),
            _("資格確認を記録する"),
            _(
                "士業団体への確認の結果を記録します。資格を確認できた場合、他の確認が済んでいれば電子委任状は有効になります。"
            ),
            QualificationCheckForm,
            False,
        ),
        "reject": (
            _("不受理にする"),
            _("不受理にする"),
            _("この電子委任状を不受理とします。利用者には理由が通知され、この電子委任状は有効になりません。"),
            DelegationReasonForm,
            True,
        ),
        "follow_up": (
            _("定期確認の督促を記録する"),
            _("連絡を記録する"),
            _(
                "定期確認（運用規程 4.3）の期限を過ぎた利用者へ連絡したことを記録します。電子委任状の状態は変わりません。"
            ),
            FollowUpForm,
            False,
        ),
        "revoke": (
            _("取消を申請する"),
            _("取消を申請する"),
            _("取消を申請します。別の担当者が承認した時点で電子委任状は失効します。"),
            DelegationReasonForm,
            True,
        ),
    }

    def action_view(self, request: HttpRequest, object_id: int, action: str) -> Any:
        delegation = self._delegation(request, object_id)
        perm = {
            "revoke": "delegations.revoke_delegation",
            "follow_up": "delegations.follow_up_confirmation",
        }.get(action, "delegations.review_delegation")
        if action not in self.DECISIONS or not request.user.has_perm(perm):
            raise PermissionDenied
        title, button, consequence, form_class, danger = self.DECISIONS[action]
        actor = signed_in(request)

        def perform(data: dict[str, Any]) -> Any:
            if action == "confirm":
                delegation_services.confirm_identity(delegation, actor=actor, note=data["reason"])
            elif action == "qualification":
                delegation_services.record_qualification_check(delegation, actor=actor, **data)
            elif action == "reject":
                delegation_services.reject_submission(delegation, actor=actor, reason=data["reason"])
            elif action == "follow_up":
                periodic.record_follow_up(delegation, actor=actor, channel=data["channel"], note=data["note"])
            else:
                delegation_services.request_revocation(delegation, actor=actor, reason=data["reason"])
            return (
                gettext("記録しました。")
                if action != "revoke"
                else gettext("取消を申請しました。別の担当者の承認を待っています。")
            )

        decision = Decision(
            key=f"delegation.{action}",
            title=title,
            button=button,
            consequence=consequence,
            facts=qualification_facts(delegation) if action == "qualification" else delegation_facts(delegation),
            perform=perform,
            done_url=reverse("admin:delegations_delegation_change", args=[object_id]),
            form_class=form_class,
            errors=(delegation_services.DelegationError,),
            danger=danger,
            initial={"reason": gettext("代替文字を確認した")} if action == "confirm" else {},
        )
        return confirm_page(self, request, delegation, decision)


@admin.register(RevocationRequest)
class RevocationRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "delegation_label",
        "reason_text",
        "requested_by",
        "requested_at",
        "decision",
        "decided_by",
        "decided_at",
    )
    list_filter = ["decision"]
    search_fields = ["delegation__delegation_id"]
    list_select_related = ["delegation", "requested_by", "decided_by"]

    @admin.display(description=_("電子委任状"), ordering="delegation")
    def delegation_label(self, obj: RevocationRequest) -> str:
        return str(obj.delegation)

    @admin.display(description=_("理由"))
    def reason_text(self, obj: RevocationRequest) -> str:
        return obj.reason

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/<str:verb>/", wrap(self.decide_view), name="delegations_revocationrequest_decide"),
            *super().get_urls(),
        ]

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("delegations.revoke_delegation"))

    def _item(self, pk: Any) -> RevocationRequest:
        return get_object_or_404(
            RevocationRequest.objects.select_related("delegation__subscriber", "requested_by", "decided_by"), pk=pk
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> Any:
        item = self._item(object_id)
        can = item.decision == RevocationRequest.Decision.PENDING and self.has_decide_permission(request)
        buttons = [
            (
                gettext("取消を承認する"),
                reverse("admin:delegations_revocationrequest_decide", args=[item.pk, "approve"]),
                True,
            ),
            (
                gettext("却下する"),
                reverse("admin:delegations_revocationrequest_decide", args=[item.pk, "reject"]),
                False,
            ),
        ]
        facts = [
            *revocation_facts(item),
            (_("判断"), item.get_decision_display()),
            (_("承認者"), item.decided_by or "—"),
        ]
        return decision_item(self, request, item, facts, buttons if can else [], item.get_decision_display())

    def decide_view(self, request: HttpRequest, pk: int, verb: str) -> Any:
        if verb not in ("approve", "reject") or not self.has_decide_permission(request):
            raise PermissionDenied
        item = self._item(pk)
        approve = verb == "approve"

        def perform(data: dict[str, Any]) -> Any:
            decide = delegation_services.approve_revocation if approve else delegation_services.reject_revocation
            decide(item, actor=signed_in(request), note=data["reason"])
            # The ID is marked up as an identifier, as on every staff page (format_html escapes it).
            return format_html(
                gettext("取消を承認しました。電子委任状 {id} は失効しました。")
                if approve
                else gettext("取消申請を却下しました。電子委任状 {id} は引き続き有効です。"),
                id=item_name(item.delegation),
            )

        decision = Decision(
            key=f"revocation.{verb}",
            title=gettext("取消申請を承認する") if approve else gettext("取消申請を却下する"),
            button=gettext("取消を承認する") if approve else gettext("却下する"),
            consequence=(
                _("この電子委任状を取り消します。以後の有効性の照会には「取消し済み」と回答します。元には戻せません。")
                if approve
                else _("取消申請を却下します。電子委任状は有効なまま残ります。")
            ),
            facts=revocation_facts(item),
            perform=perform,
            done_url=reverse("admin:delegations_revocationrequest_change", args=[item.pk]),
            form_class=OptionalReasonForm if approve else ReasonForm,
            errors=(delegation_services.DelegationError,),
            danger=approve,
        )
        return confirm_page(self, request, item, decision)


def delegation_facts(delegation: Delegation) -> list[tuple[Any, Any]]:
    """The delegation restated on a decision page: who gives what to whom, for how long."""
    return [
        (_("電子委任状 ID"), identifier(delegation.delegation_id) or "—"),
        (_("状態"), delegation.get_status_display()),
        (_("委任者"), delegation.principal_name or delegation.subscriber),
        (_("受任者"), " ".join(filter(None, [delegation.agent_title, delegation.agent_name]))),
        (_("代理権の内容"), delegation.powers),
        (
            _("委任期間"),
            period(delegation.valid_from, delegation.valid_until),
        ),
    ]


def qualification_facts(delegation: Delegation) -> list[tuple[Any, Any]]:
    """The qualification to check and the body whose register holds it (§4.1.2, §4.1.3)."""
    qualification = Qualification(delegation.agent_qualification)
    return [
        *delegation_facts(delegation),
        (_("資格と登録番号"), format_html("{} {}", qualification.label, identifier(delegation.agent_identifier))),
        (_("確認先の資格団体"), qualification.professional_body),
    ]


def revocation_facts(item: RevocationRequest) -> list[tuple[Any, Any]]:
    return [
        *delegation_facts(item.delegation),
        (_("取消の申請者"), item.requested_by),
        (_("申請日時"), date_format(timezone.localtime(item.requested_at), "DATETIME_FORMAT")),
        (_("取消の理由"), item.reason),
    ]


def decision_item(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    obj: Any,
    facts: list[tuple[Any, Any]],
    buttons: list[tuple[str, str, bool]],
    state: Any,
) -> Any:
    """An item waiting for a decision: its facts, then one button per decision (each opens its
    confirmation page)."""
    if not model_admin.has_view_permission(request, obj):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"{model_admin.model._meta.verbose_name} — {obj}",
        "heading": format_html("{} — {}", model_admin.model._meta.verbose_name, item_name(obj)),
        "target": obj,
        "facts": facts,
        "buttons": buttons,
        "state": state,
    }
    return TemplateResponse(request, "admin/decision_item.html", context)


@admin.register(MatterTemplate)
class MatterTemplateAdmin(admin.ModelAdmin):
    """The 委任事項 templates subscribers pick when drafting: the service administrator keeps them;
    every save is a new version and an audit event with the whole text (never deleted: retired)."""

    list_display = ["label", "category", "position", "is_active", "version", "updated_at"]
    list_filter = ["category", "is_active"]
    search_fields = ["label", "powers"]
    fields = [
        "category",
        "label",
        "powers",
        "limitations",
        "position",
        "is_active",
        "version",
        "updated_by",
        "updated_at",
    ]
    readonly_fields = ["version", "updated_by", "updated_at"]
    actions = None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: MatterTemplate, form: Any, change: bool) -> None:
        delegation_services.save_matter_template(obj, actor=signed_in(request))
