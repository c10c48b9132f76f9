"""The application's confirmation step (入力 → 確認 → 完了): the evidence file held between the
confirmation page and the final button, and the signed token that page carries.

Why a held row and a token: a browser cannot send a file again from a hidden field, and the file
must not be stored as the application's evidence before the final button. So the checked file is
held in ``StagedEvidence`` (the database, like the evidence itself: no host keeps files on disk, no
file travels in a cookie or a page), one row per account under a random ``token``. The page carries
a token signed with the secret key that names the account, that row and the SHA-256 of every value
shown; the final button is accepted only with a token that verifies, is younger than
``REGISTRY_CONFIRMATION_SECONDS``, names the signed-in account and a row it still holds, and whose
digest matches the values sent back. Anything else (a changed value, a forged, expired or replayed
token, another account's token) is refused as ``registry.subscriber.apply_refused`` with a
``confirmation_*`` code, stores nothing, and deletes the refused account's own held file.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.services import record_refusal
from registry.models import StagedEvidence, new_public_id
from registry.pdf_check import CheckedPdf
from registry.services.common import RegistryError

if TYPE_CHECKING:
    from mynatrust.models import User

# The forms that take these steps, and the attempt each refusal is recorded under. A token is signed
# for one of them (its salt), so an application's confirmation never files a change, nor the reverse.
PURPOSES = {
    "apply": "registry.subscriber.apply",
    "change": "registry.facts.change",
    "resubmit": "registry.facts.resubmit",
}

CONFIRMATION_REFUSED = _(
    "確認画面の内容を確認できなかったため、受け付けませんでした。お手数ですが、入力内容をもう一度ご確認ください。"
)


def _salt(purpose: str, kept: bool = False) -> str:
    # ``kept``: the token of the file kept when 修正する goes back to the form.
    return f"registry.{purpose}.{'kept-evidence' if kept else 'confirmation'}"


def values_digest(values: dict[str, Any]) -> str:
    """SHA-256 of the values a confirmation page shows, in a canonical form."""
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def hold_evidence(
    *, actor: User, pdf: CheckedPdf | None, file_name: str = "", kept: StagedEvidence | None = None
) -> StagedEvidence:
    """The confirmation page is reached: hold the newly chosen file (or the kept one, or none) under
    a new token, replacing whatever this account held; expired rows of anyone go first."""
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.REGISTRY_CONFIRMATION_SECONDS)
    with transaction.atomic():
        StagedEvidence.objects.filter(expires_at__lt=now).delete()
        mine = StagedEvidence.objects.filter(owner=actor)
        if pdf is None and kept is not None and mine.filter(pk=kept.pk).exists():
            mine.exclude(pk=kept.pk).delete()
            kept.token, kept.expires_at = new_public_id(), expires_at
            kept.save(update_fields=["token", "expires_at"])
            return kept
        mine.delete()
        return StagedEvidence.objects.create(
            owner=actor,
            file_name=file_name[:255] if pdf else "",
            content=pdf.content if pdf else b"",
            size=len(pdf.content) if pdf else 0,
            sha256=pdf.sha256 if pdf else "",
            page_count=pdf.page_count if pdf else None,
            expires_at=expires_at,
        )


def confirmation_token(held: StagedEvidence, values: dict[str, Any], *, purpose: str = "apply") -> str:
    payload = {"u": held.owner_id, "s": held.token, "v": values_digest(values)}
    return signing.dumps(payload, salt=_salt(purpose))


def kept_token(held: StagedEvidence, *, purpose: str = "apply") -> str:
    return signing.dumps({"u": held.owner_id, "s": held.token}, salt=_salt(purpose, kept=True))


def discard_held(actor: User) -> None:
    """The account's held file, gone (a refused confirmation or submission)."""
    StagedEvidence.objects.filter(owner=actor).delete()


def refuse_confirmation(actor: User, code: str, *, purpose: str = "apply") -> RegistryError:
    """Record a refused confirmation and delete the file this account held; the caller raises or
    shows the returned error."""
    discard_held(actor)
    error = RegistryError(CONFIRMATION_REFUSED, code=code)
    record_refusal(f"{PURPOSES[purpose]}_refused", error, actor=actor)
    return error


def open_held(
    token: str, *, actor: User, purpose: str = "apply", kept: bool = False, values: dict[str, Any] | None = None
) -> StagedEvidence:
    """The held row a confirmation token (or, with ``kept``, the edit form's token) names, after
    every check; ``values``, when given, must be the values the token was signed over."""
    try:
        payload = signing.loads(token, salt=_salt(purpose, kept), max_age=settings.REGISTRY_CONFIRMATION_SECONDS)
    except signing.SignatureExpired:
        raise refuse_confirmation(actor, "confirmation_expired", purpose=purpose) from None
    except signing.BadSignature:
        raise refuse_confirmation(actor, "confirmation_invalid", purpose=purpose) from None
    code = _mismatch(payload, actor, values)
    if code:
        raise refuse_confirmation(actor, code, purpose=purpose)
    return StagedEvidence.objects.get(owner=actor, token=payload["s"])


def _mismatch(payload: Any, actor: User, values: dict[str, Any] | None) -> str:
    """Why a verified token does not submit, or "" when it does."""
    if not isinstance(payload, dict) or payload.get("u") != actor.pk:
        # Another account's page: refused and recorded, that account's held file left alone.
        return "confirmation_other_account"
    held = StagedEvidence.objects.filter(owner=actor, token=payload.get("s")).first()
    if held is None:
        return "confirmation_used"
    if held.expires_at <= timezone.now():
        return "confirmation_expired"
    if values is not None and values_digest(values) != payload.get("v"):
        return "confirmation_changed"
    if held.content and hashlib.sha256(bytes(held.content)).hexdigest() != held.sha256:
        return "confirmation_changed"
    return ""


def held_pdf(held: StagedEvidence | None) -> CheckedPdf | None:
    if held is None or not held.content:
        return None
    return CheckedPdf(bytes(held.content), held.sha256, held.page_count or 0)


def take_held(held: StagedEvidence) -> None:
    """Inside the application's transaction: the held row is used once (a second, concurrent final
    button waits for the first and then finds nothing)."""
    if not StagedEvidence.objects.filter(pk=held.pk, token=held.token).delete()[0]:
        raise RegistryError(CONFIRMATION_REFUSED, code="confirmation_used")
