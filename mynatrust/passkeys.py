"""Passkeys (WebAuthn) as a staff member's second factor, beside the authenticator app (TOTP).

django-otp-webauthn verifies the ceremonies (py_webauthn: challenge, origin, relying party,
signature, counter); what this module adds is who may run them and the record:

- A passkey is registered only by the browser session that has just used the member's own
  invitation link (appointment or re-enrolment, mynatrust.staff), or by a session already signed in
  with both factors that adds one more. A password alone never registers one.
- A passkey is used only after the password, by staff, and only the member's own passkeys count.
- Registration, use and every refusal are audit events (``auth.otp_enrolled``, ``auth.otp_verified``
  with ``device="passkey"``; ``auth.otp_enrol_refused`` and ``auth.otp_failed`` tallied per actor,
  reason and minute, so that a script cannot flood the log).

The answers are JSON for the page's script (static/js/passkey.js), with a translated ``detail``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

import audit

if TYPE_CHECKING:
    from mynatrust.models import User

DEVICE = "passkey"

# The right to enrol a second factor that a session got by an invitation link (mynatrust.admin_site
# grants it, mynatrust.staff sends the link).
ENROLMENT_SESSION_KEY = "staff_enrolment"  # {"user": pk, "until": epoch seconds, "device": pk or None}


def enrolment_grant(request: HttpRequest, user: Any) -> dict[str, Any] | None:
    """The right to enrol a second factor that this session got by using ``user``'s invitation link
    (mynatrust.staff), while it lasts; None otherwise."""
    grant = request.session.get(ENROLMENT_SESSION_KEY)
    if not grant or grant.get("user") != user.pk or grant.get("until", 0) < timezone.now().timestamp():
        return None
    return dict(grant)


# What the person reads for each refusal (the library's own texts are English).
MESSAGES: dict[str, Any] = {
    "not_staff": _("パスキーは職員のアカウントだけが使えます。職員ログインからやり直してください。"),
    "no_invitation": _("パスキーの登録は、招待リンクから開いた画面か、二要素認証を済ませた後の画面からだけ行えます。"),
    "no_passkey": _("このアカウントにはパスキーが登録されていません。"),
    "origin": _("このアドレスではパスキーを使えません。"),
    "invalid_state": _("手続きの期限が切れました。もう一度ボタンを押してください。"),
    "credential_not_found": _("このパスキーは登録されていません。"),
    "credential_user_mismatch": _("このパスキーは別のアカウントのものです。"),
    "credential_disabled": _("このパスキーは使用できません。"),
    "user_disabled": _("このアカウントは停止されています。"),
    "passwordless_login_disabled": _("先にメールアドレスとパスワードでログインしてください。"),
    "not_authenticated": _("先にメールアドレスとパスワードでログインしてください。"),
    "user_not_verified": _("先に二要素認証を済ませてください。"),
}
DEFAULT_MESSAGE = _("パスキーを確認できませんでした。もう一度お試しください。")


class Refused(exceptions.OTPWebAuthnApiError):
    status_code = 403


class PasskeyHelper(WebAuthnHelper):
    """The account shown by the authenticator: the member's name and address."""

    def get_credential_name(self, user: Any) -> str:
        return str(user.email)

    def get_credential_display_name(self, user: Any) -> str:
        return str(user.display_name or user.email)


def _staff(request: HttpRequest) -> Any:
    user: Any = request.user
    if user.is_authenticated and user.is_active and user.is_staff and getattr(user, "kind", None) == "staff":
        return user
    return None


def origin_allowed(request: HttpRequest) -> bool:
    """Whether this page was opened from an origin the passkeys are bound to (an IP address, for
    one, never is)."""
    origin = f"{request.scheme}://{request.get_host()}"
    return origin in settings.OTP_WEBAUTHN_ALLOWED_ORIGINS


def passkeys_of(user: Any) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk"))


def has_second_factor(user: Any) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def _next_url(request: HttpRequest, default: str) -> str:
    nxt = request.GET.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return default


