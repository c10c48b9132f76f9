"""Words for the reviewer's confirmation of the NTA record: ``{% load nta_labels %}``,
``{{ row.row|nta_row_label }}`` (商号, 本店の所在地, …), ``{{ row.verdict|nta_verdict_label }}``
(一致 / 不一致) and ``{{ row|nta_value:"nta" }}`` / ``{{ row|nta_value:"entry" }}`` (the row's value
on either side, the corporate number marked up as an identifier, "—" when there is none)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from mynatrust.lib.identifiers import identifier
from mynatrust.templatetags.staff_labels import labelled
from registry.services import NTA_ROW_LABELS, VERDICT_LABELS

register = template.Library()

nta_row_label = register.filter("nta_row_label", labelled(NTA_ROW_LABELS))
nta_verdict_label = register.filter("nta_verdict_label", labelled(VERDICT_LABELS))


@register.filter
def nta_value(row: dict[str, Any], side: str) -> SafeString:
    value = row.get(side) or ""
    if not value:
        return SafeString("—")
    return identifier(value) if row.get("row") == "corporate_number" else SafeString(conditional_escape(value))
