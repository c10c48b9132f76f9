"""The service pattern of every app: one transaction, and a refusal recorded after the rollback."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")


def refusable(
    event_type: str, errors: type[Exception] | tuple[type[Exception], ...]
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the decorated service in one transaction; when it raises one of ``errors`` (an app's
    domain error, carrying ``code`` and ``message``), record ``<event_type>_refused`` outside the
    rolled-back work, with the service's ``actor`` and its first argument as subject when that is a
    model instance, then re-raise."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                with transaction.atomic():
                    return fn(*args, **kwargs)
            except errors as exc:
                from audit import record_refused

                subject = args[0] if args and hasattr(args[0], "_meta") else None
                record_refused(
                    f"{event_type}_refused",
                    actor=kwargs.get("actor"),
                    subject=subject,
                    refused=True,
                    code=getattr(exc, "code", ""),
                    reason=str(getattr(exc, "message", exc)),
                )
                raise

        return run

    return decorate
