"""The validity answer (§5.3; docs/architecture.md §6): pure facts in, a status and a JSON document out.

No ORM and no settings here. The delegations app provides a :class:`DelegationFacts` for a stored
delegation (see ``validity/lookup.py``); this module decides what the service says about it at a
given instant and how that is written down. Everything is computed in Japan time: the period of a
delegation is a pair of calendar dates in Japan, inclusive at both ends, so a delegation valid
"until 2027-03-31" is valid up to 2027-03-31 23:59:59.999999 JST and expired from 2027-04-01
00:00 JST.

Errors are documents too: a stable ``code`` and the message in Japanese and English, so a program
can branch on the code and a person can read the message whatever language they use.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import translation

from delegations.standing import standing_at, starts_at
from kernel import ServiceError
from mynatrust.lib import delegation_id as delegation_ids

JST = ZoneInfo("Asia/Tokyo")
SHA256_HEX = re.compile(r"^[0-9A-Fa-f]{64}$")


class Status(StrEnum):
    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class DelegationFacts:
    """What a stored delegation tells the validity service. Filled from the signed bytes the
    delegations app stored, never from form input.

    ``valid_from``/``valid_until`` are calendar dates in Japan, inclusive. ``revoked_at`` and
    ``superseded_at`` are aware datetimes (any zone) or None; ``superseded_by`` is the ID of the
    delegation that replaced this one (§4.2), kept for the audit trail but never disclosed in an
    answer. ``signed_file_sha256`` is the lower-case hex SHA-256 of the stored signed file.
    """

    delegation_id: str
    valid_from: date
    valid_until: date
    revoked_at: datetime | None = None
    superseded_by: str | None = None
    superseded_at: datetime | None = None
    principal_name: str
    principal_corporate_number: str = ""  # empty for a sole proprietor
    agent_name: str
    agent_title: str = ""
    powers: str
    limitations: str = ""
    signed_file_sha256: str


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment


def status_at(facts: DelegationFacts | None, at: datetime) -> Status:
    """The status of a delegation at the instant ``at`` (aware): the subscriber's pages and mails
    read the same function (:func:`delegations.standing.standing_at`), so both audiences agree."""
    _aware(at)
    if facts is None:
        return Status.UNKNOWN
    return Status(
        standing_at(
            lifecycle="active",
            valid_from=facts.valid_from,
            valid_until=facts.valid_until,
            revoked_at=facts.revoked_at,
            superseded=bool(facts.superseded_by),
            superseded_at=facts.superseded_at,
            at=at,
        ).value
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(JST).isoformat(timespec="seconds")


@lru_cache(maxsize=4096)
def _period(valid_from: date, valid_until: date) -> tuple[tuple[str, str], ...]:
    """The answer's ``period``, written once per pair of dates a process meets (a delegation is
    asked about again and again), as items: each answer gets a dict of its own."""
    return (
        ("valid_from", valid_from.isoformat()),
        ("valid_until", valid_until.isoformat()),
        ("time_zone", "Asia/Tokyo"),
        ("starts_at", _iso(starts_at(valid_from))),
        ("ends_before", _iso(starts_at(valid_until + timedelta(days=1)))),
    )


def build_answer(
    delegation_id: str,
    facts: DelegationFacts | None,
    *,
    checked_at: datetime,
    issuer: str,
    sha256: str | None = None,
) -> dict[str, Any]:
    """The answer document. ``delegation_id`` is the canonical ID that was asked about; ``sha256``
    the digest the caller holds (already validated with :func:`parse_sha256`), or None.

    An unknown ID gives the status and nothing else: not even whether a digest would have matched.
    """
    status = status_at(facts, checked_at)
    answer: dict[str, Any] = {
        "issuer": issuer,
        "delegation_id": delegation_id,
        "status": status.value,
        "checked_at": _iso(checked_at),
    }
    if facts is None:
        return answer
    answer["period"] = dict(_period(facts.valid_from, facts.valid_until))
    if status is Status.REVOKED and facts.revoked_at is not None:
        answer["revoked_at"] = _iso(facts.revoked_at)
    if status is Status.SUPERSEDED and facts.superseded_at is not None:
        answer["superseded_at"] = _iso(facts.superseded_at)
    answer["principal"] = {"name": facts.principal_name, "corporate_number": facts.principal_corporate_number or None}
    answer["agent"] = {"name": facts.agent_name, "title": facts.agent_title or None}
    answer["powers"] = facts.powers
    answer["limitations"] = facts.limitations or None
    answer["signed_file_sha256"] = facts.signed_file_sha256
    if sha256 is not None:
        answer["digest_match"] = digest_matches(facts.signed_file_sha256, sha256)
    return answer


def digest_matches(stored: str, given: str) -> bool:
    return hmac.compare_digest(stored.lower().encode(), given.lower().encode())


# json.dumps with these options builds an encoder per call; the answer's is built once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def encode(document: dict[str, Any]) -> bytes:
    """The one serialisation of an answer or error: the plain response body and the JWS payload."""
    return _ENCODER.encode(document).encode()


# --- errors --------------------------------------------------------------------------------------


class ValidityError(ServiceError):
    """The validity app's one domain error: a refused request or action. ``code`` is stable,
    ``status`` the HTTP status an API answers with, ``messages`` the text in Japanese and English
    (an API error carries both; a page shows :attr:`message`, in the active language).

    The pairs are written here rather than taken from the catalogue because one API answer carries
    both languages at once, whatever language the request had (CONTRIBUTING.md, "Text and
    languages")."""

    def __init__(self, code: str, status: int, ja: str, en: str, **params: Any) -> None:
        super().__init__(ja, code=code)
        self.status = status
        self.messages = {"ja": str(ja), "en": str(en)}
        self.params = params

    @property
    def message(self) -> str:
        language = translation.get_language() or "ja"
        return self.messages["en"] if language.startswith("en") else self.messages["ja"]

    def document(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": dict(self.messages), **self.params}}


# Codes of a malformed delegation ID (mynatrust.lib.delegation_id) as the API names them.
ID_ERROR_CODES = {
    delegation_ids.DelegationIdError.EMPTY: "id_empty",
    delegation_ids.DelegationIdError.BAD_LENGTH: "id_bad_length",
    delegation_ids.DelegationIdError.BAD_CHARACTER: "id_bad_character",
    delegation_ids.DelegationIdError.BAD_CHECK: "id_bad_check",
}
_ID_ERRORS_EN = {
    delegation_ids.DelegationIdError.EMPTY: "The delegation ID is empty.",
    delegation_ids.DelegationIdError.BAD_LENGTH: (
        "A delegation ID has %(expected)d characters, not counting hyphens (%(actual)d given)."
    ),
    delegation_ids.DelegationIdError.BAD_CHARACTER: (
        "Character %(position)d, “%(character)s”, cannot appear in a delegation ID."
    ),
    delegation_ids.DelegationIdError.BAD_CHECK: (
        "The delegation ID is not correct: its check character does not match. Look for a typing error."
    ),
}


def parse_delegation_id(text: str, *, declared_only: bool = False) -> str:
    """The canonical ID, or an :class:`ValidityError` (400) that says which problem it has. With
    ``declared_only`` (the API) only the forms its OpenAPI document declares are read
    (:data:`mynatrust.lib.delegation_id.DECLARED_PATTERN`)."""
    try:
        return (delegation_ids.parse_declared if declared_only else delegation_ids.parse)(text)
    except delegation_ids.DelegationIdError as error:
        with translation.override("ja"):
            ja = error.message
        template = _ID_ERRORS_EN.get(error.code, "The delegation ID is malformed.")
        try:
            en = template % error.params if error.params else template
        except (KeyError, TypeError, ValueError):  # a codec message this module does not know yet
            en = "The delegation ID is malformed."
        params = {k: v for k, v in error.params.items() if k in ("position", "expected", "actual")}
        raise ValidityError(ID_ERROR_CODES.get(error.code, "id_malformed"), 400, ja, en, **params) from None


def parse_sha256(text: str | None) -> str | None:
    """The lower-case hex digest from ``?sha256=``, None when absent, or an :class:`ValidityError`."""
    if text is None:
        return None
    if not SHA256_HEX.match(text):
        raise ValidityError(
            "bad_sha256",
            400,
            "sha256 には SHA-256 ダイジェストを16進数64文字で指定してください。",
            "sha256 must be a SHA-256 digest written as 64 hexadecimal characters.",
        )
    return text.lower()


MISSING_KEY = ("missing_api_key", 401, "API キーが指定されていません。", "No API key was given.")
INVALID_KEY = (
    "invalid_api_key",
    401,
    "API キーが無効です（誤り、失効、期限切れ、または登録が承認されていません）。",
    "The API key is not valid (wrong, revoked, expired, or the registration is not approved).",
)
RATE_LIMITED = (
    "rate_limited",
    429,
    "照会の回数が上限を超えました。Retry-After の秒数だけ待ってから再度照会してください。",
    "Too many queries. Wait for the number of seconds in Retry-After, then ask again.",
)
UNKNOWN_PARAMETER = (
    "unknown_parameter",
    400,
    "使えないクエリパラメータがあります。使えるのは sha256 だけです。",
    "Unknown query parameter; the only one accepted is sha256.",
)
NOT_ACCEPTABLE = (
    "not_acceptable",
    406,
    "application/json または application/jose を Accept に指定してください。",
    "Accept application/json or application/jose.",
)
SIGNING_UNAVAILABLE = (
    "signing_unavailable",
    503,
    "署名付き回答は現在利用できません。",
    "Signed answers are not available at the moment.",
)


def error(spec: tuple[str, int, str, str], **params: Any) -> ValidityError:
    """A :class:`ValidityError` from one of the specs above."""
    code, status, ja, en = spec
    return ValidityError(code, status, ja, en, **params)
