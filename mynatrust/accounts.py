"""Sign-up, e-mail confirmation, login, logout and password reset, shared by the two public
audiences (subscriber staff under /app/, recipients under /recipient/). Each audience gets its own
URL namespace and can only sign in to its own area."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

import audit
from mynatrust import lockout, mail, mail_limits
from mynatrust.access import public
from mynatrust.forms import CanonicalEmailField, PlainTextMixin
from mynatrust.lib.email_address import canonical_email
from mynatrust.mail import send_unstored_after_commit
from mynatrust.models import User


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "mynatrust.accounts.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        # Once the address is confirmed the link stops working; a new sign-up for a pending address
        # (a new password) ends every earlier link, so whoever registered someone else's address
        # first cannot keep that registration once the owner signs up.
        return f"{user.pk}{user.password}{user.email}{user.email_confirmed_at}{timestamp}"

    def check_token(self, user: Any, token: str | None) -> bool:
        """Django's check with this link's own lifetime, EMAIL_CONFIRMATION_TIMEOUT (Django's
        generator always applies PASSWORD_RESET_TIMEOUT)."""
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > settings.EMAIL_CONFIRMATION_TIMEOUT:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


email_confirmation_token = EmailConfirmationTokenGenerator()

# The public areas an account signs up in, by kind: the namespace of each one's pages.
OWN_AREAS: dict[str, str] = {User.Kind.SUBSCRIBER: "registry", User.Kind.RECIPIENT: "validity"}


class SignUpForm(PlainTextMixin, BaseUserCreationForm):
    field_marks = True  # 必須/任意 beside each label (templates/forms/field_mark.html)

    class Meta:
        model = User
        fields = ("email", "display_name")
        field_classes = {"email": CanonicalEmailField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True

    def clean_email(self) -> str:
        email = canonical_email(self.cleaned_data["email"])
        # An address that already has an account is answered like a new one and its owner is mailed
        # instead (Audience.signup): the form never tells whether an address is registered.
        self.existing: User | None = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).first()
        return email

    def validate_unique(self) -> None:
        """Django's uniqueness checks without the address's (see clean_email)."""
        try:
            self.instance.validate_unique(exclude=self._get_validation_exclusions() | {"email"})  # type: ignore[attr-defined]
        except ValidationError as exc:
            self._update_errors(exc)  # type: ignore[attr-defined]

    def validate_constraints(self) -> None:
        """None of the model's constraints: the case-insensitive unique address is one of them (see
        clean_email), and the database still enforces them all."""


class ConfirmAddressForm(forms.Form):
    """The confirmation step asks for the password chosen at sign-up: whoever registered someone
    else's address cannot have its owner activate that registration by pressing a button."""

    field_marks = True

    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("登録のときに決めたパスワードを入力してください。"),
    )


