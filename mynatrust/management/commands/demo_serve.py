"""``manage.py demo_serve [ADDRESS:PORT]``: the demo's server, ``runserver`` (whitenoise's, the one
INSTALLED_APPS gives) with its frame in the reader's language.

What Django prints around it in English is said by the project instead, at the points Django leaves
open: the system checks run before ``inner_run`` and are reported by
:meth:`kernel.commands.Command.check` (「システムチェックで問題は見つかりませんでした」, or the issues;
an error stops the server), which then runs with ``skip_checks``; :meth:`Command.on_bind` says the
address once the server listens, and that it is a development server; the autoreloader's INFO
notice ("Watching for file changes …") is left out, its warnings kept. The requests' log lines are
Django's.
"""

from __future__ import annotations

import logging
import os
from typing import Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import autoreload, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from whitenoise.runserver_nostatic.management.commands import runserver

from kernel import commands


class Command(commands.Command, runserver.Command):
    help = _("デモのサーバーを動かします（runserver と同じで、表示は読み手の言語です）。")

    def run(self, **options: Any) -> None:
        self.quiet_reloader()
        super().run(**options)

    def quiet_reloader(self) -> None:
        """The autoreloader says at INFO which reloader watches the files: not a reader's concern."""
        logging.getLogger("django.utils.autoreload").setLevel(logging.WARNING)

    def inner_run(self, *args: Any, **options: Any) -> None:
        # Under the autoreloader this runs in a thread of its own, outside execute()'s language.
        with translation.override(commands.readers_language() or settings.LANGUAGE_CODE):
            autoreload.raise_last_exception()
            self.check_before_serving(options)
            super().inner_run(*args, **{**options, "skip_checks": True})

    def check_before_serving(self, options: dict[str, Any]) -> None:
        """runserver's system checks (all of them, each time the server starts), reported in the
        reader's language; an error raises SystemCheckError and the server does not start."""
        if not options.get("skip_checks"):
            kwargs = cast(dict[str, Any], BaseCommand.get_check_kwargs(self, options))  # {} here: every check
            self.check(**kwargs, display_num_errors=True)

    def on_bind(self, server_port: int) -> None:
        address = f"[{self.addr}]" if self._raw_ipv6 else "0.0.0.0" if self.addr == "0" else self.addr  # noqa: S104
        url = f"{self.protocol}://{address}:{server_port}/"
        self.stdout.write(gettext("[mynatrust] %(url)s で動かしています（Ctrl+C で止まります）") % {"url": url})
        if os.environ.get("DJANGO_RUNSERVER_HIDE_WARNING") != "true":
            self.stdout.write(
                gettext(
                    "開発用のサーバーです。本番では使わないでください（本番の動かし方は docs/runbook.md にあります）。"
                )
            )
