"""The service kernel: what every app's services share, and nothing of any app.

- :mod:`kernel.actors`: who acts (``Actor``, the type of every service's ``actor``), and how an actor
  is written on the record (``ActorRecord``, ``describe``).
- :mod:`kernel.errors`: ``ServiceError``, the base of every refusal a service raises.
- :mod:`kernel.services`: ``@service(event_type)``, one transaction per service, the refusal
  recorded after the rollback.
- :mod:`kernel.commands`: the base of the management commands (help, system checks, failures and
  argument errors in the reader's language) and ``moment``, a time as a person in Japan reads it.
- :mod:`kernel.check_texts`: Django's and the third-party apps' system checks in Japanese, by ID.
- :mod:`kernel.argparse_texts`: argparse's errors and help frame in Japanese, by argparse's wording.

The kernel imports no app of the project (an import-linter contract); the audit app plugs its
recorder in when it starts (:func:`kernel.services.set_refusal_recorder`).
"""

from kernel.actors import ANONYMOUS, SYSTEM, Actor, ActorRecord, Person, SelfDescribing, describe
from kernel.errors import ServiceError
from kernel.services import service

__all__ = [
    "ANONYMOUS",
    "SYSTEM",
    "Actor",
    "ActorRecord",
    "Person",
    "SelfDescribing",
    "ServiceError",
    "describe",
    "service",
]
