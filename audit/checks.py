"""System checks for the audit log (IDs audit.E0xx)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def audit_configuration(app_configs: Any, **kwargs: Any) -> list[Error]:
    from audit import keys

    errors: list[Error] = []
    if settings.PRODUCTION:
        path = keys.key_path()
        if path is None:
            errors.append(
                Error(
                    "No audit checkpoint key is configured.",
                    hint="Set AUDIT_CHECKPOINT_KEY_PATH to an Ed25519 private key (PKCS#8 PEM) mounted from the secret store; "
                    "`manage.py audit_key --generate PATH` makes one.",
                    id="audit.E001",
                )
            )
        else:
            try:
                keys.private_key()
            except keys.KeyUnavailable as err:
                errors.append(Error(str(err), id="audit.E001"))
    if settings.AUDIT_RETENTION_DAYS < 42:
        errors.append(Error("AUDIT_RETENTION_DAYS is below the 6 weeks §6.2 requires online.", id="audit.E002"))
    if settings.AUDIT_SEALER not in ("thread", "inline", "off"):
        errors.append(Error("AUDIT_SEALER must be thread, inline or off.", id="audit.E003"))
    return errors
