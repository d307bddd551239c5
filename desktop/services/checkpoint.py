"""Anchoring the journal outside the file (review C2).

A checkpoint is a small signed JSON file: the journal's last sequence number and hash, and the
row counts, signed with a certificate of the commune (the president's PKCS#12). Kept elsewhere
(handed to the governor, another disk), it makes rewriting history detectable: ``check --anchor``
fails when the chain no longer holds the checkpoint's entry with the same hash (a rechained,
truncated or replaced journal), or when the checkpoint's own signature or certificate fail.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from desktop.domain.ids import utc_now
from desktop.services.verification import _issued_by, commune_roots
from desktop.store import journal, rowhash
from desktop.store.db import Store
from reports.signing import SigningError, read_pkcs12

FORMAT = "commune-police-checkpoint/1"


def _payload(body: dict) -> bytes:
    return journal.canonical(body).encode("utf-8")


def _sign(key, data: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise SigningError("certificate_not_for_signing", "unsupported key type")


def _verify(cert: x509.Certificate, signature: bytes, data: bytes) -> bool:
    public = cert.public_key()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


def journal_head(store: Store) -> tuple[int, str]:
    row = store.conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, journal.GENESIS)


def write_checkpoint(store: Store, out: Path, pkcs12: Path, password: str) -> dict:
    """Write a checkpoint of the journal as it stands, signed with ``pkcs12`` (which must be a
    certificate of the commune's authority); returns its body."""
    key, cert, _chain, _data = read_pkcs12(pkcs12, password)
    roots = commune_roots(store)
    if not roots:
        raise SigningError("no_trust_anchor")
    if not any(_issued_by(cert, r) for r in roots):
        raise SigningError("certificate_not_commune", cert.subject.rfc4514_string())
    seq, head = journal_head(store)
    counts = {t: store.scalar(f"SELECT count(*) FROM [{t}]") for t in rowhash.covered_tables(store.conn)}
    body = {"format": FORMAT, "device_id": store.device_id, "at": utc_now(), "seq": seq, "head": head,
            "counts": counts}
    document = {"body": body, "certificate": cert.public_bytes(Encoding.PEM).decode(),
                "signature": base64.b64encode(_sign(key, _payload(body))).decode()}
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(out)
    return body


def check_anchor(store: Store, anchor: Path) -> list[str]:
    """Problems of the journal against a checkpoint file (none: the chain extends it)."""
    try:
        document = json.loads(anchor.read_text(encoding="utf-8"))
        body = document["body"]
        cert = x509.load_pem_x509_certificate(document["certificate"].encode())
        signature = base64.b64decode(document["signature"])
        seq, head = int(body["seq"]), str(body["head"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"checkpoint {anchor.name}: unreadable ({exc})"]
    problems = []
    if body.get("format") != FORMAT:
        problems.append(f"checkpoint {anchor.name}: unknown format")
    if not _verify(cert, signature, _payload(body)):
        problems.append(f"checkpoint {anchor.name}: its signature does not match its content")
    roots = commune_roots(store)
    if not any(_issued_by(cert, r) for r in roots):
        problems.append(f"checkpoint {anchor.name}: signed by a certificate the commune's authority did not issue")
    if body.get("device_id") != store.device_id:
        problems.append(f"checkpoint {anchor.name}: made from another database (device id differs)")
    if seq:
        row = store.conn.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            problems.append(f"journal: entry {seq} of the checkpoint is missing (history truncated)")
        elif row[0] != head:
            problems.append(f"journal: entry {seq} differs from the checkpoint (history rewritten)")
    return problems
