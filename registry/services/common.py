"""What every registry service shares: its error, and the rule on associations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from registry.errors import RegistryError
from registry.models import (
    Subscriber,
    SubscriberFacts,
)

if TYPE_CHECKING:
    from mynatrust.models import User


# A 団体 is confirmed only through its registry (§3.1.2, §3.1.3) and described in a delegation only
# as a 法人 with its 法人番号 (Table 4-1 of §4.1.4): one without registration cannot apply.
CORPORATE_NUMBER_REQUIRED = _(
    "法人・団体は法人番号を入力してください。登記のない団体は、登記事項証明書で組織を確認できないため"
    "申し込めません（運用規程 3.1.3）。"
)


def _declared(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: values.get(name) or ("" if name != "representative_birth_date" else None)
        for name in SubscriberFacts.DECLARED_FIELDS
    }


def _is_initial(subscriber: Subscriber) -> bool:
    """Still the application itself (not yet approved), rather than a change of an active subscriber."""
    return subscriber.status in (Subscriber.Status.APPLIED, Subscriber.Status.UNDER_REVIEW, Subscriber.Status.RETURNED)


def _locked_for_member(subscriber: Subscriber, actor: User) -> Subscriber:
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if not subscriber.memberships.filter(user=actor).exists():
        raise RegistryError(_("この利用者の担当者ではありません。"), code="not_member")
    return subscriber


def _changed_fields(old: SubscriberFacts | None, new: SubscriberFacts) -> list[str]:
    if old is None:
        return list(SubscriberFacts.DECLARED_FIELDS)
    return [f for f in SubscriberFacts.DECLARED_FIELDS if getattr(old, f) != getattr(new, f)]
