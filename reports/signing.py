"""PAdES signatures with pyHanko: signing a PDF with a PKCS#12 certificate, and checking one.

Every refusal is a ``SigningError`` whose ``code`` names the problem: a wrong password, a
certificate that has expired or is not yet valid, one not made for signing, an unreadable file.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # its errors become our messages


class SigningError(ValueError):
    def __init__(self, code: str, detail: str = "", **params):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail, self.params = code, detail, params


@dataclass
class CertificateInfo:
    subject: str
    not_before: dt.datetime
    not_after: dt.datetime


def read_pkcs12(path: Path, password: str, now: dt.datetime | None = None):
    """(key, certificate, chain) after checking the password, the dates and the key usage."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningError("certificate_unreadable", str(exc), path=str(path)) from exc
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, password.encode())
    except ValueError as exc:
        text = str(exc).lower()
        code = "wrong_password" if "password" in text or "mac" in text or "decrypt" in text else "certificate_unreadable"
        raise SigningError(code, str(exc), path=str(path)) from exc
    if key is None or cert is None:
        raise SigningError("certificate_unreadable", "no key or certificate inside", path=str(path))
    now = now or dt.datetime.now(dt.timezone.utc)
    if cert.not_valid_after_utc < now:
        raise SigningError("certificate_expired", cert.not_valid_after_utc.date().isoformat(),
                           date=cert.not_valid_after_utc.date().isoformat())
    if cert.not_valid_before_utc > now:
        raise SigningError("certificate_not_yet_valid", cert.not_valid_before_utc.date().isoformat(),
                           date=cert.not_valid_before_utc.date().isoformat())
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            raise SigningError("certificate_not_for_signing", cert.subject.rfc4514_string())
    except x509.ExtensionNotFound:
        pass
    return key, cert, chain, data


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    return CertificateInfo(cert.subject.rfc4514_string(), cert.not_valid_before_utc, cert.not_valid_after_utc)


def sign_pdf(pdf: bytes, p12: Path, password: str, reason: str, location: str, field_name: str = "Signature1",
             *, trust_roots: Sequence[x509.Certificate] = (), crls: Sequence[bytes] = (),
             tsa_url: str | None = None) -> bytes:
    """A PAdES signature over the whole document; returns the signed PDF.

    With ``trust_roots`` the certificate chain and the ``crls`` (DER) go into the document's
    security store (validation data, never fetched); with ``tsa_url`` the signature is
    timestamped by that authority and a document timestamp closes the file (B-LTA), so that it
    verifies after the certificate expires. Without one it is baseline B (no proven time)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from reports.ltv import signing_context, timestamper
    _key, _cert, chain, data = read_pkcs12(p12, password)
    signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password.encode())
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason, location=location, subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256", embed_validation_info=bool(trust_roots),
        validation_context=signing_context(trust_roots, crls) if trust_roots else None,
        use_pades_lta=bool(tsa_url and trust_roots))
    out = io.BytesIO()
    try:
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer,
                         timestamper=timestamper(tsa_url) if tsa_url else None, output=out)
    except Exception as exc:  # noqa: BLE001 - the authority unreachable, refusing, or answering nonsense
        import aiohttp
        from pyhanko.sign.timestamps.common_utils import TimestampRequestError
        if tsa_url and isinstance(exc, (TimestampRequestError, aiohttp.ClientError, OSError, asyncio.TimeoutError)):
            raise SigningError("tsa_failed", str(exc) or type(exc).__name__, url=tsa_url) from exc
        raise
    return out.getvalue()


@dataclass
class Verification:
    signed: bool
    intact: bool = False            # the signed bytes are unchanged
    valid: bool = False             # the signature matches the certificate
    trusted: bool | None = None     # the certificate chains to a given trust root (None: not asked)
    whole_file: bool = False        # nothing was added after signing
    signer: str = ""
    signed_at: str = ""
    signer_sha256: str = ""         # SHA-256 of the signing certificate (DER)
    registered: bool | None = None  # the file is a decision of the register (None: not asked)
    level: str = ""                 # PAdES baseline level: B-B, B-T, B-LTA
    timestamp: str = ""             # the time a timestamp authority proves ("" when none)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.signed and self.intact and self.valid and self.whole_file and self.trusted is not False
                and self.registered is not False and not self.problems)


def verify_pdf(pdf: bytes, trust_roots: list[x509.Certificate] | None = None, *, at: dt.datetime | None = None,
               tsa_roots: Sequence[x509.Certificate] = ()) -> Verification:
    """Check the last signature of ``pdf``; ``trusted`` against ``trust_roots`` at ``at`` (now by
    default). A timestamped signature is judged at its proven time (AdES LTA validation), so an
    expired certificate does not make it fail; an untimestamped one only while its certificate
    is valid."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from reports.ltv import asn1_certs, level, validate_long_term
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_regular_signatures
    except Exception as exc:  # noqa: BLE001 - any parse failure is "not a readable PDF"
        raise SigningError("pdf_unreadable", str(exc)) from exc
    if not signatures:
        return Verification(signed=False, problems=["no signature"])
    sig = signatures[-1]
    roots = asn1_certs(trust_roots or [])
    context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=at)  # never the system list
    ts_context = ValidationContext(trust_roots=roots + asn1_certs(tsa_roots), allow_fetching=False, moment=at)
    result = Verification(signed=True)
    try:
        status = validate_pdf_signature(sig, context, ts_validation_context=ts_context)
        result.level = level(reader, sig, status.timestamp_validity is not None)
    except SignatureValidationError as exc:
        result.problems.append(str(exc))
        return result
    result.intact, result.valid = bool(status.intact), bool(status.valid)
    result.trusted = bool(status.trusted) if trust_roots else None
    if status.timestamp_validity is not None:
        result.timestamp = status.timestamp_validity.timestamp.isoformat()
    lta = status.modification_level is not None and status.modification_level.name == "LTA_UPDATES"
    result.whole_file = status.coverage is not None and (
        status.coverage.name == "ENTIRE_FILE" or (status.coverage.name == "ENTIRE_REVISION" and lta))
    result.signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    result.signer_sha256 = hashlib.sha256(status.signing_cert.dump()).hexdigest() if status.signing_cert else ""
    result.signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else ""
    reason = ""
    if trust_roots and result.level != "B-B" and result.intact and result.valid:
        result.trusted, reason = validate_long_term(sig, trust_roots, tsa_roots, at)
    if not result.intact:
        result.problems.append("the signed content was modified")
    if not result.valid:
        result.problems.append("the signature does not match")
    if not result.whole_file:
        result.problems.append("content was added after signing")
    if trust_roots and not result.trusted:
        result.problems.append("the certificate does not chain to the commune's authority"
                               + (f" ({reason})" if reason else ""))
    return result


def _der():
    from cryptography.hazmat.primitives.serialization import Encoding
    return Encoding.DER
