"""Reception's desk in the staff admin (§3.1.3, §3.2, §10.2.1): queues, the application beside the NTA
lookup and the registry evidence, one form to approve / return / reject with a reason, and the
contract actions. Records are read-only here; every change goes through registry.services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Min, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mynatrust.access import signed_in
from mynatrust.decisions import Decision, NoReasonForm, confirm_page, not_open
from mynatrust.lib.identifiers import identifier
from mynatrust.lib.pdf_pages import PdfPageError, render_page
from registry import matching, services
from registry.forms import (
    ApproveFactsForm,
    ApproveSoleProprietorForm,
    DataRequestCloseForm,
    ReasonForm,
    nta_confirmation,
)
from registry.models import (
    CorporateRecord,
    DataRequest,
    ImportRun,
    Invitation,
    Membership,
    RegistryEvidence,
    Subscriber,
    SubscriberFacts,
)
from registry.services import NTA_FINDINGS, RegistryError
from registry.views import pdf_response

if TYPE_CHECKING:
    from mynatrust.models import User

logger = logging.getLogger(__name__)


def _label(name: str) -> Any:
    return getattr(SubscriberFacts._meta.get_field(name), "verbose_name", name)


@admin.display(description=_("法人番号"), ordering="corporate_number")
def corporate_number_marked(obj: Any) -> SafeString:
    """A corporate number in a list or on an item's page, marked up as an identifier."""
    return identifier(obj.corporate_number)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


NTA_STATUS = {
    "found": _("公表データあり"),
    "unknown": _("公表データなし"),
    "closed": _("登記記録の閉鎖"),
    "deleted": _("公表データから削除"),
    "error": _("照会失敗"),
}


