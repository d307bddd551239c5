"""A device and its hub over the network: enrolment, sync (push then pull), register numbers.

The bundle work (outbox, receipts, pulls, conflicts) is ``desktop.services.sync``'s; this module
moves its bytes with ``HubClient`` and the photos and PDFs by content hash. Nothing is lost on a
network failure: the ops stay pending until a receipt is applied, and a push sent again is
idempotent at the hub."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.domain.errors import Refusal
from desktop.i18n import Translator
from desktop.services import sync
from desktop.services.encryption import create_encrypted_replica
from desktop.services.commune import Commune, open_commune
from desktop.services.hubclient import HubClient, fetch_certificate, fingerprint
from desktop.services.hubconfig import HubConfig
from desktop.services.hubwire import RESOLVERS, check_url
from desktop.services.jobs import Job
from desktop.store import outbox

@dataclass
class SyncResult:
    """What one sync did: the receipt's summary, the pull's, the files fetched, the state after."""
    receipt: dict[str, Any] = field(default_factory=dict)
    pull: dict[str, Any] = field(default_factory=dict)
    fetched_blobs: int = 0
    status: dict[str, Any] = field(default_factory=dict)


def device_key(db: Path) -> bytes:
    path = sync.key_path(db)
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
                  certificate: str | None = None, job: Job | None = None, encrypt: bool = True) -> SyncResult:
    """Enrol a new device database ``db`` with the hub at ``url`` as ``username`` (its password is
    checked at the hub), pin the hub's certificate, then pull the device's slice. The replica is
    encrypted at rest (Law 09-08: a tablet is lost more easily than a town hall's server), its key
    wrapped under the user's password, unless ``encrypt`` is False."""
    db = Path(db)
    if db.exists():
        raise Refusal("net.db_exists", path=str(db))
    if check_url(url)[0] == "https" and certificate is None:
        certificate = fetch_certificate(url)
    private, public = sync.generate_device_key()
    with HubClient(url, certificate) as client:
        enrolment = client.enroll(username, password, public, district)
    db.parent.mkdir(parents=True, exist_ok=True)
    if encrypt:  # an empty encrypted commune first; the key stays unlocked in this process
        create_encrypted_replica(db, username, password)
    sync.enroll_local(db, {**enrolment, "device_key": private, "hub_url": url})
    HubConfig(url, certificate, enrolment["device_id"]).save(db)
    return sync_now(db, job)


def _absent_blobs(commune: Commune) -> list[str]:
    """Hashes of attachments recorded here whose file is not here yet (pulled rows)."""
    store = commune.store
    return [r["sha256"] for r in store.query("SELECT DISTINCT sha256 FROM attachment WHERE deleted_at IS NULL")
            if not os.path.exists(store.attachments.path_for(r["sha256"]))]


def _push_all(client: HubClient, commune: Commune, job: Job) -> dict:
    """Push the pending ops bundle after bundle (``sync.BUNDLE_MAX_OPS`` at most each; the hub may
    also stop one early, ``BUNDLE_MAX_CONFLICTS``), each receipt applied before the next bundle,
    until nothing is pending or a bundle acknowledges nothing. Returns the receipts' totals."""
    total = {"acknowledged": 0, "conflicts": 0, "bundles": 0}
    while True:
        job.check()
        got = sync.apply_receipt(commune, client.push(sync.make_bundle(commune)))
        total["acknowledged"] += got["acknowledged"]
        total["conflicts"] += got["conflicts"]
        total["bundles"] += 1
        if got["acknowledged"] <= 0 or not outbox.pending_count(commune.store.conn):
            return total


class _PullJob(Job):
    """A paged pull's progress (rows of all its pages) shown as the sync's second step of three,
    its cancel the sync's."""

    def __init__(self, job: Job):  # noqa: D107
        super().__init__()
        self.job = job

    def progress(self, done: int, total: int | None = None) -> None:
        self.job.progress(1000 + (1000 * min(done, total) // total if total else 0), 3000)

    def cancelled(self) -> bool:
        return self.job.cancelled()

    def check(self) -> None:
        self.job.check()


def _pull_all(client: HubClient, commune: Commune, job: Job) -> dict:
    """Pull and apply (``sync.pull_all``: every page of a paged pull, one cut short gone on with)."""
    return sync.pull_all(commune, client.pull, _PullJob(job))


def sync_now(db: Path, job: Job | None = None) -> SyncResult:
    """Push the pending ops (the bundle carries the photos they add), apply the hub's receipt, then
    pull and apply what changed at the hub, and fetch any file a pulled row names that is not here
    yet (by hash). Cancel stops between steps; what was applied stays applied."""
    job = job or Job()
    result = SyncResult()
    with client_for(Path(db)) as client, open_commune(db) as commune:
        job.progress(0, 3)
        job.check()
        result.receipt = _push_all(client, commune, job)
        job.progress(1, 3)
        job.check()
        result.pull = _pull_all(client, commune, job)
        job.progress(2, 3)
        for sha in _absent_blobs(commune):
            job.check()
            try:
                data = client.get_blob(sha)
            except Refusal as exc:
                if exc.key == "net.blob_unknown":  # not at the hub yet either: a later sync brings it
                    continue
                raise
            if hashlib.sha256(data).hexdigest() != sha:
                raise Refusal("net.blob_mismatch", sha256=sha)
            commune.store.attachments.put_bytes(data, "application/octet-stream")
            result.fetched_blobs += 1
        result.status = sync.status(commune)
        if (result.status.get("user") or {}).get("role") in RESOLVERS:  # the hub's queue this station works
            try:
                result.status["hub_conflicts"] = len(client.conflicts("open"))
                sync.remember_hub_conflicts(commune, result.status["hub_conflicts"])
            except Refusal:  # (the sync itself is done: the count waits for the next one, or the page)
                pass
        job.progress(3, 3)
    return result


def state(commune: Commune) -> dict[str, Any]:
    """What the GUI shows: the sync core's status, whether the network is set up (else the USB
    stick is this device's way), and whether its user works the hub's Conflits queue."""
    info = sync.status(commune)
    info["network"] = enrolled(commune.path)
    info["resolver"] = bool(info.get("enrolled")) and (info.get("user") or {}).get("role") in RESOLVERS
    return info


def hub_conflicts(db: Path, status: str = "open") -> list[dict]:
    """The hub's Conflits queue (the coordinator's station)."""
    with client_for(Path(db)) as client:
        return client.conflicts(status)


def resolve_hub_conflict(db: Path, conflict_id: str, choice: str) -> None:
    """Keep the hub's value (``"hub"``) or take the device's (``"device"``), at the hub."""
    if choice not in ("hub", "device"):
        raise Refusal("net.bad_request")
    with client_for(Path(db)) as client:
        client.resolve(conflict_id, choice)


def hub_devices(db: Path) -> list[dict]:
    """The devices enrolled with the hub (the coordinator's station)."""
    with client_for(Path(db)) as client:
        return client.devices()


def revoke_hub_device(db: Path, device_id: str) -> None:
    """A lost or stolen tablet revoked at the hub: its key refused from its next request on, what
    it pushes afterwards kept in quarantine for review."""
    with client_for(Path(db)) as client:
        client.revoke_device(device_id)


def receipt_line(result: SyncResult, tr: Translator) -> str:
    """The receipt in one line: acknowledged, new conflicts, rows pulled, still pending, open."""
    return tr("net.synced", acknowledged=result.receipt.get("acknowledged", 0),
              conflicts=result.receipt.get("conflicts", 0), rows=result.pull.get("rows", 0),
              pending=result.status.get("pending", 0), open=result.status.get("conflicts", 0))
