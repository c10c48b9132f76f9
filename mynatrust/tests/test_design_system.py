"""The design system on every form a subscriber or a recipient is shown (docs/design.md).

Every page of the subscriber's and the recipient's URL namespaces is listed below, either with the way
to open it (FORM_PAGES) or with why it shows no form (NO_FORM); a page added to the URL conf and to
neither list fails ``test_every_page_of_the_url_conf_is_listed``. On every form page:

- each form a person fills in marks each of its fields 必須 or 任意 beside the label;
- each button is one of the components: primary (no class), ``button-secondary`` or
  ``button-danger``; a dangerous button only on the page that confirms that action (it posts to
  the page itself), never beside the thing it destroys;
- a page whose form posts to itself, sent empty, answers with the error summary at the top of the
  form, linking to each field in error, and each error next to its field (in the field's group,
  the field marked ``aria-invalid``);
- the style sheets take every margin, padding and gap from the spacing scale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import make_user
from delegations.tests.conftest import test_pki  # noqa: F401  (fixtures of the delegation tests)
from delegations.tests.lifecycle import make_active, make_draft, member, subscriber, trusted_pki  # noqa: F401

pytestmark = pytest.mark.django_db

NAMESPACES = ("registry", "delegations", "validity", "repository")
ROOT = Path(__file__).resolve().parents[2]

# Pages that show no form a person fills in: downloads, POST-only actions (their forms are on the
# pages listed in FORM_PAGES), pages that only read.
NO_FORM = {
    "registry:apply_done": "reads (the application's 完了 step)",
    "registry:change_done": "reads (the change's 完了 step)",
    "registry:resubmit_done": "reads (the resubmission's 完了 step)",
    "registry:receipt": "PDF",
    "registry:withdraw_change": "POST only (from registry:info)",
    "registry:info": "reads; its one form (withdrawing a pending change) is a button alone",
    "registry:evidence": "the stored file",
    "registry:renew": "POST only (from registry:home)",
    "registry:revoke_invitation": "POST only (from registry:members)",
    "registry:member_role": "POST only (from registry:members)",
    "registry:signup_sent": "reads",
    "registry:logout": "POST only (the header)",
    "registry:password_reset_done": "reads",
    "registry:password_reset_complete": "reads",
    "delegations:export": "CSV",
    "delegations:card_guide": "reads",
    "delegations:saved": "reads (the draft's 完了 step)",
    "delegations:acceptance_link": "reads (the agent's page from the mail: downloads only)",
    "delegations:acceptance_link_pdf": "PDF",
    "delegations:finalise": "POST only (from delegations:detail)",
    "delegations:download": "a file",
    "delegations:upload": "POST only (from delegations:detail)",
    "delegations:signed_file": "a file",
    "delegations:notice": "PDF",
    "delegations:report": "reads",
    "delegations:update": "POST only (from delegations:detail)",
    "delegations:send_acceptance": "POST only (from delegations:detail)",
    "delegations:confirm": "POST only (from delegations:detail)",
    "delegations:test_card": "POST only, demo",
    "validity:home": "reads",
    "validity:register_done": "reads",
    "validity:history": "reads",
    "validity:check_result": "reads",
    "validity:check_result_pdf": "PDF",
    "validity:revoke_invitation": "POST only (from validity:members)",
    "validity:member_role": "POST only (from validity:members)",
    "validity:signup_sent": "reads",
    "validity:logout": "POST only (the header)",
    "validity:password_reset_done": "reads",
    "validity:password_reset_complete": "reads",
    "repository:index": "reads",
    "repository:notices": "reads",
    "repository:notice": "reads",
    "repository:document": "reads",
    "repository:document_version": "reads",
}


class World:
    """What the pages need: a subscriber's member with a draft and an active delegation, a
    recipient administrator with an API key, and anonymous visitors."""

    def __init__(self, someone: Any, organisation: Any, pki: Any) -> None:
        from validity import services as validity_services
        from validity.tests.conftest import make_organisation

        self.member, self.subscriber = someone, organisation
        self.draft = make_draft(organisation, someone)
        today = date.today()
        self.active = make_active(organisation, someone, pki, valid_from=today, valid_until=today + timedelta(days=90))
        self.recipient = make_user("design@recipient.example.jp", "recipient")
        self.organisation = make_organisation(self.recipient)
        self.key, _plain = validity_services.create_api_key(self.organisation, label="基幹", actor=self.recipient)
        self.newcomer = make_user("design-new@subscriber.example.jp", "subscriber")
        self.colleague = make_user("design-colleague@subscriber.example.jp", "subscriber")
        organisation.memberships.create(user=self.colleague)

    def client(self, user: Any = None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    def invitation(self, namespace: str) -> str:
        from registry import members as registry_members
        from registry import services as registry_services
        from validity import services as validity_services

        tokens: list[str] = []
        if namespace == "registry":
            team, org, actor = registry_services._subscribers(), self.subscriber, self.member
        else:
            team, org, actor = validity_services._recipients(), self.organisation, self.recipient

        def link(token: str) -> str:
            tokens.append(token)
            return "https://mynatrust.example.jp/"

        registry_members.invite(team, org, actor=actor, email=f"invited-{namespace}@example.jp", accept_url=link)
        return tokens[0]


def _token_pages() -> dict[str, Callable[[World], tuple[Any, str]]]:
    def reset(namespace: str) -> Callable[[World], tuple[Any, str]]:
        def reach(world: World) -> tuple[Any, str]:
            from django.contrib.auth.tokens import default_token_generator
            from django.utils.encoding import force_bytes
            from django.utils.http import urlsafe_base64_encode

            user = world.member if namespace == "registry" else world.recipient
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            return None, reverse(
                f"{namespace}:password_reset_confirm", args=[uid, default_token_generator.make_token(user)]
            )

        return reach

    def confirm(namespace: str) -> Callable[[World], tuple[Any, str]]:
        def reach(world: World) -> tuple[Any, str]:
            from django.utils.encoding import force_bytes
            from django.utils.http import urlsafe_base64_encode

            from mynatrust.accounts import email_confirmation_token

            user = make_user(
                f"unconfirmed-{namespace}@example.jp", "subscriber" if namespace == "registry" else "recipient"
            )
            user.email_confirmed_at = None
            user.is_active = False
            user.save()
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            return None, reverse(f"{namespace}:signup_confirm", args=[uid, email_confirmation_token.make_token(user)])

        return reach

    return {
        f"{ns}:{name}": maker(ns)
        for ns in ("registry", "validity")
        for name, maker in (("password_reset_confirm", reset), ("signup_confirm", confirm))
    }


# How each form page is opened: (user or None, URL); the flag says whether its form posts to the page
# itself, so that an empty POST must come back with the error summary.
FORM_PAGES: dict[str, tuple[Callable[[World], tuple[Any, str]], bool]] = {
    "registry:home": (lambda w: (w.member, reverse("registry:home")), False),
    "registry:apply": (lambda w: (w.newcomer, reverse("registry:apply")), True),
    "registry:resubmit": (lambda w: (_returned_applicant(), reverse("registry:resubmit")), True),
    "registry:change": (lambda w: (w.member, reverse("registry:change")), True),
    "registry:members": (lambda w: (w.member, reverse("registry:members")), True),
    "registry:member_remove": (
        lambda w: (w.member, reverse("registry:member_remove") + f"?email={w.colleague.email}"),
        False,
    ),
    "registry:invitation": (
        lambda w: (w.newcomer, reverse("registry:invitation", args=[w.invitation("registry")])),
        False,
    ),
    "registry:signup": (lambda w: (None, reverse("registry:signup")), True),
    "registry:login": (lambda w: (None, reverse("registry:login")), True),
    "registry:password_reset": (lambda w: (None, reverse("registry:password_reset")), True),
    "delegations:list": (lambda w: (w.member, reverse("delegations:list")), False),
    "delegations:new": (lambda w: (w.member, reverse("delegations:new")), True),
    "delegations:edit": (lambda w: (w.member, reverse("delegations:edit", args=[w.draft.public_id])), True),
    "delegations:copy": (lambda w: (w.member, reverse("delegations:copy", args=[w.active.public_id])), True),
    "delegations:detail": (lambda w: (w.member, reverse("delegations:detail", args=[w.active.public_id])), False),
    "delegations:delete": (lambda w: (w.member, reverse("delegations:delete", args=[w.draft.public_id])), False),
    "delegations:revoke": (lambda w: (w.member, reverse("delegations:revoke", args=[w.active.public_id])), True),
    "validity:register": (
        lambda w: (make_user("design-reg@recipient.example.jp", "recipient"), reverse("validity:register")),
        True,
    ),
    "validity:api_keys": (lambda w: (w.recipient, reverse("validity:api_keys")), True),
    "validity:revoke_api_key": (
        lambda w: (w.recipient, reverse("validity:revoke_api_key", args=[w.key.prefix])),
        False,
    ),
    "validity:check": (lambda w: (w.recipient, reverse("validity:check")), True),
    "validity:anonymous_check": (lambda w: (None, reverse("validity:anonymous_check")), True),
    "validity:members": (lambda w: (w.recipient, reverse("validity:members")), True),
    "validity:member_remove": (
        lambda w: (w.recipient, reverse("validity:member_remove") + f"?email={_recipient_colleague(w)}"),
        False,
    ),
    "validity:invitation": (
        lambda w: (
            make_user("design-inv@recipient.example.jp", "recipient"),
            reverse("validity:invitation", args=[w.invitation("validity")]),
        ),
        False,
    ),
    "validity:signup": (lambda w: (None, reverse("validity:signup")), True),
    "validity:login": (lambda w: (None, reverse("validity:login")), True),
    "validity:password_reset": (lambda w: (None, reverse("validity:password_reset")), True),
    **{name: (reach, False) for name, reach in _token_pages().items()},
}


def _returned_applicant() -> Any:
    """An applicant whose application reception returned for resubmission."""
    from conftest import make_staff
    from registry import services as registry_services
    from registry.tests.conftest import apply, corporate_number

    applicant = make_user("design-returned@subscriber.example.jp", "subscriber")
    applied = apply(applicant, number=corporate_number("011001077777"))
    reception = make_staff("reception", "design-reception@staff.example.jp")
    registry_services.return_facts(applied.facts.get(), actor=reception, reason="登記事項証明書が読めません")
    return applicant


def _recipient_colleague(world: World) -> str:
    from validity.models import RecipientMember

    user = make_user("design-colleague@recipient.example.jp", "recipient")
    RecipientMember.objects.create(organisation=world.organisation, user=user, role=RecipientMember.Role.MEMBER)
    return user.email


def _names(patterns: list[Any], namespace: str | None = None) -> list[str]:
    names: list[str] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names += _names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and namespace in NAMESPACES and pattern.name:
            names.append(f"{namespace}:{pattern.name}")
    return names


def test_every_page_of_the_url_conf_is_listed() -> None:
    listed = set(FORM_PAGES) | set(NO_FORM) | {"repository:terms_accept"}  # test_the_terms_page_too
    missing = sorted(set(_names(get_resolver().url_patterns)) - listed)
    assert not missing, f"list these pages in FORM_PAGES (with a way to open them) or NO_FORM: {missing}"


# --- reading the HTML -------------------------------------------------------------------------------
class Forms(HTMLParser):
    """The forms of <main>: their method and action, controls, labels (with their marks), buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.in_main = 0
        self.forms: list[dict[str, Any]] = []
        self.form: dict[str, Any] | None = None
        self.label: dict[str, Any] | None = None
        self.legend: dict[str, Any] | None = None
        self.stack: list[str] = []
        self.summary_first: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "main":
            self.in_main += 1
        if not self.in_main:
            return
        if tag == "form":
            self.form = {**a, "controls": [], "labels": [], "buttons": [], "first": None, "errors_by_field": {}}
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        if self.form["first"] is None and tag != "input":
            self.form["first"] = a.get("data-testid", tag)
        # A radio button's label is its option: the group's legend carries the mark.
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button", "radio"):
            self.form["controls"].append(a)
        if tag == "label":
            self.label = {"for": a.get("for", ""), "text": "", "marked": False}
            self.form["labels"].append(self.label)
        if tag == "legend":
            self.legend = {"for": "legend", "text": "", "marked": False}
            self.form["labels"].append(self.legend)
        if tag == "span" and "field-mark" in a.get("class", ""):
            for holder in (self.label, self.legend):
                if holder is not None:
                    holder["marked"] = True
        if tag in ("input", "select", "textarea") and self.label is not None and not self.label["for"]:
            self.label["for"] = a.get("id", "")
        if tag == "button":
            self.form["buttons"].append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.in_main -= 1
        if tag == "form":
            self.form = None
        if tag == "label":
            self.label = None
        if tag == "legend":
            self.legend = None


