"""The ways the world can fail under the store, each with a code the UI translates."""
from __future__ import annotations

import errno
from desktop.store.engine import sqlite3


class StoreError(Exception):
    """A failure the user can act on (bad file, full disk, read-only medium...).

    ``code`` is a message key (``store.<code>`` in resources/i18n); ``detail`` is the technical
    cause, shown under the message and written to the log.
    """

    def __init__(self, code: str, detail: str = "", **params):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.params = params


class DatabaseBug(RuntimeError):
    """An SQLite error that no failure of the world explains (a missing column, a constraint the
    code should have checked): a bug, logged with its traceback and never shown as a message."""


def from_sqlite(exc: sqlite3.Error, path: str) -> StoreError | DatabaseBug:
    """Classify an sqlite3 error: a StoreError the user understands, or a DatabaseBug
    (qutebrowser's KnownError/BugError split: unknown codes are bugs)."""
    text = str(exc).lower()
    code_name = getattr(exc, "sqlite_errorname", "") or ""
    if "not a database" in text or "malformed" in text or code_name in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
        return StoreError("corrupt", str(exc), path=path)
    if "disk is full" in text or "database or disk is full" in text or code_name == "SQLITE_FULL":
        return StoreError("disk_full", str(exc), path=path)
    if "readonly" in text or "read-only" in text or code_name.startswith("SQLITE_READONLY"):
        return StoreError("read_only", str(exc), path=path)
    if "locked" in text or "busy" in text:
        return StoreError("locked", str(exc), path=path)
    if "unable to open" in text or code_name.startswith("SQLITE_CANTOPEN"):
        return StoreError("cannot_open", str(exc), path=path)
    if "disk i/o" in text or code_name.startswith("SQLITE_IOERR"):
        return StoreError("io_error", str(exc), path=path)
    return DatabaseBug(f"{code_name or type(exc).__name__}: {exc} ({path})")


def from_os(exc: OSError, path: str) -> StoreError:
    if exc.errno == errno.ENOSPC:
        return StoreError("disk_full", str(exc), path=path)
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreError("read_only", str(exc), path=path)
    return StoreError("io_error", str(exc), path=path)
