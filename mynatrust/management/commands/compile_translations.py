from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation.reloader import translation_file_changed

from kernel import commands


class Command(commands.Command):
    help = _("locale/*/LC_MESSAGES/*.po を .mo にコンパイルします（Python だけで動き、GNU gettext は不要です）。")

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        for base in map(Path, settings.LOCALE_PATHS):
            for po_path in sorted(base.glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                with po_path.open("rb") as po:
                    catalog = read_po(po, locale=po_path.parent.parent.name)
                with mo_path.open("wb") as mo:
                    write_mo(mo, catalog, use_fuzzy=False)
                count += 1
                if options["verbosity"] > 1:
                    self.stdout.write(
                        gettext("%(path)s をコンパイルしました") % {"path": po_path.relative_to(settings.BASE_DIR)}
                    )
        if count:
            # Read the catalogues just written (Django's own reset when a .mo changes), so that this
            # report is already in the reader's language on a checkout compiled for the first time.
            language = translation.get_language()
            translation_file_changed(None, Path("compiled.mo"))
            translation.activate(language)
        self.stdout.write(
            self.style.SUCCESS(gettext("翻訳：%(count)s 件のカタログをコンパイルしました") % {"count": count})
        )
