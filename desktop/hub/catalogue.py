"""The commune's catalogue extensions at the hub, and on their way to the devices.

A commune may extend the shipped catalogue (its own regulations, fields, violations: the
``catalogue.d`` folder beside its database). The hub keeps the extensions the commune uses
(``hub_meta.catalogue``: a list of ``[file name, text]``), checks the devices' ops against them,
and hands them to every device with its pull, so that a tablet offers the same violations the
hub accepts. ``hub init`` takes them from the seeding commune; ``hub catalogue`` replaces them
later. A change takes a change number (``hub_meta.catalogue_seq``): a device whose cursor is
before it receives the files with its next pull (a new device, with its first).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from desktop.domain.catalogue import catalogue_from_files, extension_files
from desktop.hub.base import HubConn, connect, journal_append, lock_writer, meta

Files = list[tuple[str, str]]


def digest(files: Files) -> str:
    return hashlib.sha256(json.dumps(files, ensure_ascii=False).encode("utf-8")).hexdigest()


def set_catalogue(pg_url: str, folder: Path) -> dict:
    """Replace the hub's catalogue extensions by the ``*.json`` files of ``folder`` (checked
    against the catalogue schema first: a broken file raises ``CatalogueError`` and nothing
    changes). Returns ``{"files": [names], "seq": change number, "sha256": digest}``."""
    files = extension_files(Path(folder))
    catalogue_from_files(files)  # the same check the application makes when it opens
    with connect(pg_url) as conn, conn.transaction():
        lock_writer(conn)  # between two ingests, never during one
        row = conn.execute("SELECT nextval('hub_change_seq') AS n").fetchone()
        assert row is not None  # nextval returns one row
        seq = row["n"]
        for key, value in (("catalogue", json.dumps(files, ensure_ascii=False)), ("catalogue_seq", str(seq))):
            conn.execute("INSERT INTO hub_meta (key, value) VALUES (%s, %s)"
                         " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", (key, value))
        journal_append(conn, "catalogue", None, {"files": [name for name, _ in files], "sha256": digest(files)})
    return {"files": [name for name, _ in files], "seq": seq, "sha256": digest(files)}


def for_pull(conn: HubConn, cursor: int, changed: int) -> Files | None:
    """The extensions a pull from ``cursor`` carries: all of them on a first pull or when they
    changed after the cursor (``changed``: ``hub_meta.catalogue_seq``), else None (the device has
    them; no query then)."""
    if cursor and changed <= cursor:
        return None
    return [(name, text) for name, text in json.loads(meta(conn, "catalogue") or "[]")]
