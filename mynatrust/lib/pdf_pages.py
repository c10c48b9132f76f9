"""One page of a PDF as a PNG image, drawn by poppler's ``pdftoppm`` in a child process. Bytes in,
bytes out; no ORM.

Why a separate program rather than a renderer inside the worker: a PDF comes from an applicant, and
drawing one is where PDF software has had its memory-safety flaws. In a child process the drawing
runs with a memory, CPU-time and output-size ceiling (``setrlimit``), an empty environment and a
wall-clock timeout, and a crash or a hang costs that process, not the web worker. poppler-utils is
a Debian package kept up to date by Debian's security team, and poppler has no JavaScript engine:
it draws the page and never runs a script, follows a link or submits a form. What reaches the
browser is pixels (a PNG, checked by its signature), so nothing in the file can act there either.

Bounds: the longer side of the image is at most ``size`` pixels whatever the page's declared size
(``-scale-to``), so a page declared kilometres wide cannot make a huge image; only the pages up to a
limit are offered (``REGISTRY_EVIDENCE_PREVIEW_PAGES``); the file's own size was limited at upload."""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MEMORY_BYTES = 768 * 1024 * 1024  # address space of the drawing process
CPU_SECONDS = 10
OUTPUT_BYTES = 16 * 1024 * 1024  # one page's PNG at most
TIMEOUT_SECONDS = 15.0


class PdfPageError(RuntimeError):
    """The page could not be drawn: ``code`` is one of missing_renderer, failed, timeout, not_png."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def renderer() -> str | None:
    return shutil.which("pdftoppm")


def _limits() -> None:  # pragma: no cover  (runs in the child, between fork and exec)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_BYTES, OUTPUT_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def render_page(content: bytes, number: int, *, size: int = 1600) -> bytes:
    """Page ``number`` (1-based) of the PDF ``content`` as a PNG whose longer side is ``size`` px."""
    program = renderer()
    if program is None:
        raise PdfPageError("missing_renderer")
    if number < 1:
        raise PdfPageError("failed")
    with tempfile.TemporaryDirectory(prefix="mt-pdfpage-") as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(content)
        target = Path(folder) / "page"
        command = [program, "-q", "-png", "-singlefile", "-f", str(number), "-l", str(number)]
        command += ["-scale-to", str(size), str(source), str(target)]
        try:
            done = subprocess.run(  # noqa: S603  (a fixed program and arguments, no shell)
                command,
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                cwd=folder,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                preexec_fn=_limits,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PdfPageError("timeout") from exc
        image = target.with_suffix(".png")
        if done.returncode != 0 or not image.exists():
            raise PdfPageError("failed")
        data = image.read_bytes()
    if not data.startswith(PNG_SIGNATURE) or len(data) > OUTPUT_BYTES:
        raise PdfPageError("not_png")
    return data
