"""Identifiers on a subscriber's or a recipient's page: ``{% load identifiers %}``.

``{{ delegation.delegation_id|identifier }}`` shows a delegation ID, a reception number or a
registration number marked up as :func:`mynatrust.lib.identifiers.identifier` marks it up in
messages and on staff pages (never translated, read as one item, selected and copied whole). It
works inside ``{% blocktranslate with id=…|identifier %}`` as well; an empty value stays empty, so
``|identifier|default:…`` still shows the default. Not for a ``<title>`` or an attribute, which
hold text only.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from mynatrust.lib import identifiers

register = template.Library()


@register.filter
def identifier(value: Any) -> SafeString:
    return identifiers.identifier(value)
