"""Time to generate and read back delegation documents (medians over repeated runs).

Run: .venv/bin/python bench/documents_generation.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mynatrust.settings")

import django

django.setup()

from delegations.document import acceptance, acceptance_pdf, delegation_pdf, delegation_xml  # noqa: E402
from delegations.document.samples import long_powers, sample_delegation  # noqa: E402
from mynatrust.lib import delegation_id  # noqa: E402


def median_ms(operation: Callable[[], object], rounds: int) -> float:
    operation()  # warm-up: font registration, schema compilation
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    rounds = parser.parse_args().rounds

    short = sample_delegation()
    long = sample_delegation(powers=long_powers(120))
    short_xml, long_xml = delegation_xml.to_xml(short), delegation_xml.to_xml(long)
    short_pdf, long_pdf = delegation_pdf.render_pdf(short), delegation_pdf.render_pdf(long)
    accepted = acceptance.AcceptanceContent.for_delegation(short, short_xml, issued_on=short.issued_on)

    rows = [
        ("delegation ID: generate", lambda: delegation_id.generate(), ""),
        ("delegation ID: parse", lambda: delegation_id.parse("7k3q 9xwa 2m4p hj"), ""),
        ("XML: generate (1-page content)", lambda: delegation_xml.to_xml(short), f"{len(short_xml):,} B"),
        ("XML: parse + XSD + canonical check", lambda: delegation_xml.from_xml(short_xml), ""),
        ("XML: parse + XSD (120 powers)", lambda: delegation_xml.from_xml(long_xml), f"{len(long_xml):,} B"),
        ("PDF: render + attach XML (1 page)", lambda: delegation_pdf.render_pdf(short), f"{len(short_pdf):,} B"),
        ("PDF: render + attach XML (120 powers)", lambda: delegation_pdf.render_pdf(long), f"{len(long_pdf):,} B"),
        ("PDF: extract attached XML", lambda: delegation_pdf.extract_xml(short_pdf), ""),
        ("acceptance: XML + PDF", lambda: acceptance_pdf.render_pdf(accepted), ""),
    ]
    print(f"{'operation':<42} {'median ms':>10} {'per second':>11}  size")
    for name, operation, size in rows:
        ms = median_ms(operation, rounds)
        print(f"{name:<42} {ms:>10.3f} {1000 / ms:>11,.0f}  {size}")


if __name__ == "__main__":
    main()
