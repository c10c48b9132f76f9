"""Signature verification speed per container, beside the bare library call on the same file.

    .venv/bin/python bench/signatures_verify.py            # small: 30 runs, 3 s throughput windows
    .venv/bin/python bench/signatures_verify.py --full     # 200 runs, 10 s windows

Module and bare call are timed alternately (``paired``: the median of the per-pair ratios), so a
load elsewhere on the machine weighs on both alike. Each call is timed twice: wall clock, and the
CPU time of the calling thread (``cpu``), which other processes on a busy machine disturb far less.

Module: delegations.signatures.verify_* (chain to the pinned root, JPKI profile, revocation from an
in-memory CRL). Baselines, same file, same run: pyHanko validate_pdf_signature / validate_detached_cms
with a ValidationContext holding the same root and CRL (hard-fail revocation); signxml's XMLVerifier /
XAdESVerifier with the same root as CA file (an extension policy that admits the JPKI profile).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing as mp
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mynatrust.settings")

CONTAINERS = ("pades", "xmldsig", "xades", "cms")


def _setup_django() -> None:
    import django

    django.setup()


def build_material() -> dict[str, Any]:
    from cryptography.hazmat.primitives.serialization import Encoding

    from delegations.signatures.testpki import SAMPLE_XML, TestPKI, make_pdf

    pki = TestPKI.generate()
    return {
        "root_der": pki.root_der,
        "root_pem": pki.root.public_bytes(Encoding.PEM),
        "crl": pki.crl(),
        "content": SAMPLE_XML,
        "pades": pki.sign_pdf(make_pdf(SAMPLE_XML), "representative"),
        "xmldsig": pki.sign_xml(SAMPLE_XML, "representative"),
        "xades": pki.sign_xml(SAMPLE_XML, "representative", xades=True),
        "cms": pki.sign_cms(SAMPLE_XML, "representative"),
    }


def module_call(material: dict[str, Any], container: str) -> Callable[[], bool]:
    from delegations.signatures import CRLSource, VerificationPolicy, verify_cms, verify_pades, verify_xml

    policy = VerificationPolicy((material["root_der"],), CRLSource([material["crl"]]))
    data, content = material[container], material["content"]
    if container == "pades":
        return lambda: verify_pades(data, policy).passed
    if container == "cms":
        return lambda: verify_cms(data, content, policy).passed
    return lambda: verify_xml(data, policy).passed


def baseline_call(material: dict[str, Any], container: str) -> Callable[[], bool]:
    from asn1crypto import cms
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import KeyUsageConstraints, async_validate_detached_cms, validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(material["root_der"])
    ku = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=True)
    data = material[container]

    def vc() -> ValidationContext:
        return ValidationContext(
            trust_roots=[root], crls=[material["crl"]], allow_fetching=False, revocation_mode="hard-fail"
        )

    if container == "pades":

        def pades() -> bool:
            sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
            return bool(validate_pdf_signature(sig, signer_validation_context=vc(), key_usage_settings=ku).bottom_line)

        return pades
    if container == "cms":

        def detached() -> bool:
            signed = cms.ContentInfo.load(data)["content"]
            status = asyncio.run(
                async_validate_detached_cms(
                    material["content"], signed, signer_validation_context=vc(), key_usage_settings=ku
                )
            )
            return bool(status.bottom_line)

        return detached
    from cryptography import x509
    from cryptography.x509.verification import Criticality, ExtensionPolicy
    from signxml import SignatureConfiguration, XMLVerifier
    from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

    # signxml's default chain check rejects a critical certificatePolicies (JPKI marks it so): admit it.
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.CertificatePolicies, Criticality.AGNOSTIC, None
    )
    ee_policy = ee_policy.may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    import tempfile

    ca_file = tempfile.NamedTemporaryFile(suffix=".pem", delete=False)  # noqa: SIM115  (kept for the run)
    ca_file.write(material["root_pem"])
    ca_file.close()
    ca = ca_file.name
    if container == "xades":
        xades_config = XAdESSignatureConfiguration(expect_references=3)
        return lambda: bool(
            XAdESVerifier().verify(data, ca_pem_file=ca, expect_config=xades_config, ee_policy=ee_policy)
        )
    config = SignatureConfiguration(expect_references=1)
    return lambda: bool(XMLVerifier().verify(data, ca_pem_file=ca, expect_config=config, ee_policy=ee_policy))


def paired_ms(
    module: Callable[[], bool], bare: Callable[[], bool], runs: int
) -> tuple[float, float, float, float, float, float]:
    """Module and bare call alternately, so a load elsewhere on the machine weighs on both alike:
    (module median ms, bare median ms, median of the per-pair ratios), by the wall clock and then
    by the thread's CPU time."""
    assert module() and bare(), "both calls must succeed before they are timed"
    wall: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for i in range(runs):
        for fn in (module, bare) if i % 2 == 0 else (bare, module):
            t, c = time.perf_counter(), time.thread_time()
            fn()
            cpu[fn is module].append(time.thread_time() - c)
            wall[fn is module].append(time.perf_counter() - t)

    def figures(times: dict[bool, list[float]]) -> tuple[float, float, float]:
        ratios = [m / b for m, b in zip(times[True], times[False], strict=True) if b > 0]
        return statistics.median(times[True]) * 1000, statistics.median(times[False]) * 1000, statistics.median(ratios)

    return (*figures(wall), *figures(cpu))


