"""What the delegations app announces to the apps above it, which it never imports (the arrows of
docs/architecture.md point one way): they connect receivers in their AppConfig.ready()."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that ends an active delegation for good, with ``delegation`` and
# ``status`` ("revoked" or "superseded"); receivers run in that transaction (send mail on commit).
delegation_ended = Signal()
