"""入力 → 確認 → 完了 for the subscriber's forms that carry registry evidence (the application and
the change of basic information): the form; then what will be sent, every value and the file by
name, size, pages and digest, the file held (registry.services.confirmation) and nothing stored;
then the final button submits. Views give the form, the service call and the pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext

from mynatrust.access import signed_in
from mynatrust.forms import STEPS, confirmation_rows, is_confirmed
from registry import services
from registry.models import StagedEvidence
from registry.services import RegistryError


@dataclass(frozen=True)
class EvidenceSteps:
    purpose: str  # a key of services.confirmation.PURPOSES
    form: Callable[..., Any]  # (data, files=None, kept=None) -> a form with EvidenceMixin
    submit: Callable[[Any, StagedEvidence], Any]  # calls the service; raises RegistryError
    template: str  # the form page
    done: str  # the URL name of the 完了 page
    context: dict[str, Any]  # with the confirmation page's confirm_title and submit_label

    def page(self, request: HttpRequest, form: Any) -> HttpResponse:
        kept = services.kept_token(form.kept, purpose=self.purpose) if form.kept is not None else ""
        context = {**self.context, "form": form, "kept": kept, "steps": STEPS, "current": 1}
        return render(request, self.template, context)

    def confirm_page(self, request: HttpRequest, form: Any, held: StagedEvidence) -> HttpResponse:
        texts: dict[str, str] = {}
        if held.content:
            described = gettext("%(name)s（%(size)s、%(pages)s）") % {
                "name": held.file_name,
                "size": filesizeformat(held.size),
                "pages": gettext("%(pages)sページ") % {"pages": held.page_count},
            }
            texts["evidence_file"] = format_html("{}<br>SHA-256 <code>{}</code>", described, held.sha256)
        context = {
            **self.context,
            "form": form,
            "rows": confirmation_rows(form, texts),
            "confirmation": services.confirmation_token(held, form.confirmed_values(), purpose=self.purpose),
            "minutes": settings.REGISTRY_CONFIRMATION_SECONDS // 60,
            "steps": STEPS,
            "current": 2,
        }
        return render(request, "registry/evidence_confirm.html", context)

    def refused(self, request: HttpRequest, exc: RegistryError) -> HttpResponse:
        """The entered values again, without the file, and why they were refused."""
        form = self.form(request.POST)
        form.is_valid()
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return self.page(request, form)


def run(steps: EvidenceSteps, request: HttpRequest) -> HttpResponse:
    actor = signed_in(request)
    if request.method != "POST" or not request.POST:  # a body that is no form (JSON) reads as none
        return steps.page(request, steps.form(None))
    confirming, editing = is_confirmed(request), "edit" in request.POST
    try:
        if confirming or editing:
            held = services.open_held(request.POST.get("confirmation", ""), actor=actor, purpose=steps.purpose)
        elif request.POST.get("kept"):
            held = services.open_held(request.POST["kept"], actor=actor, purpose=steps.purpose, kept=True)
        else:
            held = None
    except RegistryError as exc:
        return steps.refused(request, exc)
    form = steps.form(request.POST, None if confirming or editing else request.FILES, kept=held)
    if editing:  # 修正する: the filled form again, the chosen file kept
        return steps.page(request, form)
    if not form.is_valid():
        if confirming:  # the confirmation page sent values that no longer pass: changed on the way
            return steps.refused(
                request, services.refuse_confirmation(actor, "confirmation_changed", purpose=steps.purpose)
            )
        return steps.page(request, form)
    if not confirming:
        pdf = form.cleaned_data.get("evidence_file")
        held = services.hold_evidence(
            actor=actor, pdf=pdf[0] if pdf else None, file_name=pdf[1] if pdf else "", kept=held
        )
        return steps.confirm_page(request, form, held)
    return _submit(steps, request, form, held)


def _submit(steps: EvidenceSteps, request: HttpRequest, form: Any, held: StagedEvidence | None) -> HttpResponse:
    actor = signed_in(request)
    try:
        held = services.open_held(
            request.POST["confirmation"], actor=actor, purpose=steps.purpose, values=form.confirmed_values()
        )
        steps.submit(form, held)
    except RegistryError as exc:
        services.discard_held(actor)
        return steps.refused(request, exc)
    return redirect(steps.done)
