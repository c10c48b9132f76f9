"""Japanese formats: Django's, plus the ways people in Japan type a date (2027/01/01, 2027-01-01,
2027年1月1日). Era dates (令和9年1月1日) are turned into these by ``mynatrust.lib.wareki`` first."""

from django.conf.locale.ja.formats import *  # noqa: F403

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d"]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M", "%H時%M分%S秒", "%H時%M分"]
DATETIME_INPUT_FORMATS = (
    [f"{day} {time}" for day in DATE_INPUT_FORMATS for time in ("%H:%M:%S", "%H:%M", "%H時%M分")]
    + [f"{day}{time}" for day in ("%Y年%m月%d日",) for time in ("%H時%M分", "%H:%M")]
    + DATE_INPUT_FORMATS
)
