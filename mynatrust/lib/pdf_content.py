"""What a PDF can do when it is opened: scripts, launched programs, forms that submit, attached
files. Bytes in, findings out; no ORM.

The objects are read through pyHanko's reader, so names are seen as the parser decodes them
(``/J#61vaScript`` is ``/JavaScript``) and objects inside compressed object streams are reached.
Stream data is never decoded: only dictionaries are looked at."""

from __future__ import annotations

import io
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

# Names that make a viewer run something or reach outside the file.
ACTIVE = frozenset(
    {"/JavaScript", "/JS", "/Launch", "/SubmitForm", "/ImportData", "/RichMedia", "/XFA", "/GoToR", "/GoToE"}
)
ATTACHMENTS = frozenset({"/EmbeddedFile", "/EmbeddedFiles"})
# A document that reaches more objects than this is treated as hostile rather than walked to the end.
MAX_OBJECTS = 50_000


class PdfContentError(ValueError):
    """The document could not be read to the end (a broken or absurdly large object graph)."""


def active_content(content: bytes, *, allow_attachments: bool = False) -> list[str]:
    """The names of active features found anywhere in the document, sorted; empty when none."""
    try:
        return _walk(content, allow_attachments=allow_attachments)
    except (PdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise PdfContentError("unreadable") from exc


def _walk(content: bytes, *, allow_attachments: bool) -> list[str]:
    reader = PdfFileReader(io.BytesIO(content), strict=False)
    wanted = ACTIVE if allow_attachments else ACTIVE | ATTACHMENTS
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer.raw_get("/Root")]
    while stack:
        item = stack.pop()
        if isinstance(item, generic.IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            if len(seen) > MAX_OBJECTS:
                raise PdfContentError("too_many_objects")
            stack.append(item.get_object())
        elif isinstance(item, generic.DictionaryObject):  # streams too: their dictionary only
            for key in item:
                if key in wanted:
                    found.add(str(key))
                raw = item.raw_get(key)
                if isinstance(raw, generic.NameObject) and raw in wanted:
                    found.add(str(raw))
                elif isinstance(raw, (generic.IndirectObject, generic.DictionaryObject, generic.ArrayObject)):
                    stack.append(raw)
        elif isinstance(item, generic.ArrayObject):
            stack.extend(
                v
                for v in item
                if isinstance(v, (generic.IndirectObject, generic.DictionaryObject, generic.ArrayObject))
            )
    return sorted(found)


def page_count(reader: PdfFileReader) -> int:
    """The pages of the document, counted by walking its page tree; a tree that loops back on
    itself (which sends viewers round for ever) or whose declared /Count disagrees is refused."""
    pages = reader.root["/Pages"]
    seen: set[int] = set()
    count = 0
    stack = [pages]
    while stack:
        node = stack.pop()
        if id(node) in seen or len(seen) > MAX_OBJECTS:
            raise PdfContentError("page_tree_loop")
        seen.add(id(node))
        if node.get("/Type") == "/Pages" or "/Kids" in node:
            stack.extend(kid.get_object() for kid in node["/Kids"])
        else:
            count += 1
    if count != int(pages["/Count"]):
        raise PdfContentError("page_count_mismatch")
    return count
