"""Encrypted copies of a commune database: converting a clear one in place, and device replicas.

The copy is made by SQLCipher's ``sqlcipher_export`` inside a write transaction of the source
(nobody writes meanwhile), into a file beside the target, synced, then renamed over the target:
a process killed at any point leaves either the old file or the new one, never half of either.
"""
from __future__ import annotations

import os
from pathlib import Path

from desktop.store import keys
from desktop.store.attachments import MAGIC
from desktop.store.db import Store, attachments_dir, open_store
from desktop.store.engine import sqlite3
from desktop.store.errors import StoreError, from_os, from_sqlite


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def export_encrypted(store: Store, target: Path, data_key: bytes) -> None:
    """Write an encrypted copy of ``store`` (clear or encrypted) to ``target`` (which must not
    exist), schema version included, and sync it to disk."""
    if target.exists():
        raise StoreError("already_exists", path=str(target))
    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    conn = store.conn
    try:
        conn.execute("ATTACH DATABASE ? AS enc KEY " + keys.sqlcipher_key(data_key), (str(target),))
        try:
            conn.execute("BEGIN IMMEDIATE")  # a consistent source, and no writer until the copy is whole
            try:
                conn.execute("SELECT sqlcipher_export('enc')").fetchall()
                version = conn.execute("PRAGMA main.user_version").fetchone()[0]
                conn.execute(f"PRAGMA enc.user_version = {int(version)}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.execute("DETACH DATABASE enc")
        with target.open("rb+") as fh:
            os.fsync(fh.fileno())
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise from_sqlite(exc, str(target)) from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def encrypt_attachments(store: Store) -> int:
    """Encrypt, one by one, the attachments still in clear (each rewritten atomically; an
    interrupted run is finished by the next). Returns how many were encrypted."""
    if store.attachments.key is None:
        raise StoreError("encrypted_locked", path=str(store.path))
    root = attachments_dir(store.path)
    done = 0
    if not root.is_dir():
        return 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".encrypting-"):  # left by a run killed mid-file: the original is whole
                path.unlink(missing_ok=True)
                continue
            sha = folder.name + path.name
            try:
                with path.open("rb") as fh:
                    if fh.read(len(MAGIC)) == MAGIC:
                        continue
                store.attachments.path_for(sha)  # a file named like a hash, nothing else
            except (OSError, StoreError):
                continue
            data = store.attachments.read(sha)  # refused when it does not match its hash
            tmp = path.with_name(f".encrypting-{path.name}")
            try:
                fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(store.attachments._seal(sha, data))
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o400)
                os.replace(tmp, path)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise from_os(exc, str(path)) from exc
            done += 1
    return done


def encrypt_in_place(db_path: Path, wrappings: dict[str, dict], data_key: bytes) -> None:
    """Replace the clear database at ``db_path`` by an encrypted copy, keys beside it.

    The order makes every interruption safe: (1) the encrypted copy is written beside the
    database (``.encrypting``), (2) the sidecar with the new key's wrappings is written (a
    sidecar beside a clear database is ignored: the file's header says it is clear), (3) the
    clear database's WAL is emptied and it is closed, (4) the copy is renamed over it. Killed
    before (4), the clear database is untouched (the next run starts again); after, it is
    encrypted and its keys are there."""
    work = db_path.with_name(db_path.name + ".encrypting")
    work.unlink(missing_ok=True)
    store = open_store(db_path)
    try:
        if store.key is not None:
            raise StoreError("already_encrypted", path=str(db_path))
        export_encrypted(store, work, data_key)
        keys.create_keys(db_path, data_key, wrappings)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    if db_path.with_name(db_path.name + "-wal").exists():  # SQLite removes it when the last connection closes:
        work.unlink(missing_ok=True)                        # another process still has the database open
        raise StoreError("in_use", path=str(db_path))
    try:
        for suffix in ("-wal", "-shm"):  # empty: the clear database's, never to be read with the new file
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        os.replace(work, db_path)
        _fsync_dir(db_path.parent)
    except OSError as exc:
        raise from_os(exc, str(db_path)) from exc
