"""The Japanese API page is made from the OpenAPI document: every operation, parameter, response,
schema property and enumerated value of the document is on it, each with Japanese text taken from
the document's own ``x-ja``; the status words are the ones every page uses."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from validity.answer import Status
from validity.api_docs import OPENAPI_PATH
from validity.presentation import STATUS_DISPLAY

pytestmark = pytest.mark.django_db

DOCUMENT = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def described(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every node of the document a person reads about: with an English description or summary,
    and every schema property, operation and parameter."""
    found = []
    if isinstance(node, dict):
        if "description" in node or "summary" in node or re.search(r"/properties/[^/]+$", where):
            found.append((where, node))
        for key, value in node.items():
            if key != "x-ja":
                found += described(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += described(value, f"{where}/{index}")
    return found


def test_every_described_node_of_the_document_has_japanese():
    missing = [
        where
        for where, node in described(DOCUMENT)
        if not node.get("$ref")
        and not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", json.dumps(node.get("x-ja", {}), ensure_ascii=False))
    ]
    assert missing == []


def test_every_enumerated_value_has_a_japanese_label():
    for where, node in described(DOCUMENT):
        for value in node.get("enum", []):
            assert node.get("x-ja", {}).get("enum", {}).get(value), f"{where}: {value}"


def test_the_status_words_are_those_of_every_page():
    labels = DOCUMENT["components"]["schemas"]["ValidityAnswer"]["properties"]["status"]["x-ja"]["enum"]
    for status in Status:
        assert labels[status.value].startswith(str(STATUS_DISPLAY[status].word)), status


def test_the_page_shows_everything_the_document_says(client):
    response = client.get("/api/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1 and 'lang="ja"' in html
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            assert f"{method.upper()} {path}" in html
            assert operation["x-ja"]["summary"] in html
            for parameter in operation.get("parameters", []):
                assert f"<code>{parameter['name']}</code>" in html
            for status in operation["responses"]:
                assert f"<code>{status}</code>" in html
    for where, node in described(DOCUMENT):
        if "/properties/" in where:
            assert f"{where.rsplit('/', 1)[-1]}</code>" in html, where
        for value in node.get("enum", []):
            assert f"<code>{value}</code>" in html, value
    assert "印刷されている電子委任状 ID" in html  # Japanese from x-ja, rendered with <code> spans
    assert "<code>7K3Q-9XWA-2M4P-HJ</code>" in html
    assert "The delegation ID as printed" not in html  # the English stays in the JSON


def test_the_public_site_links_the_page(client):
    html = client.get("/").content.decode()
    assert 'href="/api/"' in html
    assert 'href="/api/"' in client.get("/repository/").content.decode()
