"""Subscriber pages under /app/: the dashboard, the application, basic-info changes, the contract
and colleagues. Thin: authorise, bind a form, call one service, render or redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mynatrust.access import refuse_object, signed_in, subscriber_required
from mynatrust.forms import STEPS, is_confirmed
from mynatrust.repository.middleware import terms_exempt
from mynatrust.repository.models import DocumentKind, TermsAcceptance
from registry import evidence_steps, member_pages, receipts, services
from registry.forms import ApplicationForm, ChangeForm, ResubmitForm
from registry.models import Membership, RegistryEvidence, StagedEvidence, Subscriber, SubscriberFacts
from registry.services import RegistryError


def _membership(request: HttpRequest) -> Membership | None:
    user: Any = request.user
    return Membership.objects.select_related("subscriber").filter(user=user).first()


def _get_subscriber_for_member(request: HttpRequest) -> Subscriber:
    """The member's own subscriber; 404 for an account that belongs to none."""
    membership = _membership(request)
    if membership is None:
        raise Http404
    return membership.subscriber


def _get_evidence_for_member(request: HttpRequest, public_id: str) -> RegistryEvidence:
    subscriber = _get_subscriber_for_member(request)
    evidence = RegistryEvidence.objects.filter(public_id=public_id, facts__subscriber=subscriber).first()
    if evidence is None:
        refuse_object(request, RegistryEvidence.objects.filter(public_id=public_id))
    return evidence


@subscriber_required
def home(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    if membership is None:
        return render(request, "registry/home.html", {"subscriber": None})
    subscriber = membership.subscriber
    return render(
        request,
        "registry/home.html",
        {
            "subscriber": subscriber,
            "current": subscriber.current_facts,
            "open": subscriber.open_facts,
            "refusal": subscriber.submission_refusal(),
            "renewal_open": subscriber.renewal_open(),
            "application": subscriber.facts.filter(version=1).first(),
            "review_days": services.review_days(),
        },
    )


@terms_exempt  # the application form itself asks for agreement to the terms
@subscriber_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """入力 → 確認 → 完了 (registry.evidence_steps); the receipt follows the final button."""
    if _membership(request) is not None:
        if is_confirmed(request):  # a confirmation sent again once the application went in
            services.refuse_confirmation(signed_in(request), "confirmation_used")
        messages.info(request, gettext("このアカウントは既に利用者に所属しています。"))
        return redirect("registry:home")

    def submit(form: ApplicationForm, held: StagedEvidence) -> None:
        data = form.cleaned_data
        services.apply_for_registration(
            actor=signed_in(request),
            kind=data["kind"],
            corporate_number=data.get("corporate_number", ""),
            facts=form.facts(),
            evidence=form.evidence(),
            terms_accepted=data["terms_accepted"],
            antisocial_declared=data["antisocial_declared"],
            held=held,
        )

    confirm = {"confirm_title": gettext("利用申込（確認）"), "submit_label": gettext("申し込む")}
    steps = evidence_steps.EvidenceSteps(
        "apply", ApplicationForm, submit, "registry/apply.html", "registry:apply_done", confirm
    )
    return evidence_steps.run(steps, request)


@terms_exempt  # the receipt of the application itself
@subscriber_required
@require_GET
def apply_done(request: HttpRequest) -> HttpResponse:
    """完了: the 受付番号, the expected review time and the 申込受付票 (PDF)."""
    subscriber = _get_subscriber_for_member(request)
    application = subscriber.facts.filter(version=1).first()
    context = {
        "subscriber": subscriber,
        "application": application,
        "review_days": services.review_days(),
        "steps": STEPS,
        "current": 3,
    }
    return render(request, "registry/apply_done.html", context)


@subscriber_required
def info(request: HttpRequest) -> HttpResponse:
    subscriber = _get_subscriber_for_member(request)
    versions = subscriber.facts.select_related("submitted_by").prefetch_related(
        Prefetch("evidence", queryset=RegistryEvidence.objects.defer("content").order_by("uploaded_at"))
    )
    member: Any = request.user
    privacy = (
        TermsAcceptance.objects.filter(user=member, document__kind=DocumentKind.PRIVACY)
        .select_related("document")
        .order_by("-accepted_at")
        .first()
    )
    return render(
        request, "registry/info.html", {"subscriber": subscriber, "versions": versions, "privacy_accepted": privacy}
    )


@subscriber_required
@require_http_methods(["GET", "POST"])
def change(request: HttpRequest) -> HttpResponse:
    """入力 → 確認 → 完了 (registry.evidence_steps), like the application."""
    subscriber = _get_subscriber_for_member(request)
    current = subscriber.current_facts
    if current is None or subscriber.open_facts is not None:
        if is_confirmed(request):  # a confirmation sent again once the change went in
            services.refuse_confirmation(signed_in(request), "confirmation_used", purpose="change")
        messages.info(request, gettext("現在、変更を届け出ることはできません。"))
        return redirect("registry:info")

    def form(*args: Any, **kwargs: Any) -> ChangeForm:
        return ChangeForm(*args, current=current, **kwargs)

    def submit(form: ChangeForm, held: StagedEvidence) -> None:
        actor = signed_in(request)
        services.submit_change(subscriber, actor=actor, facts=form.facts(), evidence=form.evidence(), held=held)

    context = {
        "subscriber": subscriber,
        "confirm_title": gettext("登録内容の変更届（確認）"),
        "submit_label": gettext("届け出る"),
    }
    steps = evidence_steps.EvidenceSteps(
        "change", form, submit, "registry/change.html", "registry:change_done", context
    )
    return evidence_steps.run(steps, request)


@subscriber_required
@require_GET
def change_done(request: HttpRequest) -> HttpResponse:
    """完了: the change as filed; a change under review with its 受付番号 and 変更届受付票."""
    subscriber = _get_subscriber_for_member(request)
    version = subscriber.facts.order_by("-version").first()
    context = {
        "subscriber": subscriber,
        "version": version,
        "pending": version is not None and version.state == SubscriberFacts.State.PENDING,
        "review_days": services.review_days(),
        "steps": STEPS,
        "current": 3,
    }
    return render(request, "registry/change_done.html", context)


@subscriber_required
@require_http_methods(["GET", "POST"])
def resubmit(request: HttpRequest) -> HttpResponse:
    """入力 → 確認 → 完了 (registry.evidence_steps), like the application it corrects."""
    subscriber = _get_subscriber_for_member(request)
    returned = subscriber.facts.filter(state=SubscriberFacts.State.RETURNED).first()
    if returned is None:
        if is_confirmed(request):  # a confirmation sent again once the resubmission went in
            services.refuse_confirmation(signed_in(request), "confirmation_used", purpose="resubmit")
            return redirect("registry:home")
        raise Http404

    def form(*args: Any, **kwargs: Any) -> ResubmitForm:
        return ResubmitForm(*args, current=returned, **kwargs)

    def submit(form: ResubmitForm, held: StagedEvidence) -> None:
        actor = signed_in(request)
        services.resubmit_facts(subscriber, actor=actor, facts=form.facts(), evidence=form.evidence(), held=held)

    context = {
        "returned": returned,
        "confirm_title": gettext("申込内容の修正・再提出（確認）"),
        "submit_label": gettext("再提出する"),
    }
    steps = evidence_steps.EvidenceSteps(
        "resubmit", form, submit, "registry/resubmit.html", "registry:resubmit_done", context
    )
    return evidence_steps.run(steps, request)


@subscriber_required
@require_GET
def resubmit_done(request: HttpRequest) -> HttpResponse:
    """完了: the corrected application or change back in review, with its 受付番号 and 受付票."""
    subscriber = _get_subscriber_for_member(request)
    version = subscriber.facts.filter(state=SubscriberFacts.State.PENDING).order_by("-version").first()
    context = {"subscriber": subscriber, "version": version, "review_days": services.review_days()}
    return render(request, "registry/resubmit_done.html", {**context, "steps": STEPS, "current": 3})


@subscriber_required
@require_POST
def withdraw_change(request: HttpRequest) -> HttpResponse:
    subscriber = _get_subscriber_for_member(request)
    try:
        services.withdraw_change(subscriber, actor=signed_in(request))
    except RegistryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("変更届を取り下げました。"))
    return redirect("registry:info")


