"""A device's sync on a USB stick (places with no network): its pending ops written to a signed
file that the hub ingests (``hub import``), and the file the hub gives back (``hub export``: its
receipts and the rows to pull) read in. What ``sync export|import`` and the File menu's «clé USB»
actions run. Nothing is lost: the exported ops stay pending until the hub's receipt comes back,
and a file is written whole or not at all."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from desktop.domain.bundle import join
from desktop.domain.errors import Refusal
from desktop.services import sync
from desktop.services.commune import Commune, open_commune


def read_file(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise Refusal("sync.cannot_read", path=str(path), detail=exc.strerror or str(exc)) from None


def write_file(path: Path, data: bytes) -> None:
    """Written whole or not at all (a USB stick pulled out mid-way leaves no half bundle)."""
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    try:
        with open(partial, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # (a read-only stick, a path through a file: nothing to remove)
            partial.unlink(missing_ok=True)
        raise Refusal("sync.cannot_write", path=str(path), detail=exc.strerror or str(exc)) from None


def export_to(commune: Commune, path: Path) -> int:
    """The device's pending ops, signed, into ``path`` (a backlog too large for one bundle: one a
    line); returns how many ops wait for the hub."""
    data = join(sync.make_bundles(commune))
    write_file(path, data)
    return int(sync.status(commune)["pending"])


def import_from(commune: Commune, path: Path) -> dict:
    """The hub's file read in (``sync.apply_file``): ``{"receipts": [summary, ...], "pull": summary
    or None, "status": sync.status}``."""
    result = sync.apply_file(commune, read_file(path))
    receipts = result.get("receipts", []) + ([result["receipt"]] if "receipt" in result else [])
    return {"receipts": receipts, "pull": result.get("pull"), "status": sync.status(commune)}


def export_file(db: Path, out: Path) -> int:
    """``export_to`` on the commune at ``db`` (opened here: a background thread's own connection).
    A file of the commune itself (the database, its journal files, its key, its copies beside it)
    is refused as the target: the bundle would replace it."""
    db, out = Path(db).resolve(), Path(out).resolve()
    if out.parent == db.parent and out.name.startswith(db.name):
        raise Refusal("sync.export_over_database", path=str(out))
    with open_commune(db) as commune:
        return export_to(commune, out)


def import_file(db: Path, path: Path) -> dict:
    """``import_from`` on the commune at ``db`` (opened here)."""
    with open_commune(db) as commune:
        return import_from(commune, path)
