"""What the audit log publishes: the checkpoint public key (for auditors' offline verification) and
the figures the project's /healthz and /metrics report (wired by the project, so that audit imports
no other app)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from audit import keys, signing
from audit.models import AuditEvent

# Past this many unsealed events /healthz warns: the sequencer (audit_seal --loop) is behind or down.
BACKLOG_WARNING = 10_000


@require_GET
def checkpoint_key(request: HttpRequest) -> HttpResponse:
    """The current checkpoint public key as PEM (its key ID in a header); 404 when none is set up."""
    try:
        public = keys.private_key().public_key()
    except keys.KeyUnavailable:
        return HttpResponse(status=404)
    response = HttpResponse(signing.public_pem(public), content_type="application/x-pem-file")
    response["X-Key-ID"] = signing.key_id(public)
    response["Cache-Control"] = "public, max-age=3600"
    return response


def unsealed_count(limit: int | None = None) -> int:
    events = AuditEvent.objects.unsealed()
    return events[:limit].count() if limit else events.count()


def backlog_exceeded() -> bool:
    """True when more than BACKLOG_WARNING events wait for the sequencer."""
    return unsealed_count(BACKLOG_WARNING + 1) > BACKLOG_WARNING
