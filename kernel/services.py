"""``@service``: the pattern every state change follows.

The decorated function runs in one transaction (``durable=True`` where it must be the outermost,
so its commit is final when it returns). When it raises a :class:`~kernel.errors.ServiceError`, the
work rolls back and ``<event_type>_refused`` is recorded after the rollback, with the service's
``actor`` keyword and its first argument as subject when that is a model instance; then the error
is raised again. Its success event is recorded by the service itself, inside the transaction,
because it carries what was done.

The recorder is the audit log's, plugged in when the audit app starts; until then a refusal cannot
be recorded and the service says so rather than lose it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from kernel.actors import Actor
from kernel.errors import ServiceError

P = ParamSpec("P")
R = TypeVar("R")


class RefusalRecorder(Protocol):
    def __call__(self, event_type: str, *, actor: Actor | None, subject: Any = None, **data: Any) -> object: ...


_recorder: RefusalRecorder | None = None


def set_refusal_recorder(recorder: RefusalRecorder) -> None:
    global _recorder
    _recorder = recorder


def record_refusal(
    event_type: str, error: ServiceError, *, actor: Actor | None, subject: Any = None, **data: Any
) -> None:
    """Put ``error`` on the record as ``event_type`` once (a nested service's refusal is not
    written again by the service around it)."""
    if error.recorded:
        return
    if _recorder is None:
        raise ImproperlyConfigured("no refusal recorder: the audit app is not installed") from error
    _recorder(event_type, actor=actor, subject=subject, refused=True, code=error.code, reason=error.message, **data)
    error.recorded = True


def service(event_type: str, *, durable: bool = False) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the decorated service in one transaction and record its refusals (see the module)."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                with transaction.atomic(durable=durable):
                    return fn(*args, **kwargs)
            except ServiceError as error:
                subject = args[0] if args and hasattr(args[0], "_meta") else None
                actor = cast("Actor | None", kwargs.get("actor"))
                record_refusal(f"{event_type}_refused", error, actor=actor, subject=subject)
                raise

        return run

    return decorate
