"""Dates as a Japanese document writes them: the Gregorian date with the era year beside it."""

from __future__ import annotations

from datetime import date

# (first day, era name); the first year of an era is 元年.
_ERAS = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"),
    (date(1868, 10, 23), "明治"),
)


def era_year(day: date) -> str:
    """``令和8年``, ``平成元年``; empty before the Meiji era."""
    for start, name in _ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{name}{'元' if year == 1 else year}年"
    return ""


def japanese_date(day: date) -> str:
    """``2026年（令和8年）11月25日``."""
    era = era_year(day)
    year = f"{day.year}年（{era}）" if era else f"{day.year}年"
    return f"{year}{day.month}月{day.day}日"
