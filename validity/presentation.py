"""How each status is shown to a person: a word that cannot be misread, a sentence, a colour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from delegations.standing import Standing
from validity.answer import Status


@dataclass(frozen=True)
class StatusDisplay:
    word: Any
    explanation: Any
    tone: str  # css modifier: ok | wait | stop | unknown

    @property
    def css(self) -> str:
        return f"status-{self.tone}"


def _word(status: Status) -> Any:
    """The same word the subscriber's pages use for this status (one name per status)."""
    return Standing(status.value).label


STATUS_DISPLAY = {
    Status.VALID: StatusDisplay(_word(Status.VALID), _("この電子委任状は、確認した時点で有効です。"), "ok"),
    Status.NOT_YET_VALID: StatusDisplay(
        _word(Status.NOT_YET_VALID),
        _("この電子委任状の委任期間はまだ始まっていません。現時点では代理権はありません。"),
        "wait",
    ),
    Status.EXPIRED: StatusDisplay(
        _word(Status.EXPIRED), _("この電子委任状の委任期間は終わっています。現時点では代理権はありません。"), "stop"
    ),
    Status.REVOKED: StatusDisplay(
        _word(Status.REVOKED), _("この電子委任状は取り消されています。代理権はありません。"), "stop"
    ),
    Status.SUPERSEDED: StatusDisplay(
        _word(Status.SUPERSEDED),
        _("この電子委任状は変更され、新しい電子委任状に置き換えられています。この ID の電子委任状は無効です。"),
        "stop",
    ),
    Status.UNKNOWN: StatusDisplay(
        _("該当なし"),
        _(
            "この ID の電子委任状は当サービスに登録されていません。ID をもう一度確認してください。有効な電子委任状として扱わないでください。"
        ),
        "unknown",
    ),
}