class QueueFilter(admin.SimpleListFilter):
    title = _("受付キュー")
    parameter_name = "queue"

    # The queue is the list's default view; "all" shows every subscriber.
    DEFAULT = "to_review"

    def value(self) -> str:
        return super().value() or self.DEFAULT

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("to_review", _("審査待ち（申込・変更届）")),
            ("waiting", _("申込者の対応待ち")),
            ("nearing_end", _("契約終了が近い")),
            ("expired", _("契約期間切れ")),
            ("all", _("すべての利用者")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        qs: Any = queryset
        today = timezone.localdate()
        match self.value():
            case "to_review":
                return qs.to_review()
            case "waiting":
                return qs.waiting_for_applicant()
            case "nearing_end":
                return qs.nearing_end(today).filter(contract_end__gte=today)
            case "expired":
                return qs.filter(status=Subscriber.Status.ACTIVE, contract_end__lt=today)
        return queryset


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "joined_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscriber)
class SubscriberAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("display_name", "kind", corporate_number_marked, "status", "waiting", "applied_at", "contract_end")
    list_filter = (QueueFilter, "status", "kind")
    # A caller quotes the reception number of the application or of a change (受付番号).
    search_fields = (
        "corporate_number",
        "facts__organisation_name",
        "memberships__user__email",
        "=facts__reception_number",
    )
    ordering = ("-applied_at",)
    actions = None
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscriber]:
        # Since when each subscriber waits for reception: its oldest version waiting for review.
        pending = Q(facts__state=SubscriberFacts.State.PENDING)
        return (
            super()
            .get_queryset(request)
            .annotate(waiting_since=Min("facts__submitted_at", filter=pending))
            .prefetch_related("facts")
        )

    def get_ordering(self, request: HttpRequest) -> Any:
        # The review queue is worked oldest first; other views newest application first.
        if request.GET.get(QueueFilter.parameter_name, QueueFilter.DEFAULT) == QueueFilter.DEFAULT:
            return (F("waiting_since").asc(nulls_last=True), "pk")
        return self.ordering

    @admin.display(description=_("待ち日数"), ordering="waiting_since")
    def waiting(self, obj: Subscriber) -> str:
        since = getattr(obj, "waiting_since", None)
        if since is None:
            return "—"
        return gettext("%(days)d 日") % {"days": (timezone.now() - since) // timedelta(days=1)}

    @admin.display(description=_("商号・屋号"))
    def display_name(self, obj: Subscriber) -> str:
        versions = sorted(obj.facts.all(), key=lambda f: f.version)
        approved = [f for f in versions if f.state == SubscriberFacts.State.APPROVED]
        chosen = approved or versions
        return chosen[-1].organisation_name if chosen else obj.public_id

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/review/", wrap(self.review_view), name="registry_subscriber_review"),
            path("<int:object_id>/decide/<str:verb>/", wrap(self.decide_view), name="registry_subscriber_decide"),
            path("<int:object_id>/nta-recheck/", wrap(self.nta_recheck_view), name="registry_subscriber_nta_recheck"),
            path(
                "evidence/<str:public_id>/",
                wrap(self.evidence_view),
                name="registry_evidence_pdf",
            ),
            path(
                "evidence/<str:public_id>/page/<int:number>/",
                wrap(self.evidence_page_view),
                name="registry_evidence_page",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self.review_view(request, int(object_id))

    def _subscriber(self, request: HttpRequest, object_id: int, perm: str = "registry.view_subscriber") -> Subscriber:
        if not request.user.has_perm(perm):
            raise PermissionDenied
        return get_object_or_404(Subscriber, pk=object_id)

    def _context(self, request: HttpRequest, subscriber: Subscriber) -> dict[str, Any]:
        open_facts = subscriber.open_facts
        current = subscriber.current_facts
        check = open_facts.nta_check if open_facts else (current.nta_check if current else {})
        comparison = None
        if open_facts is not None and current is not None:
            comparison = [
                (_label(name), getattr(current, name), getattr(open_facts, name))
                for name in SubscriberFacts.DECLARED_FIELDS
            ]
        representative_check = None
        if open_facts is not None and current is not None and current.registered_representative_name:
            representative_check = matching.match_identity(
                expected_name=current.registered_representative_name,
                expected_address=current.registered_representative_address,
                certificate_name=open_facts.representative_name,
                certificate_address=open_facts.representative_address,
            )
        evidence = list(open_facts.evidence.all()) if open_facts is not None else []
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("利用者の審査：%(name)s") % {"name": subscriber},
            "evidence_pages": [
                (
                    item,
                    [
                        reverse("admin:registry_evidence_page", args=[item.public_id, n])
                        for n in range(1, preview_pages(item) + 1)
                    ],
                )
                for item in evidence
                if item.kind == RegistryEvidence.Kind.PDF
            ],
            "subscriber": subscriber,
            "current": current,
            "open_facts": open_facts,
            "comparison": comparison,
            "representative_check": representative_check,
            "nta": check,
            "nta_status": NTA_STATUS.get(check.get("status", ""), check.get("status", "")),
            "nta_findings": [NTA_FINDINGS.get(code, code) for code in check.get("findings", [])],
            "decisions": self._buttons(request, subscriber),
            "can_review": request.user.has_perm("registry.review_subscriber"),
            "versions": subscriber.facts.select_related("submitted_by", "decided_by").prefetch_related("evidence"),
            "members": subscriber.memberships.select_related("user"),
            # Others under the same corporate number: the applicant is never told (§2.7.1), reception
            # decides which one is the company's (§3.1.3) and approves one at most.
            "same_number": Subscriber.objects.filter(corporate_number=subscriber.corporate_number)
            .exclude(pk=subscriber.pk)
            .exclude(corporate_number="")
            .order_by("applied_at"),
        }

    def review_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        subscriber = self._subscriber(request, object_id)
        return TemplateResponse(request, "admin/registry/subscriber/review.html", self._context(request, subscriber))

    # verb: (permission, button on the item, danger, the states of the subscriber it applies to)
    VERBS: dict[str, tuple[str, Any, bool]] = {
        "start": ("registry.review_subscriber", _("審査中にする"), False),
        "approve": ("registry.review_subscriber", _("承認する"), False),
        "return": ("registry.review_subscriber", _("差し戻す"), False),
        "reject": ("registry.review_subscriber", _("不承認にする"), True),
        "suspend": ("registry.manage_contract", _("利用停止にする"), True),
        "reinstate": ("registry.manage_contract", _("利用を再開する"), False),
        "terminate": ("registry.manage_contract", _("契約を終了する"), True),
    }

    def _verbs(self, subscriber: Subscriber) -> list[str]:
        """The decisions open on this subscriber now, in the order the page offers them."""
        verbs: list[str] = []
        open_facts = subscriber.open_facts
        if open_facts is not None and open_facts.state == SubscriberFacts.State.PENDING:
            if subscriber.status == Subscriber.Status.APPLIED:
                verbs.append("start")
            verbs += ["approve", "return", "reject"]
        elif open_facts is not None:  # returned, and the applicant never answers
            verbs.append("reject")
        if subscriber.status == Subscriber.Status.ACTIVE:
            verbs += ["suspend", "terminate"]
        elif subscriber.status == Subscriber.Status.SUSPENDED:
            verbs += ["reinstate", "terminate"]
        return verbs

    def _buttons(self, request: HttpRequest, subscriber: Subscriber) -> list[tuple[Any, str, bool]]:
        return [
            (button, reverse("admin:registry_subscriber_decide", args=[subscriber.pk, verb]), danger)
            for verb in self._verbs(subscriber)
            for perm, button, danger in [self.VERBS[verb]]
            if request.user.has_perm(perm)
        ]

    def decide_view(self, request: HttpRequest, object_id: int, verb: str) -> HttpResponse:
        if verb not in self.VERBS:
            raise Http404
        subscriber = self._subscriber(request, object_id, self.VERBS[verb][0])
        if verb not in self._verbs(subscriber):
            done_url = reverse("admin:registry_subscriber_change", args=[subscriber.pk])
            return not_open(request, f"subscriber.{verb}", subscriber, done_url)
        decision = subscriber_decision(request, subscriber, verb)
        extra: dict[str, Any] = {}
        if verb == "approve":
            extra = self._context(request, subscriber)
            extra.pop("title")
        return confirm_page(self, request, subscriber, decision, **extra)

    def nta_recheck_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        subscriber = self._subscriber(request, object_id, "registry.review_subscriber")
        facts = subscriber.open_facts
        if request.method == "POST" and facts is not None and subscriber.corporate_number:
            services.recheck_corporate_number(facts, actor=request.user)
            messages.success(request, gettext("法人番号を再照会しました。"))
        return HttpResponseRedirect(reverse("admin:registry_subscriber_change", args=[subscriber.pk]))

    def evidence_view(self, request: HttpRequest, public_id: str) -> HttpResponse:
        if not request.user.has_perm("registry.view_registryevidence"):
            raise PermissionDenied
        item = get_object_or_404(RegistryEvidence.objects.select_related("facts__subscriber"), public_id=public_id)
        if item.kind != RegistryEvidence.Kind.PDF:
            raise Http404
        services.record_evidence_viewed(item, actor=request.user)
        return pdf_response(item, as_attachment=False)

    def evidence_page_view(self, request: HttpRequest, public_id: str, number: int) -> HttpResponse:
        """One page of the certificate as an image (mynatrust/lib/pdf_pages.py says how it is drawn
        and bounded); each page opened is an access to personal data, so an audit event."""
        if not request.user.has_perm("registry.view_registryevidence"):
            raise PermissionDenied
        item = get_object_or_404(RegistryEvidence.objects.select_related("facts__subscriber"), public_id=public_id)
        if item.kind != RegistryEvidence.Kind.PDF or not 1 <= number <= preview_pages(item):
            raise Http404
        try:
            image = render_page(bytes(item.content), number, size=settings.REGISTRY_EVIDENCE_PREVIEW_SIZE)
        except PdfPageError as exc:
            logger.warning("evidence %s page %d not drawn: %s", item.public_id, number, exc.code)
            return HttpResponse(
                gettext("このページを画像にできませんでした。PDFを別のタブで開いてください。"),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        services.record_evidence_viewed(item, actor=request.user, page=number)
        response = HttpResponse(image, content_type="image/png")
        response["Content-Disposition"] = f'inline; filename="evidence-{item.public_id}-{number}.png"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response["Cache-Control"] = "private, no-store"
        return response


def preview_pages(item: RegistryEvidence) -> int:
    """How many of the certificate's pages are shown as images."""
    return min(item.page_count or 0, settings.REGISTRY_EVIDENCE_PREVIEW_PAGES)


@admin.register(SubscriberFacts)
class SubscriberFactsAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "subscriber",
        "version",
        "reception_number",
        "state",
        "organisation_name",
        "submitted_at",
        "decided_at",
    )
    list_filter = ("state",)
    search_fields = ("organisation_name", "subscriber__corporate_number", "=reception_number")
    exclude = ("nta_check",)
    list_select_related = ("subscriber",)


@admin.register(CorporateRecord)
class CorporateRecordAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("corporate_number_marked", "name", "prefecture_name", "city_name", "close_date", "update_date")
    search_fields = ("=corporate_number", "name")
    show_full_result_count = False
    # The numbers on the record's page are identifiers too, shown by the columns below.
    MARKED = {"corporate_number": "corporate_number_marked", "successor_corporate_number": "successor_marked"}
    readonly_fields = tuple(MARKED.values())
    corporate_number_marked = staticmethod(corporate_number_marked)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        names = [str(name) for name in super().get_fields(request, obj)]
        return [self.MARKED.get(name, name) for name in names if name not in self.readonly_fields]

    @admin.display(description=_("承継先法人番号"), ordering="successor_corporate_number")
    def successor_marked(self, obj: CorporateRecord) -> SafeString:
        return identifier(obj.successor_corporate_number)


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("file_name", "started_at", "finished_at", "lines_done", "rows_written", "bad_rows")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("email", "subscriber", "created_at", "expires_at", "accepted_at", "revoked_at")
    exclude = ("token_hash",)
    list_select_related = ("subscriber",)


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    """§2.8(6)(7): disclosure and correction requests, received and closed by reception."""

    list_display = ("received_on", "kind", "requester", "subscriber", "state", "closed_at")
    list_filter = ("state", "kind")
    fields = ("subscriber", "kind", "requester", "received_on", "details", "state", "response", "handled_by")
    autocomplete_fields = ()
    raw_id_fields = ("subscriber",)
    change_form_template = "admin/registry/datarequest/change_form.html"
    actions = None

    def get_readonly_fields(self, request: HttpRequest, obj: DataRequest | None = None) -> Any:
        return self.fields if obj is not None else ("state", "response", "handled_by")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: DataRequest, form: Any, change: bool) -> None:
        if change:
            return
        created = services.record_data_request(
            actor=request.user,
            kind=obj.kind,
            requester=obj.requester,
            details=obj.details,
            subscriber=obj.subscriber,
            received_on=obj.received_on,
        )
        obj.pk = created.pk

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:object_id>/close/",
                self.admin_site.admin_view(self.close_view),
                name="registry_datarequest_close",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "close_form": DataRequestCloseForm()}
        return super().change_view(request, object_id, form_url, extra)

    def close_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not request.user.has_perm("registry.change_datarequest"):
            raise PermissionDenied
        item = get_object_or_404(DataRequest, pk=object_id)
        if request.method == "POST":
            form = DataRequestCloseForm(request.POST)
            if form.is_valid():
                try:
                    services.close_data_request(
                        item,
                        actor=signed_in(request),
                        state=form.cleaned_data["state"],
                        response=form.cleaned_data["response"],
                    )
                except RegistryError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, gettext("対応を記録しました。"))
            else:
                messages.error(request, gettext("対応結果と対応内容を入力してください。"))
        return HttpResponseRedirect(reverse("admin:registry_datarequest_change", args=[item.pk]))


