"""system.start / system.stop audit events for each serving process (§6.2.1)."""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading

log = logging.getLogger(__name__)
_lock = threading.Lock()
_started = False


def _record(event_type: str) -> None:
    import audit
    from audit.actors import SYSTEM

    try:
        audit.record(event_type, actor=SYSTEM, host=socket.gethostname(), pid=os.getpid())
    except Exception:  # the database may be down; serving must still start and stop
        log.exception("could not record %s", event_type)


def process_started() -> None:
    global _started
    with _lock:
        if _started:
            return
        _started = True
    _record("system.start")
    atexit.register(process_stopping)


def process_stopping() -> None:
    global _started
    with _lock:
        if not _started:
            return
        _started = False
    _record("system.stop")
