"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404


class PlainRefusal(logging.Filter):
    """A refused request (403, 404) is logged as one line, never with a traceback: it is the
    service working as intended, and it is on the audit record (mynatrust.access.record_refusal)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, PermissionDenied | Http404):
            record.exc_info = None
            record.exc_text = None
        return True
