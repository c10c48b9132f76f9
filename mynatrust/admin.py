"""Accounts in the admin. Staff roles change only through mynatrust.staff (service manager only,
never one's own); other fields of accounts are read-only here."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from mynatrust import staff
from mynatrust.access import signed_in
from mynatrust.decisions import Decision, NoReasonForm, confirm_page, read_payload, refuse_decision, sign_payload
from mynatrust.forms import CanonicalEmailField
from mynatrust.models import User
from mynatrust.operations.models import SuitabilityCheck
from mynatrust.roles import Role

if admin.site.is_registered(Group):
    admin.site.unregister(Group)

# The lockout records and second-factor devices of the libraries below are not for any role to
# browse or edit (§7.2.1): lockouts and devices are handled through the service's own pages and
# recorded in the audit log. Their stock admin pages (in English) are taken out of the admin.
for _model in (AccessAttempt, AccessFailureLog, AccessLog, StaticDevice, TOTPDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class SuitabilityChoice(forms.ModelChoiceField):
    """The suitability check recorded beforehand (§7.2.2), chosen from those that may still serve."""

    def __init__(self, **kwargs: Any) -> None:
        # The queryset is set per form (it depends on today): see SuitabilityMixin.
        super().__init__(
            queryset=SuitabilityCheck.objects.none(),
            label=_("適格性確認記録"),
            help_text=_(
                "運用規程 7.2.2 により、任命・配置の前に適格性を確認し、「職員の適格性確認記録」に記録します。"
                "その人とその役割について記録された、適格の記録を選んでください。"
            ),
            error_messages={
                "required": _("適格性確認記録を選んでください。まだなければ、先に台帳に記録してください。"),
                "invalid_choice": _("この適格性確認記録は選べません（使用済み、訂正済み、または期限切れ）。"),
            },
            **kwargs,
        )

    def label_from_instance(self, obj: Any) -> str:
        return suitability_label(obj)


class SuitabilityMixin(forms.Form):
    suitability = SuitabilityChoice()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["suitability"].queryset = staff.usable_suitability_checks()  # type: ignore[attr-defined]


def suitability_label(check: Any) -> str:
    return gettext("%(date)s %(name)s（%(role)s）") % {
        "date": date_format(check.checked_on, "DATE_FORMAT"),
        "name": check.staff_name,
        "role": Role(check.role).label,
    }


class AppointForm(SuitabilityMixin):
    email = CanonicalEmailField(label=_("メールアドレス"))
    display_name = forms.CharField(label=_("氏名"), max_length=150)
    role = forms.ChoiceField(label=_("役割"), choices=Role.choices)
    field_order = ["email", "display_name", "role", "suitability"]


class RoleForm(SuitabilityMixin):
    role = forms.ChoiceField(label=_("新しい役割"), choices=Role.choices)
    field_order = ["role", "suitability"]


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("解任の理由"), max_length=500)


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("停止の理由"), max_length=500)


class ResetSecondFactorForm(forms.Form):
    reason = forms.CharField(label=_("再登録の理由（例：端末の紛失）"), max_length=500)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "display_name", "kind", "role_label", "is_active", "last_login")
    list_filter = ("kind", "is_active", "groups")
    search_fields = ("email", "display_name")
    ordering = ("email",)
    readonly_fields = (
        "email",
        "display_name",
        "kind",
        "is_active",
        "is_staff",
        "role_label",
        "date_joined",
        "last_login",
        "email_confirmed_at",
        "appointment_record",
    )
    fields = readonly_fields
    actions = None

    @admin.display(description=_("役割"))
    def role_label(self, obj: User) -> str:
        role = obj.staff_role
        return str(role.label) if role else "—"

    @admin.display(description=_("任命と適格性確認"))
    def appointment_record(self, obj: User) -> str:
        appointment = obj.appointments.select_related("suitability").first()
        if appointment is None:
            return "—"
        return str(
            _("%(when)s に%(role)sに任命（適格性確認記録：%(check)s）")
            % {
                "when": date_format(timezone.localtime(appointment.appointed_at), "DATETIME_FORMAT"),
                "role": appointment.get_role_display(),
                "check": suitability_label(appointment.suitability),
            }
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _manager(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("mynatrust.manage_staff"))

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("appoint/", wrap(self.appoint_view), name="mynatrust_user_appoint"),
            path("<int:pk>/role/", wrap(self.role_view), name="mynatrust_user_role"),
            path("<int:pk>/dismiss/", wrap(self.dismiss_view), name="mynatrust_user_dismiss"),
            path("<int:pk>/second-factor/", wrap(self.reset_view), name="mynatrust_user_reset_second_factor"),
            path("<int:pk>/deactivate/", wrap(self.deactivate_view), name="mynatrust_user_deactivate"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"can_manage_staff": self._manager(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        extra = {
            "can_manage_staff": self._manager(request)
            and obj is not None
            and obj.kind == User.Kind.STAFF
            and obj.pk != request.user.pk
            and obj.is_active,
            "can_deactivate": self._manager(request)
            and obj is not None
            and obj.kind != User.Kind.STAFF
            and obj.is_active,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def _guard(self, request: HttpRequest) -> None:
        if not self._manager(request):
            raise PermissionDenied

    def appoint_view(self, request: HttpRequest) -> HttpResponse:
        """The appointment form, then its confirmation page restating who gets which role; only the
        confirmation (a token that carries what it restated) appoints."""
        self._guard(request)
        if request.method == "POST" and "confirmation" in request.POST:
            return self._appoint_confirmed(request)
        form = AppointForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            return self._appoint_confirmation(request, form.cleaned_data)
        context = {
            **self.admin_site.each_context(request),
            "title": _("職員を任命する"),
            "form": form,
            "target": None,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/mynatrust/user/staff_form.html", context)

    APPOINT = "staff.appoint"

    def _appoint_confirmation(self, request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
        """The page that restates the appointment, with the token that carries it."""
        decision = Decision(
            key=self.APPOINT,
            title=str(_("職員を任命する")),
            button=_("任命する"),
            consequence=_(
                "この人を職員に任命し、役割を与えます。本人のメールアドレスに招待リンクを送り、本人がパスワードと"
                "二要素認証を登録した時点から管理画面を使えます。"
            ),
            facts=[
                (_("メールアドレス"), data["email"]),
                (_("氏名"), data["display_name"]),
                (_("役割"), Role(data["role"]).label),
                (_("適格性確認記録"), suitability_label(data["suitability"])),
            ],
            perform=lambda _data: None,
            done_url=reverse("admin:mynatrust_user_changelist"),
            form_class=NoReasonForm,
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": decision.title,
            "decision": decision,
            "target": _("職員"),
            "form": NoReasonForm(),
            "token": sign_payload(
                request,
                self.APPOINT,
                {**{k: str(v) for k, v in data.items()}, "suitability": str(data["suitability"].pk)},
            ),
        }
        return TemplateResponse(request, decision.template, context)

    def _appoint_confirmed(self, request: HttpRequest) -> HttpResponse:
        """Appoint what the confirmation page restated (refused without its token)."""
        entered = read_payload(request, self.APPOINT)
        if entered is None:
            refuse_decision(request, self.APPOINT)
            messages.error(
                request, _("確認画面を経ていないため、実行しませんでした。内容を確認してから実行してください。")
            )
            return HttpResponseRedirect(request.path)
        try:
            user = staff.appoint_staff(
                entered["email"],
                Role(entered["role"]),
                actor=request.user,  # type: ignore[arg-type]
                display_name=entered["display_name"],
                suitability=SuitabilityCheck.objects.filter(pk=entered.get("suitability") or 0).first(),
            )
        except staff.StaffError as err:
            messages.error(request, err.message)
            return HttpResponseRedirect(request.path)
        messages.success(
            request,
            _("%(email)s を任命しました。招待リンクを本人のメールアドレスに送りました。") % {"email": user.email},
        )
        return HttpResponseRedirect(reverse("admin:mynatrust_user_change", args=[user.pk]))

    # decision: (form, title, button, consequence, message, danger)
    DECISIONS: dict[str, tuple[type[forms.Form], Any, Any, Any, Any, bool]] = {
        "role": (
            RoleForm,
            _("職員の役割を変更する"),
            _("役割を変更する"),
            _("この職員の役割を変更します。前の役割の権限はすぐに失われ、新しい役割の権限で管理画面を使います。"),
            _("役割を変更しました。"),
            False,
        ),
        "dismiss": (
            DismissForm,
            _("職員を解任する"),
            _("解任する"),
            _("この職員を解任します。役割と権限を外してアカウントを停止し、以後は管理画面に入れません。"),
            _("解任しました。"),
            True,
        ),
        "reset": (
            ResetSecondFactorForm,
            _("二要素認証を再登録させる"),
            _("再登録させる"),
            _(
                "この職員の二要素認証を解除し、再登録の招待リンクを本人のメールアドレスに送ります。再登録するまで管理画面に入れません。"
            ),
            _("二要素認証を解除し、再登録の招待リンクを本人に送りました。"),
            True,
        ),
        "deactivate": (
            DeactivateForm,
            _("アカウントを停止する"),
            _("停止する"),
            _("このアカウントを停止します。以後はサインインできません。"),
            _("アカウントを停止しました。"),
            True,
        ),
    }

    def _decide(self, request: HttpRequest, pk: int, verb: str) -> HttpResponse:
        self._guard(request)
        staff_only = verb != "deactivate"
        users = User.objects.filter(kind=User.Kind.STAFF) if staff_only else User.objects.exclude(kind=User.Kind.STAFF)
        target = get_object_or_404(users, pk=pk)
        form_class, title, button, consequence, message, danger = self.DECISIONS[verb]
        actor = signed_in(request)

        def perform(data: dict[str, Any]) -> Any:
            if verb == "role":
                staff.change_role(target, Role(data["role"]), actor=actor, suitability=data["suitability"])
            elif verb == "dismiss":
                staff.dismiss_staff(target, actor=actor, reason=data["reason"])
            elif verb == "reset":
                staff.reset_second_factor(target, actor=actor, reason=data["reason"])
            else:
                staff.deactivate_account(target, actor=actor, reason=data["reason"])
            return message

        role = target.staff_role
        decision = Decision(
            key=f"staff.{verb}",
            title=title,
            button=button,
            consequence=consequence,
            facts=[
                (_("メールアドレス"), target.email),
                (_("氏名"), target.display_name),
                (_("種別"), target.get_kind_display()),
                (_("役割"), role.label if role else "—"),
                (
                    _("最終ログイン"),
                    date_format(timezone.localtime(target.last_login), "DATETIME_FORMAT") if target.last_login else "—",
                ),
            ],
            perform=perform,
            done_url=reverse("admin:mynatrust_user_change", args=[target.pk]),
            form_class=form_class,
            errors=(staff.StaffError,),
            danger=danger,
            initial={"role": role.value} if role else {},
        )
        return confirm_page(self, request, target, decision)

    def role_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(request, pk, "role")

    def dismiss_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(request, pk, "dismiss")

    def deactivate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(request, pk, "deactivate")

    def reset_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(request, pk, "reset")


@admin.register(Group)
class RoleGroupAdmin(admin.ModelAdmin):
    """Roles and their permissions are defined in code (mynatrust.roles); the admin only shows them."""

    list_display = ("name",)
    filter_horizontal = ("permissions",)
    readonly_fields = ("name", "permissions")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("mynatrust.manage_staff"))


from mynatrust.operations import admin as operations_admin  # noqa: E402, F401  (registers the ledgers)
from mynatrust.repository import admin as repository_admin  # noqa: E402, F401  (registers repository models)
