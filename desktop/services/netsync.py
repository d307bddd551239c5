"""A device and its hub over the network: enrolment, sync (push then pull), register numbers.

The bundle work (outbox, receipts, pulls, conflicts) is ``desktop.services.sync``'s; this module
moves its bytes with ``HubClient`` and the photos and PDFs by content hash. Nothing is lost on a
network failure: the ops stay pending until a receipt is applied, and a push sent again is
idempotent at the hub."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.domain.errors import Refusal
from desktop.services import sync
from desktop.services.commune import Commune, open_commune
from desktop.services.hubclient import HubClient, fetch_certificate, fingerprint
from desktop.services.hubconfig import HubConfig, check_url
from desktop.services.jobs import Job

KEY_FILE = "device_key.pem"


@dataclass
class SyncResult:
    """What one sync did: the receipt's summary, the rows pulled, the blobs moved."""
    receipt: dict[str, Any] = field(default_factory=dict)
    pulled: int = 0
    sent_blobs: int = 0
    fetched_blobs: int = 0
    status: dict[str, Any] = field(default_factory=dict)


def device_key(db: Path) -> bytes:
    path = Path(str(db) + ".sync") / KEY_FILE
    if not path.exists():
        raise Refusal("net.not_enrolled")
    return path.read_bytes()


def client_for(db: Path) -> HubClient:
    """A client to the hub this device is enrolled with (its pinned certificate, its key)."""
    config = HubConfig.load(db)
    if config is None:
        raise Refusal("net.not_enrolled")
    return HubClient(config.url, config.certificate, config.device_id, device_key(db))


def enrolled(db: Path) -> bool:
    return HubConfig.load(db) is not None


def hub_fingerprint(url: str) -> tuple[str | None, str | None]:
    """(certificate PEM, its SHA-256 fingerprint) an HTTPS hub presents; (None, None) on plain HTTP."""
    if check_url(url)[0] != "https":
        return None, None
    pem = fetch_certificate(url)
    return pem, fingerprint(pem)


def enroll_device(db: Path, url: str, username: str, password: str, district: str | None = None,
                  certificate: str | None = None, job: Job | None = None) -> SyncResult:
    """Enrol a new device database ``db`` with the hub at ``url`` as ``username`` (its password is
    checked at the hub), pin the hub's certificate, then pull the device's slice."""
    db = Path(db)
    if db.exists():
        raise Refusal("net.db_exists", path=str(db))
    if check_url(url)[0] == "https" and certificate is None:
        certificate = fetch_certificate(url)
    private, public = sync.generate_device_key()
    with HubClient(url, certificate) as client:
        enrolment = client.enroll(username, password, public, district)
    db.parent.mkdir(parents=True, exist_ok=True)
    open_commune(db, create=True).close()
    sync.enroll_local(db, {**enrolment, "device_key": private})
    HubConfig(url, certificate, enrolment["device_id"]).save(db)
    return sync_now(db, job)


def _pending_blobs(commune: Commune) -> list[str]:
    """Hashes of the photos and PDFs that pending ops attach (the hub may lack them)."""
    rows = commune.store.query("SELECT new FROM sync_op WHERE acked_at IS NULL AND tbl = 'attachment'")
    hashes = []
    for r in rows:
        sha = json.loads(r["new"]).get("sha256")
        if sha:
            hashes.append(sha)
    return list(dict.fromkeys(hashes))


def _absent_blobs(commune: Commune) -> list[str]:
    """Hashes of attachments recorded here whose file is not here yet (pulled rows)."""
    store = commune.store
    return [r["sha256"] for r in store.query("SELECT DISTINCT sha256 FROM attachment WHERE deleted_at IS NULL")
            if not os.path.exists(store.attachments.path_for(r["sha256"]))]


def sync_now(db: Path, job: Job | None = None) -> SyncResult:
    """Push the pending ops (and the files they attach), apply the receipt, then pull and apply what
    changed at the hub (and fetch the files). Cancel stops between steps; what was applied stays."""
    job = job or Job()
    result = SyncResult()
    with client_for(Path(db)) as client, open_commune(db) as commune:
        job.progress(0, 4)
        job.check()
        wanted = client.missing_blobs(_pending_blobs(commune))
        for sha in wanted:
            job.check()
            client.put_blob(sha, commune.store.attachments.path_for(sha).read_bytes())
        result.sent_blobs = len(wanted)
        job.progress(1, 4)
        job.check()
        bundle = sync.make_bundle(commune)
        receipt = client.push(bundle)
        result.receipt = sync.apply_receipt(commune, receipt) or {}
        job.progress(2, 4)
        job.check()
        cursor = sync.status(commune).get("cursor") or 0
        pulled = client.pull(int(cursor))
        result.pulled = sync.apply_pull(commune, pulled) or 0
        job.progress(3, 4)
        absent = _absent_blobs(commune)
        for sha in absent:
            job.check()
            commune.store.attachments.put_bytes(client.get_blob(sha), "application/octet-stream")
        result.fetched_blobs = len(absent)
        job.progress(4, 4)
        result.status = sync.status(commune)
    return result


def take_number(commune: Commune, series: str, year: int, document_id: str) -> int:
    """The register number of a document from the hub this commune is enrolled with; an
    unreachable hub is a refusal (``net.number_needs_hub``)."""
    try:
        with client_for(commune.path) as client:
            return client.reserve_number(series, year, document_id)
    except Refusal as exc:
        if exc.key in ("net.unreachable", "net.timeout", "net.interrupted"):
            raise Refusal("net.number_needs_hub", url=exc.params.get("url", "")) from None
        raise
