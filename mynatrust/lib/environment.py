"""The settings' environment variables, read so that a wrong one is refused in words an operator can
act on: which variable, and what it should hold. The value itself is never repeated (it may be a
password inside DATABASE_URL, or the SECRET_KEY).

``python -m mynatrust.lib.environment`` loads the settings as a worker would and, when they refuse
to load, prints the one line that says why (gunicorn's master runs it before starting any worker:
deploy/gunicorn.conf.py).
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

# What a cast expects, in the operator's words; any other cast is named by the generic sentence.
EXPECTED = {int: "整数", float: "数値"}


class Env(environ.Env):
    """django-environ's reader, whose casting errors name the variable instead of the value."""

    def get_value(
        self, var: str, cast: Any = None, default: Any = environ.Env.NOTSET, parse_default: bool = False
    ) -> Any:
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ValueError:
            expected = EXPECTED.get(cast)
            raise ImproperlyConfigured(
                f"環境変数 {var} の値を読めません"
                + (f"（{expected}を指定してください）。" if expected else "。")
                + "各変数の意味は .env.example にあります。"
            ) from None

    def db_url(
        self, var: str = "DATABASE_URL", default: Any = environ.Env.NOTSET, engine: Any = None
    ) -> dict[str, Any]:
        try:
            with warnings.catch_warnings():  # django-environ's warning would print the password
                warnings.simplefilter("ignore")
                config: dict[str, Any] = super().db_url(var, default=default, engine=engine)
        except ValueError:  # a port that is not a number
            config = {}
        if config.get("ENGINE") not in self.DB_SCHEMES.values():  # an unknown scheme is taken as a module name
            raise ImproperlyConfigured(
                f"環境変数 {var} の形式を読めません。postgres://ユーザー@ホスト:ポート/データベース名 の形で"
                "指定してください（各変数の意味は .env.example にあります）。"
            )
        return config


def preflight() -> int:
    """0 when the settings load; else the reason on standard error, in one line, and 3 (the status
    gunicorn gives a worker that cannot boot)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mynatrust.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018  (loads the settings module)
    except ImproperlyConfigured as exc:
        print(f"MynaTrust e-LOA を起動できません：{exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(preflight())
