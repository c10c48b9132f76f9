"""/healthz checks of this app: revocation data freshness. Stale data makes every upload answer
TRY_LATER but the service keeps answering validity queries, so it is a warning, not an outage."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from delegations.models import RevocationList
from mynatrust.operations import health


def revocation_data() -> str:
    if settings.SIGNATURE_REVOCATION_SOURCE != "crl":
        return health.OK  # OCSP and the provider are asked per verification
    current = RevocationList.objects.filter(is_current=True).values_list("next_update", flat=True)
    if not current:
        return health.WARN
    return health.OK if min(current) > timezone.now() else health.WARN


def register() -> None:
    health.register("revocation_data", revocation_data)
