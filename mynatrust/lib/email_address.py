"""One form of an e-mail address wherever it is a key (sign-in, lockout counters, sign-up, password
reset, invitations, staff appointment).

Unicode NFKC turns full-width letters, digits and ``＠`` into ASCII; case folding makes ``Victim``,
``vIctim`` and ``ＶＩＣＴＩＭ`` one key. Stored addresses are ASCII in their local part (Django's
validator allows nothing else there), so folding them changes nothing. Pure: no Django import."""

from __future__ import annotations

import unicodedata


def canonical_email(text: str | None) -> str:
    """``text`` as the key every lookup and counter uses: NFKC, surrounding spaces removed, case folded."""
    folded = unicodedata.normalize("NFKC", text or "").strip().casefold()
    # Folding can leave a string that NFKC would write differently (rare compatibility forms).
    return unicodedata.normalize("NFKC", folded)
