"""Staff decisions as pages: every approve / reject / return / revoke is a button on the item's page
that opens a confirmation page. That page restates what will happen (the item, the people, the
period, the requester and their reason), asks for the reason where the rules or the audit need one,
and only its own form can carry the decision out: it holds a signed token naming the decision, the
item and the person, which the POST must return. A POST made without having opened the page (a
stale form, a script, a bulk action) changes nothing and is recorded as refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

import audit

SALT = "mynatrust.decision"
TOKEN_MAX_AGE = 60 * 60  # seconds a confirmation page stays usable


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("所見（任意）"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoReasonForm(forms.Form):
    pass


@dataclass
class Decision:
    """One decision on one item, as its confirmation page shows it."""

    key: str  # e.g. "revocation.approve"; names the decision in the token and the refusal event
    title: Any  # the page's heading: 「取消申請を承認する」
    button: Any  # the confirming button: 「取消を承認する」
    consequence: Any  # what will happen, in a sentence
    facts: Sequence[tuple[Any, Any]]  # (label, value) rows restating the item
    perform: Callable[[dict[str, Any]], Any]  # carries it out; returns the message shown on the item
    done_url: str  # the item's page
    form_class: type[forms.Form] = ReasonForm
    errors: tuple[type[Exception], ...] = ()
    danger: bool = False
    initial: dict[str, Any] = field(default_factory=dict)
    template: str = "admin/decision_confirm.html"


def token_for(request: HttpRequest, decision: Decision, obj: Any) -> str:
    return signing.dumps([decision.key, str(obj.pk), str(request.user.pk)], salt=SALT)


def _token_valid(request: HttpRequest, decision: Decision, obj: Any) -> bool:
    try:
        value = signing.loads(request.POST.get("confirmation", ""), salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return False
    return bool(value == [decision.key, str(obj.pk), str(request.user.pk)])


def sign_payload(request: HttpRequest, key: str, payload: dict[str, Any]) -> str:
    """A token for a decision that creates its item (an appointment): it carries what was entered,
    so the confirming POST can only carry out exactly what its page restated."""
    return signing.dumps({"decision": key, "user": str(request.user.pk), "payload": payload}, salt=SALT + ".payload")


def read_payload(request: HttpRequest, key: str) -> dict[str, Any] | None:
    """What a token from ``sign_payload`` restated, if it was issued to this person for this
    decision within the hour; None otherwise."""
    try:
        value = signing.loads(request.POST.get("confirmation", ""), salt=SALT + ".payload", max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("decision") != key or value.get("user") != str(request.user.pk):
        return None
    payload = value.get("payload")
    return payload if isinstance(payload, dict) else None


def refuse_decision(request: HttpRequest, key: str, subject: Any = None, reason: str = "not_confirmed") -> None:
    """Record a decision attempted without its confirmation page, or one that does not apply."""
    audit.record_refused("staff.decision_refused", actor=request.user, subject=subject, decision=key, reason=reason)


def not_open(request: HttpRequest, key: str, subject: Any, done_url: str) -> HttpResponseRedirect:
    """A decision that does not apply to the item now (already decided, or its state has moved on):
    recorded as refused, and back to the item with a message."""
    refuse_decision(request, key, subject, reason="not_open")
    messages.error(request, _("この対象には今その判断を行えません。既に判断済みか、状態が変わっています。"))
    return HttpResponseRedirect(done_url)


def confirm_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, obj: Any, decision: Decision, **extra: Any
) -> HttpResponse:
    """GET: the confirmation page. POST from that page: the decision, then back to the item."""
    form: forms.Form
    if request.method == "POST":
        form = decision.form_class(request.POST)
        if not _token_valid(request, decision, obj):
            refuse_decision(request, decision.key, obj)
            messages.error(
                request, _("確認画面を経ていないため、実行しませんでした。内容を確認してから実行してください。")
            )
            return HttpResponseRedirect(request.path)
        if form.is_valid():
            try:
                message = decision.perform(form.cleaned_data)
            except decision.errors as exc:
                form.add_error(None, getattr(exc, "message", str(exc)))
            else:
                messages.success(request, message)
                return HttpResponseRedirect(decision.done_url)
    else:
        form = decision.form_class(initial=decision.initial)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": decision.title,
        "decision": decision,
        "target": obj,
        "form": form,
        "token": token_for(request, decision, obj),
        **extra,
    }
    return TemplateResponse(request, decision.template, context)