def forms_of(html: str) -> list[dict[str, Any]]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


COMPONENTS = {"", "button-secondary", "button-danger"}


def _page_forms(world: World, name: str) -> tuple[Any, str, str]:
    reach, _self_posting = FORM_PAGES[name]
    user, url = reach(world)
    client = world.client(user)
    response = client.get(url, follow=True)
    assert response.status_code == 200, (name, response.status_code)
    path = response.redirect_chain[-1][0] if response.redirect_chain else url
    return client, path, response.content.decode()


@pytest.fixture
def world(member, subscriber, trusted_pki, settings) -> World:  # noqa: F811
    settings.VALIDITY_ANONYMOUS_QUERIES = True  # the public check's form
    # The contract ends soon: the home offers its renewal form.
    type(subscriber).objects.filter(pk=subscriber.pk).update(contract_end=date.today() + timedelta(days=20))
    subscriber.refresh_from_db()
    return World(member, subscriber, trusted_pki)


def test_every_form_marks_its_fields_and_uses_the_button_components(world: World) -> None:
    found: list[str] = []
    for name in FORM_PAGES:  # the terms page: test_the_terms_page_too (it needs terms to accept)
        _client, path, html = _page_forms(world, name)
        forms = forms_of(html)
        if not forms:
            found.append(f"{name}: no form on the page; move it to NO_FORM")
        for form in forms:
            filled = form.get("method", "get").lower() == "post" and form["controls"]
            if filled:
                ids = {c.get("id") for c in form["controls"]}
                unmarked = [lab["for"] for lab in form["labels"] if lab["for"] in ids and not lab["marked"]]
                if unmarked:
                    found.append(f"{name}: fields without 必須/任意: {unmarked}")
            for button in form["buttons"]:
                classes = button.get("class", "")
                if classes not in COMPONENTS:
                    found.append(f"{name}: button class {classes!r} is not a component")
                if "button-danger" in classes:
                    action = form.get("action") or path
                    if action.split("?")[0] != path.split("?")[0]:
                        found.append(f"{name}: a dangerous button posts to {action} without a confirmation page")
    assert not found, "\n".join(found)


