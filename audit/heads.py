"""The last signed head, kept in a file outside the database. Pure: standard library only, shared
by the sequencer (beside its signing key) and the witness (beside its own key).

The file holds one JSON object ``{"seq", "head", "time", "key_id"}``. It is replaced atomically
(written to a temporary file in the same directory, fsynced, renamed over the old one, the directory
fsynced), so after a crash it holds either the old head or the new one, never half of either.
Whoever holds only the database cannot change it: a chain that no longer runs through this head was
rewritten, cut or emptied.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext

from audit import chain


@dataclass(frozen=True)
class Head:
    seq: int
    head: str
    time: str = ""
    key_id: str = ""


GENESIS = Head(0, chain.GENESIS)


class Unreadable(Exception):
    pass


def read(path: Path) -> Head | None:
    """The stored head; None when there is no file yet (nothing signed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        raise Unreadable(gettext("%(path)s：%(error)s") % {"path": path, "error": err}) from err
    try:
        data = json.loads(text)
        return Head(int(data["seq"]), str(data["head"]), str(data.get("time", "")), str(data.get("key_id", "")))
    except (ValueError, KeyError, TypeError) as err:
        raise Unreadable(
            gettext("%(path)s は署名済みの先頭を保存したファイルではありません（%(error)s）")
            % {"path": path, "error": err}
        ) from err


def write(path: Path, head: Head, *, extra: dict[str, Any] | None = None) -> None:
    """Replace the head file with ``head`` (and ``extra`` keys, which ``read`` leaves aside: the
    witness notes a re-base there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({**(extra or {}), **asdict(head)}, fh, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def extension_problem(start: Head, links: Iterable[tuple[int, str, str]], end: Head) -> str | None:
    """Whether the chain ``links`` ((seq, digest, hash), in seq order, the positions after ``start``
    up to ``end``) leads from ``start`` to ``end``: None when it does, else the first position where
    it does not, in words (the active language). For a hash chain this is the whole consistency proof."""
    if end.seq < start.seq:
        return gettext("#%(end)s は最後に署名した先頭 #%(start)s より前です") % {"end": end.seq, "start": start.seq}
    if end.seq == start.seq:
        if end.head == start.head:
            return None
        return gettext("#%(end)s のハッシュ値が最後に署名した先頭と違います") % {"end": end.seq}
    prev, expected = start.head, start.seq + 1
    for seq, digest, hash_ in links:
        if seq != expected:
            return gettext("位置 #%(seq)s がありません") % {"seq": expected}
        if chain.chain_hash(prev, digest) != hash_:
            return gettext("位置 #%(seq)s は最後に署名した先頭 #%(start)s に続いていません") % {
                "seq": seq,
                "start": start.seq,
            }
        prev, expected = hash_, expected + 1
    if expected - 1 != end.seq or prev != end.head:
        return gettext("#%(start)s からのチェーンが、署名する先頭 #%(end)s で終わっていません") % {
            "start": start.seq,
            "end": end.seq,
        }
    return None
