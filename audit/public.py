"""What the audit log publishes: the checkpoint public key (for auditors' offline verification) and
the figures the project's /healthz and /metrics report (wired by the project, so that audit imports
no other app)."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from audit import heads, keys, services, signing
from audit.actors import ActorRecord
from audit.models import AuditEvent, AuditSeal, AuditSegment
from audit.sealing import LOCK_KEY

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


@csrf_exempt  # a witness on another host posts JSON; nothing here rests on a browser session
@never_cache
@require_http_methods(["GET", "POST"])
def checkpoint(request: HttpRequest) -> HttpResponse:
    """GET: the latest signed checkpoint (with ``?since=SEQ``, the chain links after SEQ up to it),
    for a witness. POST: a witness's cosignature of it (stored when the witness's key is registered
    and the signature checks; refused otherwise, as an audit event)."""
    if request.method == "POST":
        try:
            cosignature = json.loads(request.body)
        except ValueError:
            cosignature = None
        if not isinstance(cosignature, dict):
            return JsonResponse({"error": "a JSON object is expected"}, status=400)
        actor = ActorRecord("witness", str(cosignature.get("witness_key_id", ""))[:64], "witness")
        try:
            stored = services.record_cosignature(cosignature, actor=actor)
        except services.AuditError as err:
            return JsonResponse({"error": err.message}, status=400)
        return JsonResponse({"stored": True, "seq": stored.seq}, status=201)
    since_text = request.GET.get("since")
    since = int(since_text) if since_text and since_text.isdigit() else None
    if since_text and since is None:
        return JsonResponse({"error": "since is a sequence number"}, status=400)
    try:
        document = services.checkpoint_document(since)
    except (services.AuditError, keys.KeyUnavailable):
        return JsonResponse({"error": "no checkpoint yet"}, status=404)
    return JsonResponse(document)


def unsealed_count(limit: int | None = None) -> int:
    events = AuditEvent.objects.unsealed()
    return events[:limit].count() if limit else events.count()


def oldest_unsealed_age() -> float:
    """Seconds since the oldest event still unsealed was recorded (0 when none is)."""
    oldest = AuditEvent.objects.unsealed().aggregate(oldest=Min("created_at"))["oldest"]
    return max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0


def unsealed_too_long() -> bool:
    return oldest_unsealed_age() > settings.AUDIT_UNSEALED_MAX_SECONDS


def backlog_exceeded() -> bool:
    """True when more than BACKLOG_WARNING events wait for the sequencer."""
    return unsealed_count(BACKLOG_WARNING + 1) > BACKLOG_WARNING


def head_problem() -> str | None:
    """Whether the stored chain still runs through the last head the sequencer signed (kept
    outside the database): None when it does (or nothing was signed yet), else what is wrong."""
    path = keys.head_path()
    if path is None:
        return None
    try:
        last = heads.read(path)
    except heads.Unreadable as err:
        return str(err)
    if last is None or last.seq == 0:
        return None
    problem = _stored_head_problem(last)
    if problem is not None and _waited_for_the_sequencer():
        # The sequencer writes the head just before its transaction commits: a probe in that moment
        # reads a head whose seal it cannot see yet. Asked again once the sequencer has let go of its
        # lock, the seal is there, or the transaction rolled back and the problem is real.
        return _stored_head_problem(last)
    return problem


# How long a probe waits for a sequencer holding its lock before it reports what it found (a
# sequencer between writing its head and committing holds it for milliseconds).
SEQUENCER_WAIT_SECONDS = 2.0


def _stored_head_problem(last: heads.Head) -> str | None:
    stored = AuditSeal.objects.filter(seq=last.seq).values_list("hash", flat=True).first()
    if stored is not None:
        if stored == last.head:
            return None
        return gettext("#%(end)s のハッシュ値が最後に署名した先頭と違います") % {"end": last.seq}
    if AuditSegment.objects.filter(first_seq__lte=last.seq, last_seq__gte=last.seq).exists():
        return None  # archived and pruned since
    return gettext("#%(seq)s（最後に署名した先頭）がログにありません") % {"seq": last.seq}


def _waited_for_the_sequencer() -> bool:
    """Whether a sequencer held its lock and let go of it within SEQUENCER_WAIT_SECONDS (PostgreSQL;
    SQLite has one writer and no such moment). The lock is tried, never waited on inside the
    database, and released at once, so the sequencer never waits for a probe."""
    if connection.vendor != "postgresql":
        return False
    deadline = time.monotonic() + SEQUENCER_WAIT_SECONDS
    held = False
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if cursor.fetchone()[0]:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
                return held
            held = True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