def submission_facts(subscriber: Subscriber, facts: SubscriberFacts | None) -> list[tuple[Any, Any]]:
    """The subscriber and the version under decision, restated on a confirmation page."""
    rows: list[tuple[Any, Any]] = [
        (_("区分"), subscriber.get_kind_display()),
        (_("法人番号"), identifier(subscriber.corporate_number) or "—"),
        (_("状態"), subscriber.get_status_display()),
    ]
    current = subscriber.current_facts
    if facts is None or facts == current:
        facts, what = current, gettext("現在の登録内容")
    elif current is None:
        what = gettext("利用申込")
    else:
        what = gettext("変更届（第%(v)s版）") % {"v": facts.version}
    if facts is not None:
        rows += [
            (_("届出"), what),
            (_label("organisation_name"), facts.organisation_name),
            (_label("address"), facts.address),
            (_("代表者"), f"{facts.representative_title} {facts.representative_name}".strip()),
            (_label("representative_address"), facts.representative_address),
            (_("届出者"), getattr(facts.submitted_by, "email", "—")),
            (_("届出日時"), formats.date_format(timezone.localtime(facts.submitted_at), "DATETIME_FORMAT")),
        ]
    return rows


def subscriber_decision(request: HttpRequest, subscriber: Subscriber, verb: str) -> Decision:
    """One of reception's or the contract manager's decisions on a subscriber, as its confirmation
    page states it."""
    facts = subscriber.open_facts
    title, consequence = _subscriber_wording(verb, initial=subscriber.current_facts is None)
    return Decision(
        key=f"subscriber.{verb}",
        title=title,
        button=SubscriberAdmin.VERBS[verb][1],
        consequence=consequence,
        facts=submission_facts(subscriber, facts),
        perform=_subscriber_performers(subscriber, facts, actor=signed_in(request))[verb],
        done_url=reverse("admin:registry_subscriber_change", args=[subscriber.pk]),
        form_class=_subscriber_form(verb, facts if subscriber.kind == Subscriber.Kind.CORPORATION else None),
        errors=(RegistryError,),
        danger=SubscriberAdmin.VERBS[verb][2],
        template="admin/registry/subscriber/approve_confirm.html"
        if verb == "approve"
        else "admin/decision_confirm.html",
    )


