"""Long-term signatures: a timestamp authority, the validation data kept in the PDF (PAdES
B-T / B-LTA), and validation at any date through pyHanko's AdES validator.

A signature timestamped by a trusted authority, with the certificate chain and the commune's
CRL in the document security store (DSS), still verifies after its certificate has expired:
the validator checks the certificate at the time the timestamp proves, not at the time of
reading.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Sequence

from cryptography import x509
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import ades, policy_decl
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec, ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleTrustManager


def asn1_certs(certs: Sequence[x509.Certificate]) -> list:
    return [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in certs]


def signing_context(trust_roots: Sequence[x509.Certificate], crls: Sequence[bytes]):
    """What pyHanko validates the signer (and the timestamp) against while signing, so that the
    chain and the CRLs it used are embedded in the document (never fetched from the network)."""
    return ValidationContext(trust_roots=asn1_certs(trust_roots), crls=list(crls), allow_fetching=False,
                             revocation_mode="soft-fail")


def timestamper(url: str):
    return HTTPTimeStamper(url, timeout=20)


def level(reader, sig, timestamped: bool) -> str:
    """PAdES baseline level of a signature: B-LTA (a document timestamp after it), B-T (a
    signature timestamp), B-B (none)."""
    later = [ts for ts in reader.embedded_timestamp_signatures if ts.signed_revision > sig.signed_revision]
    if later:
        return "B-LTA"
    return "B-T" if timestamped else "B-B"


def _policy(roots: Sequence[x509.Certificate]):
    rule = RevocationCheckingRule.CHECK_IF_DECLARED
    return CertValidationPolicySpec(trust_manager=SimpleTrustManager.build(trust_roots=asn1_certs(roots)),
                                    revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule)))


def validate_long_term(sig, trust_roots: Sequence[x509.Certificate], tsa_roots: Sequence[x509.Certificate],
                       at: dt.datetime | None) -> tuple[bool, str]:
    """(trusted, reason) of a timestamped signature at ``at`` (now by default): the AdES LTA
    validation, which takes the signer's certificate as it stood at the proven signing time,
    from the validation data inside the file only."""
    when = at or dt.datetime.now(dt.timezone.utc)
    spec = policy_decl.PdfSignatureValidationSpec(policy_decl.SignatureValidationSpec(
        cert_validation_policy=_policy([*trust_roots, *tsa_roots]),
        ts_cert_validation_policy=_policy([*trust_roots, *tsa_roots]),
        revinfo_gathering_policy=policy_decl.RevocationInfoGatheringSpec(
            online_fetching_rule=policy_decl.RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH)))
    timing = ValidationTimingInfo(validation_time=when, best_signature_time=when, point_in_time_validation=False)
    try:
        result = asyncio.run(ades.ades_lta_validation(sig, spec, timing_info=timing))
    except Exception as exc:  # noqa: BLE001 - any failure of the validator: not trusted, said why
        return False, str(exc)
    ok = result.ades_subindic == ades.AdESPassed.OK and result.api_status is not None and result.api_status.bottom_line
    return bool(ok), "" if ok else str(result.ades_subindic).rsplit(".", 1)[-1]