class AudienceAuthenticationForm(AuthenticationForm):
    kind: str = ""
    field_marks = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("メールアドレス")

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if getattr(user, "kind", None) != self.kind:
            # Same message as a wrong password: the form does not reveal which accounts exist.
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class AudiencePasswordResetForm(PasswordResetForm):
    kind: str = ""
    field_marks = True
    email = CanonicalEmailField(
        label=_("メールアドレス"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email: str) -> Any:
        return (u for u in super().get_users(email) if u.kind == self.kind)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """As every mail after a decision (mynatrust.mail): a refusal is on the record, not only
        in the log where Django's own form leaves it."""
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        mail.send(subject, body, [to_email], about=context["user"])

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Counted whether or not an account has the address, so the limit tells nothing either.
        if mail_limits.allow(mail_limits.PASSWORD_RESET, to=self.cleaned_data["email"]):
            super().save(*args, **kwargs)


class NewPasswordForm(SetPasswordForm):
    field_marks = True


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page; a new password set through the mailbox also ends the account's lockout
    (mynatrust.lockout), so its owner signs in at once with it."""

    form_class = NewPasswordForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        lockout.clear(form.user.email)
        return response


class Audience:
    """The account pages of one audience, mounted under its own namespace."""

    def __init__(self, kind: str, namespace: str, home: str) -> None:
        self.kind = kind
        self.namespace = namespace
        self.home = home
        self.login_form = type(f"{kind.title()}AuthenticationForm", (AudienceAuthenticationForm,), {"kind": kind})
        self.reset_form = type(f"{kind.title()}PasswordResetForm", (AudiencePasswordResetForm,), {"kind": kind})

    def _url(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    def _context(self) -> dict[str, Any]:
        return {"audience": self.kind, "ns": self.namespace}

    # -- sign-up ---------------------------------------------------------------------------
    def signup(self, request: HttpRequest) -> HttpResponse:
        form = SignUpForm(request.POST or None, instance=self._pending(request.POST.get("email", "")))
        if request.method == "POST" and form.is_valid():
            if form.existing is not None:
                self._tell_owner(form.existing, form.cleaned_data["password1"])
                return redirect(self._url("signup_sent"))
            if not mail_limits.allow(mail_limits.SIGNUP, to=form.cleaned_data["email"]):
                make_password(form.cleaned_data["password1"])  # the same work as every other answer
                return redirect(self._url("signup_sent"))  # the same answer; nothing changed or sent
            with transaction.atomic():
                replaced = form.instance.pk is not None
                user: User = form.save(commit=False)
                user.kind = self.kind
                user.is_active = False
                user.save()
                audit.record(
                    "auth.signup", actor=None, subject=user, kind=self.kind, email=user.email, replaced=replaced
                )
                self._send_confirmation(request, user)  # once this commits (mynatrust.mail)
            return redirect(self._url("signup_sent"))
        return render(request, "accounts/signup.html", {"form": form, **self._context()})

    def _tell_owner(self, owner: User, password: str) -> None:
        """Someone signed up with an address that already has an account: nothing is created, its
        owner is told by mail (rate-limited like every mail), and the visitor sees the usual page."""
        make_password(password)  # as long as a new account's hashing: the timing tells nothing either
        if not mail_limits.allow(mail_limits.SIGNUP_EXISTING, to=owner.email):
            return
        audit.record_tallied(
            "auth.signup_existing", actor=None, key=owner.email[:254], subject=owner, to=owner.email, area=self.kind
        )
        base = settings.SERVICE_BASE_URL.rstrip("/")
        owners_area = OWN_AREAS.get(owner.kind)
        ctx = {
            "SERVICE_NAME": settings.SERVICE_NAME,
            "area": User.Kind(self.kind).label,
            "login": base + reverse(f"{owners_area}:login") if owners_area else "",
            "reset": base + reverse(f"{owners_area}:password_reset") if owners_area else "",
        }
        subject = str(
            _("【%(service)s】このメールアドレスには既にアカウントがあります") % {"service": settings.SERVICE_NAME}
        )
        body = render_to_string("accounts/email/signup_existing.txt", ctx)
        send_unstored_after_commit(subject, body, [owner.email], about=owner)

    def _pending(self, email: str) -> User:
        """A sign-up never confirmed for ``email``, in either public area: a new sign-up replaces it
        (new password, name and area, earlier links void), or a new account."""
        try:
            # Only a well-formed address is looked up (a NUL or junk never reaches the database);
            # the form reports what is wrong with it.
            address = CanonicalEmailField().clean(email)
        except ValidationError:
            return User()
        pending = User.objects.filter(
            email__iexact=address,
            kind__in=list(OWN_AREAS),
            is_active=False,
            email_confirmed_at__isnull=True,
        ).first()
        return pending or User()

    def _send_confirmation(self, request: HttpRequest, user: User) -> None:
        link = request.build_absolute_uri(
            reverse(
                self._url("signup_confirm"),
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": email_confirmation_token.make_token(user),
                },
            )
        )
        ctx = {"user": user, "link": link, "SERVICE_NAME": settings.SERVICE_NAME}
        send_unstored_after_commit(
            str(_("【%(service)s】メールアドレスの確認") % {"service": settings.SERVICE_NAME}),
            render_to_string("accounts/email/confirm.txt", ctx),
            [user.email],
            about=user,
        )

    def signup_sent(self, request: HttpRequest) -> HttpResponse:
        return render(request, "accounts/signup_sent.html", self._context())

    def signup_confirm(self, request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
        user = self._user_from_uid(uidb64)
        if user is None or user.kind != self.kind or not email_confirmation_token.check_token(user, token):
            audit.record_tallied("auth.email_confirmation_failed", actor=None, subject=user, reason="invalid_link")
            return render(request, "accounts/signup_invalid.html", self._context(), status=400)
        form = ConfirmAddressForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            right = user.check_password(form.cleaned_data["password"])
            # Wrong passwords count towards the account's lockout like failed sign-ins.
            locked = lockout.settle(user.email, succeeded=right)
            if right and not locked:
                with transaction.atomic():
                    user.is_active = True
                    user.email_confirmed_at = timezone.now()
                    user.save(update_fields=["is_active", "email_confirmed_at"])
                    audit.record("auth.email_confirmed", actor=user, subject=user)
                messages.success(request, _("メールアドレスを確認しました。ログインしてください。"))
                return redirect(self._url("login"))
            audit.record_tallied(
                "auth.email_confirmation_failed",
                actor=None,
                subject=user,
                key=user.email[:254],
                reason="locked" if locked else "wrong_password",
            )
            form.add_error(
                "password", _("パスワードが正しくありません。登録のときに決めたパスワードを入力してください。")
            )
        # A GET only shows the form: mail scanners that follow links do not confirm accounts.
        return render(request, "accounts/signup_confirm.html", {"email": user.email, "form": form, **self._context()})

    @staticmethod
    def _user_from_uid(uidb64: str) -> User | None:
        try:
            pk = int(urlsafe_base64_decode(uidb64).decode())
        except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
            return None
        return User.objects.filter(pk=pk).first()

    # -- URL patterns ----------------------------------------------------------------------
    def urls(self) -> list[Any]:
        ctx = self._context()
        done = reverse_lazy_str(self._url("password_reset_done"))
        complete = reverse_lazy_str(self._url("password_reset_complete"))
        views: list[tuple[str, Any, str]] = [
            ("signup/", require_http_methods(["GET", "POST"])(self.signup), "signup"),
            ("signup/sent/", self.signup_sent, "signup_sent"),
            (
                "signup/confirm/<uidb64>/<token>/",
                require_http_methods(["GET", "POST"])(self.signup_confirm),
                "signup_confirm",
            ),
            (
                "login/",
                auth_views.LoginView.as_view(
                    template_name="accounts/login.html",
                    authentication_form=self.login_form,
                    extra_context=ctx,
                    redirect_authenticated_user=False,
                    next_page=self.home,
                ),
                "login",
            ),
            ("logout/", auth_views.LogoutView.as_view(next_page="home"), "logout"),
            (
                "password-reset/",
                auth_views.PasswordResetView.as_view(
                    template_name="accounts/password_reset.html",
                    form_class=self.reset_form,
                    email_template_name="accounts/email/password_reset.txt",
                    subject_template_name="accounts/email/password_reset_subject.txt",
                    success_url=done,
                    extra_context=ctx,
                    extra_email_context={"ns": self.namespace},
                ),
                "password_reset",
            ),
            (
                "password-reset/sent/",
                auth_views.PasswordResetDoneView.as_view(
                    template_name="accounts/password_reset_done.html", extra_context=ctx
                ),
                "password_reset_done",
            ),
            (
                "password-reset/<uidb64>/<token>/",
                ResetConfirmView.as_view(
                    template_name="accounts/password_reset_confirm.html", success_url=complete, extra_context=ctx
                ),
                "password_reset_confirm",
            ),
            (
                "password-reset/complete/",
                auth_views.PasswordResetCompleteView.as_view(
                    template_name="accounts/password_reset_complete.html", extra_context=ctx
                ),
                "password_reset_complete",
            ),
        ]
        return [path(route, public(view), name=name) for route, view, name in views]


def reverse_lazy_str(name: str) -> Any:
    from django.urls import reverse_lazy

    return reverse_lazy(name)
