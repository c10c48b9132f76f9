"""{% load moments %}: dates and times in the reader's language, in Japan's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

MOMENTS = Template('{% load moments %}{{ at|moment }}|{{ at|moment:"seconds" }}|{{ at|date:"DATE_FORMAT" }}')
AT = datetime(2026, 11, 26, 0, 5, 9, tzinfo=UTC)  # 09:05:09 in Japan


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", "2026年11月26日 09:05|2026年11月26日 09:05:09|2026年11月26日"),
        ("en", "Nov. 26, 2026 09:05|Nov. 26, 2026 09:05:09|Nov. 26, 2026"),
    ],
)
def test_a_moment_in_each_language_in_japans_time(language, expected):
    with translation.override(language):
        assert MOMENTS.render(Context({"at": AT})) == expected


def test_a_moment_of_nothing_or_of_a_day_is_empty():
    assert MOMENTS.render(Context({"at": None})) == "||"
    assert Template("{% load moments %}{{ day|moment }}").render(Context({"day": date(2026, 11, 26)})) == ""
