"""API keys: created and revoked by the recipient's administrators."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import audit
from kernel import service
from validity import auth, keys
from validity.answer import ValidityError
from validity.models import ApiKey, RecipientMember, RecipientOrganisation
from validity.services.common import Org, _refuse

if TYPE_CHECKING:
    from mynatrust.models import User


@service("validity.api_key.created")
def create_api_key(
    organisation: RecipientOrganisation, *, label: str, expires_at: datetime | None = None, actor: User
) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is shown once and never stored. Administrators only."""
    current = Org.objects.select_for_update().get(pk=organisation.pk)
    _require_key_administrator(current, actor)
    if not current.is_approved:
        raise _refuse(
            "not_approved",
            "登録が承認されるまで API キーは作成できません。",
            "API keys can be created once the registration is approved.",
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidityError(
            "expiry_in_past", 400, "有効期限は未来の日時にしてください。", "The expiry must lie in the future."
        )
    if ApiKey.objects.filter(organisation=current).live().count() >= settings.VALIDITY_MAX_API_KEYS:
        raise _refuse(
            "too_many_keys",
            "有効な API キーの数が上限に達しています。使っていないキーを失効させてください。",
            "The organisation holds the maximum number of live keys; revoke one it no longer uses.",
        )
    new = keys.generate()
    key = ApiKey.objects.create(
        organisation=current,
        label=label[:100],
        prefix=new.prefix,
        secret_sha256=new.secret_sha256,
        expires_at=expires_at,
        created_by=actor,
    )
    audit.record(
        "validity.api_key.created",
        actor=actor,
        subject=key,
        organisation=current.name,
        label=key.label,
        expires_at=expires_at,
    )
    return key, new.plaintext


@service("validity.api_key.revoked")
def revoke_api_key(key: ApiKey, *, actor: User) -> ApiKey:
    current = ApiKey.objects.select_for_update().get(pk=key.pk)
    _require_key_administrator(current.organisation, actor)
    if current.revoked_at is not None:
        raise _refuse("already_revoked", "この API キーは既に失効しています。", "This API key is already revoked.")
    current.revoked_at = timezone.now()
    current.revoked_by = actor
    current.save(update_fields=["revoked_at", "revoked_by"])
    auth.forget([current.prefix])
    transaction.on_commit(lambda: auth.forget([current.prefix]))
    audit.record(
        "validity.api_key.revoked",
        actor=actor,
        subject=current,
        organisation=key.organisation.name,
        label=current.label,
    )
    return current


def _require_key_administrator(organisation: RecipientOrganisation, actor: User) -> None:
    """API keys act for the whole organisation: only its administrators create and revoke them."""
    member = RecipientMember.objects.filter(organisation=organisation, user=actor).first()
    if member is None or not member.is_administrator:
        raise ValidityError(
            "not_administrator",
            403,
            "API キーの作成と失効は、受領者等の管理者だけが行えます。",
            "Only the recipient's administrators create and revoke API keys.",
        )