@terms_exempt  # the receipt of the application itself
@subscriber_required
def receipt(request: HttpRequest, version: int) -> HttpResponse:
    """申込受付票 (version 1) or 変更届受付票 of the member's own subscriber."""
    subscriber = _get_subscriber_for_member(request)
    facts = subscriber.facts.select_related("subscriber", "submitted_by").filter(version=version).first()
    if facts is None:
        raise Http404
    name = "application" if version == 1 else f"change-{version}"
    response = HttpResponse(receipts.render(facts), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{name}-{facts.reception_number or version}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@subscriber_required
def evidence(request: HttpRequest, public_id: str) -> HttpResponse:
    item = _get_evidence_for_member(request, public_id)
    if item.kind != RegistryEvidence.Kind.PDF:
        raise Http404
    return pdf_response(item, as_attachment=True)


def pdf_response(item: RegistryEvidence, *, as_attachment: bool) -> HttpResponse:
    """The stored bytes, never interpreted by the browser as anything but a PDF, never scripted."""
    response = HttpResponse(bytes(item.content), content_type="application/pdf")
    disposition = "attachment" if as_attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="evidence-{item.public_id}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@subscriber_required
@require_POST
def renew(request: HttpRequest) -> HttpResponse:
    subscriber = _get_subscriber_for_member(request)
    try:
        services.renew_contract(subscriber, actor=signed_in(request))
    except RegistryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, gettext("契約を更新しました。新しい契約終了日は %(end)s です。") % {"end": subscriber.contract_end}
        )
    return redirect("registry:home")


def _subscriber_pages() -> member_pages.Pages:
    return member_pages.Pages(
        team=services._subscribers,
        namespace="registry",
        organisation=_get_subscriber_for_member,
        home="registry:home",
        describe=gettext(
            "管理者は担当者の招待・削除と、電子委任状を取り消せる担当者の指定ができます。"
            "担当者は電子委任状の作成と閲覧ができます。"
        ),
        flags=(("may_revoke", gettext("電子委任状を取り消せる")),),
    )


@subscriber_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest) -> HttpResponse:
    return member_pages.members_page(_subscriber_pages(), request)


@subscriber_required
@require_POST
def member_role(request: HttpRequest) -> HttpResponse:
    return member_pages.member_role(_subscriber_pages(), request)


@subscriber_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest) -> HttpResponse:
    return member_pages.member_remove(_subscriber_pages(), request)


@subscriber_required
@require_POST
def revoke_invitation(request: HttpRequest, public_id: str) -> HttpResponse:
    return member_pages.revoke_invitation(_subscriber_pages(), request, public_id)


@subscriber_required
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    return member_pages.invitation(_subscriber_pages(), request, token)
