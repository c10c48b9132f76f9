"""Mail servers on a local port, for the tests of mail that cannot be sent through the real SMTP
backend: one that speaks SMTP and refuses the recipients whose address contains ``refuse``, one
that speaks SMTP and refuses every sender (``MAIL FROM``: the service's address not allowed), one
that accepts the connection and never says a word (a server that hangs: the client waits for its
timeout), one that drops every connection at once, one that hangs up at the first ``MAIL FROM``,
and a port nobody listens on. Each counts the
connections it accepted and the ``MAIL FROM`` commands it was sent."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

SPEAKS, REFUSES_SENDER, SILENT, DROPS = "speaks", "refuses_sender", "silent", "drops"
HANGS_UP = "hangs_up"


@dataclass
class Server:
    port: int
    behaviour: str = SPEAKS
    refuse: str = "\0"
    connections: int = 0
    senders: int = 0
    delivered: list[list[str]] = field(default_factory=list)
    closing: threading.Event = field(default_factory=threading.Event)

    def mailers(self, timeout: float = 0.5) -> dict[str, Any]:
        """settings.MAILERS that send through this server with the real SMTP backend."""
        options = {"host": "127.0.0.1", "port": self.port, "use_tls": False, "timeout": timeout}
        return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}}


class _Handler(socketserver.StreamRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        owner = self.server.owner
        owner.connections += 1
        if owner.behaviour == DROPS:
            return
        if owner.behaviour == SILENT:
            owner.closing.wait(30)
            return
        self._converse(owner)

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def _converse(self, owner: Server) -> None:
        self._say("220 mail.test ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb, text = line[:4].upper(), line.decode(errors="replace")
            if verb in (b"EHLO", b"HELO"):
                self._say("250 mail.test")
            elif verb == b"MAIL":
                owner.senders += 1
                if owner.behaviour == HANGS_UP:
                    return
                refused = owner.behaviour == REFUSES_SENDER
                self._say("553 5.7.1 sender address rejected: not owned by this client" if refused else "250 ok")
            elif verb == b"RCPT":
                refused = owner.refuse in text
                self._say("550 5.1.1 mailbox unavailable" if refused else "250 2.1.5 ok")
                recipients += [] if refused else [text.split(":", 1)[1].strip(" <>\r\n")]
            elif verb == b"DATA":
                self._say("354 go ahead")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                owner.delivered.append(recipients)
                recipients = []
                self._say("250 2.0.0 queued")
            elif verb == b"QUIT":
                self._say("221 bye")
                return
            else:  # RSET, NOOP
                recipients = [] if verb == b"RSET" else recipients
                self._say("250 ok")


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    owner: Server


@contextmanager
def mail_server(behaviour: str = SPEAKS, *, refuse: str = "\0") -> Iterator[Server]:
    """A mail server on a free local port for the time of the block."""
    tcp = _TCPServer(("127.0.0.1", 0), _Handler)
    tcp.owner = Server(tcp.server_address[1], behaviour, refuse)
    thread = threading.Thread(target=tcp.serve_forever, daemon=True)
    thread.start()
    try:
        yield tcp.owner
    finally:
        tcp.owner.closing.set()
        tcp.shutdown()
        tcp.server_close()


def closed_port() -> Server:
    """A local port nobody listens on: a connection to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return Server(sock.getsockname()[1])
