"""What a signature is trusted against, over time: the commune's certificate authority, its
certificate revocation list (CRL), the certificates the commune itself revoked, and the
timestamp authority (TSA) that makes a signature outlive its certificate (PAdES B-T / B-LTA).

Each of these is a journaled write by the president (``delegation.manage``), like the trust
anchor: nobody else changes what the commune's signatures are checked against.
"""
from __future__ import annotations

import datetime as dt
from datetime import date
from urllib.parse import urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from desktop.domain.auth import require
from desktop.domain.errors import Refusal
from desktop.store import users
from desktop.store.db import Store
from desktop.store.users import User
from reports.signing import SigningError


def commune_roots(store: Store) -> list[x509.Certificate]:
    """The commune's certificate authority kept in its database (none when it has not one)."""
    pem = store.meta("ca_pem")
    return [x509.load_pem_x509_certificate(pem.encode())] if pem else []


def certificate_sha256(cert: x509.Certificate) -> str:
    """The fingerprint that binds a certificate to its account (``user.cert_sha256``)."""
    return cert.fingerprint(hashes.SHA256()).hex()


# --- the timestamp authority ------------------------------------------------------------------

def tsa_url(store: Store) -> str | None:
    """The commune's timestamp authority, or None: signatures are then baseline B (no proven
    time), and they stop verifying when the signer's certificate expires."""
    return store.meta("tsa_url") or None


def tsa_roots(store: Store) -> list[x509.Certificate]:
    pem = store.meta("tsa_ca_pem")
    return [x509.load_pem_x509_certificate(pem.encode())] if pem else []


