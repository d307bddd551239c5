"""Checking a signed PDF: intact, valid, and signed under the commune's authority."""
from __future__ import annotations

from pathlib import Path

from cryptography import x509

from desktop.store.db import Store
from reports.signing import SigningError, Verification, verify_pdf


def commune_roots(store: Store) -> list[x509.Certificate]:
    """The commune's certificate authority kept in its database (none when it has not one)."""
    pem = store.meta("ca_pem")
    return [x509.load_pem_x509_certificate(pem.encode())] if pem else []


def verify_file(path: Path, roots: list[x509.Certificate] | None) -> Verification:
    """Verify a PDF file against ``roots`` (None: the signature's integrity only)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningError("pdf_unreadable", str(exc)) from exc
    return verify_pdf(data, roots or None)
