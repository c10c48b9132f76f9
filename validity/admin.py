"""Reception reviews recipient registrations here: approve, suspend or reject, each through
validity/services/. Nothing is edited directly; API keys are visible, never their secrets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from audit.admin import ReadOnlyAdmin
from mynatrust.decisions import Decision, confirm_page, not_open
from mynatrust.forms import PlainTextMixin
from validity import services
from validity.answer import ValidityError
from validity.models import ApiKey, RecipientInvitation, RecipientMember, RecipientOrganisation

DECIDE = "validity.decide_recipientorganisation"
# decision: (service, states it applies to, title, button, consequence, message, reason required, danger)
Org = RecipientOrganisation
DECISIONS: dict[str, tuple[Any, set[str], Any, Any, Any, Any, bool, bool]] = {
    "approve": (
        services.approve_recipient,
        {Org.Status.PENDING, Org.Status.SUSPENDED},
        _("受領者等の登録を承認する"),
        _("承認する"),
        _(
            "この組織の登録を承認します。申請者に承認をメールで知らせ、組織の担当者は API キーを作成して"
            "電子委任状の有効性を照会できるようになります。"
        ),
        _("「%(name)s」の登録を承認しました。申請者にメールで知らせました。"),
        False,
        False,
    ),
    "suspend": (
        services.suspend_recipient,
        {Org.Status.APPROVED},
        _("受領者等の利用を停止する"),
        _("利用を停止する"),
        _(
            "この組織の利用を停止します。停止中は API キーでも画面からも有効性を照会できません。申請者に理由をメールで知らせます。"
        ),
        _("「%(name)s」の利用を停止しました。"),
        True,
        True,
    ),
    "reject": (
        services.reject_recipient,
        {Org.Status.PENDING},
        _("受領者等の登録を却下する"),
        _("却下する"),
        _("この組織の登録を却下します。申請者に理由をメールで知らせます。元には戻せません。"),
        _("「%(name)s」の登録を却下しました。申請者に理由をメールで知らせました。"),
        True,
        True,
    ),
}


class DecisionForm(PlainTextMixin, forms.Form):
    reason = forms.CharField(
        label=_("所見（任意）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RefusalForm(PlainTextMixin, forms.Form):
    reason = forms.CharField(
        label=_("理由（申請者に伝わります）"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


def _label(name: str) -> Any:
    return getattr(RecipientOrganisation._meta.get_field(name), "verbose_name", name)


def recipient_facts(org: RecipientOrganisation) -> list[tuple[Any, Any]]:
    """The organisation restated on a decision page."""
    members = ", ".join(m.user.email for m in org.members.select_related("user"))
    return [
        (_label("status"), org.get_status_display()),
        (_label("kind"), org.get_kind_display()),
        (_label("name"), org.name),
        (_label("address"), org.address),
        (_label("representative_name"), f"{org.representative_title} {org.representative_name}".strip()),
        (_label("representative_address"), org.representative_address),
        (_label("declarant_name"), org.declarant_name),
        (_("担当者"), members or "—"),
        (_label("created_at"), date_format(timezone.localtime(org.created_at), "DATETIME_FORMAT")),
        (_label("status_reason"), org.status_reason or "—"),
    ]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MemberInline(ReadOnlyInline):
    model = RecipientMember
    fields = ("user", "role", "created_at")
    readonly_fields = fields


class ApiKeyInline(ReadOnlyInline):
    model = ApiKey
    fields = ("label", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields


@admin.register(RecipientOrganisation)
class RecipientOrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "status", "reception_number", "declarant_name", "created_at", "decided_at")
    list_filter = ("status", "kind")
    search_fields = ("name", "representative_name", "declarant_name", "=reception_number")
    ordering = ("-created_at",)
    actions = None
    inlines = (MemberInline, ApiKeyInline)
    change_form_template = "admin/validity/recipientorganisation/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/decide/<str:decision>/",
                wrap(self.decide_view),
                name="validity_recipientorganisation_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        organisation = self.get_object(request, object_id)
        buttons = []
        if organisation is not None and request.user.has_perm(DECIDE):
            buttons = [
                (button, reverse("admin:validity_recipientorganisation_decide", args=[organisation.pk, key]), danger)
                for key, (_s, states, _t, button, _c, _m, _r, danger) in DECISIONS.items()
                if organisation.status in states
            ]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "decisions": buttons})

    def decide_view(self, request: HttpRequest, object_id: int, decision: str) -> HttpResponse:
        if not request.user.has_perm(DECIDE) or decision not in DECISIONS:
            raise PermissionDenied
        organisation = get_object_or_404(RecipientOrganisation, pk=object_id)
        service, states, title, button, consequence, message, needs_reason, danger = DECISIONS[decision]
        done_url = reverse("admin:validity_recipientorganisation_change", args=[organisation.pk])
        if organisation.status not in states:
            return not_open(request, f"recipient.{decision}", organisation, done_url)

        def perform(data: dict[str, Any]) -> Any:
            service(organisation, actor=request.user, reason=data["reason"])
            return message % {"name": organisation.name}

        return confirm_page(
            self,
            request,
            organisation,
            Decision(
                key=f"recipient.{decision}",
                title=title,
                button=button,
                consequence=consequence,
                facts=recipient_facts(organisation),
                perform=perform,
                done_url=done_url,
                form_class=RefusalForm if needs_reason else DecisionForm,
                errors=(ValidityError,),
                danger=danger,
            ),
        )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "label", "organisation", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "label", "organisation__name")
    list_select_related = ("organisation",)
    actions = None
    exclude = ("secret_sha256",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name not in ("id", "secret_sha256")]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RecipientInvitation)
class RecipientInvitationAdmin(ReadOnlyAdmin):
    """Invitations to join a recipient organisation, read only: who was invited to which
    organisation, by whom, and whether it was accepted, revoked or left to expire. The token's hash
    is never shown. Invitations are made, accepted and revoked by the organisation's members."""

    list_display = ("email", "organisation", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_select_related = ("organisation", "invited_by")
    search_fields = ("email", "organisation__name")
    exclude = ("token_hash",)
