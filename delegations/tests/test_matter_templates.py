"""Drafting from what exists: ready-made 委任事項 (matter templates) kept by staff in the admin, with a
version and an audit event for every change, that a subscriber picks and edits when drafting; and
"copy to create", a new draft from one of the subscriber's own delegations (agent and matters, never
signatures, never a period's past dates)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from conftest import make_staff, otp_login, post_through_confirmation
from delegations.models import Delegation, MatterTemplate
from delegations.tests.lifecycle import AGENT_NAME, draft_values, events, make_active, make_draft

pytestmark = pytest.mark.django_db


def _template(**overrides):
    fields = {
        "category": MatterTemplate.Category.BIDDING,
        "label": "入札への参加と契約の締結",
        "powers": "入札及び見積に関する一切の件\n契約締結に関する一切の件",
        "limitations": "",
    }
    return MatterTemplate.objects.create(**{**fields, **overrides})


def _form_values(**overrides):
    values = draft_values(**overrides)
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def test_staff_keep_the_templates_in_the_admin_each_change_versioned_and_audited(client, settings):
    administrator = make_staff("service_administrator", "tpl-admin@staff.example.jp")
    otp_login(client, administrator)
    add = reverse("admin:delegations_mattertemplate_add")
    response = client.post(
        add,
        {
            "category": "bidding",
            "label": "入札への参加",
            "powers": "入札に関する一切の件",
            "limitations": "",
            "position": 10,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    template = MatterTemplate.objects.get(label="入札への参加")
    assert template.version == 1 and template.updated_by == administrator
    change = reverse("admin:delegations_mattertemplate_change", args=[template.pk])
    client.post(
        change,
        {
            "category": "bidding",
            "label": "入札への参加",
            "powers": "入札及び見積に関する一切の件",
            "limitations": "",
            "position": 10,
            "is_active": "on",
        },
    )
    template.refresh_from_db()
    assert template.version == 2 and template.powers == "入札及び見積に関する一切の件"
    saved = events("delegations.matter_template.saved")
    assert [(e.data["version"], e.data["powers"]) for e in saved] == [
        (1, "入札に関する一切の件"),
        (2, "入札及び見積に関する一切の件"),
    ]
    # Never deleted (a draft may name it in its audit event); retired by unticking 使用中.
    assert client.post(reverse("admin:delegations_mattertemplate_delete", args=[template.pk])).status_code == 403
    # Reception reads them, the auditor too; neither changes them.
    reception = make_staff("reception", "tpl-reception@staff.example.jp")
    otp_login(client, reception)
    assert client.get(change).status_code == 200
    assert client.post(change, {"label": "x"}).status_code == 403


def test_the_subscriber_picks_a_template_and_edits_it_before_saving(client, subscriber, member):
    template = _template()
    retired = _template(label="廃止したひな形", is_active=False)
    client.force_login(member)
    page = client.get(reverse("delegations:new")).content.decode()
    assert "入札への参加と契約の締結" in page and "廃止したひな形" not in page
    assert 'data-testid="template-picker"' in page

    filled = client.get(reverse("delegations:new") + f"?template={template.pk}").content.decode()
    textarea = re.search(r'<textarea name="powers"[^>]*>(.*?)</textarea>', filled, re.S)
    assert textarea and "入札及び見積に関する一切の件" in textarea.group(1)
    assert f'name="template" value="{template.pk}"' in filled
    ignored = client.get(reverse("delegations:new") + f"?template={retired.pk}").content.decode()
    assert "廃止したひな形" not in ignored
    assert re.search(r'<textarea name="powers"[^>]*>\s*</textarea>', ignored)

    edited = "入札及び見積に関する一切の件（令和8年度の工事に限る）"
    response = post_through_confirmation(
        client, reverse("delegations:new"), {**_form_values(powers=edited), "template": str(template.pk)}
    )
    assert response.status_code == 302
    draft = Delegation.objects.get()
    assert draft.powers == edited
    # A later change of the template changes no draft.
    template.powers = "別の内容"
    template.save()
    draft.refresh_from_db()
    assert draft.powers == edited
    created = events("delegations.draft.created")[-1]
    assert created.data["template"] == {"id": template.pk, "version": 1}


def test_a_delegation_is_copied_into_a_new_draft_without_signatures_or_past_dates(
    client, subscriber, member, trusted_pki
):
    today = date.today()
    source = make_active(
        subscriber,
        member,
        trusted_pki,
        valid_from=today - timedelta(days=10),
        valid_until=today + timedelta(days=30),
        limitations="1件100万円以下",
    )
    client.force_login(member)
    detail = client.get(reverse("delegations:detail", args=[source.public_id])).content.decode()
    copy_url = reverse("delegations:copy", args=[source.public_id])
    assert copy_url in detail

    page = client.get(copy_url).content.decode()
    assert page.count("<h1") == 1 and AGENT_NAME in page and "1件100万円以下" in page
    assert re.search(r'name="valid_from"(?![^>]*value=)', page)  # the start has passed: not copied
    assert f'value="{(today + timedelta(days=30)).isoformat()}"' in page  # the end is ahead: copied
    assert Delegation.objects.count() == 1  # opening the page copies nothing

    response = post_through_confirmation(client, copy_url, _form_values(limitations="1件100万円以下"))
    assert response.status_code == 302
    copy = Delegation.objects.exclude(pk=source.pk).get()
    assert copy.status == Delegation.Status.DRAFT and copy.delegation_id is None
    assert copy.agent_name == AGENT_NAME and copy.limitations == "1件100万円以下"
    assert not copy.signed_files.exists() and copy.replaces is None
    copied = events("delegations.draft.copied")
    assert [(e.data["copied_from"], e.data["subscriber"]) for e in copied] == [(source.public_id, subscriber.public_id)]
    source.refresh_from_db()
    assert source.status == Delegation.Status.ACTIVE


def test_only_a_member_of_the_same_subscriber_may_copy(client, subscriber, member, other_member, other_subscriber):
    draft = make_draft(subscriber, member)
    client.force_login(other_member)
    url = reverse("delegations:copy", args=[draft.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, _form_values()).status_code == 404
    assert Delegation.objects.count() == 1
    from django.utils import timezone

    from audit import tally

    tally.flush(now=timezone.now() + timedelta(minutes=2))
    refused = [e for e in events("access.not_found") if e.data["path"] == url]
    assert {(e.data["method"], e.data["reason"]) for e in refused} == {
        ("GET", "other_tenant"),
        ("POST", "other_tenant"),
    }


def test_the_copy_service_refuses_a_source_of_another_subscriber(subscriber, member, other_member, other_subscriber):
    from delegations import services
    from delegations.services import DelegationError

    draft = make_draft(subscriber, member)
    with pytest.raises(DelegationError):
        services.copy_draft(draft, other_subscriber, actor=other_member, values=draft_values())
    assert Delegation.objects.count() == 1
    assert [e.data["code"] for e in events("delegations.draft.copy_refused")] == ["not_member"]
