"""The audit log's figures in /healthz and /metrics. The project wires them here so that the audit
app stays a leaf that imports no other app."""

from __future__ import annotations

from audit import public
from mynatrust.operations import health, metrics


def audit_backlog() -> str:
    return health.WARN if public.backlog_exceeded() else health.OK


def audit_unsealed_age() -> str:
    """Red when an event stayed unsealed past AUDIT_UNSEALED_MAX_SECONDS (the age is a metric)."""
    return health.ERROR if public.unsealed_too_long() else health.OK


def audit_signed_head() -> str:
    """Red when the log no longer extends the last head the sequencer signed (it refuses to sign)."""
    return health.ERROR if public.head_problem() else health.OK


def register() -> None:
    health.register("audit_backlog", audit_backlog)
    health.register("audit_signed_head", audit_signed_head)
    health.register("audit_unsealed_age", audit_unsealed_age)
    metrics.register_gauge(
        "mynatrust_audit_oldest_unsealed_seconds",
        "Age of the oldest audit event not yet sealed.",
        public.oldest_unsealed_age,
    )
    metrics.register_gauge("mynatrust_audit_backlog", "Audit events not yet sealed.", public.unsealed_count)
