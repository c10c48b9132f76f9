"""Print the catalogue of audit event types as the Markdown table docs/auditor.md carries."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from audit import labels
from kernel import commands


def markdown_table() -> str:
    """One row per declared type, grouped by namespace: type, Japanese, English, refusal or not."""
    rows = ["| type | 日本語 | English | refusal |", "| --- | --- | --- | --- |"]
    with translation.override("ja"):
        japanese = {name: label for name, label, _ in labels.catalogue()}
    with translation.override("en"):
        english = {name: label for name, label, _ in labels.catalogue()}
    order = list(labels.NAMESPACES)
    names = sorted(labels.EVENT_LABELS, key=lambda n: (order.index(n.partition(".")[0]), n))
    for name in names:
        refusal = "yes" if labels.is_refusal(name) else ""
        rows.append(f"| `{name}` | {japanese[name]} | {english[name]} | {refusal} |")
    return "\n".join(rows) + "\n"


class Command(commands.Command):
    help = _("監査イベント種別の一覧（docs/auditor.md の表）を出力します。")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(markdown_table(), ending="")
