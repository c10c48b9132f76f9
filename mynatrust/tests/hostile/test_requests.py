"""Hostile requests around the forms: odd characters in the identifiers of URLs, bodies over
Django's limits, too many fields or files, a missing CSRF token, a body of the wrong kind. Each is
a clear 4xx page (never a 500) and stores nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from delegations.tests.lifecycle import make_finalised
from mynatrust.tests.hostile.helpers import assert_clear_error, assert_refused_page

pytestmark = pytest.mark.django_db

IDENTIFIERS = {
    "nul": "ab\x00cd",
    "path_traversal": "..%2F..%2Fetc%2Fpasswd",
    "sql_injection": "1' OR '1'='1",
    "template_injection": "{{7*7}}",
    "bidi_override": "ab\u202ecd",
    "enormous": "a" * 5000,
    "unpaired_surrogate": "ab\udc80",
    "primary_key": "1",
}

# Routes of the subscriber area that look an identifier up (GET).
MEMBER_ROUTES = [
    "/app/delegations/{x}/",
    "/app/delegations/{x}/edit/",
    "/app/delegations/{x}/download/delegation.pdf",
    "/app/delegations/{x}/signed/principal",
    "/app/delegations/{x}/report/principal/",
    "/app/delegations/{x}/revoke/",
    "/app/evidence/{x}/",
    "/app/invitations/{x}/",
    "/repository/notices/{x}/",
    "/repository/terms/{x}/",
]


def _path(route: str, identifier: str) -> str:
    return route.format(x=quote(identifier.encode("utf-8", "surrogatepass"), safe="%"))


@pytest.mark.parametrize("case", sorted(IDENTIFIERS))
@pytest.mark.parametrize("route", MEMBER_ROUTES)
def test_a_hostile_identifier_in_a_url_is_a_404_or_400_never_a_500(
    route: str, case: str, signed_in_member: Any, snapshot: Any
) -> None:
    snapshot.take()
    response = signed_in_member.get(_path(route, IDENTIFIERS[case]))
    assert response.status_code in (400, 404), response.status_code
    assert_clear_error(response.content.decode())
    snapshot.assert_nothing_stored()


@pytest.mark.parametrize("case", sorted(IDENTIFIERS))
@pytest.mark.parametrize(
    "route", ["/app/delegations/{x}/upload/principal/", "/app/delegations/{x}/finalise/", "/recipient/keys/{x}/revoke/"]
)
def test_a_hostile_identifier_in_a_form_action_changes_nothing(
    route: str, case: str, request: Any, snapshot: Any
) -> None:
    client = request.getfixturevalue("approved_recipient" if route.startswith("/recipient") else "signed_in_member")
    snapshot.take()
    response = client.post(_path(route, IDENTIFIERS[case]), {"reason": "x"})
    assert response.status_code in (400, 404), response.status_code
    snapshot.assert_nothing_stored()


def test_a_body_over_the_memory_limit_of_a_form_is_a_400(newcomer: Any, snapshot: Any, settings: Any) -> None:
    snapshot.take()
    body = b"organisation_name=" + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = newcomer.generic("POST", "/app/apply/", body, content_type="application/x-www-form-urlencoded")
    assert_refused_page(response, 400, snapshot)


def test_too_many_fields_is_a_400(newcomer: Any, snapshot: Any, settings: Any) -> None:
    snapshot.take()
    body = "&".join(f"f{i}=x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)).encode()
    response = newcomer.generic("POST", "/app/apply/", body, content_type="application/x-www-form-urlencoded")
    assert_refused_page(response, 400, snapshot)


def test_too_many_files_is_a_400(
    signed_in_member: Any, subscriber: Any, member: Any, snapshot: Any, settings: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    boundary = "manyFilesBoundary"
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.7\r\n"
    )
    body = (part * (settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1) + f"--{boundary}--\r\n").encode()
    snapshot.take()
    response = signed_in_member.generic(
        "POST",
        f"/app/delegations/{delegation.public_id}/upload/principal/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert_refused_page(response, 400, snapshot)


def test_a_json_body_on_a_form_shows_the_form_again(newcomer: Any, snapshot: Any) -> None:
    snapshot.take()
    response = newcomer.generic("POST", "/app/apply/", b'{"kind": "corporation"}', content_type="application/json")
    assert response.status_code == 200
    assert not response.context["form"].is_bound  # no form data was read from it
    snapshot.assert_nothing_stored()


@pytest.mark.parametrize("url", ["/app/apply/", "/recipient/register/", "/app/signup/"])
def test_a_post_without_the_csrf_token_is_a_translated_403(url: str, recipient_user: Any, snapshot: Any) -> None:
    from django.test import Client

    from conftest import make_user

    client = Client(enforce_csrf_checks=True)
    if url == "/app/apply/":
        client.force_login(make_user("csrf@hostile.example.jp", "subscriber"))
    elif url == "/recipient/register/":
        client.force_login(recipient_user)
    snapshot.take()
    response = client.post(url, {"name": "x"})
    assert_refused_page(response, 403, snapshot)
