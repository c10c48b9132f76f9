"""Attaching a file to a PDF and reading it back, for the XML that the PDF carries.

Attaching appends an incremental update (pyHanko) with the file in the document's EmbeddedFiles
name tree; the PDF stays version 1.7 (no /AF association, which would make it PDF 2.0 and trouble
older signing software) and stays signable: a PAdES signature added later is another incremental
update that covers this one.

Reading walks the name tree of the newest revision, so a caller must first know that the
signature covers the whole file (apart from later signatures), which the signature check does.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from .errors import DocumentError

MAX_EMBEDDED_BYTES = 1024 * 1024
_MAX_TREE_DEPTH = 8
# The layout is rendered "invariant" (its dates fixed at this instant); the attachment keeps it so.
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)


class _Writer(IncrementalPdfFileWriter):
    """pyHanko stamps the document information's /ModDate with the current second when it writes,
    so two renderings a second apart differed; the same document must give the same bytes."""

    def _update_meta(self) -> None:
        super()._update_meta()
        info = self._info.get_object() if self._info is not None else None
        if info is not None and "/ModDate" in info:
            info["/ModDate"] = generic.pdf_date(FIXED_DATE)


def attach(pdf: bytes, data: bytes, *, filename: str, mime_type: str, description: str) -> bytes:
    writer = _Writer(BytesIO(pdf), strict=True)
    embedded = EmbeddedFileObject.from_file_data(
        writer, data, mime_type=mime_type, params=EmbeddedFileParams(embed_size=True, embed_checksum=True)
    )
    embed_file(
        writer, FileSpec(file_spec_string=filename, file_name=filename, embedded_data=embedded, description=description)
    )
    # The second half of the trailer /ID changes with every revision; pyHanko makes it random. Derive
    # it from the attached bytes instead, so that the same document always gives the same PDF.
    first_id = writer.document_id[0]
    writer._document_id = generic.ArrayObject(
        [generic.ByteStringObject(first_id), generic.ByteStringObject(hashlib.sha256(data).digest()[:16])]
    )
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def extract(pdf: bytes, filename: str, *, max_bytes: int = MAX_EMBEDDED_BYTES) -> bytes:
    """The bytes of the one embedded file called ``filename``, or :class:`DocumentError`."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        names = _entry(reader.root, "/Names")
        tree = _entry(names, "/EmbeddedFiles") if names is not None else None
        found = list(_find(tree, filename, 0)) if tree is not None else []
        if len(found) != 1:
            raise DocumentError(
                DocumentError.NO_EMBEDDED_XML,
                _("PDF に電子委任状の XML（%(filename)s）が添付されていません。"),
                filename=filename,
                detail=f"{len(found)} embedded files named {filename}",
            )
        return _stream_data(found[0], max_bytes)
    except DocumentError:
        raise
    except (
        PdfError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        IndexError,
        NotImplementedError,
        RecursionError,
        zlib.error,
    ) as error:
        # Whatever a malformed or hostile file makes the reader raise is one answer: not readable.
        raise DocumentError(
            DocumentError.NOT_A_PDF, _("PDF ファイルを読み取れません。"), detail=f"{type(error).__name__}: {error}"
        ) from error


def _entry(dictionary: Any, key: str) -> Any:
    # pyHanko's DictionaryObject.get() returns indirect references unresolved; [] resolves them.
    try:
        return dictionary[key]
    except KeyError:
        return None


def _find(node: Any, filename: str, depth: int) -> Iterator[Any]:
    # A name tree: leaves carry /Names [key1 value1 key2 value2 ...], inner nodes /Kids.
    if depth > _MAX_TREE_DEPTH:
        raise ValueError("embedded-file name tree too deep")
    node = node.get_object()
    names = _entry(node, "/Names")
    if names is not None:
        for index in range(0, len(names) - 1, 2):
            key = names[index].get_object()
            if isinstance(key, generic.TextStringObject | generic.ByteStringObject) and _text(key) == filename:
                yield names[index + 1].get_object()
    for kid in _entry(node, "/Kids") or ():
        yield from _find(kid, filename, depth + 1)


def _text(value: generic.TextStringObject | generic.ByteStringObject) -> str:
    return str(value) if isinstance(value, generic.TextStringObject) else bytes(value).decode("latin-1")


def _stream_data(spec: Any, max_bytes: int) -> bytes:
    stream = spec["/EF"]["/F"]
    if not isinstance(stream, generic.StreamObject):
        raise TypeError("embedded file is not a stream")
    filters = _entry(stream, "/Filter")
    if filters is None:
        data = stream.encoded_data
    else:
        names = [filters] if isinstance(filters, generic.NameObject) else list(filters)
        if names != ["/FlateDecode"] or "/DecodeParms" in stream:
            raise ValueError(f"unexpected filters {names}")
        # Decompress with a ceiling, so a small stream cannot expand into gigabytes.
        inflater = zlib.decompressobj()
        data = inflater.decompress(stream.encoded_data, max_bytes + 1)
        if inflater.unconsumed_tail:
            data += b"x"  # more than the ceiling
    if len(data) > max_bytes:
        raise DocumentError(
            DocumentError.TOO_LARGE,
            _("PDF に添付された XML が大きすぎます（上限 %(limit)d KiB）。"),
            limit=max_bytes // 1024,
            detail=f"more than {max_bytes} bytes",
        )
    return data
