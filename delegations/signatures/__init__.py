"""JPKI signature verification: pure (bytes and settings in, a report out; no ORM).

Other apps call::

    from delegations.signatures import VerificationPolicy, verify, verify_pades, verify_xml, verify_cms
    report = verify(data, policy)            # container sniffed; CMS needs content=...
    report.passed, report.indication, report.sub_indication, report.message, report.to_dict()

and get a ready policy from the database and settings with ``delegations.trust.verification_policy()``.
"""

from delegations.signatures.profile import (
    JPKICertificate,
    JPKIProfileError,
    parse_certificate,
    require_signing_certificate,
)
from delegations.signatures.report import Indication, SignatureReport, SubIndication
from delegations.signatures.revocation import CRLSource, OCSPSource, ProviderAPISource, RevocationResult
from delegations.signatures.verify import (
    VerificationPolicy,
    averify,
    signed_content_matches,
    verify,
    verify_cms,
    verify_pades,
    verify_xml,
)

__all__ = [
    "CRLSource",
    "Indication",
    "JPKICertificate",
    "JPKIProfileError",
    "OCSPSource",
    "ProviderAPISource",
    "RevocationResult",
    "SignatureReport",
    "SubIndication",
    "VerificationPolicy",
    "averify",
    "parse_certificate",
    "require_signing_certificate",
    "signed_content_matches",
    "verify",
    "verify_cms",
    "verify_pades",
    "verify_xml",
]
