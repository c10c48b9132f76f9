"""What the validity services share: the organisation's model under a short name and a refusal."""

from __future__ import annotations

from validity.answer import ValidityError
from validity.models import RecipientOrganisation

Org = RecipientOrganisation


def _refuse(code: str, ja: str, en: str) -> ValidityError:
    return ValidityError(code, 409, ja, en)
