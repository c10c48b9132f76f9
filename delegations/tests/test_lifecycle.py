"""The delegation lifecycle through delegations.services (docs/architecture.md §3)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest

from delegations import queries, services
from delegations.document import delegation_pdf, delegation_xml
from delegations.document.content import CorporatePrincipal
from delegations.models import Delegation, QualificationCheck, RevocationRequest, SignedFile
from delegations.services import DelegationError
from delegations.tests.lifecycle import AGENT_NAME, events, make_active, make_draft, make_finalised, signed_pair
from mynatrust.lib import delegation_id as delegation_ids

pytestmark = pytest.mark.django_db


def test_a_draft_takes_the_principal_from_the_register_and_finalising_generates_the_documents(subscriber, member):
    draft = make_draft(subscriber, member)
    assert draft.status == Delegation.Status.DRAFT and draft.delegation_id is None
    delegation = services.finalise_draft(draft, actor=member)
    assert delegation.status == Delegation.Status.AWAITING_SIGNATURES
    assert delegation_ids.parse(delegation.delegation_id or "") == delegation.delegation_id
    content = delegation_xml.from_xml(bytes(delegation.xml or b""))
    assert isinstance(content.principal, CorporatePrincipal)
    assert content.principal.representative_name == "代表 太郎"
    assert content.principal.corporate_number == subscriber.corporate_number
    assert content.agent.name == AGENT_NAME
    assert delegation_pdf.extract_xml(bytes(delegation.pdf or b"")) == bytes(delegation.xml or b"")
    assert delegation.xml_sha256 == hashlib.sha256(bytes(delegation.xml or b"")).hexdigest()
    assert delegation.xml_sha256.encode() in bytes(delegation.acceptance_xml or b"")
    assert events("delegations.delegation.finalised")


def test_a_finalised_delegation_can_no_longer_be_edited_or_finalised_again(subscriber, member):
    delegation = make_finalised(subscriber, member)
    with pytest.raises(DelegationError) as edit:
        services.edit_draft(delegation, actor=member, values={})
    with pytest.raises(DelegationError):
        services.finalise_draft(delegation, actor=member)
    assert edit.value.code == "wrong_state"
    assert events("delegations.draft.edit_refused") and events("delegations.delegation.finalise_refused")


def test_a_draft_with_an_impossible_period_is_refused_by_field(subscriber, member):
    with pytest.raises(DelegationError) as exc:
        make_draft(subscriber, member, valid_from=date(2027, 1, 2), valid_until=date(2027, 1, 1))
    assert exc.value.field == "valid_until"
    assert not Delegation.objects.exists()


def test_both_signatures_verified_and_matched_make_the_delegation_active(subscriber, member, trusted_pki):
    delegation = make_finalised(subscriber, member)
    principal, agent = signed_pair(delegation, trusted_pki)
    first = services.submit_signed_file(delegation, principal, actor=member, role="principal", file_name="p.pdf")
    assert not first.activated
    second = services.submit_signed_file(delegation, agent, actor=member, role="agent")
    assert second.activated
    stored = SignedFile.objects.get(delegation=delegation, role="principal")
    assert bytes(stored.data) == principal
    assert stored.sha256 == hashlib.sha256(principal).hexdigest()
    assert stored.report["indication"] == "TOTAL_PASSED" and stored.report["chain"]
    assert stored.revocation["status"] == "good"
    assert stored.match_verdict == "match"
    agent_file = SignedFile.objects.get(delegation=delegation, role="agent")
    assert agent_file.signer_name == "受任\u3000花子"
    assert agent_file.signer_address.startswith("大阪府") and agent_file.signer_birth_date
    assert bytes(agent_file.signer_certificate_der) == trusted_pki["agent"].cert_der
    assert [e.event_type for e in events("delegations.delegation.activated")]


@pytest.mark.parametrize("container", ["xmldsig", "xades", "cms"])
def test_the_principal_may_sign_the_xml_instead_of_the_pdf(subscriber, member, trusted_pki, container):
    delegation = make_finalised(subscriber, member)
    xml = bytes(delegation.xml or b"")
    if container == "cms":
        data, content = trusted_pki.sign_cms(xml, "representative"), xml
    else:
        data, content = trusted_pki.sign_xml(xml, "representative", xades=container == "xades"), None
    submission = services.submit_signed_file(delegation, data, actor=member, role="principal", content=content)
    assert submission.signed_file.container == container
    if container == "cms":
        assert bytes(submission.signed_file.detached_content or b"") == xml


def test_a_substitute_character_match_waits_for_reception(subscriber, member, trusted_pki, staff_by_role):
    from delegations.signatures.testpki import PersonaSpec

    trusted_pki.issue(PersonaSpec("agent_sub", "代替", name="受任\u3000花子", name_flags="00010", address="大阪府1番"))
    delegation = make_finalised(subscriber, member, agent_name="受任 華子")
    principal, _ = signed_pair(delegation, trusted_pki)
    services.submit_signed_file(delegation, principal, actor=member, role="principal")
    agent = trusted_pki.sign_pdf(bytes(delegation.acceptance_pdf), "agent_sub")
    result = services.submit_signed_file(delegation, agent, actor=member, role="agent")
    assert result.delegation.status == Delegation.Status.SUBMITTED
    assert services.waiting_for(result.delegation) == ["identity"]
    services.confirm_identity(result.delegation, actor=staff_by_role["reception"])
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.ACTIVE and delegation.identity_confirmed_by is not None


def test_a_qualified_agent_needs_reception_to_record_the_check_before_activation(
    subscriber, member, trusted_pki, staff_by_role
):
    delegation = make_finalised(
        subscriber,
        member,
        agent_title="",
        agent_qualification="attorney",
        agent_identifier_kind="qualification_registration_number",
        agent_identifier="12345",
    )
    principal, agent = signed_pair(delegation, trusted_pki)
    services.submit_signed_file(delegation, principal, actor=member, role="principal")
    services.submit_signed_file(delegation, agent, actor=member, role="agent")
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.SUBMITTED and services.waiting_for(delegation) == ["qualification"]
    services.record_qualification_check(
        delegation,
        actor=staff_by_role["reception"],
        channel=QualificationCheck.Channel.WEBSITE,
        method="日本弁護士連合会 弁護士情報検索",
        checked_on=date.today(),
        contact_person="会員課 田中",
        result=QualificationCheck.Result.CONFIRMED,
    )
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.ACTIVE


def test_a_failed_qualification_check_rejects_the_delegation(subscriber, member, trusted_pki, staff_by_role):
    delegation = make_finalised(
        subscriber,
        member,
        agent_title="",
        agent_qualification="tax_accountant",
        agent_identifier_kind="qualification_registration_number",
        agent_identifier="T-9",
    )
    for data, role in zip(signed_pair(delegation, trusted_pki), ("principal", "agent"), strict=True):
        services.submit_signed_file(delegation, data, actor=member, role=role)
    services.record_qualification_check(
        delegation,
        actor=staff_by_role["reception"],
        channel=QualificationCheck.Channel.INQUIRY,
        method="日本税理士会連合会 税理士情報検索",
        checked_on=date.today(),
        contact_person="-",
        result=QualificationCheck.Result.NOT_CONFIRMED,
    )
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.REJECTED and "資格" in delegation.decision_reason


def test_an_update_supersedes_the_old_delegation_when_the_new_one_is_activated(subscriber, member, trusted_pki):
    old = make_active(subscriber, member, trusted_pki)
    draft = services.start_update(old, actor=member)
    assert draft.replaces == old and draft.agent_name == old.agent_name and draft.delegation_id is None
    services.edit_draft(draft, actor=member, values={**_values(draft), "powers": "変更後の権限"})
    new = services.finalise_draft(draft, actor=member)
    assert new.delegation_id != old.delegation_id
    for data, role in zip(signed_pair(new, trusted_pki), ("principal", "agent"), strict=True):
        services.submit_signed_file(new, data, actor=member, role=role)
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.status == Delegation.Status.ACTIVE
    assert old.status == Delegation.Status.SUPERSEDED and old.superseded_by == new and old.superseded_at
    facts = queries.validity_facts(old.delegation_id)
    assert facts is not None and facts.superseded_by == new.delegation_id
    # The old ID is retired for good: it cannot be updated or revoked any more.
    with pytest.raises(DelegationError):
        services.start_update(old, actor=member)


def _values(delegation: Delegation) -> dict[str, Any]:
    return {k: getattr(delegation, k) for k in services.DRAFT_FIELDS}


def test_only_one_update_may_be_in_progress(subscriber, member, trusted_pki):
    old = make_active(subscriber, member, trusted_pki)
    services.start_update(old, actor=member)
    with pytest.raises(DelegationError) as exc:
        services.start_update(old, actor=member)
    assert exc.value.code == "update_in_progress"
    assert events("delegations.delegation.update_refused")


def test_revoking_is_effective_at_once_and_closes_an_update_in_progress(subscriber, member, trusted_pki):
    old = make_active(subscriber, member, trusted_pki)
    draft = services.start_update(old, actor=member)
    services.revoke_delegation(old, actor=member, reason="退職のため")
    old.refresh_from_db()
    draft.refresh_from_db()
    assert old.status == Delegation.Status.REVOKED and old.revoked_at
    assert draft.status == Delegation.Status.REJECTED
    facts = queries.validity_facts(old.delegation_id or "")
    assert facts is not None and facts.revoked_at == old.revoked_at
    with pytest.raises(DelegationError) as exc:
        services.revoke_delegation(old, actor=member, reason="again")
    assert exc.value.code == "wrong_state"


def test_only_an_administrator_or_a_member_allowed_to_revokes(subscriber, member, trusted_pki):
    from conftest import make_user
    from registry import services as registry_services
    from registry.models import Membership

    delegation = make_active(subscriber, member, trusted_pki)
    colleague = make_user("colleague@delegations-a.example.jp", "subscriber")
    membership = Membership.objects.create(user=colleague, subscriber=subscriber, role=Membership.Role.MEMBER)
    with pytest.raises(DelegationError) as exc:
        services.revoke_delegation(delegation, actor=colleague, reason="退職")
    assert exc.value.code == "not_permitted"
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.ACTIVE
    registry_services.set_member_role(membership, actor=member, administrator=False, may_revoke=True)
    services.revoke_delegation(delegation, actor=colleague, reason="退職")
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.REVOKED


def test_an_operator_revocation_needs_a_second_staff_member(subscriber, member, trusted_pki):
    from conftest import make_staff

    delegation = make_active(subscriber, member, trusted_pki)
    first, second = (
        make_staff("service_operator", "op1@staff.example.jp"),
        make_staff("service_operator", "op2@staff.example.jp"),
    )
    request = services.request_revocation(delegation, actor=first, reason="裁判所の命令")
    with pytest.raises(DelegationError) as exc:
        services.approve_revocation(request, actor=first)
    assert exc.value.code == "four_eyes"
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.ACTIVE
    services.approve_revocation(request, actor=second)
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.REVOKED
    assert RevocationRequest.objects.get().decision == "approved"


def test_an_operator_revocation_is_refused_to_a_role_that_may_not_revoke(subscriber, member, trusted_pki):
    from audit.models import AuditEvent
    from conftest import make_staff

    delegation = make_active(subscriber, member, trusted_pki)
    operator = make_staff("service_operator", "op1@staff.example.jp")
    reception = make_staff("reception", "rec@staff.example.jp")
    with pytest.raises(DelegationError) as exc:
        services.request_revocation(delegation, actor=reception, reason="x")
    assert exc.value.code == "not_permitted"
    request = services.request_revocation(delegation, actor=operator, reason="裁判所の命令")
    for decide in (services.approve_revocation, services.reject_revocation):
        with pytest.raises(DelegationError) as exc:
            decide(request, actor=reception)
        assert exc.value.code == "not_permitted"
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.ACTIVE
    assert AuditEvent.objects.filter(event_type__endswith="_refused", actor_id=str(reception.pk)).count() == 3


def test_validity_facts_come_only_for_delegations_once_activated(subscriber, member, trusted_pki):
    pending = make_finalised(subscriber, member)
    assert queries.validity_facts(pending.delegation_id) is None
    assert queries.validity_facts("not an id") is None
    active = make_active(subscriber, member, trusted_pki)
    facts = queries.validity_facts(active.delegation_id.lower().replace("-", ""))
    assert facts is not None and facts.agent_name == AGENT_NAME
    assert facts.signed_file_sha256 == SignedFile.objects.get(delegation=active, role="principal").sha256


def test_notices_are_mailed_on_commit(subscriber, member, trusted_pki, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_active(subscriber, member, trusted_pki)
    subjects = [m.subject for m in mailoutbox]
    assert any("登録しました" in s for s in subjects) and any("受け付けました" in s for s in subjects)
    # The activation mail says the status it has now (in force today: 有効), not a promise.
    assert any("登録しました" in m.subject and "有効" in m.body for m in mailoutbox)
    assert all(m.to == [member.email] for m in mailoutbox)


def test_validity_facts_cost_one_query(subscriber, member, trusted_pki, django_assert_num_queries):
    active = make_active(subscriber, member, trusted_pki)
    with django_assert_num_queries(1):
        facts = queries.validity_facts(active.delegation_id or "")
    assert facts is not None and len(facts.signed_file_sha256) == 64
    with django_assert_num_queries(1):
        assert queries.validity_facts(delegation_ids.generate()) is None


def test_reception_rejects_a_submission_with_a_reason_and_the_subscriber_is_told(
    subscriber, member, trusted_pki, staff_by_role, mailoutbox, django_capture_on_commit_callbacks
):
    delegation = make_finalised(
        subscriber,
        member,
        agent_title="",
        agent_qualification="attorney",
        agent_identifier_kind="qualification_registration_number",
    )
    for data, role in zip(signed_pair(delegation, trusted_pki), ("principal", "agent"), strict=True):
        services.submit_signed_file(delegation, data, actor=member, role=role)
    with pytest.raises(DelegationError):
        services.reject_submission(delegation, actor=staff_by_role["reception"], reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_submission(delegation, actor=staff_by_role["reception"], reason="登録番号が確認できません")
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.REJECTED and delegation.decision_reason == "登録番号が確認できません"
    assert "登録番号が確認できません" in mailoutbox[-1].body
    assert queries.validity_facts(delegation.delegation_id or "") is None