def set_timestamp_authority(store: Store, actor: User, url: str | None,
                            tsa_ca: x509.Certificate | None = None) -> None:
    """Set (or with ``url`` None remove) the commune's TSA, with the authority that issued the
    TSA's certificate when it is not the commune's own."""
    require(actor.role, "delegation.manage")
    if url:
        parts = urlparse(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Refusal("tsa_bad_url", url=url)
    with store.transaction(actor.id) as tx:
        tx.set_meta("tsa_url", url or "")
        tx.set_meta("tsa_ca_pem", tsa_ca.public_bytes(Encoding.PEM).decode() if (url and tsa_ca) else "")


# --- the certificate revocation list ------------------------------------------------------------

def load_crl(data: bytes) -> x509.CertificateRevocationList:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise SigningError("crl_unreadable", str(exc)) from exc


def commune_crl(store: Store) -> x509.CertificateRevocationList | None:
    pem = store.meta("ca_crl_pem")
    return x509.load_pem_x509_crl(pem.encode()) if pem else None


def commune_crls(store: Store) -> list[bytes]:
    """The CRL as DER, for the validation data embedded in each signature."""
    crl = commune_crl(store)
    return [crl.public_bytes(Encoding.DER)] if crl is not None else []


def set_crl(store: Store, actor: User | None, crl: x509.CertificateRevocationList) -> None:
    """Keep the commune authority's CRL (issued by the trust service provider, or by the commune's
    own CA); it must be signed by the trust anchor and not older than the one kept."""
    if actor is not None:
        require(actor.role, "delegation.manage")
    roots = commune_roots(store)
    if not roots:
        raise SigningError("no_trust_anchor")
    if not any(crl.issuer == r.subject and crl.is_signature_valid(r.public_key())  # type: ignore[arg-type]
               for r in roots):
        raise SigningError("crl_not_commune", crl.issuer.rfc4514_string())
    kept = commune_crl(store)
    if kept is not None and crl.last_update_utc < kept.last_update_utc:
        raise SigningError("crl_older", kept.last_update_utc.date().isoformat(),
                           date=kept.last_update_utc.date().isoformat())
    with store.transaction(actor.id if actor else None) as tx:
        tx.set_meta("ca_crl_pem", crl.public_bytes(Encoding.PEM).decode())


# --- revocation by the commune --------------------------------------------------------------

def revoke_certificate(store: Store, actor: User, reason: str, *, cert: x509.Certificate | None = None,
                       username: str | None = None, on: date | None = None) -> str:
    """The president revokes a signing certificate (given, or the one bound to ``username``'s
    account) from ``on`` (today): nothing signs with it any more, and a decision signed with it
    on or after that day is named by ``decision verify --db``. Journaled; returns the fingerprint."""
    require(actor.role, "delegation.manage")
    if not reason.strip():
        raise Refusal("revocation_reason_required")
    user_id = None
    if cert is not None:
        sha, serial, subject = certificate_sha256(cert), format(cert.serial_number, "x"), cert.subject.rfc4514_string()
        user_id = store.scalar("SELECT id FROM [user] WHERE cert_sha256 = ? AND deleted_at IS NULL", (sha,))
    elif username:
        account = users.find_user(store, username)
        sha = store.scalar("SELECT cert_sha256 FROM [user] WHERE id = ?", (account.id,)) or ""
        if not sha:
            raise Refusal("no_certificate_bound", username=username)
        serial, subject, user_id = "", account.username, account.id
    else:
        raise Refusal("revocation_what")
    if revocation(store, sha) is not None:
        raise Refusal("certificate_already_revoked", fingerprint=sha[:16])
    with store.transaction(actor.id) as tx:
        tx.insert("certificate_revocation", {"cert_sha256": sha, "serial": serial, "subject": subject,
                                             "user_id": user_id, "revoked_on": (on or date.today()).isoformat(),
                                             "reason": reason.strip()})
    return sha


def revocation(store: Store, cert_sha256: str, serial: int | None = None) -> dict | None:
    """When and why a certificate was revoked (by the commune, or on the authority's CRL), or None."""
    rows = store.query("SELECT revoked_on, reason FROM certificate_revocation"
                       " WHERE cert_sha256 = ? AND deleted_at IS NULL", (cert_sha256.lower(),))
    if rows:
        return rows[0]
    crl = commune_crl(store)
    if serial is not None and crl is not None:
        entry = crl.get_revoked_certificate_by_serial_number(serial)
        if entry is not None:
            return {"revoked_on": entry.revocation_date_utc.date().isoformat(), "reason": "CRL"}
    return None


def revocations(store: Store) -> list[dict]:
    """Every certificate the commune revoked, newest first (the accounts dialog, ``ca list``)."""
    return store.query("SELECT r.cert_sha256, r.serial, r.subject, r.revoked_on, r.reason, u.username"
                       " FROM certificate_revocation r LEFT JOIN [user] u ON u.id = r.user_id"
                       " WHERE r.deleted_at IS NULL ORDER BY r.revoked_on DESC, r.created_at DESC")


def check_not_revoked(store: Store, cert: x509.Certificate, on: date | None = None) -> None:
    found = revocation(store, certificate_sha256(cert), cert.serial_number)
    if found is not None and found["revoked_on"] <= (on or date.today()).isoformat():
        raise SigningError("certificate_revoked", found["reason"], date=found["revoked_on"])


def issue_crl(store: Store, actor: User | None, ca_key, days: int = 30) -> x509.CertificateRevocationList:
    """A commune that runs its own CA (the demo, or ``ca revoke --ca-key``) issues its CRL from
    the revocations recorded here and keeps it (``set_crl``)."""
    roots = commune_roots(store)
    if not roots:
        raise SigningError("no_trust_anchor")
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(roots[0].subject)
               .last_update(now).next_update(now + dt.timedelta(days=days)))
    for row in store.query("SELECT serial, revoked_on FROM certificate_revocation"
                           " WHERE deleted_at IS NULL AND serial != ''"):
        when = dt.datetime.fromisoformat(row["revoked_on"]).replace(tzinfo=dt.timezone.utc)
        builder = builder.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(
            int(row["serial"], 16)).revocation_date(when).build())
    try:
        crl = builder.sign(ca_key, hashes.SHA256())
    except (TypeError, ValueError) as exc:
        raise SigningError("crl_not_commune", str(exc)) from exc
    set_crl(store, actor, crl)
    return crl