def _subscriber_form(verb: str, corporation_facts: SubscriberFacts | None) -> Any:
    """The decision's form; a corporation's approval carries the rows of its NTA record."""
    if verb == "approve":
        return ApproveFactsForm.for_facts(corporation_facts) if corporation_facts else ApproveSoleProprietorForm
    return NoReasonForm if verb == "start" else ReasonForm


def _subscriber_wording(verb: str, *, initial: bool) -> tuple[Any, Any]:
    """A decision's title and what it does, as its confirmation page says them."""
    wording: dict[str, tuple[Any, Any]] = {
        "start": (
            gettext("審査中にする"),
            _(
                "この申込を「審査中」にします。申込者の画面の状態が「審査中」に変わり、他の受付担当者にも"
                "審査に着手したことが分かります。審査の結果は、このあと承認・差戻し・不承認で記録します。"
            ),
        ),
        "approve": (
            gettext("利用申込を承認する") if initial else gettext("変更届を承認する"),
            _(
                "届出を承認します。利用申込なら契約が始まり、利用者は電子委任状を登録できるようになります。"
                "ここに入力した登記上の代表者の氏名・住所は、電子委任状の署名者との照合に使います。"
            ),
        ),
        "return": (
            gettext("届出を差し戻す"),
            _("届出を申込者に差し戻します。申込者には理由がメールで伝わり、修正して再提出できます。"),
        ),
        "reject": (
            gettext("届出を不承認にする"),
            _("届出を不承認とします。申込者には理由がメールで伝わります。元には戻せません。"),
        ),
        "suspend": (
            gettext("利用を停止する"),
            _("この利用者の利用を停止します。停止中は電子委任状を新しく登録できません。"),
        ),
        "reinstate": (gettext("利用を再開する"), _("停止していた利用を再開します。")),
        "terminate": (
            gettext("契約を終了する"),
            _(
                "この利用者との契約を終了します。以後は利用できず、記録は保存期間の経過後に削除されます。元には戻せません。"
            ),
        ),
    }
    return wording[verb]


