"""Subscriber pages under /app/delegations/: list, draft, finalise, downloads, upload of signed files,
update, revocation, and (demo only) signing with a test card. Thin: authorise, bind a form, call one
service, render or redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime, now
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit import spreadsheet
from delegations import confirmation, notices, queries, retention, services
from delegations.forms import (
    AcceptanceMailForm,
    ConfirmationForm,
    DraftForm,
    ListFilterForm,
    RevokeForm,
    SignedFileForm,
)
from delegations.models import Delegation, MatterTemplate, SignedFile
from delegations.services import DelegationError
from delegations.signatures import SignatureReport
from delegations.standing import Standing, today_in_japan
from mynatrust.access import public, refuse_object, signed_in, subscriber_required
from mynatrust.forms import STEPS as FORM_STEPS
from mynatrust.forms import confirmation_rows, is_confirmed
from mynatrust.lib.identifiers import identifier
from registry.models import Subscriber, member_subscriber

PAGE_SIZE = 50


def _get_subscriber_for_member(request: HttpRequest) -> Subscriber:
    subscriber = member_subscriber(request.user)
    if subscriber is None:
        raise Http404
    return subscriber


def _get_delegation_for_member(request: HttpRequest, public_id: str) -> Delegation:
    """The delegation if it belongs to the member's subscriber; 404 otherwise (never 403: no hint)."""
    subscriber = _get_subscriber_for_member(request)
    delegation = Delegation.objects.filter(public_id=public_id, subscriber=subscriber).first()
    if delegation is None:
        refuse_object(request, Delegation.objects.filter(public_id=public_id))
    delegation.subscriber = subscriber
    return delegation


def _error(request: HttpRequest, exc: DelegationError) -> None:
    # Handed over as HTML: the refusal escaped, an identifier it names marked up (with_identifiers).
    messages.error(request, format_html_join(" ", "{}", ((part,) for part in [exc.message, *exc.details])))


@subscriber_required
def delegation_list(request: HttpRequest) -> HttpResponse:
    subscriber = _get_subscriber_for_member(request)
    filters = ListFilterForm(request.GET or None)
    rows = queries.list_for_subscriber(subscriber, **(filters.cleaned_data if filters.is_valid() else {}))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = queries.counts_for_subscriber(subscriber)
    return render(
        request,
        "delegations/list.html",
        {
            "subscriber": subscriber,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "refusal": subscriber.submission_refusal(),
            "counts": counts,
            # How long an untouched draft is kept (docs/retention.md), told to a subscriber who has one.
            "drafts_kept_for": retention.IDLE_DRAFTS.period().spoken() if counts["drafts"] else "",
            "drafts_notice_days": retention.notice_lead().days,
            "ending_days": queries.ENDING_SOON_DAYS,
            "to_confirm": confirmation.to_confirm().filter(subscriber=subscriber).order_by("confirmation_due_on"),
        },
    )


def _picked_template(request: HttpRequest) -> MatterTemplate | None:
    """The active 委任事項 template named by ``template`` (in the query or the form), else None."""
    picked = request.POST.get("template") or request.GET.get("template") or ""
    return services.active_templates().filter(pk=int(picked)).first() if picked.isdigit() else None


@subscriber_required
@require_http_methods(["GET", "POST"])
def draft_new(request: HttpRequest) -> HttpResponse:
    """入力 → 確認 → 完了: the form, then what will be saved (nothing yet), then the saved draft."""
    subscriber = _get_subscriber_for_member(request)
    template = _picked_template(request)
    initial = {"powers": template.powers, "limitations": template.limitations} if template else None
    form = DraftForm(request.POST or None, initial=initial)
    return _draft_steps(
        request,
        subscriber,
        form,
        lambda: services.create_draft(
            subscriber, actor=signed_in(request), values=form.cleaned_data, template=template
        ),
        template=template,
    )


