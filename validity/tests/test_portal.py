"""The recipient portal: registration (§5.2), reception's decisions, API keys."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from conftest import decide, make_user, otp_login
from validity import keys, services
from validity.answer import JST, ValidityError
from validity.models import ApiKey, RecipientOrganisation

from .conftest import make_organisation

REGISTRATION: dict[str, str] = {
    "kind": "corporation",
    "name": "株式会社受領商事",
    "address": "東京都千代田区霞が関1-1-1",
    "representative_title": "代表取締役",
    "representative_name": "受領 太郎",
    "representative_address": "東京都港区芝公園4-2-8",
    "declarant_name": "確認 花子",
    "confirmed": "yes",  # sent from the confirmation page
}
ENTERED = {k: v for k, v in REGISTRATION.items() if k != "confirmed"}  # what a person types


def test_registration_goes_input_confirm_done(client, recipient):
    client.force_login(recipient)
    confirm = client.post(reverse("validity:register"), ENTERED)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "受領者等の登録（確認）" in html
    assert "法人・団体" in html and "株式会社受領商事" in html  # the choice's label, not its code
    assert 'name="confirmed" value="yes"' in html and 'aria-current="step"' in html
    assert not RecipientOrganisation.objects.exists()  # nothing stored before the confirmation
    back = client.post(reverse("validity:register"), {**REGISTRATION, "edit": "1"})
    assert "入力内容を確認する" in back.content.decode() and not RecipientOrganisation.objects.exists()
    done = client.post(reverse("validity:register"), REGISTRATION)
    assert done.status_code == 302 and done["Location"] == reverse("validity:register_done")
    page = client.get(done["Location"]).content.decode()
    organisation = RecipientOrganisation.objects.get()
    assert "受領者等の登録（完了）" in page and organisation.reception_number in page


def test_a_recipient_registers_and_waits_for_approval(client, recipient):
    client.force_login(recipient)
    response = client.post(reverse("validity:register"), REGISTRATION)
    assert response.status_code == 302
    organisation = RecipientOrganisation.objects.get()
    assert organisation.status == "pending"
    assert organisation.members.get().user == recipient
    event = AuditEvent.objects.get(event_type="validity.recipient.registered")
    assert event.data["name"] == "株式会社受領商事"
    assert re.fullmatch(r"V-\d{8}-\d{4}", organisation.reception_number)
    assert event.data["reception_number"] == organisation.reception_number
    page = client.get(reverse("validity:home")).content.decode()
    assert "承認待ち" in page
    assert organisation.reception_number in page and "受付から5日以内" in page
    # Keys and the form wait for the approval.
    assert client.get(reverse("validity:api_keys")).status_code == 404
    assert "承認されている必要があります" in client.get(reverse("validity:check")).content.decode()


def test_without_required_approval_a_registration_is_approved_at_once(client, recipient, settings):
    settings.VALIDITY_RECIPIENT_APPROVAL_REQUIRED = False
    client.force_login(recipient)
    client.post(reverse("validity:register"), REGISTRATION)
    assert RecipientOrganisation.objects.get().status == "approved"


def test_a_sole_proprietor_must_give_the_date_of_birth(client, recipient):
    client.force_login(recipient)
    response = client.post(reverse("validity:register"), {**REGISTRATION, "kind": "sole_proprietor"})
    assert response.status_code == 200
    assert "生年月日" in response.content.decode()
    assert not RecipientOrganisation.objects.exists()
    client.post(
        reverse("validity:register"),
        {**REGISTRATION, "kind": "sole_proprietor", "representative_date_of_birth": "1980-02-29"},
    )
    born = RecipientOrganisation.objects.get().representative_date_of_birth
    assert born is not None and born.isoformat() == "1980-02-29"


def test_registering_twice_is_refused_and_recorded(recipient):
    details = services.RecipientDetails(**ENTERED, representative_date_of_birth=None)
    services.register_recipient(recipient, details, actor=recipient)
    with pytest.raises(ValidityError):
        services.register_recipient(recipient, details, actor=recipient)
    assert AuditEvent.objects.filter(event_type="validity.recipient.registered_refused").count() == 1


def test_only_recipient_accounts_register(subscriber_member):
    details = services.RecipientDetails(**ENTERED, representative_date_of_birth=None)
    with pytest.raises(ValidityError):
        services.register_recipient(subscriber_member, details, actor=subscriber_member)


def test_the_transitions_follow_the_rules_and_are_audited(recipient, staff_by_role):
    reception = staff_by_role["reception"]
    organisation = make_organisation(recipient, status="pending")
    with pytest.raises(ValidityError):
        services.suspend_recipient(organisation, actor=reception, reason="x")  # not approved yet
    services.approve_recipient(organisation, actor=reception)
    services.suspend_recipient(organisation, actor=reception, reason="照会の濫用")
    organisation.refresh_from_db()
    assert organisation.status == "suspended"
    assert organisation.status_reason == "照会の濫用"
    assert organisation.decided_by == reception
    services.approve_recipient(organisation, actor=reception)
    with pytest.raises(ValidityError):
        services.reject_recipient(organisation, actor=reception, reason="x")  # only pending ones
    types = list(
        AuditEvent.objects.filter(event_type__startswith="validity.recipient").values_list("event_type", flat=True)
    )
    assert types.count("validity.recipient.approved") == 2
    assert "validity.recipient.suspended" in types
    assert "validity.recipient.suspended_refused" in types


# --- admin ----------------------------------------------------------------------------------------


def test_the_organisation_is_told_of_each_decision_by_mail(
    recipient, staff_by_role, mailoutbox, django_capture_on_commit_callbacks
):
    organisation = make_organisation(recipient, status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_recipient(organisation, actor=staff_by_role["reception"], reason="所在地が確認できません")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [recipient.email]
    assert "却下" in mailoutbox[0].body
    assert "所在地が確認できません" in mailoutbox[0].body


def test_reception_approves_in_the_admin_and_other_roles_cannot(client, recipient, staff_by_role):
    organisation = make_organisation(recipient, status="pending")
    url = reverse("admin:validity_recipientorganisation_decide", args=[organisation.pk, "approve"])
    otp_login(client, staff_by_role["auditor"])
    assert client.post(url).status_code == 403
    otp_login(client, staff_by_role["reception"])
    page = client.get(reverse("admin:validity_recipientorganisation_change", args=[organisation.pk]))
    assert page.status_code == 200
    assert url in page.content.decode()
    confirmation = client.get(url).content.decode()
    assert organisation.name in confirmation and "API キー" in confirmation
    organisation.refresh_from_db()
    assert organisation.status == "pending"  # opening the page decides nothing
    assert decide(client, url).status_code == 302
    organisation.refresh_from_db()
    assert organisation.status == "approved"


def test_a_recipient_decision_without_its_confirmation_page_is_refused(client, recipient, staff_by_role):
    from audit.models import AuditEvent

    organisation = make_organisation(recipient, status="pending")
    otp_login(client, staff_by_role["reception"])
    client.post(reverse("admin:validity_recipientorganisation_decide", args=[organisation.pk, "approve"]))
    organisation.refresh_from_db()
    assert organisation.status == "pending"
    assert AuditEvent.objects.filter(event_type="staff.decision_refused", data__decision="recipient.approve").exists()
    # a decision that does not apply to the organisation now is not offered, and the attempt is recorded
    response = client.get(reverse("admin:validity_recipientorganisation_decide", args=[organisation.pk, "suspend"]))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(event_type="staff.decision_refused", data__reason="not_open").exists()


def test_suspending_in_the_admin_needs_a_reason(client, recipient, staff_by_role):
    organisation = make_organisation(recipient)
    otp_login(client, staff_by_role["reception"])
    suspend = reverse("admin:validity_recipientorganisation_decide", args=[organisation.pk, "suspend"])
    assert decide(client, suspend, {"reason": ""}).status_code == 200
    organisation.refresh_from_db()
    assert organisation.status == "approved"
    decide(client, suspend, {"reason": "照会の濫用"})
    organisation.refresh_from_db()
    assert organisation.status == "suspended"


# --- API keys -------------------------------------------------------------------------------------


def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(client, recipient, organisation):
    client.force_login(recipient)
    response = client.post(reverse("validity:api_keys"), {"label": "基幹システム"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    found = re.search(r'value="(mtv_[0-9a-f]{12}_[0-9a-f]{64})"', response.content.decode())
    assert found
    key = ApiKey.objects.get()
    parts = keys.split(found.group(1))
    assert parts
    prefix, secret = parts
    assert key.prefix == prefix
    assert key.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiKey.objects.values()))
    listing = client.get(reverse("validity:api_keys")).content.decode()
    assert prefix in listing
    assert secret not in listing
    event = AuditEvent.objects.get(event_type="validity.api_key.created")
    assert secret not in str(event.data)


def test_a_key_can_expire_and_be_revoked_by_its_organisation_only(client, recipient, organisation):
    client.force_login(recipient)
    client.post(reverse("validity:api_keys"), {"label": "期限付き", "expires_on": "2099-12-31"})
    key = ApiKey.objects.get()
    assert key.expires_at is not None
    assert key.expires_at.astimezone(JST).isoformat().startswith("2099-12-31T23:59:59")
    outsider = make_user("outsider@recipient.example.jp", "recipient")
    make_organisation(outsider, name="他社")
    client.force_login(outsider)
    assert client.post(reverse("validity:revoke_api_key", args=[key.prefix]), {"confirmed": "yes"}).status_code == 404
    client.force_login(recipient)
    url = reverse("validity:revoke_api_key", args=[key.prefix])
    # A confirmation page first: what the key is, what stops working; a bare POST changes nothing.
    page = client.get(url).content.decode()
    assert "期限付き" in page and key.prefix in page and "照会できなくなります" in page
    assert 'name="confirmed"' in page
    assert client.post(url).status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is None
    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert AuditEvent.objects.filter(event_type="validity.api_key.revoked").count() == 1
    assert client.get(url).status_code == 302  # nothing left to confirm


def test_an_expiry_in_the_past_is_refused(client, recipient, organisation):
    client.force_login(recipient)
    response = client.post(reverse("validity:api_keys"), {"label": "x", "expires_on": "2000-01-01"})
    assert response.status_code == 200
    assert not ApiKey.objects.exists()


def test_the_number_of_live_keys_is_limited(recipient, organisation, settings):
    settings.VALIDITY_MAX_API_KEYS = 2
    for n in range(2):
        services.create_api_key(organisation, label=f"k{n}", actor=recipient)
    with pytest.raises(ValidityError):
        services.create_api_key(organisation, label="one too many", actor=recipient)


def test_reception_reads_the_recipient_invitations_in_japanese_and_changes_none(client, recipient, staff_by_role):
    organisation = make_organisation(recipient)
    invitation = services.invite_member(organisation, actor=recipient, email="new@recipient.example.jp", accept_url=str)
    listing = reverse("admin:validity_recipientinvitation_changelist")
    otp_login(client, staff_by_role["reception"])
    page = client.get(listing)
    assert page.status_code == 200
    body = page.content.decode()
    assert "new@recipient.example.jp" in body and organisation.name in body
    for header in ("招待先メールアドレス", "受領者等", "招待日時", "有効期限", "承諾日時", "取消日時"):
        assert header in body, header
    item = client.get(reverse("admin:validity_recipientinvitation_change", args=[invitation.pk])).content.decode()
    assert invitation.token_hash not in item and "招待トークンのハッシュ" not in item
    assert client.get(reverse("admin:validity_recipientinvitation_add")).status_code == 403
    assert client.post(reverse("admin:validity_recipientinvitation_delete", args=[invitation.pk])).status_code == 403
    otp_login(client, staff_by_role["maintenance"])
    assert client.get(listing).status_code == 403
