"""Which terms of use are in force and whether a user has accepted them. Read-only helpers that other
apps call (the registry records acceptance at application with ``services.accept_current_terms``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mynatrust.repository.models import DocumentKind, DocumentVersion, TermsAcceptance

# Accounts of these kinds must accept the terms in force; staff never do.
ACCEPTING_KINDS = frozenset({"subscriber"})


def current_terms(at: datetime | None = None) -> DocumentVersion | None:
    return DocumentVersion.objects.current(DocumentKind.TERMS, at)


def current_privacy_notice(at: datetime | None = None) -> DocumentVersion | None:
    """The privacy notice in force (§2.8(2)(3)), or None while none has been published."""
    return DocumentVersion.objects.current(DocumentKind.PRIVACY, at)


def current_terms_version(at: datetime | None = None) -> str | None:
    """The version label of the terms of use in force (e.g. ``"2026-04-01"``), or None while none
    has been published."""
    terms = current_terms(at)
    return terms.version if terms else None


def has_accepted_current_terms(user: Any) -> bool:
    """True when ``user`` has accepted the terms in force, or no terms are published, or the user's
    kind is not asked to accept them."""
    if getattr(user, "kind", None) not in ACCEPTING_KINDS:
        return True
    terms = current_terms()
    if terms is None:
        return True
    return TermsAcceptance.objects.filter(user=user, document=terms).exists()