@subscriber_required
@require_http_methods(["GET", "POST"])
def draft_copy(request: HttpRequest, public_id: str) -> HttpResponse:
    """ "Copy to create": the draft page filled from one of the subscriber's delegations (agent,
    matters, the period's dates still ahead); saving it makes a new draft, audited as a copy."""
    source = _get_delegation_for_member(request, public_id)
    subscriber = source.subscriber
    initial = services.copy_values(source, today=today_in_japan(now()))
    form = DraftForm(request.POST or None, initial=initial)
    return _draft_steps(
        request,
        subscriber,
        form,
        lambda: services.copy_draft(source, subscriber, actor=signed_in(request), values=form.cleaned_data),
        source=source,
    )


def _draft_steps(
    request: HttpRequest,
    subscriber: Subscriber,
    form: DraftForm,
    save: Callable[[], Delegation],
    delegation: Delegation | None = None,
    **page: Any,
) -> HttpResponse:
    """A valid form shows the confirmation page and saves nothing; its final button saves and leads
    to the 完了 page; 修正する (or an error) shows the filled form again."""
    if request.method == "POST" and form.is_valid() and "edit" not in request.POST:
        if not is_confirmed(request):
            return _draft_page(request, subscriber, form, delegation, current=2, **page)
        try:
            saved = save()
        except DelegationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            _future_start_warning(request, saved)
            return redirect("delegations:saved", public_id=saved.public_id)
    return _draft_page(request, subscriber, form, delegation, **page)


@subscriber_required
@require_GET
def draft_saved(request: HttpRequest, public_id: str) -> HttpResponse:
    """完了: the draft as saved, and what comes next (確定する on its page)."""
    delegation = _get_delegation_for_member(request, public_id)
    if not delegation.is_draft:
        return redirect("delegations:detail", public_id=public_id)
    return render(
        request, "delegations/draft_saved.html", {"delegation": delegation, "steps": FORM_STEPS, "current": 3}
    )


def _draft_page(
    request: HttpRequest,
    subscriber: Subscriber,
    form: DraftForm,
    delegation: Delegation | None,
    *,
    template: MatterTemplate | None = None,
    source: Delegation | None = None,
    current: int = 1,
) -> HttpResponse:
    form_refusal: str | None
    try:
        principal: Any = services.principal_of(subscriber)
    except DelegationError as exc:
        principal, form_refusal = None, exc.message
    else:
        form_refusal = subscriber.submission_refusal()
    return render(
        request,
        "delegations/draft_confirm.html" if current == 2 else "delegations/draft.html",
        {
            "form": form,
            "rows": confirmation_rows(form) if current == 2 else None,
            "carry": [("template", template.pk)] if template else [],
            "steps": FORM_STEPS,
            "current": current,
            "principal": principal,
            "refusal": form_refusal,
            "delegation": delegation,
            "source": source,
            "template": template,
            # The picker is offered on a new draft (not on an edit or a copy, whose text exists).
            "templates": services.active_templates() if delegation is None and source is None else None,
        },
    )


@subscriber_required
@require_http_methods(["GET", "POST"])
def draft_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    if not delegation.is_draft:
        messages.error(request, gettext("確定した電子委任状は編集できません。"))
        return redirect("delegations:detail", public_id=public_id)
    form = DraftForm(request.POST or None, initial=DraftForm.initial_from(delegation))
    return _draft_steps(
        request,
        delegation.subscriber,
        form,
        lambda: services.edit_draft(delegation, actor=signed_in(request), values=form.cleaned_data),
        delegation,
    )


@subscriber_required
@require_http_methods(["GET", "POST"])
def draft_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    if request.method == "GET":
        return render(request, "delegations/delete.html", {"delegation": delegation})
    try:
        services.delete_draft(delegation, actor=request.user)
    except DelegationError as exc:
        _error(request, exc)
        return redirect("delegations:detail", public_id=public_id)
    messages.success(request, gettext("下書きを削除しました。"))
    return redirect("delegations:list")


EXPORT_HEADER = [
    _("電子委任状 ID"),
    _("状態"),
    _("受任者"),
    _("受任者の役職"),
    _("資格（士業）"),
    _("代理権の内容"),
    _("代理権の制限"),
    _("委任期間の始期"),
    _("委任期間の終期"),
    _("作成日時（日本時間）"),
]


