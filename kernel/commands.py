"""What every management command of the project shares: help in the reader's language, and times
written as a person in Japan reads them.

Commands run in ``settings.LANGUAGE_CODE`` (Japanese): Django leaves the active language alone in
management commands. A command's ``help`` is a lazy translation (``gettext_lazy``), which argparse
cannot format; :class:`Command` turns it into text when the parser is made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.template.defaultfilters import date, time
from django.utils import timezone


class Command(BaseCommand):
    """A management command whose ``help`` may be a lazy translation."""

    help: Any = ""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)


def moment(value: datetime | None) -> str:
    """The day and the minute in the current time zone (Japan) and language: 2026年12月7日 13:40."""
    if value is None:
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{date(local, 'DATE_FORMAT')} {time(local, 'H:i')}"
