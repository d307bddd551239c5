"""Checking a signed PDF: intact, valid, and signed under the commune's authority."""
from __future__ import annotations

import hashlib
import datetime as dt
from datetime import date
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from desktop.domain.auth import require
from desktop.store import users
from desktop.store.users import User
from desktop.store.db import Store
from desktop.services.trust import (certificate_sha256, check_not_revoked, commune_roots, revocation,
                                    tsa_roots)
from reports.signing import SigningError, Verification, verify_pdf


def verify_file(path: Path, roots: list[x509.Certificate] | None, at: dt.datetime | None = None,
                tsa: list[x509.Certificate] | None = None) -> Verification:
    """Verify a PDF file against ``roots`` (None: the signature's integrity only) as of ``at``."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningError("pdf_unreadable", str(exc)) from exc
    return verify_pdf(data, roots or None, at=at, tsa_roots=tsa or ())


def _issued_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(root)
        return True
    except (ValueError, TypeError, Exception):  # noqa: BLE001 - any failure: not issued by this root
        return False


def check_signer_certificate(store: Store, user: User, cert: x509.Certificate) -> None:
    """Only the commune's own certificates sign, and only their holder: the certificate must be
    issued by the commune's trust anchor and be the one registered on the signer's account."""
    roots = commune_roots(store)
    if not roots:
        raise SigningError("no_trust_anchor")
    if not any(_issued_by(cert, root) for root in roots):
        raise SigningError("certificate_not_commune", cert.subject.rfc4514_string())
    bound = store.scalar("SELECT cert_sha256 FROM [user] WHERE id = ?", (user.id,))
    if bound != certificate_sha256(cert):
        raise SigningError("certificate_not_yours", cert.subject.rfc4514_string())
    check_not_revoked(store, cert)


def verify_registered(store: Store, path: Path, at: dt.datetime | None = None) -> Verification:
    """Verify a PDF as a decision of this commune: its signature against the commune's trust
    anchor (``trusted`` stays None when the commune has none), and the register: the file must be
    a signed decision's PDF, signed with its signer's certificate, by the president or under a
    delegation in force on the signing date."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningError("pdf_unreadable", str(exc)) from exc
    result = verify_pdf(data, commune_roots(store) or None, at=at, tsa_roots=tsa_roots(store))
    if not result.signed:
        return result
    rows = store.query("SELECT signed_on, signed_by, delegation_id FROM decision"
                       " WHERE pdf_sha256 = ? AND status = 'signed'", (hashlib.sha256(data).hexdigest(),))
    if not rows:
        result.problems.append("this file is not a signed decision of the register")
        result.registered = False
        return result
    result.registered = True
    row = rows[0]
    signer = store.query("SELECT role, cert_sha256 FROM [user] WHERE id = ?", (row["signed_by"],))
    if not signer:
        result.problems.append("the register names no signer for this decision")
        return result
    if signer[0]["cert_sha256"] and signer[0]["cert_sha256"] != result.signer_sha256:
        result.problems.append("the PDF was signed with another certificate than its signer's")
    on = row["signed_on"] or ""
    revoked = revocation(store, result.signer_sha256) if result.signer_sha256 else None
    if revoked is not None and on >= revoked["revoked_on"]:
        result.problems.append(f"signed on {on} with a certificate revoked on {revoked['revoked_on']}"
                               f" ({revoked['reason']})")
    if row["delegation_id"]:
        d = store.query("SELECT valid_from, valid_to, withdrawn_on, delegate_id FROM delegation WHERE id = ?",
                        (row["delegation_id"],))
        if not d or d[0]["delegate_id"] != row["signed_by"] or not (
                d[0]["valid_from"] <= on and (d[0]["valid_to"] is None or on <= d[0]["valid_to"])
                and (d[0]["withdrawn_on"] is None or on < d[0]["withdrawn_on"])):
            result.problems.append(f"the signer's delegation was not in force on {on}")
    elif signer[0]["role"] != "president":
        result.problems.append("the signer was neither the president nor a delegate")
    if on and on > date.today().isoformat():
        result.problems.append(f"the register dates the signature in the future ({on})")
    return result


def load_certificate(data: bytes, password: str | None = None) -> x509.Certificate:
    """A certificate from PEM, DER or (with its password) a PKCS#12 file's bytes."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        if password is not None:
            cert = pkcs12.load_key_and_certificates(data, password.encode())[1]
            if cert is None:
                raise ValueError("no certificate inside")
            return cert
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise SigningError("certificate_unreadable", str(exc)) from exc


def set_trust_anchor(store: Store, actor: User | None, cert: x509.Certificate) -> None:
    """The commune's certificate authority: set at ``init`` (actor None, the first step) or later
    by the president only; journaled (a ``meta`` write) like any other change."""
    if actor is not None:
        require(actor.role, "delegation.manage")
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise SigningError("not_a_ca", cert.subject.rfc4514_string())
    with store.transaction(actor.id if actor else None) as tx:
        tx.set_meta("ca_pem", cert.public_bytes(Encoding.PEM).decode())
        if store.meta("ca_crl_pem"):  # the former authority's CRL says nothing about the new one's
            tx.set_meta("ca_crl_pem", "")


def bind_certificate(store: Store, actor: User, username: str, cert: x509.Certificate) -> None:
    """The president registers an account's signing certificate, which must be the commune's."""
    roots = commune_roots(store)
    if not roots:
        raise SigningError("no_trust_anchor")
    if not any(_issued_by(cert, root) for root in roots):
        raise SigningError("certificate_not_commune", cert.subject.rfc4514_string())
    users.bind_certificate(store, actor, users.find_user(store, username).id, certificate_sha256(cert))