def _worker(args: tuple[dict[str, Any], str, str, float, Any]) -> int:
    material, container, which, seconds, barrier = args
    _setup_django()
    fn = module_call(material, container) if which == "module" else baseline_call(material, container)
    fn()
    barrier.wait()
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        fn()
        count += 1
    return count


def throughput(material: dict[str, Any], container: str, which: str, processes: int, seconds: float) -> float:
    ctx = mp.get_context("fork")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(processes)
        with ctx.Pool(processes) as pool:
            counts = pool.map(_worker, [(material, container, which, seconds, barrier)] * processes)
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="more runs and longer throughput windows")
    parser.add_argument("--containers", default=",".join(CONTAINERS))
    parser.add_argument("--runs", type=int, help="pairs per container (default 30, 200 with --full)")
    parser.add_argument("--no-throughput", action="store_true", help="paired timings only")
    args = parser.parse_args()
    runs, seconds = (200, 10.0) if args.full else (30, 3.0)
    runs = args.runs or runs
    _setup_django()
    import logging

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    material = build_material()
    print(f"runs={runs} throughput window={seconds:.0f}s cpu={os.cpu_count()}")
    header = (
        f"{'container':<9} {'module ms':>10} {'bare ms':>8} {'ratio':>6} {'paired':>6} "
        f"{'cpu ms':>7} {'cpu bare':>8} {'cpu paired':>10} "
        f"{'mod/s 1p':>9} {'mod/s 2p':>9} {'scale':>6} {'bare/s 1p':>10} {'bare/s 2p':>10}"
    )
    print(header)
    for container in args.containers.split(","):
        module_ms, bare_ms, paired, cpu_ms, cpu_bare_ms, cpu_paired = paired_ms(
            module_call(material, container), baseline_call(material, container), runs
        )
        if args.no_throughput:
            m1 = m2 = b1 = b2 = float("nan")
        else:
            m1 = throughput(material, container, "module", 1, seconds)
            m2 = throughput(material, container, "module", 2, seconds)
            b1 = throughput(material, container, "baseline", 1, seconds)
            b2 = throughput(material, container, "baseline", 2, seconds)
        print(
            f"{container:<9} {module_ms:>10.2f} {bare_ms:>8.2f} {module_ms / bare_ms:>6.2f} {paired:>6.2f} "
            f"{cpu_ms:>7.2f} {cpu_bare_ms:>8.2f} {cpu_paired:>10.2f} "
            f"{m1:>9.0f} {m2:>9.0f} {m2 / m1:>6.2f} {b1:>10.0f} {b2:>10.0f}"
        )


if __name__ == "__main__":
    main()