def test_a_form_sent_empty_answers_with_the_summary_and_errors_by_the_fields(world: World) -> None:
    found: list[str] = []
    for name, (_reach, self_posting) in FORM_PAGES.items():
        if not self_posting:
            continue
        client, path, _html = _page_forms(world, name)
        # Not an empty body: a view binds its form to request.POST only when there is one.
        response = client.post(path, {"probe": "1"})
        html = response.content.decode()
        if response.status_code != 200:
            found.append(f"{name}: an empty form answered {response.status_code}")
            continue
        forms = [f for f in forms_of(html) if f.get("method", "").lower() == "post" and f["controls"]]
        summary = re.search(r'<div class="error-summary"[^>]*data-testid="error-summary">(.*?)</div>', html, re.S)
        if summary is None:
            found.append(f"{name}: no error summary")
            continue
        if not forms or forms[-1]["first"] != "error-summary":
            found.append(
                f"{name}: the error summary is not at the top of its form ({forms[-1]['first'] if forms else '-'})"
            )
        for target in re.findall(r'href="#([^"]+)"', summary.group(1)):
            field = re.search(rf'<[^>]+id="{re.escape(target)}"[^>]*>', html)
            if field is None:
                found.append(f"{name}: the summary links to #{target}, which is not on the page")
            elif "aria-invalid" not in field.group(0) and not field.group(0).startswith("<div"):  # a radio group
                found.append(f"{name}: #{target} is not marked aria-invalid")
            elif not re.search(rf'<ul class="errorlist"[^>]*id="{re.escape(target)}_error"', html):
                found.append(f"{name}: the error of #{target} is not next to the field")
    assert not found, "\n".join(found)


