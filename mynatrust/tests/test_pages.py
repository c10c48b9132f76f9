import re

import pytest


@pytest.mark.django_db
def test_the_home_page_says_what_the_service_is_in_japanese(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert body.count("<h1") == 1
    assert "電子委任状取扱サービス" in body


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "ok" and answer["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_healthz_warns_about_missing_revocation_data_without_failing(client, settings):
    settings.SIGNATURE_REVOCATION_SOURCE = "crl"
    answer = client.get("/healthz").json()
    assert answer["checks"]["revocation_data"] == "warn"  # no CRL imported in this database
    assert answer["status"] == "ok"


HALF_WIDTH_COLON_AFTER_JAPANESE = re.compile(r"[^\x00-\x7f]\s?:(?!//)")


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/app/login/", "/recipient/login/", "/app/signup/", "/recipient/register/"])
def test_japanese_labels_have_no_half_width_colon(client, recipient, path):
    # Japanese pages write labels with a full-width colon or none; Django's default suffix is ":".
    if path == "/recipient/register/":
        client.force_login(recipient)
    response = client.get(path)
    assert response.status_code == 200
    found = HALF_WIDTH_COLON_AFTER_JAPANESE.findall(_visible_text(response.content.decode()))
    assert found == []


@pytest.mark.django_db
def test_a_form_people_fill_in_marks_each_field_required_or_optional(client, recipient):
    client.force_login(recipient)
    html = client.get("/recipient/register/").content.decode()
    assert 'class="field-mark field-mark-required">必須<' in html and 'class="field-mark">任意<' in html
    # the sign-in form too: every form a person fills in (mynatrust/tests/test_design_system.py)
    client.logout()
    assert 'class="field-mark field-mark-required">必須<' in client.get("/recipient/login/").content.decode()


@pytest.mark.django_db
def test_pages_take_their_colours_and_type_from_the_digital_agency_design_tokens(client):
    from pathlib import Path

    from django.conf import settings

    html = client.get("/").content.decode()
    tokens = html.index("vendor/digital-go-jp-design-tokens/tokens.css")
    assert tokens < html.index("css/site.css")  # the tokens first, the service's styles use them
    vendored = Path(settings.BASE_DIR) / "static" / "vendor" / "digital-go-jp-design-tokens"
    assert "MIT License" in (vendored / "LICENSE").read_text()
    assert "--color-primitive-blue-900" in (vendored / "tokens.css").read_text()
    site = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text()
    for role in ("--fg", "--accent", "--error", "--focus"):
        assert re.search(rf"{role}: var\(--(color|font)-", site), role
    assert ".button-danger" in site


@pytest.mark.django_db
def test_every_page_links_the_public_repository_and_names_the_operator(client, settings):
    from django.urls import reverse

    html = client.get("/recipient/login/").content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    for url in (
        reverse("repository:index"),
        reverse("repository:document", args=["terms"]),
        reverse("repository:document", args=["rules"]),
        reverse("repository:document", args=["privacy"]),
        reverse("repository:notices"),
        reverse("delegations:card_guide"),
    ):
        assert f'href="{url}"' in footer, url
    assert settings.OPERATOR_NAME in footer


@pytest.mark.django_db
def test_both_sides_use_the_same_terms_and_business_honorifics(client, recipient):
    client.force_login(recipient)
    home = client.get("/recipient/").content.decode()
    assert "さん、ようこそ" not in home and "様" in home
    register = client.get("/recipient/register/").content.decode()
    assert "個人事業主" in register and "個人事業者" not in register
