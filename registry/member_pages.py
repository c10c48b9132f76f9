"""The members' pages of an organisation, whatever its kind (registry.members): the list with roles,
invitations, role changes, removal, and the invitation link. Each kind wires them to its own URLs
with :class:`Pages` (the subscribers' under /app/members/, the recipients' under
/recipient/members/); the decorators that say who may open them stay with each kind's views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from mynatrust.access import refuse_object, signed_in
from registry import members
from registry.forms import InviteForm, MemberRemoveForm, MemberRoleForm
from registry.services import RegistryError


@dataclass(frozen=True)
class Pages:
    team: Callable[[], members.Team]
    namespace: str  # the URL namespace holding members, member_role, member_remove, revoke_invitation, invitation
    organisation: Callable[[HttpRequest], Any]  # the visitor's own organisation; Http404 otherwise
    home: str  # where an accepted invitation leads
    describe: Any  # what administrators and members may do, for the page
    flags: tuple[tuple[str, Any], ...] = ()  # the team's own permission flags, with their labels

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)


def members_page(pages: Pages, request: HttpRequest) -> HttpResponse:
    team = pages.team()
    org = pages.organisation(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            members.invite(
                team,
                org,
                actor=signed_in(request),
                email=form.cleaned_data["email"],
                accept_url=lambda token: request.build_absolute_uri(pages.url("invitation", token)),
            )
        except RegistryError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, gettext("招待メールを送りました。"))
            return redirect(pages.url("members"))
    mine = team.memberships(org).filter(user=signed_in(request)).first()
    rows = team.memberships(org).select_related("user").order_by("pk")
    context = {
        "organisation": org,
        "ns": pages.namespace,
        "describe": pages.describe,
        "flags": pages.flags,
        "form": form,
        "is_administrator": bool(mine and mine.is_administrator),
        "me": mine,
        "memberships": [(m, [(name, label, getattr(m, name)) for name, label in pages.flags]) for m in rows],
        "invitations": list(team.invitations(org).open().order_by("-created_at")[:50]),
    }
    return render(request, "registry/members.html", context)


def _colleague(pages: Pages, request: HttpRequest, email: str) -> Any:
    """A membership of the visitor's own organisation, by the colleague's address; 404 otherwise."""
    org = pages.organisation(request)
    membership = pages.team().memberships(org).select_related("user").filter(user__email__iexact=email).first()
    if membership is None:
        raise Http404
    return membership


def member_role(pages: Pages, request: HttpRequest) -> HttpResponse:
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("入力内容を確認してください。"))
        return redirect(pages.url("members"))
    membership = _colleague(pages, request, form.cleaned_data["email"])
    flags = {name: name in request.POST for name, _label in pages.flags}
    try:
        members.set_role(
            pages.team(),
            membership,
            actor=signed_in(request),
            administrator=form.cleaned_data["administrator"],
            **flags,
        )
    except RegistryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("担当者の権限を変更しました。"))
    return redirect(pages.url("members"))


def member_remove(pages: Pages, request: HttpRequest) -> HttpResponse:
    """Removing a colleague is confirmed on a page of its own (GET ``?email=``), which asks for the
    reason; its POST removes them."""
    email = request.POST.get("email") or request.GET.get("email") or ""
    membership = _colleague(pages, request, email)
    form = MemberRemoveForm(request.POST or None, initial={"email": membership.user.email})
    if request.method == "POST" and form.is_valid():
        try:
            members.remove(pages.team(), membership, actor=signed_in(request), reason=form.cleaned_data["reason"])
        except RegistryError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, gettext("担当者を外しました。そのアカウントは直ちにログアウトされ、使えなくなりました。")
            )
        return redirect(pages.url("members"))
    context = {"form": form, "membership": membership, "ns": pages.namespace}
    return render(request, "registry/member_remove.html", context)


def revoke_invitation(pages: Pages, request: HttpRequest, public_id: str) -> HttpResponse:
    team = pages.team()
    invitation = team.invitations(pages.organisation(request)).filter(public_id=public_id).first()
    if invitation is None:
        refuse_object(request, team.invitation.objects.filter(public_id=public_id))
    try:
        members.revoke_invitation(team, invitation, actor=signed_in(request))
    except RegistryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("招待を取り消しました。"))
    return redirect(pages.url("members"))


def invitation(pages: Pages, request: HttpRequest, token: str) -> HttpResponse:
    team = pages.team()
    item = members.invitation_for_token(team, token)
    if item is None or not item.is_open():
        return render(request, "registry/invitation.html", {"invitation": None}, status=404)
    error = None
    if request.method == "POST":
        try:
            members.accept(team, item, actor=signed_in(request))
        except RegistryError as exc:
            error = exc.message
        else:
            messages.success(request, gettext("%(org)s の担当者になりました。") % {"org": team.organisation(item)})
            return redirect(pages.home)
    context = {"invitation": item, "organisation": team.organisation(item), "error": error}
    return render(request, "registry/invitation.html", context)
