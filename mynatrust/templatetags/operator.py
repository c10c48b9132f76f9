"""The operator's names (§1.2) and contact point (§1.3), from settings, for pages and mails.

``{% contact_point %}`` renders the footer block (HTML); ``{% contact_point_text %}`` the plain-text
signature every mail ends with. Neither needs the request or the database, so error pages use them."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext

register = template.Library()


def contact() -> dict[str, Any]:
    return {
        "service_formal_name": settings.SERVICE_FORMAL_NAME,
        "operator_name": settings.OPERATOR_NAME,
        "desk": settings.CONTACT_DESK,
        "address": settings.CONTACT_ADDRESS,
        "phone": settings.CONTACT_PHONE,
        "email": settings.CONTACT_EMAIL,
        "hours": settings.CONTACT_HOURS,
    }


@register.inclusion_tag("includes/contact_point.html")
def contact_point() -> dict[str, Any]:
    return contact()


@register.inclusion_tag("includes/privacy_notice.html")
def privacy_notice() -> dict[str, Any]:
    """The purposes of collecting personal data (§2.8(3)) and a link to the notice in force."""
    from mynatrust.repository.terms import current_privacy_notice

    return {"notice": current_privacy_notice()}


@register.simple_tag
def contact_point_text() -> SafeString:
    # Mails are rendered with autoescape off; the text is plain.
    return SafeString(render_to_string("includes/contact_point.txt", contact()).strip())


@register.simple_tag
def mail_opening() -> str:
    """The first line of every mail: the service's own words, never text a user chose (a display
    name or an organisation name is quoted further down, as what was entered)."""
    return str(gettext("%(service)s からのお知らせです。") % {"service": settings.SERVICE_NAME})
