"""Parsing XML that came from outside, and validating it against the package's XSDs.

The parser resolves no entities, loads no DTD, touches no network and refuses documents with a
DOCTYPE at all (entity-expansion and XXE attacks need one), over a size limit, or beyond libxml2's
ordinary depth and text-node limits (``huge_tree`` stays off).
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from lxml import etree

from .errors import DocumentError

MAX_XML_BYTES = 256 * 1024
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


def hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        collect_ids=False,
    )


def parse_untrusted(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """The root element of ``data``, or :class:`DocumentError`."""
    if not isinstance(data, bytes):
        raise DocumentError(DocumentError.NOT_WELL_FORMED, _("XML ファイルを読み取れません。"), detail="bytes expected")
    if len(data) > max_bytes:
        raise DocumentError(
            DocumentError.TOO_LARGE,
            _("XML ファイルが大きすぎます（上限 %(limit)d KiB）。"),
            limit=max_bytes // 1024,
            detail=f"{len(data)} bytes",
        )
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _forbidden("DOCTYPE or ENTITY declaration")
    try:
        root = etree.fromstring(data, parser=hardened_parser())
    except etree.XMLSyntaxError as error:
        raise DocumentError(
            DocumentError.NOT_WELL_FORMED, _("XML ファイルの形式が正しくありません。"), detail=str(error)
        ) from error
    tree = root.getroottree()
    # The byte check above misses a DOCTYPE in another encoding (UTF-16); the parsed tree does not.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        raise _forbidden("document type declaration")
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise _forbidden("entity reference")
    return root


@functools.cache
def load_schema(filename: str) -> etree.XMLSchema:
    with (SCHEMA_DIR / filename).open("rb") as handle:
        document = etree.parse(handle, parser=hardened_parser())
    return etree.XMLSchema(document)


def validate(root: etree._Element, schema_filename: str) -> None:
    schema = load_schema(schema_filename)
    if not schema.validate(root):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
        raise DocumentError(
            DocumentError.SCHEMA_INVALID,
            _("XML ファイルの内容が電子委任状の形式（スキーマ）に合っていません。"),
            detail=errors,
        )


def _forbidden(detail: str) -> DocumentError:
    return DocumentError(
        DocumentError.FORBIDDEN_CONSTRUCT,
        _("XML ファイルに使用できない構文（DOCTYPE や実体参照）が含まれています。"),
        detail=detail,
    )
