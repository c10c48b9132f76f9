"""Demo data and the production guard for test cards."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

from delegations import checks, services
from delegations.models import Delegation
from delegations.tests.lifecycle import draft_values

pytestmark = pytest.mark.django_db


def test_demo_setup_gives_the_demo_subscriber_an_active_delegation_and_a_draft_once(
    settings: Any, tmp_path: Any
) -> None:
    settings.DEMO_MODE = True
    settings.SIGNATURE_TEST_PKI_DIR = str(tmp_path / "testpki")
    settings.VALIDITY_SIGNING_KEY_FILE = str(tmp_path / "validity.pem")
    call_command("demo_setup", stdout=_Sink())
    call_command("demo_setup", stdout=_Sink())  # idempotent
    statuses = sorted(Delegation.objects.values_list("status", flat=True))
    # the active one, a second active one whose revocation waits for approval, a third whose periodic
    # confirmation (§4.3) is overdue, a draft, two waiting for reception (a 士業 agent, and an agent
    # whose certificate has a substitute character), one the subscriber revoked, with its notices, and
    # one the demo recipient had checked before its subscriber revoked it (the end notice)
    assert statuses == ["active", "active", "active", "draft", "revoked", "revoked", "submitted", "submitted"]
    revoked = Delegation.objects.get(status="revoked", agent_name="鈴木 三郎")
    assert revoked.reception_number.startswith("D-") and revoked.revocation_number.startswith("R-")
    unconfirmed = Delegation.objects.get(agent_name="伊藤 三郎")
    assert unconfirmed.confirmation_notices.filter(stage="reminder").count() == 1
    # The sole proprietor signed (no registry certificate); its 税理士 agent carries a registration
    # number and waits for reception's qualification check (§4.1.2).
    qualified = Delegation.objects.get(status="submitted", agent_qualification="tax_accountant")
    assert qualified.subscriber.kind == "sole_proprietor"
    assert qualified.agent_qualification == "tax_accountant" and qualified.agent_identifier == "123456"
    assert {f.match_verdict for f in qualified.signed_files.all()} == {"match"}
    assert b"<businessAddress>" in bytes(qualified.xml or b"")
    substitute = Delegation.objects.get(status="submitted", agent_qualification="")
    assert "match_with_substitutes" in {f.match_verdict for f in substitute.signed_files.all()}
    active = Delegation.objects.filter(status="active").order_by("pk")[0]
    assert active.signed_files.count() == 2
    assert {f.match_verdict for f in active.signed_files.all()} == {"match"}


def test_the_demo_fills_every_work_queue_of_the_staff_dashboards(settings: Any, tmp_path: Any) -> None:
    from mynatrust.dashboard import QUEUES

    settings.DEMO_MODE = True
    settings.SIGNATURE_TEST_PKI_DIR = str(tmp_path / "testpki")
    settings.VALIDITY_SIGNING_KEY_FILE = str(tmp_path / "validity.pem")
    call_command("demo_setup", stdout=_Sink())
    empty = [queue.key for queue in QUEUES if not queue.items().exists()]
    assert empty == []


class _Sink:
    def write(self, *args: Any, **kwargs: Any) -> None:
        pass

    def flush(self) -> None:
        pass


def test_e003_fails_deploy_checks_when_demo_mode_is_on_in_production(settings: Any) -> None:
    settings.PRODUCTION, settings.DEMO_MODE = True, True
    assert [m.id for m in checks.test_cards_off_in_production()] == ["delegations.E003"]
    settings.DEMO_MODE = False
    assert checks.test_cards_off_in_production() == []


def test_a_sole_proprietor_is_the_principal_with_name_address_and_birth_date(
    trusted_pki: Any, other_member: Any
) -> None:
    from registry.tests.conftest import apply, approve

    subscriber = apply(
        other_member,
        kind="sole_proprietor",
        number="",
        organisation_name="やまだ商店",
        representative_name="代表 太郎",
        representative_birth_date=date(1970, 4, 1),
    )
    from conftest import make_staff

    approve(subscriber, make_staff("reception", "rc-sole@staff.example.jp"), company_registry_number="")
    subscriber.refresh_from_db()
    principal = services.principal_of(subscriber)
    assert principal.name == "代表 太郎" and getattr(principal, "date_of_birth", None) == date(1970, 4, 1)
    draft = services.create_draft(subscriber, actor=other_member, values=draft_values())
    delegation = services.finalise_draft(draft, actor=other_member)
    assert b"soleProprietor" in bytes(delegation.xml or b"")
