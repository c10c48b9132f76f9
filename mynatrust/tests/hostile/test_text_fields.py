"""Hostile text in every text field of every public form: control characters, NUL, bidi overrides,
invisible format characters, broken encodings and enormous values are refused on the field with a
clear message and nothing stored; injection strings and mixed scripts are ordinary text, stored as
typed and shown escaped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.utils import timezone

from conftest import hidden_fields
from delegations.forms import DraftForm
from delegations.tests.lifecycle import draft_values
from mynatrust.accounts import SignUpForm
from mynatrust.lib import delegation_id as ids
from mynatrust.tests.hostile.helpers import assert_clear_error, assert_field_refused, form_errors
from registry.forms import ApplicationForm
from registry.tests.conftest import FACTS, corporate_number
from validity.forms import ApiKeyForm, RegistrationForm

pytestmark = pytest.mark.django_db


def _strings(values: dict[str, Any]) -> dict[str, str]:
    return {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in values.items() if v is not None}


def _signup() -> dict[str, str]:
    password = "Hostile-input-campaign-2026"
    return {
        "email": "new@hostile.example.jp",
        "display_name": "新規 太郎",
        "password1": password,
        "password2": password,
    }


def _application() -> dict[str, str]:
    issued = timezone.localdate() - timedelta(days=3)
    return _strings(
        {
            **FACTS,
            "kind": "corporation",
            "corporate_number": corporate_number(),
            "online_reference": "ABC123456",
            "issued_on": issued,
            "terms_accepted": "on",
            "antisocial_declared": "on",
        }
    )


def _registration() -> dict[str, str]:
    return {
        "kind": "corporation",
        "name": "株式会社受領",
        "address": "東京都千代田区霞が関1-1-1",
        "representative_title": "代表取締役",
        "representative_name": "受領 太郎",
        "representative_address": "東京都港区芝公園4-2-8",
        "declarant_name": "確認 花子",
        "confirmed": "yes",  # the confirmation page's final button (入力 → 確認 → 完了)
    }


def text_fields(form_class: Any) -> tuple[str, ...]:
    """Every text field of the form as a person fills it in (passwords aside), in form order."""
    from django import forms

    fields = form_class.base_fields.items()
    return tuple(
        name
        for name, field in fields
        if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput)
    )


@dataclass(frozen=True)
class PublicForm:
    client: str  # the fixture that gives a client allowed to post it
    url: str
    data: Any  # () -> valid data
    form_class: Any
    stored_in: str  # the table a successful post adds a row to

    @property
    def fields(self) -> tuple[str, ...]:
        return text_fields(self.form_class)


FORMS = {
    "signup_subscriber": PublicForm("client", "/app/signup/", _signup, SignUpForm, "mynatrust.user"),
    "signup_recipient": PublicForm("client", "/recipient/signup/", _signup, SignUpForm, "mynatrust.user"),
    "application": PublicForm("newcomer", "/app/apply/", _application, ApplicationForm, "registry.subscriber"),
    "delegation_draft": PublicForm(
        "signed_in_member",
        "/app/delegations/new/",
        lambda: _strings(draft_values()),
        DraftForm,
        "delegations.delegation",
    ),
    "recipient_registration": PublicForm(
        "unregistered_recipient",
        "/recipient/register/",
        _registration,
        RegistrationForm,
        "validity.recipientorganisation",
    ),
    "api_key": PublicForm(
        "approved_recipient", "/recipient/keys/", lambda: {"label": "基幹システム"}, ApiKeyForm, "validity.apikey"
    ),
}

# Refused wherever they appear.
REFUSED = {
    "nul": "山田\x00太郎",
    "escape_sequence": "山田\x1b[2J\x1b[31m太郎",
    "bell_and_backspace": "山田\x07\x08太郎",
    "c1_control": "山田\x9b31m太郎",
    "bidi_override": "山田\u202e郎太",
    "bidi_isolate": "山田\u2067太郎\u2069",
    "zero_width_space": "山\u200b田",
    "byte_order_mark": "\ufeff山田",
    "unpaired_surrogate": "山田\udc80太郎",
    "noncharacter": "山田\uffff",
    "enormous": "あ" * 100_000,
}

# Text like any other: stored as typed, never interpreted.
ORDINARY = {
    "sql_injection": "山田'); DROP TABLE registry_subscriber;--",
    "sql_boolean": "' OR '1'='1",
    "template_injection": "{{ settings.SECRET_KEY }}{% debug %}${7*7}#{7*7}",
    "html_injection": "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "mixed_scripts": "株式会社Ｔｅｓｔ ﾃｽﾄ Тест 테스트",
}


def _body(data: dict[str, str], field: str, value: str) -> bytes:
    """URL-encoded by hand: an unpaired surrogate goes out as the invalid UTF-8 a broken client sends."""
    pairs = [(k, v) for k, v in data.items() if k != field] + [(field, value)]
    return "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in pairs).encode()


def _post(client: Any, form: PublicForm, field: str, value: str) -> Any:
    return client.generic(
        "POST", form.url, _body(form.data(), field, value), content_type="application/x-www-form-urlencoded"
    )


REFUSED_CASES = [
    pytest.param(form, field, case, id=f"{form}.{field}-{case}")
    for form, spec in FORMS.items()
    for field in spec.fields
    for case in REFUSED
]


@pytest.mark.parametrize(("form", "field", "case"), REFUSED_CASES)
def test_hostile_text_is_refused_on_its_field_and_nothing_is_stored(
    form: str, field: str, case: str, request: Any, snapshot: Any
) -> None:
    spec = FORMS[form]
    client = request.getfixturevalue(spec.client)
    snapshot.take()
    response = _post(client, spec, field, REFUSED[case])
    assert response.status_code == 200, response.status_code
    errors = form_errors(response)
    assert field in errors, errors
    for text in errors[field]:
        assert_clear_error(text)
    snapshot.assert_nothing_stored()


@pytest.mark.parametrize(
    ("form", "field"),
    [pytest.param(form, field, id=f"{form}.{field}-bidi_override") for form in FORMS for field in FORMS[form].fields],
)
def test_the_refusal_is_translated_for_an_english_visitor(form: str, field: str, request: Any, settings: Any) -> None:
    spec = FORMS[form]
    client = request.getfixturevalue(spec.client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    errors = form_errors(_post(client, spec, field, REFUSED["bidi_override"]))
    assert errors[field] and not any(ch >= "\u3040" for text in errors[field] for ch in text), errors


ORDINARY_FIELDS = {
    "signup_subscriber": "display_name",
    "application": "organisation_name",
    "delegation_draft": "powers",
    "recipient_registration": "name",
    "api_key": "label",
}


@pytest.mark.parametrize(
    ("form", "case"),
    [pytest.param(f, c, id=f"{f}.{ORDINARY_FIELDS[f]}-{c}") for f in ORDINARY_FIELDS for c in ORDINARY],
)
def test_injection_strings_and_mixed_scripts_are_stored_as_plain_text(
    form: str, case: str, request: Any, snapshot: Any
) -> None:
    import unicodedata

    from django.apps import apps

    spec = FORMS[form]
    field = ORDINARY_FIELDS[form]
    client = request.getfixturevalue(spec.client)
    snapshot.take()
    response = _post(client, spec, field, ORDINARY[case])
    body = response.content.decode()
    if 'data-testid="submit-confirmed"' in body:  # 入力 → 確認 → 完了: shown as text, then sent
        assert "<script>alert(1)</script>" not in body and "onerror=alert(1)>" not in body
        response = client.post(spec.url, hidden_fields(body))
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:  # the API key page answers with the new key
        assert "form" not in response.context or not response.context["form"].errors
    assert snapshot.changed_rows()[spec.stored_in][1] == snapshot.rows[spec.stored_in] + 1
    model = apps.get_model(spec.stored_in)
    attribute = {"signup_subscriber": "display_name"}.get(form, field)
    if form == "application":
        model, attribute = apps.get_model("registry.subscriberfacts"), field
    stored = model.objects.order_by("-pk").values_list(attribute, flat=True).first()
    assert stored in (ORDINARY[case], " ".join(unicodedata.normalize("NFKC", ORDINARY[case]).split()))
    page = client.get(response["Location"]) if response.status_code == 302 else response
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html and "onerror=alert(1)>" not in html
    assert "SECRET_KEY" not in html or "{{ settings.SECRET_KEY }}" in html.replace("&#x27;", "'")


# --- the delegation ID of the validity form -----------------------------------------------------------
CHECK_IDS = {
    **{case: value for case, value in REFUSED.items() if case != "enormous"},
    "enormous": "7" * 10_000,
    "sql_injection": "' OR 1=1--",
    "template_injection": "{{7*7}}",
    "path_traversal": "../../etc/passwd",
    "fullwidth_wrong_check": "７Ｋ３Ｑ－９ＸＷＡ－２Ｍ４Ｐ－ＨＶ０Ｚ",
    "one_symbol_short": ids.compact(ids.generate())[:-1],
    "arabic_digits": "٧٣٤٥٦٧٨٩٠١٢٣٤٥",
    "only_hyphens": "----",
}


@pytest.mark.parametrize("case", sorted(CHECK_IDS))
@pytest.mark.parametrize(
    ("url", "who"),
    [("/recipient/check/", "approved_recipient"), ("/recipient/public-check/", "client")],
    ids=["recipient_form", "public_form"],
)
def test_a_malformed_delegation_id_in_a_validity_form_is_a_clear_field_error(
    url: str, who: str, case: str, request: Any, settings: Any, snapshot: Any
) -> None:
    settings.VALIDITY_ANONYMOUS_QUERIES = True
    client = request.getfixturevalue(who)
    snapshot.take()
    body = _body({}, "delegation_id", CHECK_IDS[case])
    response = client.generic("POST", url, body, "application/x-www-form-urlencoded")
    for text in assert_field_refused(response, "delegation_id", snapshot):
        assert all(ch.isprintable() for ch in text), repr(text)  # no invisible character echoed back
    assert snapshot.new_events()["validity.query"] == 0


# --- search and filter fields -------------------------------------------------------------------------
SEARCHES = {**REFUSED, **ORDINARY, "like_wildcards": "%_%\\", "regex": ".*(a+)+$"}


@pytest.mark.parametrize("case", sorted(SEARCHES))
def test_hostile_text_in_the_delegation_list_filter_answers_a_page(
    case: str, signed_in_member: Any, snapshot: Any
) -> None:
    snapshot.take()
    response = signed_in_member.get("/app/delegations/", {"agent": SEARCHES[case].replace("\udc80", "\ufffd")})
    # A NUL in the query string is refused with the translated 400 page before any view reads it.
    assert response.status_code == (400 if case == "nul" else 200)
    snapshot.assert_nothing_stored()


ADMIN_SEARCHES = {
    "registry.subscriber": "registry/subscriber",
    "validity.recipientorganisation": "validity/recipientorganisation",
    "mynatrust.user": "mynatrust/user",
    "audit.auditevent": "audit/auditevent",
}


@pytest.mark.parametrize(
    "case", ["nul", "sql_injection", "template_injection", "bidi_override", "enormous", "like_wildcards"]
)
@pytest.mark.parametrize("changelist", sorted(ADMIN_SEARCHES))
def test_hostile_text_in_an_admin_search_answers_a_page(
    changelist: str, case: str, client: Any, staff_by_role: Any, settings: Any, snapshot: Any
) -> None:
    from conftest import otp_login

    otp_login(
        client, staff_by_role["service_manager"] if changelist != "audit.auditevent" else staff_by_role["auditor"]
    )
    snapshot.take()
    url = f"/{settings.ADMIN_PATH}{ADMIN_SEARCHES[changelist]}/"
    response = client.get(url, {"q": SEARCHES[case]})
    assert response.status_code in ((400,) if case == "nul" else (200, 403)), response.status_code
    snapshot.assert_nothing_stored()
