"""The validity URL printed on a delegation: a browser gets a page that says how to check the ID;
programs get the API exactly as before; the PDF carries the URL as a QR code."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import zxingcpp
from django.template.defaultfilters import urlencode
from django.urls import reverse
from PIL import Image

from mynatrust.lib import delegation_id as delegation_ids

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def _url(delegation_id: str) -> str:
    return reverse("validity_api:validity", kwargs={"delegation_id": delegation_id})


def test_a_browser_opening_the_printed_url_gets_a_page_that_says_how_to_check(client, settings):
    settings.VALIDITY_ANONYMOUS_QUERIES = False
    delegation_id = delegation_ids.generate()
    response = client.get(_url(delegation_id), HTTP_ACCEPT=BROWSER)
    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "Accept" in response["Vary"] and "no-store" in response["Cache-Control"]
    assert html.count("<h1") == 1 and delegation_id in html
    assert f"{reverse('validity:check')}?id={urlencode(delegation_id)}" in html  # signed-in check, ID filled in
    assert "運用規程 5.3" in html
    assert "missing_api_key" not in html
    assert "validity-url-public-check" not in html  # the operator has not enabled the public check


def test_the_page_offers_the_public_check_where_the_operator_enables_it(client, settings):
    settings.VALIDITY_ANONYMOUS_QUERIES = True
    delegation_id = delegation_ids.generate()
    html = client.get(_url(delegation_id), HTTP_ACCEPT=BROWSER).content.decode()
    assert 'data-testid="validity-url-public-check"' in html
    answer = client.post(reverse("validity:anonymous_check"), {"delegation_id": delegation_id})
    assert answer.status_code == 200 and "該当なし" in answer.content.decode()


def test_a_typo_in_the_printed_url_is_explained_on_the_page(client):
    response = client.get(_url("7K3Q-9XWA-2M4P-H0"), HTTP_ACCEPT=BROWSER)
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert 'data-testid="validity-url-problem"' in response.content.decode()


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "missing_api_key"),  # no Accept header at all (curl without -H)
        ({"HTTP_ACCEPT": "*/*"}, 401, "missing_api_key"),
        ({"HTTP_ACCEPT": "application/json"}, 401, "missing_api_key"),
        # a program that sends a key is always answered by the API, whatever it accepts
        ({"HTTP_ACCEPT": BROWSER, "HTTP_AUTHORIZATION": "Bearer nonsense"}, 401, None),
    ],
)
def test_programs_still_get_the_api(client, headers, status, code):
    response = client.get(_url(delegation_ids.generate()), **headers)
    assert response.status_code == status and response["Content-Type"].startswith("application/json")
    if code:
        assert response.json()["error"]["code"] == code


def test_the_delegation_pdf_carries_the_validity_url_as_a_qr_code(tmp_path: Any) -> None:
    from delegations.document import delegation_pdf
    from delegations.document.samples import sample_delegation

    content = sample_delegation()
    path = tmp_path / "delegation.pdf"
    path.write_bytes(delegation_pdf.render_pdf(content))
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(path), str(tmp_path / "page")], check=True)  # noqa: S607
    found = {
        result.text
        for page in sorted(tmp_path.glob("page*.png"))
        for result in zxingcpp.read_barcodes(Image.open(page))
    }
    assert content.service.validity_url in found
    assert content.delegation_id in content.service.validity_url
