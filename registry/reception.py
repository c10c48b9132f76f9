"""受付番号: the number a person quotes for an application or a request (§4.1.5 登録受付の通知).

``<kind>-<YYYYMMDD>-<NNNN>``: a letter for the kind of request, the day of receipt in Japan time and
the request's place among that day's requests of its kind. The daily counter is a row of the
database taken in the caller's transaction, so concurrent requests never share a number and a
request that is rolled back leaves no gap.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

APPLICATION = "A"  # 利用申込 (§3.1)
CHANGE = "C"  # 変更届 (§3.2)
DELEGATION = "D"  # 電子委任状の登録申請 (§4.1.5)
REVOCATION = "R"  # 電子委任状の取消し
RECIPIENT = "V"  # 受領者等の登録 (§5.2)

KINDS = {
    APPLICATION: _("利用申込"),
    CHANGE: _("変更届"),
    DELEGATION: _("電子委任状の登録申請"),
    REVOCATION: _("電子委任状の取消し"),
    RECIPIENT: _("受領者等の登録"),
}


def next_number(kind: str, *, day: date | None = None) -> str:
    """The next reception number of ``kind`` for ``day`` (today in Japan time)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of request {kind!r}")
    day = day or timezone.localdate()
    from registry.models import ReceptionCounter

    table = connection.ops.quote_name(ReceptionCounter._meta.db_table)
    with connection.cursor() as cursor:
        # One statement on PostgreSQL and SQLite alike: the row lock orders concurrent requests.
        cursor.execute(
            f"INSERT INTO {table} (kind, day, last) VALUES (%s, %s, 1) "  # noqa: S608 (the table's own name)
            f"ON CONFLICT (kind, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [kind, day],
        )
        (sequence,) = cursor.fetchone()
    return f"{kind}-{day:%Y%m%d}-{sequence:04d}"


def label_of(number: str) -> str:
    """What kind of request ``number`` names (利用申込, 変更届 …), or an empty string."""
    return str(KINDS.get(number[:1], "")) if number else ""


def backfill(rows: Any, field: str, kind: str, received: str) -> int:
    """Number ``rows`` (a queryset of a migration's historical model) received before numbers existed,
    in the order they were received (``received``: the time field); rows never received keep none."""
    done = 0
    for row in rows.filter(**{field: "", f"{received}__isnull": False}).order_by(received, "pk").iterator():
        day = timezone.localdate(getattr(row, received))
        rows.model.objects.filter(pk=row.pk).update(**{field: next_number(kind, day=day)})
        done += 1
    return done
