"""What every management command of the project shares: help and the system checks' report in the
reader's language, and times written as a person in Japan reads them.

Commands run in ``settings.LANGUAGE_CODE`` (Japanese): Django leaves the active language alone in
management commands. ``MYNATRUST_LANGUAGE=en`` in the environment makes the project's commands speak
English, as it does ``deploy/bootstrap.py`` (:func:`readers_language`). A command's ``help`` is a
lazy translation (``gettext_lazy``), which argparse cannot format; :class:`Command` turns it into
text when the parser is made.

The project's system checks speak Japanese, but Django's ``BaseCommand.check`` frames them in
English it does not mark for translation ("System check identified some issues:", "ERRORS:",
"HINT:", the count). :meth:`Command.check` reports the same issues, in the same groups, order and
streams, with the same exit status, its frame in the reader's language (Django's words in the
English catalogue). Django's own checks and those of the third-party apps are said in Japanese
too (:mod:`kernel.check_texts`, by their ID), in Django's words under English. Every command of the
project has it, ``manage.py check`` among them (``mynatrust/management/commands/check.py``);
Django's own commands (``migrate``, ``runserver``) keep Django's frame and words: the runbook runs
``check --deploy`` before them; the demo runs them through ``demo_migrate`` and ``demo_serve``,
which say them in the reader's language.

A command of the project that fails (``CommandError``) from the command line says so behind
「エラー：」 ("Error:" in English) instead of Django's "CommandError: ", with the same exit status;
called in code (``call_command``) or with ``--traceback`` it raises as Django's does. Django's own
commands keep "CommandError: ".

Their arguments are read by :class:`ReadersParser`, Django's ``CommandParser`` whose errors and help
frame are in the reader's language (:mod:`kernel.argparse_texts`): a wrong argument on the command
line prints the usage line (「使い方：」) and 「manage.py COMMAND: エラー：…」 and exits with status 2, as
argparse does; called in code it raises CommandError (「エラー：…」), as Django's parser does.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, cast

from django.conf import settings
from django.core import checks
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
    SystemCheckError,
)
from django.template.defaultfilters import date, time
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kernel import argparse_texts
from kernel.check_texts import in_readers_language

if TYPE_CHECKING:
    from django.apps import AppConfig

# BaseCommand.check's groups, most serious first: the lowest level of each, and its heading. The
# last takes every level below the one before it.
CHECK_GROUPS = (
    (checks.CRITICAL, _("重大なエラー：")),
    (checks.ERROR, _("エラー：")),
    (checks.WARNING, _("警告：")),
    (checks.INFO, _("情報：")),
    (checks.DEBUG, _("デバッグ：")),
)


def readers_language() -> str | None:
    """The language of settings.LANGUAGES that MYNATRUST_LANGUAGE names ("en", "en_GB": "en"), as
    deploy/bootstrap.py reads it; None when it names none (the commands' own language then)."""
    asked = os.environ.get("MYNATRUST_LANGUAGE", "").strip().lower()
    return next((code for code, _name in settings.LANGUAGES if asked.startswith(code)), None)


class ReadersHelpFormatter(DjangoHelpFormatter):
    """Django's help layout, the usage line behind 「使い方：」 ("usage: " in English) and each heading
    followed by the reader's colon (「オプション：」, "options:"): argparse writes a half-width one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headings: set[str] = set()

    def start_section(self, heading: str | None) -> None:
        if heading:
            self._headings.add(heading)
        super().start_section(heading)

    def format_help(self) -> str:
        text = super().format_help()
        for heading in self._headings:
            text = _colon_after(heading, text)
        return text

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, gettext("使い方：") if prefix is None else prefix)

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None) -> str:
        """argparse's usage, wrapped lines under the first argument by the columns the prefix takes."""
        if prefix is None:
            prefix = gettext("使い方：")
        measured = argparse_texts.stand_in(prefix)
        return super()._format_usage(usage, actions, groups, measured).replace(measured, prefix, 1)


def _colon_after(heading: str, text: str) -> str:
    """``text`` with the heading's line ``heading:`` as the reader's language writes it."""
    said = gettext("%(heading)s：") % {"heading": heading}
    return re.sub(rf"^(\s*){re.escape(heading)}:$", lambda found: found.group(1) + said, text, flags=re.MULTILINE)


class ReadersParser(CommandParser):
    """Django's CommandParser, its errors and help frame in the reader's language (made by
    :func:`in_readers_language_parser`)."""

    def say_frame(self) -> None:
        """The headings and the help of argparse's and Django's own options in the reader's language."""
        for group in self._action_groups:
            group.title = argparse_texts.help_said(group.title)
        for action in self._actions:
            action.help = argparse_texts.help_said(action.help)

    def error(self, message: str) -> NoReturn:
        """From the command line, the usage line and the error on stderr, exit status 2 (argparse's);
        in code, CommandError (Django's)."""
        text = gettext("エラー：%(message)s") % {"message": argparse_texts.said(message)}
        if self.called_from_command_line:
            self.print_usage(sys.stderr)
            self.exit(2, f"{self.prog}: {text}\n")
        raise CommandError(text)


def in_readers_language_parser(parser: CommandParser) -> ReadersParser:
    """``parser`` and the parsers of its sub-commands as ReadersParsers, their frame said.

    BaseCommand.create_parser builds a CommandParser by its name, adds Django's options and then the
    command's own (``add_subparsers`` among them, whose parsers take the class of the parser then);
    the finished parsers take the subclass, which adds methods and no state."""
    parser.__class__ = ReadersParser
    parser = cast(ReadersParser, parser)
    parser.formatter_class = ReadersHelpFormatter
    parser.say_frame()
    for action in parser._actions:
        if isinstance(action.choices, dict):  # the sub-commands, by name
            for sub in action.choices.values():
                if isinstance(sub, CommandParser):
                    in_readers_language_parser(sub)
    return parser


class Command(BaseCommand):
    """A management command whose ``help`` may be a lazy translation and whose system checks and
    failure are reported in the reader's language (see the module)."""

    help: Any = ""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        """Django's parser, made a :class:`ReadersParser` with its sub-commands' parsers."""
        self.help = str(self.help)
        kwargs.setdefault("formatter_class", ReadersHelpFormatter)
        return in_readers_language_parser(super().create_parser(prog_name, subcommand, **kwargs))

    def execute(self, *args: Any, **options: Any) -> Any:
        """BaseCommand.execute; run from the command line, a CommandError (a failed system check
        aside, which frames itself) is written to stderr behind 「エラー：」 and ends the process with
        its exit status, as run_from_argv would with Django's English prefix. In the language
        MYNATRUST_LANGUAGE names, if it names one."""
        language = readers_language()
        if language is None:
            return self._execute(*args, **options)
        with translation.override(language):
            return self._execute(*args, **options)

    def _execute(self, *args: Any, **options: Any) -> Any:
        if not getattr(self, "_called_from_command_line", False) or options.get("traceback"):
            return super().execute(*args, **options)
        try:
            return super().execute(*args, **options)
        except SystemCheckError:
            raise
        except CommandError as error:
            self.stderr.write(gettext("エラー：%(message)s") % {"message": error})
            sys.exit(error.returncode)

    def check(
        self,
        app_configs: Sequence[AppConfig] | None = None,
        tags: Sequence[str] | None = None,
        display_num_errors: bool = False,
        include_deployment_checks: bool = False,
        fail_level: int = checks.ERROR,
        databases: Sequence[str] | None = None,
    ) -> None:
        """BaseCommand.check, said in the reader's language: an issue at ``fail_level`` or above
        raises SystemCheckError (its report on stderr, exit status 1); other issues go to stderr,
        and the count alone (``display_num_errors``) to stdout."""
        issues = checks.run_checks(
            app_configs=app_configs,
            tags=tags,
            include_deployment_checks=include_deployment_checks,
            databases=databases,
        )
        shown = [issue for issue in issues if not issue.is_silenced()]
        body = "".join(self._check_group(heading, group) for heading, group in _grouped(shown))
        footer = _check_count(len(shown), len(issues) - len(shown)) if display_num_errors else ""
        if shown and footer:
            footer = "\n" + footer
        if any(issue.is_serious(fail_level) for issue in shown):
            header = gettext("システムチェックでエラーになりました。次の問題があります：") + "\n"
            raise SystemCheckError(self.style.ERROR(header) + body + footer)
        said = (gettext("システムチェックで次の問題が見つかりました：") + "\n" if shown else "") + body + footer
        if shown:
            self.stderr.write(said, lambda text: text)
        elif said:
            self.stdout.write(said)

    def _check_group(self, heading: Any, group: list[checks.CheckMessage]) -> str:
        lines = "\n".join(sorted(self._check_line(issue) for issue in group))
        return f"\n{heading}\n{lines}\n"

    def _check_line(self, issue: checks.CheckMessage) -> str:
        """Django's line for the issue (its object, ID and message), the hint introduced in the
        reader's language; Django's own checks in Japanese too (:mod:`kernel.check_texts`)."""
        issue = in_readers_language(issue)
        line = str(checks.CheckMessage(issue.level, issue.msg, obj=issue.obj, id=issue.id))
        if issue.hint:
            line += "\n\t" + gettext("ヒント：%(hint)s") % {"hint": issue.hint}
        return self.style.ERROR(line) if issue.is_serious() else self.style.WARNING(line)


def _grouped(issues: list[checks.CheckMessage]) -> list[tuple[Any, list[checks.CheckMessage]]]:
    """The issues under the heading of their group, most serious group first, empty ones left out."""
    groups: list[list[checks.CheckMessage]] = [[] for _group in CHECK_GROUPS]
    for issue in issues:
        number = next((n for n, (floor, _h) in enumerate(CHECK_GROUPS) if issue.level >= floor), len(groups) - 1)
        groups[number].append(issue)
    return [(heading, group) for (_floor, heading), group in zip(CHECK_GROUPS, groups, strict=True) if group]


def _check_count(shown: int, silenced: int) -> str:
    if not shown:
        return gettext("システムチェックで問題は見つかりませんでした（抑制 %(silenced)s 件）。") % {
            "silenced": silenced
        }
    return ngettext(
        "システムチェックで %(count)s 件の問題が見つかりました（抑制 %(silenced)s 件）。",
        "システムチェックで %(count)s 件の問題が見つかりました（抑制 %(silenced)s 件）。",
        shown,
    ) % {"count": shown, "silenced": silenced}


def moment(value: datetime | None) -> str:
    """The day and the minute in the current time zone (Japan) and language: 2026年12月7日 13:40."""
    if value is None:
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{date(local, 'DATE_FORMAT')} {time(local, 'H:i')}"
