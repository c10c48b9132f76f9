"""Repository documents and notices in the staff admin. Every change goes through
mynatrust.repository.services (role rules, four eyes, audit events); the admin only collects input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mynatrust.access import signed_in
from mynatrust.decisions import Decision, NoReasonForm, confirm_page, not_open
from mynatrust.forms import PlainTextMixin
from mynatrust.lib import paragraph_diff
from mynatrust.repository import services
from mynatrust.repository.models import (
    PUBLIC_KINDS,
    DocumentKind,
    DocumentVersion,
    Notice,
    ProcedureDocument,
    RepositoryError,
    TermsAcceptance,
)


class DocumentForm(forms.ModelForm):
    class Meta:
        model = DocumentVersion
        fields = ("kind", "version", "title", "body", "change_summary", "effective_at")


class ApproveForm(PlainTextMixin, forms.Form):
    effective_at = forms.DateTimeField(
        label=_("施行日時（変更する場合）"),
        required=False,
        help_text=_("空欄なら起案どおり。過去の日時は承認の時点になります。例：2027/04/01 0:00"),
    )
    note = forms.CharField(label=_("承認の所見（任意）"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RejectForm(PlainTextMixin, forms.Form):
    note = forms.CharField(label=_("差戻しの理由"), widget=forms.Textarea(attrs={"rows": 3}))


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
    """The public documents of the repository. ProcedureDocumentAdmin shows the internal ones."""

    kinds: tuple[DocumentKind, ...] = PUBLIC_KINDS
    form = DocumentForm
    list_display = ("__str__", "title", "status", "effective_at", "drafted_by", "decided_by")
    list_filter = ("kind", "status")
    search_fields = ("version", "title")
    readonly_fields = ("status", "drafted_by", "drafted_at", "decided_by", "decided_at", "decision_note")
    change_form_template = "admin/repository/documentversion/change_form.html"
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[DocumentVersion]:
        return super().get_queryset(request).filter(kind__in=self.kinds).select_related("drafted_by", "decided_by")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if "kind" in form.base_fields:
            field: Any = form.base_fields["kind"]
            field.choices = [(kind.value, kind.label) for kind in self.kinds]
            field.initial = self.kinds[0].value
        return form

    def _url_name(self, action: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_{action}"

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
        actor = signed_in(request)
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
        can_decide = obj is not None and self._may_decide(request, obj)
        extra: dict[str, Any] = {"can_decide": can_decide}
        if obj is not None:
            extra |= comparison_context(obj)
            extra["is_public"] = obj.kind in PUBLIC_KINDS
            if can_decide:
                extra["approve_url"] = reverse(f"admin:{self._url_name('approve')}", args=[obj.pk])
                extra["reject_url"] = reverse(f"admin:{self._url_name('reject')}", args=[obj.pk])
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _may_decide(self, request: HttpRequest, doc: DocumentVersion) -> bool:
        return (
            doc.is_draft
            and request.user.has_perm("mynatrust.approve_documentversion")
            and doc.drafted_by_id != request.user.pk
        )

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", wrap(self.approve_view), name=self._url_name("approve")),
            path("<int:pk>/reject/", wrap(self.reject_view), name=self._url_name("reject")),
            *super().get_urls(),
        ]

    def _decision(self, request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
        if not request.user.has_perm("mynatrust.approve_documentversion"):
            raise PermissionDenied
        doc = get_object_or_404(DocumentVersion.objects.select_related("drafted_by"), pk=pk, kind__in=self.kinds)
        actor = signed_in(request)
        internal = doc.kind not in PUBLIC_KINDS

        def perform(data: dict[str, Any]) -> Any:
            if not approve:
                services.reject_document(doc, actor=actor, note=data["note"])
                return gettext("差し戻しました。起案者が直して新しい版を起案できます。")
            done = services.approve_document(doc, actor=actor, note=data["note"], effective_at=data["effective_at"])
            when = date_format(timezone.localtime(done.effective_at), "DATETIME_FORMAT")
            if internal:
                return gettext("承認しました。%(when)s から職員の業務手続きとして効力を持ちます。") % {"when": when}
            if done.effective_at > timezone.now():
                return gettext(
                    "承認しました。%(when)s に施行されます。それまでリポジトリで改定を予告し、"
                    "利用者と受領者等にメールで知らせます。"
                ) % {"when": when}
            return gettext("承認しました。リポジトリに公開し、%(when)s から効力を持ちます。") % {"when": when}

        decision = Decision(
            key="document.approve" if approve else "document.reject",
            title=(gettext("版を承認する") if internal else gettext("公開文書の版を承認する"))
            if approve
            else (gettext("版を差し戻す") if internal else gettext("公開文書の版を差し戻す")),
            button=gettext("承認する") if approve else gettext("差し戻す"),
            consequence=(
                _(
                    "運用規程 9.2 に基づき、サービス責任者としてこの版の内容と変更を承認します。施行日時からリポジトリに"
                    "公開され効力を持ちます。施行日時が先であれば、それまでリポジトリで改定を予告し、利用者と受領者等に"
                    "メールで知らせます。承認した版は変更できません。"
                )
                if approve and not internal
                else _(
                    "運用規程 7.2.4 の業務手続書として、サービス責任者としてこの版を承認します。職員だけが閲覧でき、"
                    "リポジトリには公開されません。承認した版は変更できません。"
                )
                if approve
                else _("この版を承認せずに起案者へ差し戻します。差し戻した版は公開されず、変更もできません。")
            ),
            facts=document_facts(doc),
            perform=perform,
            done_url=reverse(f"admin:{self._url_name('change')}", args=[doc.pk]),
            form_class=ApproveForm if approve else RejectForm,
            errors=(RepositoryError,),
            danger=not approve,
            template="admin/repository/documentversion/decision_confirm.html",
        )
        if not self._may_decide(request, doc) and request.method == "GET":
            return not_open(request, decision.key, doc, decision.done_url)
        return confirm_page(self, request, doc, decision, **comparison_context(doc))

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decision(request, pk, approve=True)

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decision(request, pk, approve=False)


def document_facts(doc: DocumentVersion) -> list[tuple[Any, Any]]:
    return [
        (_("文書"), doc.get_kind_display()),
        (_("版"), doc.version),
        (_("表題"), doc.title),
        (_("施行日時（起案）"), date_format(timezone.localtime(doc.effective_at), "DATETIME_FORMAT")),
        (_("改定の概要"), doc.change_summary),
        (_("起案者"), doc.drafted_by),
        (_("起案日時"), date_format(timezone.localtime(doc.drafted_at), "DATETIME_FORMAT")),
    ]


def comparison_context(doc: DocumentVersion) -> dict[str, Any]:
    """The 新旧対照表 of a version against the one it follows."""
    previous = DocumentVersion.objects.replaced_by(doc)
    rows = paragraph_diff.compare(previous.body if previous else "", doc.body)
    return {"comparison_rows": rows, "comparison_previous": previous, "comparison_doc": doc}


@admin.register(ProcedureDocument)
class ProcedureDocumentAdmin(DocumentVersionAdmin):
    """The business procedures (§7.2.4): every member of staff reads them here; the service
    administrator drafts and revises them, the service manager approves them."""

    kinds = (DocumentKind.PROCEDURES,)


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
        actor = signed_in(request)

        def perform(data: dict[str, Any]) -> Any:
            if publish:
                services.publish_notice(notice, actor=actor)
                if notice.kind == Notice.Kind.TERMINATION:
                    return gettext("公開しました。利用者と受領者等の全員にメールで送りました。")
                return gettext("公開しました。")
            services.end_notice(notice, actor=actor)
            return gettext("掲示を終了しました。告知の一覧には残ります。")

        if publish:
            parts = [gettext("この告知をリポジトリの告知情報に公開します。")]
            if notice.banner:
                parts.append(gettext("全ページの上部にバナーで表示します。"))
            if notice.kind == Notice.Kind.TERMINATION:
                parts.append(gettext("サービスの終了の告知として、利用者と受領者等の全員にメールで送ります。"))
            parts.append(gettext("公開した告知は変更できません。"))
            consequence = "".join(parts)
        else:
            consequence = gettext("この告知をバナーから下ろします。告知の一覧と告知のページには残ります。")
        decision = Decision(
            key="notice.publish" if publish else "notice.end",
            title=gettext("告知を公開する") if publish else gettext("告知の掲示を終了する"),
            button=gettext("公開する") if publish else gettext("掲示を終了する"),
            consequence=consequence,
            facts=notice_facts(notice),
            perform=perform,
            done_url=reverse("admin:mynatrust_notice_change", args=[notice.pk]),
            form_class=NoReasonForm,
            errors=(RepositoryError,),
            danger=notice.kind == Notice.Kind.TERMINATION,
        )
        return confirm_page(self, request, notice, decision)

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


def _moment(value: Any) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "—"


def notice_facts(notice: Notice) -> list[tuple[Any, Any]]:
    return [
        (_("種別"), notice.get_kind_display()),
        (_("件名"), notice.title),
        (_("本文"), notice.body),
        (_("対象期間の開始"), _moment(notice.period_start)),
        (_("掲示の終了"), _moment(notice.ends_at)),
        (_("全ページにバナー表示"), _("する") if notice.banner else _("しない")),
        (_("サービス終了日"), date_format(notice.service_end_date, "DATE_FORMAT") if notice.service_end_date else "—"),
        (_("作成者"), notice.created_by),
    ]
