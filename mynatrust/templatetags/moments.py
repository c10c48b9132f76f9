"""Dates and times written in the reader's language: ``{% load moments %}``.

``{{ value|date:"DATE_FORMAT" }}`` gives the day (2026年11月26日, or Nov. 26, 2026 in English);
``{{ value|moment }}`` the day and the time of day, ``{{ value|moment:"seconds" }}`` with seconds.
The time of day is written 24-hour in every language. Aware datetimes are shown in the current time
zone (Japan), as with Django's ``date`` filter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.template.defaultfilters import date, time

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def moment(value: Any, precision: str = "") -> str:
    if not isinstance(value, datetime):
        return ""
    return f"{date(value, 'DATE_FORMAT')} {time(value, 'H:i:s' if precision == 'seconds' else 'H:i')}"
