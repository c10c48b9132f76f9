"""The staff admin: password, then a second factor (an authenticator app's TOTP code or a passkey,
mynatrust.passkeys), for every staff sign-in.

A second factor is enrolled only by a browser session that has just used a one-time invitation
link (mynatrust.staff): the pending secret is made for that session, shown in that one response,
and never again (a reload makes a new one). Knowing a staff member's password is not enough to
enrol an authenticator in their name."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from functools import wraps
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.auth import login as auth_login
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from mynatrust import passkeys


def method_decorator_never_cache(func: Any) -> Any:
    return method_decorator(never_cache)(
        method_decorator(csrf_protect)(method_decorator(sensitive_post_parameters())(func))
    )


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("確認コード（6桁）"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("6桁の数字を入力してください。")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        return str(self.cleaned_data["token"]).strip()


class InvitationPasswordForm(forms.Form):
    """Appointment: the new member chooses a password (twice, checked by the password validators).
    Re-enrolment: the member's current password."""

    password1 = forms.CharField(
        label=_("パスワード"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("パスワード（確認）"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: Any, choose: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.choose = choose
        if not choose:
            del self.fields["password2"]
            self.fields["password1"].label = _("現在のパスワード")
            self.fields["password1"].widget.attrs["autocomplete"] = "current-password"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.choose and data.get("password1") and data.get("password2"):
            if data["password1"] != data["password2"]:
                self.add_error("password2", _("2つのパスワードが一致しません。"))
            else:
                from django.contrib.auth import password_validation

                try:
                    password_validation.validate_password(data["password1"], self.user)
                except forms.ValidationError as err:
                    self.add_error("password1", err)
        return data


MAX_SEARCH_TERM = 200


class StaffAdminSite(admin.AdminSite):
    site_header = _("MynaTrust e-LOA 管理")
    site_title = _("MynaTrust e-LOA 管理")
    index_title = _("職員メニュー")
    login_form = AdminAuthenticationForm

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(_keyed(view), cacheable)

        @wraps(view)
        def bounded_search(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            # A search term is matched with LIKE in every searched column; the embedded database
            # refuses a pattern past 50,000 bytes. The term is cut short, and the page says so.
            term = request.GET.get(SEARCH_VAR)
            if term is not None and len(term) > MAX_SEARCH_TERM:
                params = request.GET.copy()
                params[SEARCH_VAR] = term[:MAX_SEARCH_TERM]
                request.GET = params  # type: ignore[assignment]
                messages.warning(
                    request,
                    _("検索語は %(max)d 文字までです。先頭の %(max)d 文字で検索しました。") % {"max": MAX_SEARCH_TERM},
                )
            return inner(request, *args, **kwargs)

        return bounded_search

    # The project app holds several topics; the home page shows them as separate groups.
    SECTIONS: dict[str, tuple[Any, tuple[str, ...]]] = {
        "repository": (_("公開文書と告知"), ("DocumentVersion", "Notice", "TermsAcceptance")),
        "staff": (_("アカウントと職員"), ("User", "Group")),
    }

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        role = getattr(request.user, "staff_role", None)
        context["staff_role_label"] = role.label if role is not None else ""
        return context

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        grouped: list[Any] = []
        for app in apps:
            if app["app_label"] not in ("mynatrust", "auth"):
                grouped.append(app)
                continue
            rest = list(app["models"])
            for key, (name, objects) in self.SECTIONS.items():
                models_ = [m for m in rest if m["object_name"] in objects]
                if models_:
                    grouped.append({**app, "name": name, "app_label": f"{app['app_label']}-{key}", "models": models_})
                rest = [m for m in rest if m["object_name"] not in objects]
            if rest:
                name = _("運用台帳") if app["app_label"] == "mynatrust" else app["name"]
                grouped.append({**app, "name": name, "models": rest})
        return grouped

    @method_decorator(never_cache)
    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """The role's work queues first, then the models the role may open."""
        from mynatrust import dashboard

        context = {
            "queues": dashboard.queues_for(request.user),
            "panels": dashboard.panels_for(request.user),
            "title": _("%(role)sの業務") % {"role": self.each_context(request)["staff_role_label"]},
            **(extra_context or {}),
        }
        return super().index(request, context)

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(
            user.is_active
            and user.is_staff
            and getattr(user, "kind", None) == "staff"
            and user.is_verified()
            and user.staff_role is not None
        )

    def get_urls(self) -> list[Any]:
        extra: list[URLPattern] = [
            path("otp/verify/", self.otp_verify, name="otp_verify"),
            path("otp/setup/", self.otp_setup, name="otp_setup"),
            path("otp/passkeys/", self.admin_view(self.passkeys), name="passkeys"),
            *_passkey_urls(),
            path("invitation/<str:token>/", self.staff_invitation, name="staff_invitation"),
            path("roles/", self.admin_view(self.roles), name="trusted_roles"),
        ]
        return extra + super().get_urls()

    @method_decorator(never_cache)
    def roles(self, request: HttpRequest) -> TemplateResponse:
        """The trusted roles as the rules name them (§7.2.1): department, headcount, duties, to whom
        each answers, who holds it now and what it may open here; the appointments behind them.
        Every member of staff reads it (§6.2.9 keeps it as the document of responsibilities,
        authority and chain of command)."""
        from mynatrust.models import StaffAppointment, User
        from mynatrust.roles import CHARTERS, role_permissions

        holders: dict[str, list[str]] = {}
        for user in User.objects.staff().filter(is_active=True).prefetch_related("groups").order_by("pk"):
            if user.staff_role is not None:
                holders.setdefault(user.staff_role.value, []).append(user.display_name or user.email)
        rows = [
            {
                "role": role,
                "charter": charter,
                "holders": holders.get(role.value, []),
                "may": _permission_labels(set(role_permissions()[role])),
            }
            for role, charter in CHARTERS.items()
        ]
        appointments = StaffAppointment.objects.select_related("user", "appointed_by", "suitability")[:20]
        context = {
            **self.each_context(request),
            "title": _("信頼される役割と指揮命令系統"),
            "rows": rows,
            "appointments": appointments,
        }
        return TemplateResponse(request, "admin/trusted_roles.html", context)

    @method_decorator_never_cache
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        user: Any = request.user
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        if request.method == "GET" and user.is_authenticated and getattr(user, "kind", None) == "staff":
            return self._second_factor_redirect(request)
        form = self.login_form(request, data=request.POST or None)
        if request.method == "POST" and form.is_valid():
            staff = form.get_user()
            auth_login(request, staff)
            return self._second_factor_redirect(request)
        context = {
            **self.each_context(request),
            "title": _("職員ログイン"),
            "form": form,
            "next": request.GET.get("next", ""),
            **(extra_context or {}),
        }
        return render(request, "admin/staff_login.html", context)

    def _second_factor_redirect(self, request: HttpRequest) -> HttpResponse:
        name = "otp_verify" if passkeys.has_second_factor(request.user) else "otp_setup"
        url = reverse(f"admin:{name}", current_app=self.name)
        nxt = request.POST.get("next") or request.GET.get("next")
        if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
            url += "?" + _query({"next": nxt})
        return redirect(url)

    @staticmethod
    def _device(user: Any) -> TOTPDevice | None:
        for device in devices_for_user(user, confirmed=True):
            if isinstance(device, TOTPDevice):
                return device
        return None

    def _staff_pending(self, request: HttpRequest) -> Any:
        user: Any = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff and getattr(user, "kind", None) == "staff"):
            return None
        return user

    def _finish(self, request: HttpRequest) -> HttpResponse:
        nxt = request.GET.get("next", "")
        if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
            return redirect(nxt)
        return redirect(reverse("admin:index", current_app=self.name))

    @method_decorator_never_cache
    def otp_verify(self, request: HttpRequest) -> HttpResponse:
        user = self._staff_pending(request)
        if user is None:
            return redirect(reverse("admin:login", current_app=self.name))
        if not passkeys.has_second_factor(user):
            return redirect(reverse("admin:otp_setup", current_app=self.name))
        device = self._device(user)
        form = TokenForm(request.POST or None)
        if request.method == "POST" and device is None:
            audit.record_tallied("auth.otp_failed", actor=user, key="no_totp", reason="no_totp", device="totp")
            form.add_error(None, _("このアカウントには認証アプリが登録されていません。パスキーで確認してください。"))
        elif request.method == "POST" and device is not None and form.is_valid():
            allowed, _data = device.verify_is_allowed()
            if allowed and device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                audit.record("auth.otp_verified", actor=user, subject=user)
                return self._finish(request)
            audit.record("auth.otp_failed", actor=user, subject=user, throttled=not allowed)
            form.add_error(
                "token", _("確認コードが正しくないか、試行回数が多すぎます。しばらく待ってからもう一度お試しください。")
            )
        context = {
            **self.each_context(request),
            "title": _("二要素認証"),
            "form": form,
            "totp": device is not None,
            **self._passkey_context(request, use=bool(passkeys.passkeys_of(user))),
        }
        return render(request, "admin/otp_verify.html", context)

    def _passkey_context(self, request: HttpRequest, *, use: bool) -> dict[str, Any]:
        """What the passkey part of a page needs: whether to offer it, and where it works."""
        return {
            "passkey": use,
            "passkey_here": passkeys.origin_allowed(request),
            "passkey_origin": settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0] if settings.OTP_WEBAUTHN_ALLOWED_ORIGINS else "",
            "passkey_next": _query({"next": request.GET["next"]}) if request.GET.get("next") else "",
        }

    @method_decorator_never_cache
    def staff_invitation(self, request: HttpRequest, token: str) -> HttpResponse:
        from mynatrust import staff
        from mynatrust.models import StaffInvitation

        try:
            invitation = staff.invitation_for(token)
        except staff.InvitationError as err:
            context = {**self.each_context(request), "title": _("招待リンク"), "refusal": err.message}
            return render(request, "admin/staff_invitation.html", context, status=404)
        choose = invitation.purpose == StaffInvitation.Purpose.APPOINTMENT
        form = InvitationPasswordForm(request.POST or None, user=invitation.user, choose=choose)
        if request.method == "POST" and form.is_valid():
            try:
                user = staff.accept_invitation(invitation, password=form.cleaned_data["password1"])
            except staff.InvitationError as err:
                context = {**self.each_context(request), "title": _("招待リンク"), "refusal": err.message}
                return render(request, "admin/staff_invitation.html", context, status=400)
            auth_login(request, user, backend="mynatrust.lockout.AccountBackend")
            until = timezone.now() + timedelta(minutes=settings.STAFF_ENROLMENT_MINUTES)
            request.session[passkeys.ENROLMENT_SESSION_KEY] = {
                "user": user.pk,
                "until": until.timestamp(),
                "device": None,
            }
            return redirect(reverse("admin:otp_setup", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("職員アカウントの設定") if choose else _("二要素認証の再登録"),
            "form": form,
            "invitee": invitation.user,
            "choose": choose,
        }
        return render(request, "admin/staff_invitation.html", context)

    @method_decorator_never_cache
    def otp_setup(self, request: HttpRequest) -> HttpResponse:
        user = self._staff_pending(request)
        if user is None:
            return redirect(reverse("admin:login", current_app=self.name))
        if passkeys.has_second_factor(user):
            return redirect(reverse("admin:otp_verify", current_app=self.name))
        grant = passkeys.enrolment_grant(request, user)
        if grant is None:
            # A password alone never enrols an authenticator: only the session that used the
            # member's own invitation link may.
            audit.record_tallied("auth.otp_enrol_refused", actor=user, key="no_invitation", reason="no_invitation")
            context = {**self.each_context(request), "title": _("二要素認証の登録"), "no_grant": True}
            return render(request, "admin/otp_setup.html", context, status=403)
        form = TokenForm(request.POST or None)
        device = TOTPDevice.objects.filter(pk=grant.get("device"), user=user, confirmed=False).first()
        if request.method == "POST" and device is not None and form.is_valid():
            if device.verify_token(form.cleaned_data["token"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                request.session.pop(passkeys.ENROLMENT_SESSION_KEY, None)
                otp_login(request, device)
                audit.record("auth.otp_enrolled", actor=user, subject=user, device="totp")
                return self._finish(request)
            audit.record("auth.otp_failed", actor=user, subject=user, enrolment=True)
            form.add_error("token", _("確認コードが正しくありません。認証アプリの表示を確認してください。"))
            secret = None  # the secret was shown once, with the page that made it
        else:
            # A new secret for this session only, shown in this one response.
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(user=user, name=str(_("認証アプリ")), confirmed=False)
            request.session[passkeys.ENROLMENT_SESSION_KEY] = {**grant, "device": device.pk}
            secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        context = {
            **self.each_context(request),
            "title": _("二要素認証の登録"),
            "form": form,
            "secret": secret,
            "qr": _qr_data_uri(device.config_url) if secret else None,
            **self._passkey_context(request, use=True),
        }
        return render(request, "admin/otp_setup.html", context)

    @method_decorator_never_cache
    def passkeys(self, request: HttpRequest) -> HttpResponse:
        """The signed-in member's own passkeys: add one (the browser's prompt), remove one."""
        from mynatrust.staff import StaffError

        user: Any = request.user
        if request.method == "POST":
            device = passkeys.WebAuthnCredential.objects.filter(pk=_int(request.POST.get("remove")), user=user).first()
            try:
                if device is None:
                    audit.record_refused("auth.passkey_remove_refused", actor=user, subject=user, reason="unknown")
                    raise StaffError(str(_("このパスキーは見つかりません。")))
                passkeys.remove_passkey(device, actor=user)
            except StaffError as err:
                messages.error(request, err.message)
            else:
                messages.success(request, _("パスキーを削除しました。"))
            return redirect(reverse("admin:passkeys", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("パスキー"),
            "credentials": passkeys.passkeys_of(user),
            "totp": self._device(user) is not None,
            **self._passkey_context(request, use=True),
        }
        return render(request, "admin/passkeys.html", context)


def _passkey_urls() -> list[URLPattern]:
    """The passkey ceremonies (JSON for static/js/passkey.js), before the admin's sign-in check:
    they are the second step of it (mynatrust.passkeys checks who may run them)."""
    return [
        path("otp/passkey/register/begin/", passkeys.PasskeyRegistrationBegin.as_view(), name="passkey_register_begin"),
        path(
            "otp/passkey/register/complete/",
            passkeys.PasskeyRegistrationComplete.as_view(),
            name="passkey_register_complete",
        ),
        path("otp/passkey/verify/begin/", passkeys.PasskeyAuthenticationBegin.as_view(), name="passkey_verify_begin"),
        path(
            "otp/passkey/verify/complete/",
            passkeys.PasskeyAuthenticationComplete.as_view(),
            name="passkey_verify_complete",
        ),
    ]


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _keyed(view: Any) -> Any:
    """A model admin's view (after the admin's own sign-in check) that answers 404 for a key its
    model could never hold (``abc`` where keys are numbers) and for an object that does not exist
    (django-otp's device pages look devices up with ``get``): without it both were a 500."""
    model_admin = getattr(view, "__self__", None)
    model = getattr(model_admin, "model", None)

    @wraps(view)
    def keyed(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if model is not None and "_to_field" not in request.GET:
            for name in ("object_id", "pk"):
                if name in kwargs:
                    try:
                        model._meta.pk.to_python(unquote(str(kwargs[name])))
                    except (ValidationError, ValueError, TypeError) as err:
                        raise Http404 from err
        try:
            return view(request, *args, **kwargs)
        except ObjectDoesNotExist as err:
            raise Http404 from err

    return keyed


def _qr_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage)
    buf = io.BytesIO()
    image.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


ACTIONS = {"view": _("閲覧"), "add": _("記録"), "change": _("変更"), "delete": _("削除")}


def _permission_labels(perms: set[str]) -> list[str]:
    """What a role may open and do here, in Japanese: a model's verbose name with the action for
    Django's own permissions, the declared name for the service's."""
    from django.apps import apps
    from django.contrib.auth.models import Permission

    labels = []
    for perm in sorted(perms):
        app_label, codename = perm.split(".", 1)
        action, _sep, model_name = codename.partition("_")
        model = None
        if action in ACTIONS:
            try:
                model = apps.get_model(app_label, model_name)
            except LookupError:
                model = None
        if model is not None:
            labels.append(
                str(_("%(subject)s（%(action)s）") % {"subject": model._meta.verbose_name, "action": ACTIONS[action]})
            )
            continue
        found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        labels.append(_declared_name(found) if found else codename)
    return labels


def _declared_name(permission: Any) -> str:
    """The permission's name as its model declares it, in the reader's language (the stored name
    is the Japanese one, written when the permission was created)."""
    model = permission.content_type.model_class()
    declared = dict(model._meta.permissions) if model is not None else {}
    return str(declared.get(permission.codename, permission.name))