@subscriber_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The list as CSV for Excel (UTF-8 with BOM), with the same filter as the page."""
    subscriber = _get_subscriber_for_member(request)
    filters = ListFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    rows = queries.list_for_subscriber(subscriber, **chosen).only(*queries.LIST_FIELDS, "powers", "limitations")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="delegations-{localtime():%Y%m%d-%H%M}.csv"'
    response.write(spreadsheet.BOM)
    writer = spreadsheet.Writer(response)
    writer.writerow(str(h) for h in EXPORT_HEADER)
    count = 0
    for d in rows.iterator():
        writer.writerow(
            [
                d.delegation_id or "",
                d.current_status.label,
                d.agent_name,
                d.agent_title,
                d.get_agent_qualification_display(),
                d.powers,
                d.limitations,
                d.valid_from.isoformat() if d.valid_from else "",
                d.valid_until.isoformat() if d.valid_until else "",
                f"{localtime(d.created_at):%Y-%m-%d %H:%M}",
            ]
        )
        count += 1
    services.record_export(subscriber, actor=request.user, rows=count, filters=chosen)
    return response


@subscriber_required
def detail(request: HttpRequest, public_id: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    files = {f.role: f for f in delegation.signed_files.all()}
    return render(
        request,
        "delegations/detail.html",
        {
            "delegation": delegation,
            "principal_file": files.get(SignedFile.Role.PRINCIPAL),
            "agent_file": files.get(SignedFile.Role.AGENT),
            "steps": _steps(delegation, files),
            # One form per role, each with its own element ids (both can be on the page).
            "principal_form": SignedFileForm(auto_id="id_principal_%s"),
            "agent_form": SignedFileForm(auto_id="id_agent_%s"),
            "revoke_form": RevokeForm(),
            "acceptance_form": AcceptanceMailForm(),
            "waiting": services.waiting_for(delegation) if delegation.status == Delegation.Status.SUBMITTED else [],
            "open_update": Delegation.objects.open_updates().filter(replaces=delegation).first(),
            "test_cards": settings.DEMO_MODE and not settings.PRODUCTION,
            "confirmation": _confirmation_state(delegation),
            "confirmation_form": ConfirmationForm(),
        },
    )


def _confirmation_state(delegation: Delegation) -> dict[str, Any] | None:
    """Where the periodic confirmation of §4.3 stands, for a registered delegation (else None)."""
    if not confirmation.registered().filter(pk=delegation.pk).exists():
        return None
    return {
        "due_on": delegation.confirmation_due_on,
        "due": confirmation.is_due(delegation),
        "overdue": confirmation.overdue().filter(pk=delegation.pk).exists(),
        "last": delegation.confirmations.select_related("confirmed_by").first(),
    }


@subscriber_required
@require_POST
def confirm(request: HttpRequest, public_id: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    form = ConfirmationForm(request.POST)
    try:
        record = confirmation.confirm_delegation(
            delegation, actor=signed_in(request), confirmed=form.is_valid() and form.cleaned_data["confirmed"]
        )
    except DelegationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            gettext("定期確認を記録しました。次回の期限は%(due)sです。")
            % {"due": date_format(record.next_due_on, "DATE_FORMAT")},
        )
    return redirect("delegations:detail", public_id=public_id)


@public
def card_signing_guide(request: HttpRequest) -> HttpResponse:
    return render(request, "delegations/card_guide.html")


STEPS = [
    ("created", _("作成")),
    ("finalised", _("確定")),
    ("principal", _("代表者の署名")),
    ("agent", _("受任者の受諾")),
    ("registered", _("登録")),
]


def _steps(delegation: Delegation, files: dict[str, Any]) -> list[dict[str, Any]]:
    """作成 → 確定 → 代表者の署名 → 受任者の受諾 → 登録, each done or not; the first not done is current."""
    done = {
        "created": True,
        "finalised": not delegation.is_draft,
        "principal": SignedFile.Role.PRINCIPAL in files,
        "agent": SignedFile.Role.AGENT in files,
        "registered": delegation.activated_at is not None,
    }
    current = next((key for key, _label in STEPS if not done[key]), None)
    return [{"key": key, "label": label, "done": done[key], "current": key == current} for key, label in STEPS]


@subscriber_required
@require_POST
def finalise(request: HttpRequest, public_id: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    try:
        delegation = services.finalise_draft(delegation, actor=request.user)
    except DelegationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            format_html(
                gettext("電子委任状 ID {id} を付与しました。PDF または XML をダウンロードして署名してください。"),
                id=identifier(delegation.delegation_id),
            ),
        )
    return redirect("delegations:detail", public_id=public_id)


@subscriber_required
@require_POST
def send_acceptance(request: HttpRequest, public_id: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    form = AcceptanceMailForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("delegations:detail", public_id=public_id)
    email = form.cleaned_data["email"]
    try:
        services.send_acceptance_to_agent(delegation, actor=request.user, email=email)
    except DelegationError as exc:
        _error(request, exc)
    else:
        messages.success(request, gettext("%(email)s に受諾書のリンクを送りました。") % {"email": email})
    return redirect("delegations:detail", public_id=public_id)


def _delegation_for_link(token: str) -> Delegation:
    delegation = services.delegation_for_acceptance_link(token)
    if delegation is None or delegation.status in (Delegation.Status.DRAFT, Delegation.Status.REJECTED):
        raise Http404
    return delegation


@public
@require_GET
def acceptance_link(request: HttpRequest, token: str) -> HttpResponse:
    """What the agent opens from the mail, without an account: what they accept and how to sign."""
    delegation = _delegation_for_link(token)
    return render(
        request,
        "delegations/acceptance_link.html",
        {
            "delegation": delegation,
            "token": token,
            "open": delegation.status == Delegation.Status.AWAITING_SIGNATURES
            and not delegation.signed_files.filter(role=SignedFile.Role.AGENT).exists(),
        },
    )


@public
@require_GET
def acceptance_link_pdf(request: HttpRequest, token: str) -> HttpResponse:
    delegation = _delegation_for_link(token)
    if (
        delegation.status != Delegation.Status.AWAITING_SIGNATURES
        or delegation.signed_files.filter(role=SignedFile.Role.AGENT).exists()
    ):
        raise Http404
    services.record_download(delegation, actor=request.user, what="acceptance.pdf (mail link)")
    return _attachment(
        bytes(delegation.acceptance_pdf or b""), "application/pdf", f"acceptance-{delegation.file_name_id}.pdf"
    )


@subscriber_required
@require_POST
def upload(request: HttpRequest, public_id: str, role: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    if role not in SignedFile.Role.values:
        raise Http404
    form = SignedFileForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("delegations:detail", public_id=public_id)
    try:
        submission = services.submit_signed_file(
            delegation,
            form.cleaned_data["file"],
            actor=signed_in(request),
            role=role,
            file_name=form.file_name,
            content=form.cleaned_data.get("content"),
        )
    except DelegationError as exc:
        _error(request, exc)
    else:
        if submission.activated:
            messages.success(request, _activation_message(submission.delegation))
        else:
            messages.success(request, gettext("署名を確認し、保存しました。"))
    return redirect("delegations:detail", public_id=public_id)


def _activation_message(delegation: Delegation) -> str:
    standing = delegation.current_status
    if standing is Standing.NOT_YET_VALID:
        return gettext(
            "署名を確認し、電子委任状を登録しました。委任期間の始期（%(start)s）までは「有効期間前」です。"
        ) % {"start": date_format(delegation.valid_from, "DATE_FORMAT")}
    return gettext("署名を確認し、電子委任状を登録しました。現在の状態は「%(label)s」です。") % {
        "label": standing.label
    }


def _future_start_warning(request: HttpRequest, delegation: Delegation) -> None:
    if delegation.starts_later:
        messages.warning(
            request,
            gettext("委任期間の始期は %(start)s です。それまでは受領者等の照会にも「有効期間前」と回答します。")
            % {"start": date_format(delegation.valid_from, "DATE_FORMAT")},
        )


DOWNLOADS = {
    "delegation.pdf": ("pdf", "application/pdf", "delegation-{id}.pdf"),
    "delegation.xml": ("xml", "application/xml", "delegation-{id}.xml"),
    "acceptance.pdf": ("acceptance_pdf", "application/pdf", "acceptance-{id}.pdf"),
    "acceptance.xml": ("acceptance_xml", "application/xml", "acceptance-{id}.xml"),
}


def _attachment(data: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@subscriber_required
def download(request: HttpRequest, public_id: str, what: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    if what not in DOWNLOADS or delegation.is_draft:
        raise Http404
    attr, content_type, name = DOWNLOADS[what]
    services.record_download(delegation, actor=request.user, what=what)
    return _attachment(bytes(getattr(delegation, attr)), content_type, name.format(id=delegation.file_name_id))


@subscriber_required
def notice(request: HttpRequest, public_id: str, what: str) -> HttpResponse:
    """登録完了通知 or 取消通知 as PDF, once the delegation has one."""
    delegation = _get_delegation_for_member(request, public_id)
    if what not in notices.available(delegation):
        raise Http404
    services.record_download(delegation, actor=request.user, what=f"notice-{what}.pdf")
    return _attachment(
        notices.render(delegation, what), "application/pdf", f"notice-{what}-{delegation.file_name_id}.pdf"
    )


def _get_signed_file(delegation: Delegation, role: str) -> SignedFile:
    signed = SignedFile.objects.filter(delegation=delegation, role=role).first()
    if signed is None:
        raise Http404
    return signed


SUFFIXES = {"pades": "pdf", "xmldsig": "xml", "xades": "xml", "cms": "p7s"}


@subscriber_required
def signed_file(request: HttpRequest, public_id: str, role: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    signed = _get_signed_file(delegation, role)
    services.record_download(delegation, actor=request.user, what=f"signed-{role}")
    suffix = SUFFIXES.get(signed.container, "bin")
    return _attachment(
        bytes(signed.data),
        "application/octet-stream",
        f"signed-{role}-{delegation.file_name_id}.{suffix}",
    )


@subscriber_required
def report(request: HttpRequest, public_id: str, role: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    signed = _get_signed_file(delegation, role)
    report = SignatureReport.from_dict(signed.report)
    report.expert = False  # the technical detail is for operators (admin), never a subscriber's screen
    if request.GET.get("format") == "json":
        services.record_download(delegation, actor=request.user, what=f"report-{role}.json")
        return _attachment(
            report.to_json().encode(),
            "application/json",
            f"report-{role}-{delegation.file_name_id}.json",
        )
    return render(
        request, "delegations/report_page.html", {"delegation": delegation, "signed": signed, "report": report}
    )


@subscriber_required
@require_POST
def start_update(request: HttpRequest, public_id: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    try:
        draft = services.start_update(delegation, actor=signed_in(request))
    except DelegationError as exc:
        _error(request, exc)
        return redirect("delegations:detail", public_id=public_id)
    messages.success(
        request,
        format_html(
            gettext("変更用の下書きを作成しました。新しい電子委任状が有効になると、{id} は失効します。"),
            id=identifier(delegation.delegation_id),
        ),
    )
    return redirect("delegations:edit", public_id=draft.public_id)


@subscriber_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    delegation = _get_delegation_for_member(request, public_id)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_delegation(delegation, actor=signed_in(request), reason=form.cleaned_data["reason"])
        except DelegationError as exc:
            _error(request, exc)
        else:
            messages.success(request, gettext("電子委任状を取り消しました。"))
        return redirect("delegations:detail", public_id=public_id)
    return render(request, "delegations/revoke.html", {"delegation": delegation, "form": form})


@subscriber_required
@require_POST
def test_card_sign(request: HttpRequest, public_id: str, role: str) -> HttpResponse:
    """Demo and tests only: sign the generated PDF with a test-PKI "card" and hand it back."""
    if not settings.DEMO_MODE or settings.PRODUCTION or role not in SignedFile.Role.values:
        raise Http404
    from delegations import demo

    delegation = _get_delegation_for_member(request, public_id)
    if delegation.status != Delegation.Status.AWAITING_SIGNATURES:
        raise Http404
    signed = demo.sign_with_test_card(delegation, role, actor=request.user)
    kind = "delegation" if role == SignedFile.Role.PRINCIPAL else "acceptance"
    return _attachment(signed, "application/pdf", f"{kind}-{delegation.file_name_id}-signed.pdf")
