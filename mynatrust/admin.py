"""Accounts in the admin. Staff roles change only through mynatrust.staff (service manager only,
never one's own); other fields of accounts are read-only here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from mynatrust import staff
from mynatrust.forms import CanonicalEmailField
from mynatrust.models import User
from mynatrust.roles import Role

if admin.site.is_registered(Group):
    admin.site.unregister(Group)


class AppointForm(forms.Form):
    email = CanonicalEmailField(label=_("メールアドレス"))
    display_name = forms.CharField(label=_("氏名"), max_length=150)
    role = forms.ChoiceField(label=_("役割"), choices=Role.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("新しい役割"), choices=Role.choices)


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
    )
    fields = readonly_fields
    actions = None

    @admin.display(description=_("役割"))
    def role_label(self, obj: User) -> str:
        role = obj.staff_role
        return str(role.label) if role else "—"

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

    def _form_page(self, request: HttpRequest, form: forms.Form, title: str, target: User | None) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "target": target,
            "opts": self.model._meta,
        }
        return render(request, "admin/mynatrust/user/staff_form.html", context)

    def _guard(self, request: HttpRequest) -> None:
        if not self._manager(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied

    def appoint_view(self, request: HttpRequest) -> HttpResponse:
        self._guard(request)
        form = AppointForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = staff.appoint_staff(
                    form.cleaned_data["email"],
                    Role(form.cleaned_data["role"]),
                    actor=request.user,  # type: ignore[arg-type]
                    display_name=form.cleaned_data["display_name"],
                )
            except staff.StaffError as err:
                form.add_error(None, err.message)
            else:
                messages.success(
                    request,
                    _("%(email)s を任命しました。招待リンクを本人のメールアドレスに送りました。")
                    % {"email": user.email},
                )
                return HttpResponseRedirect(reverse("admin:mynatrust_user_change", args=[user.pk]))
        return self._form_page(request, form, str(_("職員を任命")), None)

    def role_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._guard(request)
        target = get_object_or_404(User, pk=pk, kind=User.Kind.STAFF)
        form = RoleForm(request.POST or None, initial={"role": target.staff_role})
        if request.method == "POST" and form.is_valid():
            try:
                staff.change_role(target, Role(form.cleaned_data["role"]), actor=request.user)  # type: ignore[arg-type]
            except staff.StaffError as err:
                form.add_error(None, err.message)
            else:
                messages.success(request, _("役割を変更しました。"))
                return HttpResponseRedirect(reverse("admin:mynatrust_user_change", args=[target.pk]))
        return self._form_page(request, form, str(_("役割を変更")), target)

    def dismiss_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._guard(request)
        target = get_object_or_404(User, pk=pk, kind=User.Kind.STAFF)
        form = DismissForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                staff.dismiss_staff(target, actor=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
            except staff.StaffError as err:
                form.add_error(None, err.message)
            else:
                messages.success(request, _("解任しました。"))
                return HttpResponseRedirect(reverse("admin:mynatrust_user_changelist"))
        return self._form_page(request, form, str(_("職員を解任")), target)

    def deactivate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._guard(request)
        target = get_object_or_404(User.objects.exclude(kind=User.Kind.STAFF), pk=pk)
        form = DeactivateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                staff.deactivate_account(target, actor=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
            except staff.StaffError as err:
                form.add_error(None, err.message)
            else:
                messages.success(request, _("アカウントを停止しました。"))
                return HttpResponseRedirect(reverse("admin:mynatrust_user_change", args=[target.pk]))
        return self._form_page(request, form, str(_("アカウントを停止")), target)

    def reset_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._guard(request)
        target = get_object_or_404(User, pk=pk, kind=User.Kind.STAFF)
        form = ResetSecondFactorForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                staff.reset_second_factor(target, actor=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
            except staff.StaffError as err:
                form.add_error(None, err.message)
            else:
                messages.success(request, _("二要素認証を解除し、再登録の招待リンクを本人に送りました。"))
                return HttpResponseRedirect(reverse("admin:mynatrust_user_change", args=[target.pk]))
        return self._form_page(request, form, str(_("二要素認証の再登録")), target)


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
