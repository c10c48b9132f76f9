"""The corporate-number lookup (国税庁法人番号公表サイト) and its comparison with what was entered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from kernel import Actor
from registry import matching
from registry.models import (
    CorporateRecord,
    Subscriber,
    SubscriberFacts,
)
from registry.nta import PROCESS_DELETED, NtaApiError, NtaClient

if TYPE_CHECKING:
    pass


def nta_client() -> NtaClient | None:
    if not settings.NTA_APPLICATION_ID:
        return None
    return NtaClient(settings.NTA_API_URL, settings.NTA_APPLICATION_ID, settings.NTA_API_TIMEOUT)


def lookup_corporate_number(number: str) -> dict[str, Any]:
    """What the NTA publishes about a number: the imported table first, then the Web-API."""
    checked_at = timezone.now().isoformat()
    record = CorporateRecord.objects.filter(pk=number).first()
    values: dict[str, Any] | None = None
    source = "table"
    if record is not None:
        values = {f.name: getattr(record, f.name) for f in CorporateRecord._meta.fields}
    else:
        client = nta_client()
        if client is not None:
            source = "api"
            try:
                info = client.lookup(number)
            except NtaApiError as exc:
                return {"status": "error", "source": source, "error": exc.code, "checked_at": checked_at}
            values = info.values if info else None
    if values is None:
        return {"status": "unknown", "source": source, "checked_at": checked_at}
    address = f"{values['prefecture_name']}{values['city_name']}{values['street_number']}" or values["address_outside"]
    status = "found"
    if values.get("process") == PROCESS_DELETED:
        status = "deleted"
    elif values.get("close_date"):
        status = "closed"
    return {
        "status": status,
        "source": source,
        "checked_at": checked_at,
        "name": values["name"],
        "address": address,
        "close_date": str(values["close_date"] or ""),
        "close_cause": values.get("close_cause", ""),
        "update_date": str(values.get("update_date") or ""),
    }


def compare_with_nta(check: dict[str, Any], *, organisation_name: str, address: str) -> list[str]:
    """Findings for the reviewer: unknown, closed, deleted, lookup_failed, name_differs, address_differs."""
    status = check.get("status")
    if status == "error":
        return ["lookup_failed"]
    if status == "unknown":
        return ["unknown"]
    findings = [status] if status in ("closed", "deleted") else []
    if matching.normalise_name(check.get("name", "")) != matching.normalise_name(organisation_name):
        findings.append("name_differs")
    if matching.normalise_address(check.get("address", "")) != matching.normalise_address(address):
        findings.append("address_differs")
    return findings


NTA_FINDINGS = {
    "unknown": _("法人番号が公表データにありません"),
    "closed": _("登記記録が閉鎖されています"),
    "deleted": _("公表データから削除されています"),
    "lookup_failed": _("法人番号を照会できませんでした（再照会してください）"),
    "name_differs": _("商号が公表データと異なります"),
    "address_differs": _("所在地が公表データと異なります"),
}


def _nta_check(kind: str, corporate_number: str, facts: dict[str, Any]) -> dict[str, Any]:
    if kind != Subscriber.Kind.CORPORATION:
        return {}
    check = lookup_corporate_number(corporate_number)
    check["findings"] = compare_with_nta(check, organisation_name=facts["organisation_name"], address=facts["address"])
    return check


def recheck_corporate_number(facts: SubscriberFacts, *, actor: Actor) -> SubscriberFacts:
    """Reception looks the number up again (after a failed lookup, or a fresh NTA import)."""
    subscriber = facts.subscriber
    check = _nta_check(subscriber.kind, subscriber.corporate_number, facts.declared())  # network: outside
    with transaction.atomic():
        facts = SubscriberFacts.objects.select_for_update().get(pk=facts.pk)
        facts.nta_check = check
        facts.save(update_fields=["nta_check"])
        audit.record(
            "registry.facts.nta_rechecked",
            actor=actor,
            subject=subscriber,
            version=facts.version,
            status=check.get("status", ""),
            findings=check.get("findings", []),
        )
    return facts
