"""The purpose of collecting personal data (§2.8(2)(3)): a privacy notice in the repository, shown
and linked where personal data is asked for, and the version accepted recorded with the terms."""

from __future__ import annotations

import pytest
from django.utils import timezone

from conftest import make_staff, make_user
from mynatrust.repository import services
from mynatrust.repository.models import DocumentKind, TermsAcceptance

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    operator = make_staff("service_operator", "operator@staff.example.jp")
    manager = make_staff("service_manager", "manager@staff.example.jp")
    docs = {}
    for kind, version, body in (
        (DocumentKind.TERMS, "2026-04-01", "第1条 この約款は…"),
        (DocumentKind.PRIVACY, "2026-05-01", "利用者との契約上の責任を果たすため"),
    ):
        doc = services.draft_document(
            kind=kind, version=version, title=str(kind.label), body=body, effective_at=timezone.now(), actor=operator
        )
        docs[kind] = services.approve_document(doc, actor=manager)
    return docs


def test_the_privacy_notice_is_a_repository_document(client, published):
    body = client.get("/repository/privacy/").content.decode()
    assert "利用者との契約上の責任を果たすため" in body and "2026-05-01" in body


@pytest.mark.parametrize(
    ("path", "user"),
    [
        ("/app/signup/", None),
        ("/recipient/signup/", None),
        ("/app/apply/", "subscriber"),
        ("/recipient/register/", "recipient"),
    ],
)
def test_it_is_shown_and_linked_where_personal_data_is_asked_for(client, published, path, user):
    if user:
        client.force_login(make_user(f"{user}@example.jp", user))
    body = client.get(path).content.decode()
    assert 'href="/repository/privacy/2026-05-01/"' in body
    assert "契約上の責任を果たすため" in body  # the purposes themselves, not only a link


def test_the_version_accepted_is_recorded_at_application(published, subscriber_member):
    from registry.tests.conftest import apply

    apply(subscriber_member)
    accepted = set(
        TermsAcceptance.objects.filter(user=subscriber_member).values_list("document__kind", "document__version")
    )
    assert accepted == {("terms", "2026-04-01"), ("privacy", "2026-05-01")}


def test_the_version_accepted_is_recorded_at_recipient_registration(published, recipient):
    from validity.services import RecipientDetails, register_recipient

    register_recipient(
        recipient,
        RecipientDetails(
            kind="corporation",
            name="株式会社受領",
            address="東京都千代田区一丁目1番1号",
            representative_title="代表取締役",
            representative_name="受領 太郎",
            representative_address="東京都千代田区一丁目1番1号",
            representative_date_of_birth=None,
            declarant_name="受領 花子",
        ),
        actor=recipient,
    )
    assert TermsAcceptance.objects.filter(user=recipient, document=published[DocumentKind.PRIVACY]).exists()
