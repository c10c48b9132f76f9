"""The NTA Web-API client against a local HTTP server answering in the published XML format (type=12)."""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from registry.nta import COLUMNS, NtaApiError, NtaClient, parse_num_response

from .nta_data import nta_row, number_for

FOUND = number_for(1)
CLOSED = number_for(2)
MISSING = number_for(3)
BROKEN = number_for(4)
SLOW = number_for(5)
GARBLED = number_for(6)


def corporations_xml(rows: list[list[str]]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<corporations>",
        "<lastUpdateDate>2024-11-29</lastUpdateDate>",
        f"<count>{len(rows)}</count>",
        "<divideNumber>1</divideNumber>",
        "<divideSize>1</divideSize>",
    ]
    for row in rows:
        parts.append("<corporation>")
        parts.extend(
            f"<{name}>{value}</{name}>" if value else f"<{name}/>"
            for (name, _f, _n), value in zip(COLUMNS, row, strict=False)
        )
        parts.append("</corporation>")
    parts.append("</corporations>")
    return "\n".join(parts).encode()


class Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        Handler.seen.append(query)
        number = query.get("number", [""])[0]
        if url.path != "/4/num":
            return self._send(404, b"not found")
        if number == BROKEN:
            return self._send(500, b"<error>internal</error>")
        if number == SLOW:
            time.sleep(1.5)
        if number == GARBLED:
            return self._send(200, b"<html>maintenance</html")
        rows = {
            FOUND: [nta_row(1, name="株式会社みなと商事")],
            CLOSED: [nta_row(2, close_date="2023-03-31", process="21")],
            SLOW: [nta_row(5)],
        }.get(number, [])
        self._send(200, corporations_xml(rows))

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/xml; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def nta_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/4"
    server.shutdown()
    server.server_close()


def test_it_finds_a_corporation_by_number(nta_server):
    info = NtaClient(nta_server, "APPID123", timeout=2).lookup(FOUND)
    assert info is not None
    assert info.values["name"] == "株式会社みなと商事"
    assert info.values["close_date"] is None
    query = Handler.seen[-1]
    assert query["id"] == ["APPID123"] and query["type"] == ["12"] and query["number"] == [FOUND]


def test_a_closed_corporation_comes_back_with_its_close_date(nta_server):
    info = NtaClient(nta_server, "APPID123", timeout=2).lookup(CLOSED)
    assert info is not None and info.values["close_date"].isoformat() == "2023-03-31"


def test_an_unknown_number_is_none(nta_server):
    assert NtaClient(nta_server, "APPID123", timeout=2).lookup(MISSING) is None


def test_a_server_error_is_an_error(nta_server):
    with pytest.raises(NtaApiError) as error:
        NtaClient(nta_server, "APPID123", timeout=2).lookup(BROKEN)
    assert error.value.code == "http"


def test_a_slow_server_times_out(nta_server):
    with pytest.raises(NtaApiError) as error:
        NtaClient(nta_server, "APPID123", timeout=0.3).lookup(SLOW)
    assert error.value.code == "timeout"


def test_a_response_that_is_not_the_xml_format_is_an_error(nta_server):
    with pytest.raises(NtaApiError) as error:
        NtaClient(nta_server, "APPID123", timeout=2).lookup(GARBLED)
    assert error.value.code == "bad_response"


def test_nothing_listening_is_unavailable():
    with pytest.raises(NtaApiError) as error:
        NtaClient("http://127.0.0.1:9/4", "APPID123", timeout=1).lookup(FOUND)
    assert error.value.code in ("unavailable", "timeout")


def test_entities_in_a_response_are_not_expanded():
    body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><corporations><count>0</count></corporations>'
    assert parse_num_response(body) == []


@pytest.mark.django_db
def test_an_application_uses_the_web_api_when_the_number_is_not_in_the_table(nta_server, settings, subscriber_member):
    from .conftest import apply

    settings.NTA_APPLICATION_ID = "APPID123"
    settings.NTA_API_URL = nta_server
    subscriber = apply(subscriber_member, number=FOUND, address="大阪府大阪市北区1-2-2")
    check = subscriber.facts.get().nta_check
    assert check["status"] == "found" and check["source"] == "api"
    assert check["name"] == "株式会社みなと商事"
    assert check["findings"] == []


@pytest.mark.django_db
def test_an_application_for_a_closed_corporation_is_flagged_for_the_reviewer(nta_server, settings, subscriber_member):
    from .conftest import apply

    settings.NTA_APPLICATION_ID = "APPID123"
    settings.NTA_API_URL = nta_server
    check = apply(subscriber_member, number=CLOSED).facts.get().nta_check
    assert check["status"] == "closed"
    assert "closed" in check["findings"]
