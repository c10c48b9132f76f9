"""Basic-info changes (§3.2): registered facts need evidence and review, the old facts stay in force
until approved, and every version is kept (who, when, what)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import hidden_fields, post_through_confirmation
from registry import services
from registry.models import RegistryEvidence, StagedEvidence, SubscriberFacts
from registry.services import RegistryError

from .conftest import events, every_nta_row_matches, evidence_input, make_pdf

pytestmark = pytest.mark.django_db


URL = "/app/info/change/"


def declared(subscriber, **changes):
    data = subscriber.current_facts.declared()
    data.update(changes)
    return data


def post_data(subscriber, **changes):
    return {k: v for k, v in declared(subscriber, **changes).items() if v is not None}


def test_a_new_representative_waits_for_review_while_the_old_one_stays_in_force(
    client, active, subscriber_member, reception, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(subscriber_member)
    data = post_data(active, representative_name="鈴木 一郎", representative_address="東京都目黒区中目黒1-1-1")
    data["evidence_file"] = SimpleUploadedFile("new.pdf", make_pdf("変更後"))
    data["issued_on"] = (timezone.localdate() - timedelta(days=1)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_through_confirmation(client, URL, data)
    assert response.status_code == 302, response.context["form"].errors
    active.refresh_from_db()
    assert active.registered_representative() == ("山田 太郎", "東京都世田谷区太子堂四丁目5番6号")
    assert active.may_submit()
    pending = active.open_facts
    assert pending.state == SubscriberFacts.State.PENDING and pending.version == 2
    assert events("registry.facts.change_submitted")[0].data["changed"] == [
        "representative_name",
        "representative_address",
    ]
    assert "変更届を受け付けました" in mailoutbox[-1].subject

    services.approve_facts(
        pending,
        actor=reception,
        company_registry_number=active.corporate_number[1:],
        registered_representative_name="鈴木 一郎",
        registered_representative_address="東京都目黒区中目黒一丁目1番1号",
        nta_confirmation=every_nta_row_matches(),
    )
    assert active.registered_representative() == ("鈴木 一郎", "東京都目黒区中目黒一丁目1番1号")
    states = list(active.facts.order_by("version").values_list("version", "state"))
    assert states == [(1, "superseded"), (2, "approved")]
    assert events("registry.facts.approved")[0].data["version"] == 2


def test_a_rejected_change_leaves_the_old_facts(active, subscriber_member, reception):
    change = services.submit_change(
        active,
        actor=subscriber_member,
        facts=declared(active, organisation_name="株式会社新みなと"),
        evidence=evidence_input(),
    )
    services.reject_facts(change, actor=reception, reason="証明書の商号と一致しません")
    active.refresh_from_db()
    assert active.status == "active"
    assert active.current_facts.organisation_name == "株式会社みなと商事"
    assert events("registry.facts.rejected")


def test_registered_facts_cannot_change_without_evidence(client, active, subscriber_member):
    client.force_login(subscriber_member)
    response = client.post("/app/info/change/", post_data(active, address="東京都港区海岸1-1-1"))
    assert response.status_code == 200
    assert "登記事項証明書が必要" in str(response.context["form"].errors["evidence_file"])
    with pytest.raises(RegistryError):
        services.submit_change(active, actor=subscriber_member, facts=declared(active, address="x"), evidence=None)
    assert active.facts.count() == 1
    assert events("registry.facts.change_refused")[0].data["code"] == "evidence_missing"


def test_a_phone_number_change_takes_effect_at_once_and_is_kept_in_the_history(client, active, subscriber_member):
    client.force_login(subscriber_member)
    response = post_through_confirmation(client, URL, post_data(active, representative_phone="090-1234-5678"))
    assert response.status_code == 302, response.context["form"].errors
    active.refresh_from_db()
    current = active.current_facts
    assert current.version == 2 and current.representative_phone == "09012345678"
    assert current.registered_representative_name == "山田 太郎"  # confirmed facts carried over
    assert events("registry.facts.changed")[0].data["changed"] == ["representative_phone"]
    history = client.get("/app/info/").content.decode()
    assert "第1版" in history and "第2版" in history and "旧情報" in history


def test_no_change_is_refused(active, subscriber_member):
    with pytest.raises(RegistryError, match="変更された項目がありません"):
        services.submit_change(active, actor=subscriber_member, facts=declared(active), evidence=None)


def test_one_open_change_at_a_time_and_it_can_be_withdrawn(client, active, subscriber_member):
    services.submit_change(
        active,
        actor=subscriber_member,
        facts=declared(active, organisation_name="株式会社新"),
        evidence=evidence_input(),
    )
    with pytest.raises(RegistryError, match="審査中の変更届"):
        services.submit_change(
            active,
            actor=subscriber_member,
            facts=declared(active, organisation_name="株式会社別"),
            evidence=evidence_input(),
        )
    client.force_login(subscriber_member)
    assert client.post("/app/info/change/withdraw/").status_code == 302
    assert active.open_facts is None
    assert events("registry.facts.withdrawn")


def test_an_application_not_yet_approved_cannot_file_changes(applied, subscriber_member):
    with pytest.raises(RegistryError):
        services.submit_change(
            applied, actor=subscriber_member, facts=declared_from(applied, address="x"), evidence=evidence_input()
        )


def declared_from(subscriber, **changes):
    data = subscriber.open_facts.declared()
    data.update(changes)
    return data


def test_a_sole_proprietors_date_of_birth_is_reviewed_like_a_registered_fact(other_subscriber_member, reception):
    from datetime import date

    from .conftest import apply, approve

    subscriber = apply(
        other_subscriber_member, kind="sole_proprietor", number="", representative_birth_date=date(1970, 1, 2)
    )
    approve(subscriber, reception, company_registry_number="")
    subscriber.refresh_from_db()
    facts = {**subscriber.current_facts.declared(), "representative_birth_date": date(1970, 1, 3)}
    # No registry certificate exists for a sole proprietor (§3.1.3): the change goes to review without one.
    change = services.submit_change(subscriber, actor=other_subscriber_member, facts=facts, evidence=None)
    assert change.state == SubscriberFacts.State.PENDING
    assert subscriber.current_facts.representative_birth_date == date(1970, 1, 2)


# --- 入力 → 確認 → 完了 --------------------------------------------------------------------------


def _new_representative(active):
    data = post_data(active, representative_name="鈴木 一郎", representative_address="東京都目黒区中目黒1-1-1")
    data["evidence_file"] = SimpleUploadedFile("henkou.pdf", make_pdf("変更後"))
    data["issued_on"] = (timezone.localdate() - timedelta(days=1)).isoformat()
    return data


def test_a_change_goes_input_confirm_done(client, active, subscriber_member):
    client.force_login(subscriber_member)
    confirm = client.post(URL, _new_representative(active))
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "登録内容の変更届（確認）" in html and 'aria-current="step"' in html
    assert "鈴木 一郎" in html and "henkou.pdf" in html and "1ページ" in html
    assert f"<code>{StagedEvidence.objects.get().sha256}</code>" in html
    assert active.facts.count() == 1 and RegistryEvidence.objects.count() == 1  # nothing filed yet
    back = client.post(URL, {**hidden_fields(html), "edit": "1"})
    assert 'value="鈴木 一郎"' in back.content.decode() and "henkou.pdf" in back.content.decode()
    done = client.post(URL, hidden_fields(html))
    assert done.status_code == 302 and done["Location"] == "/app/info/change/done/"
    pending = active.open_facts
    assert pending.version == 2 and pending.evidence.get().file_name == "henkou.pdf"
    assert not StagedEvidence.objects.exists()
    page = client.get(done["Location"]).content.decode()
    assert "登録内容の変更届（完了）" in page and pending.reception_number in page and "変更届受付票" in page


def test_a_tampered_change_confirmation_is_refused_recorded_and_files_nothing(client, active, subscriber_member):
    client.force_login(subscriber_member)
    fields = hidden_fields(client.post(URL, _new_representative(active)).content.decode())
    response = client.post(URL, {**fields, "representative_name": "別人 次郎"})
    assert response.status_code == 200 and "もう一度" in " ".join(response.context["form"].non_field_errors())
    assert active.facts.count() == 1 and RegistryEvidence.objects.count() == 1
    assert not StagedEvidence.objects.exists()
    assert events("registry.facts.change_refused")[-1].data["code"] == "confirmation_changed"
    # An application's confirmation does not file a change, nor the other way round.
    response = client.post("/app/apply/", fields)
    assert response.status_code == 302 and active.facts.count() == 1
