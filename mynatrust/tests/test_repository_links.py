"""The rules and the terms are within reach (§1.1.1, §1.1.2, §2.5.3): every page's footer links the
repository, the terms of use, the operating rules, the privacy notice and the notices; the application
links the exact versions of the terms and of the privacy notice it records, and the registration page
links the versions that were accepted."""

from __future__ import annotations

import pytest
from django.utils import timezone

from conftest import make_staff, make_user
from mynatrust.repository import services
from mynatrust.repository.models import DocumentKind

pytestmark = pytest.mark.django_db

FOOTER_LINKS = (
    'href="/repository/"',
    'href="/repository/terms/"',
    'href="/repository/rules/"',
    'href="/repository/privacy/"',
    'href="/repository/notices/"',
)


@pytest.fixture
def published():
    operator = make_staff("service_operator", "operator@staff.example.jp")
    manager = make_staff("service_manager", "manager@staff.example.jp")
    for kind, version in ((DocumentKind.TERMS, "2026-04-01"), (DocumentKind.PRIVACY, "2026-05-01")):
        doc = services.draft_document(
            kind=kind, version=version, title=str(kind.label), body="本文", effective_at=timezone.now(), actor=operator
        )
        services.approve_document(doc, actor=manager)


@pytest.mark.parametrize(
    ("path", "user"),
    [
        ("/", None),
        ("/repository/", None),
        ("/app/login/", None),
        ("/recipient/login/", None),
        ("/app/signup/", None),
        ("/app/", "subscriber"),
        ("/recipient/", "recipient"),
    ],
)
def test_every_page_footer_links_the_repository_and_the_rules(client, path, user):
    if user:
        client.force_login(make_user(f"{user}@example.jp", user))
    response = client.get(path, follow=True)
    footer = response.content.decode().split('<footer class="site-footer">', 1)[1]
    assert [link for link in FOOTER_LINKS if link not in footer] == []


def test_the_application_links_the_exact_terms_version_it_records(client, published):
    client.force_login(make_user("subscriber@example.jp", "subscriber"))
    body = client.get("/app/apply/").content.decode()
    assert 'href="/repository/terms/2026-04-01/"' in body
    assert 'href="/repository/privacy/2026-05-01/"' in body


def test_the_registration_page_links_the_versions_accepted(client, published, subscriber_member):
    from registry.tests.conftest import apply

    apply(subscriber_member)
    client.force_login(subscriber_member)
    body = client.get("/app/info/", follow=True).content.decode()
    assert 'href="/repository/terms/2026-04-01/"' in body
    assert 'href="/repository/privacy/2026-05-01/"' in body
