"""Words for the reviewer's confirmation of the NTA record: ``{% load nta_labels %}``,
``{{ row.row|nta_row_label }}`` (商号, 本店の所在地, …) and ``{{ row.verdict|nta_verdict_label }}``
(一致 / 不一致)."""

from __future__ import annotations

from django import template

from mynatrust.templatetags.staff_labels import labelled
from registry.services import NTA_ROW_LABELS, VERDICT_LABELS

register = template.Library()

nta_row_label = register.filter("nta_row_label", labelled(NTA_ROW_LABELS))
nta_verdict_label = register.filter("nta_verdict_label", labelled(VERDICT_LABELS))
