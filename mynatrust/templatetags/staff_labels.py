"""Words for the codes the staff pages show: ``{% load staff_labels %}``.

``{{ verdict|verdict_label }}`` (identity matching), ``{{ source|lookup_source_label }}`` (where the
corporate-number record came from), ``{{ obj|item_name }}`` (an item's name, its identifiers marked up
as such, see ``mynatrust.lib.identifiers``), ``{{ iso_text|iso_moment }}`` (a stored ISO 8601 time, shown in
Japan time like ``moment``), ``{{ n|byte_size }}`` (a size in the reader's words).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from mynatrust.lib import identifiers
from mynatrust.templatetags.moments import moment

register = template.Library()

VERDICTS = {
    "match": _("一致"),
    "match_with_substitutes": _("代替文字の位置を除き一致（職員の確認が必要）"),
    "mismatch": _("不一致"),
}
LOOKUP_SOURCES = {
    "table": _("取込み済みの法人番号公表データ"),
    "api": _("法人番号システム Web-API"),
}


def labelled(labels: Mapping[str, Any]) -> Callable[[Any], str]:
    """A filter that puts a stored code into its words (the code itself when it has none)."""
    return lambda value: str(labels.get(str(value), value))


# Identity-matching verdicts; where a corporate-number record came from.
verdict_label = register.filter("verdict_label", labelled(VERDICTS))
lookup_source_label = register.filter("lookup_source_label", labelled(LOOKUP_SOURCES))


@register.filter
def iso_moment(value: Any) -> str:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return moment(timezone.localtime(parsed))


@register.filter
def byte_size(value: Any) -> str:
    return str(filesizeformat(value))


@register.filter
def item_name(value: Any) -> SafeString:
    return identifiers.item_name(value)
