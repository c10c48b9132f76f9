"""``manage.py check``: Django's command (its options, checks and exit status), its report framed in
the reader's language like the checks' own messages (:meth:`kernel.commands.Command.check`)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.management.base import CommandError
from django.core.management.commands import check
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel import commands


class Command(commands.Command, check.Command):
    help: Any = _("プロジェクト全体に問題がないか、システムチェックで調べます。")

    def handle(self, *app_labels: Any, **options: Any) -> None:
        # Django refuses an unknown tag in English: refuse it first, in the reader's language.
        if not options["list_tags"]:
            for tag in options["tags"] or []:
                if not checks.tag_exists(tag, options["deploy"]):
                    raise CommandError(gettext("「%(tag)s」というタグのシステムチェックはありません。") % {"tag": tag})
        super().handle(*app_labels, **options)