def _subscriber_performers(
    subscriber: Subscriber, facts: SubscriberFacts | None, *, actor: User
) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """What each decision does with the confirmed form's data; returns the message shown after."""

    def approve(data: dict[str, Any]) -> Any:
        services.approve_facts(
            facts,  # type: ignore[arg-type]  # approve is offered only while a version is open
            actor=actor,
            company_registry_number=data.get("company_registry_number", ""),
            registered_representative_name=data.get("registered_representative_name", ""),
            registered_representative_address=data.get("registered_representative_address", ""),
            reason=data.get("reason", ""),
            nta_confirmation=nta_confirmation(data),
        )
        return gettext("承認しました。申込者にメールで知らせました。")

    def on_facts(service: Any, message: Any) -> Callable[[dict[str, Any]], Any]:
        def perform(data: dict[str, Any]) -> Any:
            service(facts, actor=actor, reason=data["reason"])
            return message

        return perform

    def on_subscriber(service: Any, message: Any) -> Callable[[dict[str, Any]], Any]:
        def perform(data: dict[str, Any]) -> Any:
            service(subscriber, actor=actor, **({"reason": data["reason"]} if "reason" in data else {}))
            return message

        return perform

    return {
        "start": on_subscriber(services.start_review, gettext("審査中にしました。")),
        "approve": approve,
        "return": on_facts(services.return_facts, gettext("差し戻しました。申込者に理由をメールで知らせました。")),
        "reject": on_facts(services.reject_facts, gettext("不承認としました。申込者に理由をメールで知らせました。")),
        "suspend": on_subscriber(services.suspend_subscriber, gettext("利用を停止しました。")),
        "reinstate": on_subscriber(services.reinstate_subscriber, gettext("利用を再開しました。")),
        "terminate": on_subscriber(services.terminate_subscriber, gettext("契約を終了しました。")),
    }