def test_the_terms_page_too(client: Client) -> None:
    """Asked of a subscriber's member when the terms have a version they have not accepted."""
    from django.utils import timezone

    from conftest import make_staff
    from mynatrust.repository import services as repository_services

    operator = make_staff("service_operator", "design-operator@staff.example.jp")
    manager = make_staff("service_manager", "design-manager@staff.example.jp")
    document = repository_services.draft_document(
        kind="terms",
        version="2026-04-01",
        title="利用約款 2026-04-01",
        body="第1条 この約款は…",
        effective_at=timezone.now(),
        change_summary="初版",
        actor=operator,
    )
    repository_services.approve_document(document, actor=manager)
    client.force_login(make_user("design-terms@subscriber.example.jp", "subscriber"))
    url = reverse("repository:terms_accept")
    [form] = [f for f in forms_of(client.get(url).content.decode()) if f.get("method") == "post"]
    assert form["labels"] and all(label["marked"] for label in form["labels"])
    assert {b.get("class", "") for b in form["buttons"]} <= COMPONENTS
    html = client.post(url, {"next": "/app/"}).content.decode()
    assert 'data-testid="error-summary"' in html and 'href="#id_agree"' in html
    assert re.search(r'<ul class="errorlist"[^>]*id="id_agree_error"', html)


SPACING = re.compile(
    r"(?<![-\w])(margin|padding|gap|row-gap|column-gap)(-(top|right|bottom|left|inline|block))?\s*:\s*([^;}]+)"
)
ON_THE_SCALE = re.compile(r"^(0|auto|var\(--space-\d+\)|calc\(-?1 \* var\(--space-\d+\)\))$")


def test_the_style_sheets_take_spacing_from_the_scale() -> None:
    found: list[str] = []
    for sheet in ("site.css", "delegations.css"):
        text = (ROOT / "static" / "css" / sheet).read_text()
        for match in SPACING.finditer(text):
            for value in match.group(4).strip().split():
                if not ON_THE_SCALE.match(value):
                    found.append(f"{sheet}: {match.group(0).strip()}")
                    break
    assert not found, "\n".join(found)
