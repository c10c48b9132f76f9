"""The Japanese API page (/api/) made from the OpenAPI document the API serves (validity/openapi.json):
every operation, parameter, response, header and schema property comes from the document, and its
Japanese text from the document's own ``x-ja`` extension beside each English description (with
``enum`` labels for the values of status and error codes). Nothing about the API is written twice:
a property added to the document appears on the page, and a test fails while it has no Japanese."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

METHODS = ("get", "post", "put", "patch", "delete")
PLACES = {"path": "パス", "query": "クエリ", "header": "ヘッダー", "cookie": "クッキー"}
TYPES = {
    "string": "文字列",
    "integer": "整数",
    "number": "数値",
    "boolean": "真偽値",
    "object": "オブジェクト",
    "array": "配列",
    "null": "null",
}
FORMATS = {"date": "日付", "date-time": "日時", "delegation-id": "電子委任状 ID"}
OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.json"


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as the API serves it (validity.api) and this page reads it."""
    return json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def japanese(node: dict[str, Any], key: str = "description") -> SafeString:
    """The Japanese ``key`` of a node of the document ('' when it has none), escaped, with the
    document's `code` spans as <code> (names and values a program uses)."""
    text = escape(str(node.get("x-ja", {}).get(key, "")))
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", text))  # noqa: S308 (escaped above)


def resolve(document: dict[str, Any], node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A node with its ``$ref`` followed: (the referenced component's name or '', the node)."""
    name = ""
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return name, node


def type_text(document: dict[str, Any], node: dict[str, Any]) -> str:
    name, schema = resolve(document, node)
    if "const" in schema:
        return f"固定値 {schema['const']}"
    kinds = schema.get("type", "object" if "properties" in schema else "")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    text = "または".join(TYPES.get(str(kind), str(kind)) for kind in kinds if kind)
    if schema.get("format") in FORMATS:
        text += f"（{FORMATS[schema['format']]}）"
    if name:
        text += f"（{name}）"
    return text


@dataclass
class Row:
    name: str
    type: str
    required: bool
    description: SafeString
    values: list[tuple[str, str]] = field(default_factory=list)
    pattern: str = ""


def property_rows(document: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> list[Row]:
    """One row per property of ``schema``, nested objects flattened (``period.valid_from``); a
    property that refers to another named schema is one row naming it."""
    rows: list[Row] = []
    required = set(schema.get("required", []))
    for name, node in schema.get("properties", {}).items():
        ref, target = resolve(document, node)
        labels = node.get("x-ja", {}).get("enum", {})
        rows.append(
            Row(
                name=prefix + name,
                type=type_text(document, node),
                required=name in required,
                description=japanese(node) or japanese(target),
                values=[(value, labels.get(value, "")) for value in target.get("enum", [])],
                pattern=target.get("pattern", ""),
            )
        )
        if not ref and "properties" in target:
            rows += property_rows(document, target, prefix=f"{prefix}{name}.")
    return rows


def _operation(
    document: dict[str, Any], path: str, method: str, operation: dict[str, Any], base_url: str
) -> dict[str, Any]:
    parameters = [
        Row(
            name=parameter["name"],
            type=PLACES.get(parameter["in"], parameter["in"]) + "・" + type_text(document, parameter["schema"]),
            required=bool(parameter.get("required")),
            description=japanese(parameter),
            pattern=parameter["schema"].get("pattern", ""),
        )
        for parameter in (resolve(document, p)[1] for p in operation.get("parameters", []))
    ]
    return {
        "id": operation.get("operationId", ""),
        "method": method.upper(),
        "path": path,
        "url": base_url + path,
        "summary": japanese(operation, "summary"),
        "authenticated": operation.get("security", document.get("security")) != [],
        "parameters": parameters,
        "responses": [
            _response(document, status, response) for status, response in operation.get("responses", {}).items()
        ],
    }


def _response(document: dict[str, Any], status: str, response: dict[str, Any]) -> dict[str, Any]:
    _name, target = resolve(document, response)
    content = []
    for media, body in target.get("content", {}).items():
        ref, schema = resolve(document, body.get("schema", {}))
        content.append((media, ref or type_text(document, schema), japanese(body.get("schema", {}))))
    headers = [resolve(document, h)[1] | {"name": h_name} for h_name, h in target.get("headers", {}).items()]
    return {
        "status": status,
        "description": japanese(target),
        "content": content,
        "headers": [(h["name"], japanese(h)) for h in headers],
    }


def page(document: dict[str, Any], base_url: str) -> dict[str, Any]:
    """What the template shows, taken from ``document``."""
    operations = [
        _operation(document, path, method, item[method], base_url)
        for path, item in document.get("paths", {}).items()
        for method in METHODS
        if method in item
    ]
    components = document.get("components", {})
    schemas = [
        {
            "name": name,
            "description": japanese(schema),
            "type": type_text(document, schema),
            "rows": property_rows(document, schema),
        }
        for name, schema in components.get("schemas", {}).items()
    ]
    security = [(name, japanese(scheme)) for name, scheme in components.get("securitySchemes", {}).items()]
    info = document.get("info", {})
    return {
        "title": japanese(info, "title"),
        "summary": japanese(info, "summary"),
        "description": japanese(info),
        "version": info.get("version", ""),
        "operations": operations,
        "schemas": schemas,
        "security": security,
    }
