"""The reviewer's confirmation of the National Tax Agency's record (国税庁法人番号公表サイト), row by
row, before a corporation's application or change is approved.

Each row puts a field of the NTA record (trade name, head office, corporate number, the state of the
registry record) beside what the applicant entered; the reviewer compares both with the registry
certificate shown beside them and answers 一致 or 不一致, with a note (required for 不一致). Every
row must be answered; a 不一致 row refuses the approval: the difference is resolved first (a fresh
lookup, a corrected application) or the application is returned. The rows are stored with the
decision, as the page showed them, and recorded as ``registry.facts.nta_confirmed``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

import audit
from kernel import Actor
from registry.models import Subscriber, SubscriberFacts
from registry.services.common import RegistryError

NTA_ROWS = ("name", "address", "corporate_number", "status")
NTA_ROW_LABELS = {
    "name": _("商号"),
    "address": _("本店の所在地"),
    "corporate_number": _("法人番号"),
    "status": _("登記記録の状態"),
}
# What the reviewer reads on the registry certificate for each row.
EVIDENCE_HINTS = {
    "name": _("証明書の商号"),
    "address": _("証明書の本店"),
    "corporate_number": _("証明書の会社法人等番号（上の欄に入力）"),
    "status": _("証明書に閉鎖・解散の記載がないこと"),
}
MATCH, MISMATCH = "match", "mismatch"
VERDICT_LABELS = {MATCH: _("一致"), MISMATCH: _("不一致")}
# The NTA's codes for why a registry record was closed (閉鎖等の事由).
CLOSE_CAUSES = {
    "01": _("清算の結了等"),
    "11": _("合併による解散等"),
    "21": _("登記官による閉鎖"),
    "31": _("その他の清算の結了等"),
}


@dataclass(frozen=True)
class NtaRow:
    """The reviewer's answer for one row: ``match`` or ``mismatch``, and a note."""

    verdict: str
    note: str = ""


def _status_text(check: Mapping[str, Any]) -> str:
    status = check.get("status", "")
    if status == "found":
        return str(_("存続（閉鎖の記録なし）"))
    if status == "closed":
        cause = CLOSE_CAUSES.get(str(check.get("close_cause", "")), "")
        return str(_("閉鎖（%(date)s）%(cause)s") % {"date": check.get("close_date", ""), "cause": cause})
    if status == "deleted":
        return str(_("公表データから削除"))
    if status == "error":
        return str(_("照会できませんでした（再照会してください）"))
    return str(_("公表データにありません"))


def nta_rows(facts: SubscriberFacts) -> list[dict[str, str]]:
    """The rows the review page shows: the NTA's value beside the applicant's entry (``evidence``
    says what to read on the certificate; it is not stored)."""
    check = facts.nta_check or {}
    found = check.get("status") in ("found", "closed", "deleted")
    subscriber = facts.subscriber
    values = {
        "name": (check.get("name", ""), facts.organisation_name),
        "address": (check.get("address", ""), facts.address),
        "corporate_number": (subscriber.corporate_number if found else "", subscriber.corporate_number),
        "status": (_status_text(check), ""),
    }
    return [
        {
            "row": key,
            "label": str(NTA_ROW_LABELS[key]),
            "nta": values[key][0],
            "entry": values[key][1],
            "evidence": str(EVIDENCE_HINTS[key]),
        }
        for key in NTA_ROWS
    ]


def confirm_nta_rows(
    facts: SubscriberFacts, confirmation: Mapping[str, NtaRow] | None, *, actor: Actor
) -> list[dict[str, str]]:
    """The reviewer's rows as stored with the decision (none for a sole proprietor, who has no NTA
    record); refused when a row is unanswered, a 不一致 has no note, or any row is 不一致."""
    if facts.subscriber.kind != Subscriber.Kind.CORPORATION:
        return []
    confirmation = confirmation or {}
    if any(confirmation.get(key) is None or confirmation[key].verdict not in VERDICT_LABELS for key in NTA_ROWS):
        raise RegistryError(
            _("国税庁の公表データの各行について、一致か不一致かを選んでください。"), code="nta_unconfirmed"
        )
    if any(confirmation[key].verdict == MISMATCH and not confirmation[key].note.strip() for key in NTA_ROWS):
        raise RegistryError(_("不一致とした行には、その内容を記入してください。"), code="nta_note_missing")
    mismatched = [
        str(_("%(text)s：%(detail)s") % {"text": NTA_ROW_LABELS[key], "detail": confirmation[key].note.strip()})
        for key in NTA_ROWS
        if confirmation[key].verdict == MISMATCH
    ]
    if mismatched:
        raise RegistryError(
            _(
                "国税庁の公表データと一致しない行があるため承認できません（%(rows)s）。再照会や届出の修正で"
                "解消するか、届出を差し戻してください。"
            )
            % {"rows": str(_("、")).join(mismatched)},
            code="nta_mismatch",
        )
    rows = [
        {
            "row": row["row"],
            "nta": row["nta"],
            "entry": row["entry"],
            "verdict": confirmation[row["row"]].verdict,
            "note": confirmation[row["row"]].note.strip(),
        }
        for row in nta_rows(facts)
    ]
    audit.record(
        "registry.facts.nta_confirmed", actor=actor, subject=facts.subscriber, version=facts.version, rows=rows
    )
    return rows
