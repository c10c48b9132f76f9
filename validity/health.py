"""/healthz check of this app: the key that signs answers can be loaded. Without it signed (JWS)
answers fail while plain answers still work, so it is a warning."""

from __future__ import annotations

from mynatrust.operations import health
from validity import signing


def signing_key() -> str:
    try:
        signing.current_key()
    except Exception:  # noqa: BLE001  (a missing, unreadable or malformed file alike)
        return health.WARN
    return health.OK


def register() -> None:
    health.register("answer_signing_key", signing_key)