class _Audited:
    """Every refusal becomes a tallied audit event and a translated JSON answer; malformed input is a
    400, never a 500."""

    refusal_event = ""
    request: HttpRequest

    def handle_exception(self, exc: Exception) -> JsonResponse:
        if isinstance(exc, exceptions.OTPWebAuthnApiError):
            status, code = exc.status_code, str(exc.code)
        elif isinstance(exc, ValueError | TypeError | KeyError | AttributeError):
            status, code = 400, "malformed_request"
        else:
            raise exc
        user: Any = self.request.user
        actor = user if user.is_authenticated else audit.ANONYMOUS
        audit.record_tallied(self.refusal_event, actor=actor, key=code, reason=code, device=DEVICE)
        return JsonResponse({"detail": str(MESSAGES.get(code, DEFAULT_MESSAGE)), "code": code}, status=status)

    def _check_origin(self) -> None:
        if not origin_allowed(self.request):
            raise Refused(code="origin")


class _Registration(_Audited):
    refusal_event = "auth.otp_enrol_refused"

    def check_can_register(self) -> None:
        self._check_origin()
        user = _staff(self.request)
        if user is None:
            raise Refused(code="not_staff")
        # Whoever holds only the password never registers a passkey: the session must have used the
        # member's invitation link, or be signed in with a second factor already.
        if not (enrolment_grant(self.request, user) is not None or user.is_verified()):
            raise Refused(code="no_invitation")


class PasskeyRegistrationBegin(_Registration, BeginCredentialRegistrationView):
    pass


class PasskeyRegistrationComplete(_Registration, CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        request = self.request
        user: Any = request.user
        first = not user.is_verified()
        # The library takes the ceremony's state out of the session and saves it first (never used
        # twice), then verifies and stores the credential.
        response = super().post(*args, **kwargs)
        with transaction.atomic():
            device = WebAuthnCredential.objects.get(pk=_json(response)["id"], user=user)
            count = WebAuthnCredential.objects.filter(user=user).count()
            device.name = str(_("パスキー %(n)d")) % {"n": count}
            device.save(update_fields=["name"])
            if first:
                # The enrolment is done: a TOTP secret shown to this session but never confirmed goes.
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                request.session.pop(ENROLMENT_SESSION_KEY, None)
            audit.record(
                "auth.otp_enrolled", actor=user, subject=user, device=DEVICE, credential=device.pk, additional=not first
            )
        default = reverse("admin:passkeys") if not first else reverse("admin:index")
        return JsonResponse({"id": device.pk, "redirect_url": _next_url(request, default)})


class _Authentication(_Audited):
    refusal_event = "auth.otp_failed"

    def check_can_authenticate(self) -> None:
        self._check_origin()
        user = _staff(self.request)
        if user is None:
            raise Refused(code="not_staff")
        if not WebAuthnCredential.objects.filter(user=user, confirmed=True).exists():
            raise Refused(code="no_passkey")


class PasskeyAuthenticationBegin(_Authentication, BeginCredentialAuthenticationView):
    pass


class PasskeyAuthenticationComplete(_Authentication, CompleteCredentialAuthenticationView):
    def complete_auth(self, device: Any) -> Any:
        user: Any = self.request.user
        # The helper has already refused another account's passkey; the session keeps its account.
        otp_login(self.request, device)
        audit.record("auth.otp_verified", actor=user, subject=user, device=DEVICE, credential=device.pk)
        return user

    def get_success_url(self) -> str:
        return _next_url(self.request, reverse("admin:index"))


def remove_passkey(device: WebAuthnCredential, *, actor: User) -> None:
    """A member removes one of their own passkeys; never the last second factor they hold (the
    service manager's re-enrolment is the way back from a lost one)."""
    from mynatrust.staff import StaffError

    try:
        with transaction.atomic():
            locked = WebAuthnCredential.objects.select_for_update().filter(pk=device.pk, user=actor).first()
            if locked is None:
                raise StaffError(str(_("このパスキーは見つかりません。")))
            others = [d for d in devices_for_user(actor, confirmed=True) if d.persistent_id != locked.persistent_id]
            if not others:
                raise StaffError(
                    str(_("最後の二要素認証は削除できません。先に別のパスキーか認証アプリを登録してください。"))
                )
            credential = locked.pk
            locked.delete()
            audit.record("auth.passkey_removed", actor=actor, subject=actor, credential=credential)
    except StaffError as err:
        audit.record_refused("auth.passkey_remove_refused", actor=actor, subject=actor, reason=err.message)
        raise


def _json(response: JsonResponse) -> dict[str, Any]:
    import json

    return dict(json.loads(response.content))
