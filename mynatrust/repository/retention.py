"""The repository's record kind for mynatrust.operations.retention: a published notice is kept
until its period has ended and the retention period has passed (a termination notice stays, see
docs/retention.md). Registered when the project starts (mynatrust/apps.py), as the apps register
theirs, so the operations ledgers import nothing of the repository."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from mynatrust.operations import retention
from mynatrust.repository.models import Notice


def register() -> None:
    retention.register(
        retention.RecordKind(
            name="repository.notice",
            label=_("告知（掲示終了後）"),
            due=lambda cutoff: Notice.objects.filter(published_at__isnull=False, ends_at__lt=cutoff).exclude(
                kind=Notice.Kind.TERMINATION
            ),
            identify=lambda obj: str(getattr(obj, "public_id", obj.pk)),
        )
    )
