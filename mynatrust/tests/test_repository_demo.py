from __future__ import annotations

from io import StringIO
from types import SimpleNamespace

import pytest

from mynatrust import demo
from mynatrust.management.commands.demo_setup import Command
from mynatrust.operations.models import EntryExitRecord
from mynatrust.repository.models import DocumentVersion, Notice
from mynatrust.repository.terms import current_terms_version

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_terms_rules_a_banner_and_ledger_entries_once(client, settings):
    Command()._accounts()
    command = SimpleNamespace(stdout=StringIO())
    demo.setup(command)
    demo.setup(command)
    assert current_terms_version() == settings.REGISTRY_TERMS_VERSION
    assert DocumentVersion.objects.approved().count() == 4  # terms, rules, privacy notice, business procedures
    # and a revision of the terms waiting for approval, whose comparison table has changes to show
    draft = DocumentVersion.objects.get(status=DocumentVersion.Status.DRAFT)
    assert draft.kind == "terms" and "第4条の2（通知）" in draft.body
    assert Notice.objects.banners().count() == 1
    assert EntryExitRecord.objects.filter(corrects__isnull=False).count() == 1
    assert "定期保守のお知らせ" in client.get("/").content.decode()


def test_the_demo_terms_publish_revocation_and_name_the_operator(client, settings):
    # §1.2: the company is named; revocation goes beyond the rules, so the terms publish it and
    # the answer ``revoked`` rests on published text.
    Command()._accounts()
    demo.setup(SimpleNamespace(stdout=StringIO()))
    terms = client.get("/repository/terms/").content.decode()
    assert "電子委任状の取消" in terms and "revoked" in terms
    assert settings.OPERATOR_NAME in terms
    privacy = client.get("/repository/privacy/").content.decode()
    assert "利用者との契約上の責任を果たすため" in privacy
