"""Certificates for signing: the demo commune's own CA and its signers' PKCS#12 files.

A real commune uses certificates from its trust service provider; the demo makes a self-signed
commune CA so that signing and verification can be tried end to end.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _name(common: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "MA"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(org: str, days: int = 3650, now: dt.datetime | None = None) -> Issued:
    now = now or dt.datetime.now(dt.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"{org} — autorité de certification (démo)", org)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Issued(cert, key)


def issue_signer(ca: Issued, common: str, org: str, days: int = 730, can_sign: bool = True,
                 now: dt.datetime | None = None, valid_from_days_ago: int = 1) -> Issued:
    """A signing certificate; ``can_sign`` False makes one without the signature key usage
    (to prove such a certificate is refused)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(_name(common, org)).issuer_name(ca.cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=valid_from_days_ago))
               .not_valid_after(now + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=can_sign, content_commitment=can_sign,
                                            key_encipherment=not can_sign, data_encipherment=False,
                                            key_agreement=False, key_cert_sign=False, crl_sign=False,
                                            encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False))
    if can_sign:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                               ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def write_pkcs12(path: Path, issued: Issued, ca: Issued, password: str) -> None:
    data = pkcs12.serialize_key_and_certificates(
        name=issued.cert.subject.rfc4514_string().encode(), key=issued.key, cert=issued.cert, cas=[ca.cert],
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()))
    path.write_bytes(data)


def write_cert_pem(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
