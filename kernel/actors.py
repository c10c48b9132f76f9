"""Who acts: the type every service takes as ``actor``, and how the audit log writes it down.

A service is called by a signed-in person (the project's user model: service staff, a subscriber's
member, a recipient organisation's member), by a recipient's system with an API key, by the system
itself (the sealer, a management command), or by an anonymous visitor (sign-up, the public check).
The first is a :class:`Person`; an API key describes itself (:class:`SelfDescribing`); the last two
are an :class:`ActorRecord` such as :data:`SYSTEM` or ``ActorRecord("system", "cli:alice", …)``.
Duck-typed, so the kernel imports no app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ActorRecord:
    """An actor as the audit log writes it. ``kind``: staff | subscriber | recipient | api_key |
    system | anonymous. ``ip`` (optional) overrides the request context's address, e.g. for an
    anonymous caller seen elsewhere."""

    kind: str
    id: str = ""
    label: str = ""
    ip: str = ""


SYSTEM = ActorRecord("system", "system", "system")
ANONYMOUS = ActorRecord("anonymous")


class Person(Protocol):
    """A signed-in account of the project's user model."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    def has_role(self, *roles: Any) -> bool: ...

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


@runtime_checkable
class SelfDescribing(Protocol):
    """Something that says how the record should name it (an API key)."""

    def audit_actor(self) -> ActorRecord: ...


if TYPE_CHECKING:  # the user classes cannot be imported before the apps are loaded
    from django.contrib.auth.models import AnonymousUser

# What a service accepts as ``actor`` (evaluated lazily, so AnonymousUser is needed only by the
# type checker).
type Actor = Person | SelfDescribing | ActorRecord | AnonymousUser


def describe(actor: Actor | None) -> ActorRecord:
    """The record of an actor: an ActorRecord as it is, an API key's own, a user by kind and pk;
    anonymous for None and for a visitor who has not signed in."""
    if isinstance(actor, ActorRecord):
        return actor
    own = getattr(actor, "audit_actor", None)
    if callable(own):
        result = own()
        if isinstance(result, ActorRecord):
            return result
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ANONYMOUS
    kind = str(getattr(actor, "kind", "") or "user")
    return ActorRecord(kind, str(getattr(actor, "pk", "")), str(getattr(actor, "email", "") or actor))
