"""A console mail backend for the demo that prints messages as a person reads them (headers decoded,
body as text), so links in Japanese mails can be clicked from the terminal."""

from __future__ import annotations

from typing import Any

from django.core.mail.backends.console import EmailBackend


class ReadableConsoleBackend(EmailBackend):
    def write_message(self, message: Any) -> None:
        lines = [
            f"From: {message.from_email}",
            f"To: {', '.join(message.to)}",
            f"Subject: {message.subject}",
            "",
            str(message.body),
        ]
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")
