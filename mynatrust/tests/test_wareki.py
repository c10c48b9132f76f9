"""Dates as people in Japan type them, in the admin's date fields."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms

from mynatrust.admin_fields import JapaneseDateField, JapaneseSplitDateTimeField
from mynatrust.lib.wareki import to_gregorian


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("令和9年1月1日", "2027-01-01"),
        ("令和元年5月1日", "2019-05-01"),
        ("R9.1.1", "2027-01-01"),
        ("平成31年4月30日", "2019-04-30"),
        ("令和９年１月１日", "2027-01-01"),  # full-width digits
        ("2027/01/01", "2027/01/01"),  # no era: left to the field's formats
        ("平成40年1月1日", "平成40年1月1日"),  # past the era's end: left for the field to refuse
    ],
)
def test_era_dates_become_gregorian(typed, expected):
    assert to_gregorian(typed) == expected


@pytest.mark.parametrize("typed", ["2027/01/01", "2027-01-01", "2027年1月1日", "令和9年1月1日"])
def test_the_admin_date_field_accepts_every_japanese_way_of_writing_a_day(typed):
    assert JapaneseDateField().clean(typed) == date(2027, 1, 1)


def test_a_date_and_time_field_accepts_them_too():
    value = JapaneseSplitDateTimeField().clean(["令和9年1月1日", "09:30"])
    assert (value.year, value.month, value.day, value.hour, value.minute) == (2027, 1, 1, 9, 30)


def test_a_wrong_date_is_still_refused_in_japanese():
    with pytest.raises(forms.ValidationError) as excinfo:
        JapaneseDateField().clean("平成40年1月1日")
    assert "日付" in str(excinfo.value)


def test_the_admin_forms_use_them():
    from django.contrib import admin
    from django.test import RequestFactory

    from mynatrust.repository.models import Notice

    notice_admin = admin.site._registry[Notice]
    request = RequestFactory().get("/")
    form = notice_admin.get_form(request)()
    kinds = {type(field) for field in form.fields.values()}
    assert kinds & {JapaneseDateField, JapaneseSplitDateTimeField}
