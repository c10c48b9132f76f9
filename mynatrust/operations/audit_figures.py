"""The audit log's figures in /healthz and /metrics. The project wires them here so that the audit
app stays a leaf that imports no other app."""

from __future__ import annotations

from audit import public
from mynatrust.operations import health, metrics


def audit_backlog() -> str:
    return health.WARN if public.backlog_exceeded() else health.OK


def audit_signed_head() -> str:
    """Red when the log no longer extends the last head the sequencer signed (it refuses to sign)."""
    return health.ERROR if public.head_problem() else health.OK


def register() -> None:
    health.register("audit_backlog", audit_backlog)
    health.register("audit_signed_head", audit_signed_head)
    metrics.register_gauge("mynatrust_audit_backlog", "Audit events not yet sealed.", public.unsealed_count)
