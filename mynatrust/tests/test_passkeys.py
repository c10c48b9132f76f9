"""Passkeys beside the authenticator app for staff: registered only by the session that used the
member's own invitation link (or one already signed in with a second factor), used only after the
password and only by their owner; every registration, use and refusal on the record. A software
passkey (real P-256 keys and signatures) plays the browser and its authenticator."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from audit import tally
from audit.models import AuditEvent
from conftest import PASSWORD, make_staff, make_user, otp_login
from mynatrust import staff
from mynatrust.tests.passkey_authenticator import SoftPasskey
from mynatrust.tests.test_staff_onboarding import NEW_PASSWORD, appoint, link_in_mail, path_of

pytestmark = pytest.mark.django_db
ORIGIN = "http://localhost:8000"


@pytest.fixture(autouse=True)
def _relying_party(settings: Any, client: Any) -> None:
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]
    client.defaults["HTTP_HOST"] = "localhost:8000"


def post_json(client: Any, name: str, body: Any = None, **extra: Any) -> Any:
    return client.post(reverse(f"admin:{name}"), json.dumps(body or {}), content_type="application/json", **extra)


def register(client: Any, passkey: SoftPasskey) -> Any:
    options = post_json(client, "passkey_register_begin")
    assert options.status_code == 200, options.content
    return post_json(client, "passkey_register_complete", passkey.create(options.json()))


def verify(client: Any, passkey: SoftPasskey, **kwargs: Any) -> Any:
    options = post_json(client, "passkey_verify_begin")
    assert options.status_code == 200, options.content
    return post_json(client, "passkey_verify_complete", passkey.get(options.json(), **kwargs))


def password_login(client: Any, email: str, password: str = PASSWORD) -> None:
    response = client.post(reverse("admin:login"), {"username": email, "password": password})
    assert response.status_code == 302, response.content


def events(event_type: str, **data: Any) -> list[AuditEvent]:
    tally.flush(now=timezone.now() + timedelta(minutes=2))  # refusals are counted per minute
    found = AuditEvent.objects.filter(event_type=event_type)
    return [e for e in found if all(e.data.get(k) == v for k, v in data.items())]


def test_a_new_member_enrols_a_passkey_through_the_invitation_and_signs_in_with_it(
    client, service_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = appoint(service_manager)
    link = path_of(link_in_mail(user.email))
    client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    setup = client.get(reverse("admin:otp_setup")).content.decode()
    assert "パスキーを登録する" in setup and "totp-secret" in setup  # both are offered

    passkey = SoftPasskey(ORIGIN)
    done = register(client, passkey)
    assert done.status_code == 200, done.content
    assert done.json()["redirect_url"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200  # signed in with both factors
    [credential] = WebAuthnCredential.objects.filter(user=user)
    assert not TOTPDevice.objects.filter(user=user).exists()  # the unconfirmed secret went
    assert events("auth.otp_enrolled", device="passkey", additional=False)

    # The next sign-in: the password, then the passkey (no authenticator app was enrolled).
    client.post(reverse("admin:logout"))
    password_login(client, user.email, NEW_PASSWORD)
    page = client.get(reverse("admin:otp_verify")).content.decode()
    assert "パスキーで確認する" in page and "id_token" not in page
    assert client.get(reverse("admin:index")).status_code == 302
    used = verify(client, passkey)
    assert used.status_code == 200, used.content
    assert client.get(reverse("admin:index")).status_code == 200
    credential.refresh_from_db()
    assert credential.sign_count == 1 and credential.last_used_at is not None
    assert events("auth.otp_verified", device="passkey")


def test_a_password_alone_never_registers_a_passkey(client):
    user = make_staff("service_operator", "op@staff.example.jp", with_device=False)
    password_login(client, user.email)
    refused = post_json(client, "passkey_register_begin")
    assert refused.status_code == 403 and refused.json()["code"] == "no_invitation"
    assert "招待リンク" in refused.json()["detail"]
    assert not WebAuthnCredential.objects.exists()
    [event] = events("auth.otp_enrol_refused", reason="no_invitation", device="passkey")
    assert event.actor_id == str(user.pk)


def test_a_member_with_a_second_factor_adds_a_passkey_only_once_verified(client):
    user = make_staff("auditor", "aud@staff.example.jp")
    password_login(client, user.email)  # password only: the TOTP step is still owed
    refused = post_json(client, "passkey_register_begin")
    assert refused.status_code == 403
    otp_login(client, user)
    assert client.get(reverse("admin:passkeys")).status_code == 200
    added = register(client, SoftPasskey(ORIGIN))
    assert added.status_code == 200 and added.json()["redirect_url"] == reverse("admin:passkeys")
    assert events("auth.otp_enrolled", device="passkey", additional=True)
    page = client.get(reverse("admin:passkeys")).content.decode()
    assert "パスキー 1" in page and "認証アプリ（TOTP）：登録済み" in page
    # The authenticator app still works beside it.
    client.post(reverse("admin:logout"))
    password_login(client, user.email)
    page = client.get(reverse("admin:otp_verify")).content.decode()
    assert "パスキーで確認する" in page and "id_token" in page


def test_another_members_passkey_a_forged_answer_and_a_replay_are_refused(client):
    owner = make_staff("auditor", "owner@staff.example.jp", with_device=False)
    other = make_staff("service_operator", "other@staff.example.jp", with_device=False)
    theirs, mine = SoftPasskey(ORIGIN), SoftPasskey(ORIGIN)
    for user, passkey in ((owner, theirs), (other, mine)):
        client.force_login(user)
        session = client.session
        session["staff_enrolment"] = {"user": user.pk, "until": 4e9, "device": None}
        session.save()
        assert register(client, passkey).status_code == 200
        client.post(reverse("admin:logout"))

    password_login(client, other.email)
    foreign = verify(client, theirs)
    assert foreign.status_code == 403 and foreign.json()["code"] == "credential_user_mismatch"
    assert "別のアカウント" in foreign.json()["detail"]

    options = post_json(client, "passkey_verify_begin").json()
    answer = mine.get(options)
    answer["response"]["signature"] = theirs.get(options)["response"]["signature"]
    forged = post_json(client, "passkey_verify_complete", answer)
    assert forged.status_code == 422
    replay = post_json(client, "passkey_verify_complete", mine.get(options))
    assert replay.status_code == 400 and replay.json()["code"] == "invalid_state"  # one answer per challenge
    wrong_site = verify(client, mine, rp_id="evil.example")
    assert wrong_site.status_code == 422
    assert client.get(reverse("admin:index")).status_code == 302  # still not past the second step
    reasons = {e.data["reason"] for e in events("auth.otp_failed", device="passkey")}
    assert {"credential_user_mismatch", "invalid_authentication_response", "invalid_state"} <= reasons
    assert verify(client, mine).status_code == 200


def test_outsiders_other_addresses_and_malformed_answers_are_refused_without_a_500(client):
    anonymous = post_json(client, "passkey_verify_begin")
    assert anonymous.status_code == 403 and anonymous.json()["code"] == "not_staff"
    client.force_login(make_user("m@subscriber.example.jp", "subscriber"))
    assert post_json(client, "passkey_register_begin").json()["code"] == "not_staff"
    assert post_json(client, "passkey_verify_begin").status_code == 403

    user = make_staff("service_operator", "op@staff.example.jp")
    otp_login(client, user)
    elsewhere = post_json(client, "passkey_register_begin", HTTP_HOST="127.0.0.1:8000")
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "origin"
    page = client.get(reverse("admin:passkeys"), HTTP_HOST="127.0.0.1:8000").content.decode()
    assert f"パスキーは {ORIGIN} から開いた画面で使えます" in page and "data-passkey" not in page
    post_json(client, "passkey_register_begin")
    for body in ("{", "[]", '{"id": 1}', '"x"'):
        response = client.post(reverse("admin:passkey_register_complete"), body, content_type="application/json")
        assert response.status_code in (400, 422), (body, response.status_code)
        post_json(client, "passkey_register_begin")
    assert events("auth.otp_enrol_refused", reason="malformed_request")
    assert not WebAuthnCredential.objects.exists()


def test_a_reset_removes_passkeys_and_the_last_second_factor_is_never_removed(client, service_manager):
    user = make_staff("auditor", "aud@staff.example.jp", with_device=False)
    client.force_login(user)
    session = client.session
    session["staff_enrolment"] = {"user": user.pk, "until": 4e9, "device": None}
    session.save()
    register(client, SoftPasskey(ORIGIN))
    register(client, SoftPasskey(ORIGIN))
    kept, spare = WebAuthnCredential.objects.filter(user=user).order_by("pk")
    client.post(reverse("admin:passkeys"), {"remove": spare.pk})
    assert events("auth.passkey_removed", credential=spare.pk)
    page = client.post(reverse("admin:passkeys"), {"remove": kept.pk}, follow=True).content.decode()
    assert "最後の二要素認証は削除できません" in page
    assert WebAuthnCredential.objects.filter(pk=kept.pk).exists()
    assert events("auth.passkey_remove_refused")
    # Someone else's passkey id is no passkey of mine.
    other = make_staff("maintenance", "mnt@staff.example.jp")
    client.force_login(other)
    otp_login(client, other)
    client.post(reverse("admin:passkeys"), {"remove": kept.pk})
    assert WebAuthnCredential.objects.filter(pk=kept.pk).exists()

    mail.outbox.clear()
    staff.reset_second_factor(user, actor=service_manager, reason="端末の紛失")
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    [event] = events("staff.second_factor_reset")
    assert event.data["removed"] == 1
