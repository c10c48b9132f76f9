"""Recording from the command line: the entry point every event of a management command carries,
and key files that exist only together with the event of their creation.

:func:`entry_point` binds the audit context for a command: every event recorded inside says that it
came from the command line (``cli``), on which host, run by which operating-system user, and the
command. :class:`KeyFile` is a kind of key file that a command creates (the validity answer signing
key, the audit checkpoint key): the file is written and its event inserted in one transaction, and a
file whose event was not committed (no database, no tables yet) is removed again, so that no key
exists that the audit log does not know of. Replacing a key file is refused, on the record.
"""

from __future__ import annotations

import getpass
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext

import audit
from audit import context


def _os_user() -> str:
    try:
        return getpass.getuser()
    except OSError:  # no user name known to the system (a container with an arbitrary uid)
        return str(os.getuid())


@contextmanager
def entry_point(command: str, *, entry: str = "cli") -> Iterator[dict[str, str]]:
    """Bind the audit context for a management command: every event recorded inside says that it
    came from the command line, on which host, run by which operating-system user. ``entry``: what
    else it came from when not a command line (``first_use``: a key made where it was first needed,
    ``command`` then saying so in words)."""
    where = {"entry": entry, "host": socket.gethostname(), "os_user": _os_user(), "command": command}
    agent = f"manage.py {command}" if entry == "cli" else command
    token = context.bind(
        context.RequestContext(request_id=f"{entry}-{uuid.uuid4().hex[:20]}", user_agent=agent[:255], entry_point=where)
    )
    try:
        yield where
    finally:
        context.reset(token)


@dataclass(frozen=True)
class KeyFile:
    """A kind of key file and how the audit log names its creation: ``command`` as the entry point
    says it, the event types of a creation and of a refusal to overwrite, and the data field that
    names the key by its public identifier (the private key is never recorded)."""

    command: str
    created: str
    refused: str
    identifier: str

    def create(self, target: Path, write: Callable[[Path], str], *, command: str | None = None) -> str:
        """Write the key with ``write`` (which refuses an existing file with FileExistsError and
        returns the key's public identifier) and record its creation, as the system's, in the
        transaction open while the file is written; the file is removed if the event is not committed.
        An unreachable database fails before anything is written. ``command``: the command line that
        makes the key when it is not the key's own command (the demo's set-up)."""
        if target.exists():
            self.refuse_to_overwrite(target)
        try:
            return self._write_on_record(target, write, command or self.command, "cli")
        except FileExistsError:  # made by someone else since the command looked
            self.refuse_to_overwrite(target)

    def create_if_absent(self, target: Path, write: Callable[[Path], str], *, command: str, entry: str) -> str | None:
        """As :meth:`create`, for a key made where it is first needed rather than by a command: a
        file already there, or written meanwhile by a concurrent creator, is the key, and nothing is
        written, recorded or refused (None). ``entry`` and ``command`` name that place (entry_point)."""
        if target.exists():
            return None
        try:
            return self._write_on_record(target, write, command, entry)
        except FileExistsError:
            return None

    def _write_on_record(self, target: Path, write: Callable[[Path], str], command: str, entry: str) -> str:
        written = False
        try:
            with entry_point(command, entry=entry), transaction.atomic():
                key = write(target)
                written = True
                audit.record(self.created, actor=audit.SYSTEM, **{self.identifier: key, "path": str(target)})
        except BaseException as exc:
            if written:
                target.unlink(missing_ok=True)
            if isinstance(exc, DatabaseError):
                raise CommandError(_unrecorded(exc)) from exc
            raise
        return key

    def refuse_to_overwrite(self, target: Path) -> NoReturn:
        """Refuse, on the record as the system's from this command line, to replace a key file."""
        reason = gettext("%(path)s は既にあります。鍵は決して上書きしません。") % {"path": target}
        try:
            with entry_point(self.command):
                audit.record_refused(self.refused, actor=audit.SYSTEM, code="exists", reason=reason, path=str(target))
        except DatabaseError as exc:  # the key stays as it was all the same; the operator is told both
            unrecorded = gettext("この拒否は監査ログに記録できませんでした：%(error)s") % {"error": exc}
            raise CommandError(f"{reason}\n{unrecorded}") from exc
        raise CommandError(reason)


def _unrecorded(exc: DatabaseError) -> str:
    return gettext(
        "鍵の作成を監査ログに記録できないため、鍵を作りませんでした（先に migrate を実行してください）：%(error)s"
    ) % {"error": exc}


# The key that signs the audit log's checkpoints exists only together with the event of its creation
# (``manage.py audit_key --generate``, the demo's set-up, and outside production its first use).
CHECKPOINT_KEY = KeyFile(
    command="audit_key --generate",
    created="audit.checkpoint_key.created",
    refused="audit.checkpoint_key.create_refused",
    identifier="key_id",  # the SHA-256 auditors compare (audit_key, the checkpoints, the published key)
)
