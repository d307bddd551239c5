"""Opening a commune database, migrating it, and writing to it in journaled transactions."""
from __future__ import annotations

import hashlib
import json
import logging
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now, uuid7
from desktop.domain.text import has_hidden_characters
from desktop.store import journal, keys, outbox, rowhash
from desktop.store.attachments import AttachmentStore
from desktop.store.engine import ENCRYPTED_CACHE_KIB, add_math_functions, sqlite3
from desktop.store.errors import DatabaseBug, StoreError, from_sqlite
from desktop.store.migrations import LATEST, MIGRATIONS, ROW_HASHES_FROM

SQLITE_HEADER = keys.SQLITE_HEADER
AUDIT_COLUMNS = ("created_at", "updated_at", "created_by", "updated_by", "device_id", "version")
log = logging.getLogger("commune_police.store")
_REDACT = {"password_hash"}
_LONG_TEXT = 2000


def attachments_dir(db_path: Path) -> Path:
    """Attachments live in a folder named after the database, beside it."""
    return db_path.with_name(db_path.name + ".files")


# Personal data (Law 09-08) is not kept in the journal, which can never be changed: a salted hash
# stands for the value, so that the row can be rectified or purged while the journal still proves
# that this write happened (and ``check`` covers the row through its row hash).
PERSONAL = {"owner_name", "owner_id_number", "complainant_name", "complainant_contact", "answer_text",
            "location_text", "complaint.description", "draft.payload"}  # a draft holds the site's owner


def _journal_value(key: str, value, table: str = ""):
    if key in _REDACT:
        return "***"
    if (key in PERSONAL or f"{table}.{key}" in PERSONAL) and isinstance(value, str) and value:
        salt = os.urandom(16).hex()
        return {"personal_sha256": hashlib.sha256((salt + value).encode("utf-8", "surrogatepass")).hexdigest(),
                "salt": salt}
    if isinstance(value, str) and len(value) > _LONG_TEXT:
        return {"sha256": hashlib.sha256(value.encode()).hexdigest(), "chars": len(value)}
    return value


class Transaction:
    """The writes of one transaction; each is journaled with the acting user."""

    def __init__(self, store: "Store", actor: str | None):
        self.store = store
        self.conn = store.conn
        self.actor = actor
        self.tables: set[str] = set()  # what this transaction wrote, told to listeners after commit
        self.to_seal: set[str] = set()  # tables written in bulk, sealed before the commit
        self.capture = store.sync_capture  # an enrolled device: every write also goes to the outbox
        self.id = uuid7() if self.capture else ""  # its ops travel as one command

    def _capture(self, table: str, row_id: str, kind: str, before: dict | None, erase: bool = False) -> None:
        if self.capture and outbox.captured(table):
            after = outbox.read_row(self.conn, table, row_id)
            assert after is not None
            outbox.capture(self.conn, device_id=self.store.device_id, actor=self.actor, table=table,
                           row_id=row_id, kind=kind, before=before, after=after, tx=self.id, erase=erase)

    def _before(self, table: str, row_id: str) -> dict | None:
        return outbox.read_row(self.conn, table, row_id) if self.capture and outbox.captured(table) else None

    def _journal(self, entity: str, entity_id: str | None, op: str, changes: dict) -> None:
        self.tables.add(entity)
        if entity_id is None:  # a write over many rows: the table is sealed at the end
            self.to_seal.add(entity)
        journal.append(self.conn, actor=self.actor, device_id=self.store.device_id, entity=entity,
                       entity_id=entity_id, op=op, changes=changes)

    def _row(self, table: str, row_id: str, before: dict | None = None) -> dict:
        after = rowhash.row_hash(self.conn, table, row_id)
        if after is None:
            raise StoreError("record_missing", f"{table} {row_id}")
        return {"n": after["n"], "after": after["h"], **({"before": before["h"]} if before else {})}

    def bulk_write(self, table: str, sql: str, params: Sequence = (), *, many: bool = False,
                   note: str = "") -> int:
        """A set-based write (``UPDATE ... WHERE ...``) over many rows of ``table``: journaled with
        its row count, and the table sealed before the commit so that ``check`` covers the result.
        With ``many``, ``params`` is a sequence of parameter rows.

        Refused on a device enrolled at a hub: a set-based write has no per-row op to send, and
        no write may escape the sync."""
        if self.capture and outbox.captured(table):
            raise Refusal("sync.bulk_write_refused", table=table)
        cur = self.conn.executemany(sql, params) if many else self.conn.execute(sql, params)
        self._journal(table, None, "bulk_write", {"rows": cur.rowcount, "note": note})
        return cur.rowcount

    def event(self, entity: str, op: str, details: dict) -> None:
        """Journal an event that writes no row (a personal-data export, a purge's summary)."""
        self._journal(entity, None, op, details)

    def reseal(self, table: str) -> None:
        """Seal ``table`` before the commit (after writes made with the raw connection)."""
        self.tables.add(table)
        self.to_seal.add(table)

    def fill_empty(self, table: str, columns: Sequence[str], rows: list) -> int:
        """Insert ``rows`` (each the values of ``columns``) exactly as given into ``table``, which
        must hold no row yet (a new replica's first pull): one ``executemany``, then the table's
        seal journaled at once. The seal is computed from the values when SQLite stores them
        unchanged (``rowhash.seal_of_values``), else read back before the commit (``reseal``).
        Not captured in the outbox (a pull's rows came from there); refused on a table that holds
        rows, whose seal would not be the values'."""
        if self.conn.execute(f"SELECT 1 FROM [{table}] LIMIT 1").fetchone():
            raise DatabaseBug(f"fill_empty: {table} already holds rows")
        names = ", ".join(f"[{c}]" for c in columns)
        self.conn.executemany(f"INSERT INTO [{table}] ({names}) VALUES ({', '.join('?' for _ in columns)})", rows)
        seal = rowhash.seal_of_values(self.conn, table, list(columns), rows)
        if seal is None:
            self.reseal(table)
        else:
            self._journal(table, None, "seal", {"_seal": seal})
            self.to_seal.discard(table)  # sealed now (a later bulk write in this transaction seals it again)
        return len(rows)

    def set_meta(self, key: str, value: str) -> None:
        """Write one ``meta`` setting (trust anchor, device id...), journaled like any row."""
        before = rowhash.row_hash(self.conn, "meta", key)
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        self._journal("meta", key, "set", {"value": _journal_value("value", value),
                                           "_row": self._row("meta", key, before)})

    def _seal_all(self) -> None:
        tables = set(rowhash.covered_tables(self.conn))
        for table in sorted(self.to_seal & tables):  # not "login" and other journal-only entities
            journal.append(self.conn, actor=self.actor, device_id=self.store.device_id, entity=table,
                           entity_id=None, op="seal", changes={"_seal": rowhash.seal(self.conn, table)})
        self.to_seal.clear()

    @staticmethod
    def _visible_only(table: str, values: dict) -> None:
        """No control or bidi-override character in any text the application records, whichever
        form or command it came from (review L2): they cut SQLite's ``length()``, turn a name around
        in a decision's PDF, and hide what a text says."""
        for column, value in values.items():
            if isinstance(value, str) and has_hidden_characters(value):
                raise Refusal("text_hidden_characters_in", field=f"{table}.{column}")

    def insert(self, table: str, record: dict) -> str:
        self._visible_only(table, record)
        now = utc_now()
        row = dict(record)
        row.setdefault("id", uuid7())
        row.update(created_at=now, updated_at=now, created_by=self.actor, updated_by=self.actor,
                   device_id=self.store.device_id, version=1)
        cols = ", ".join(f"[{c}]" for c in row)
        marks = ", ".join("?" for _ in row)
        self.conn.execute(f"INSERT INTO [{table}] ({cols}) VALUES ({marks})", tuple(row.values()))
        changes = {k: _journal_value(k, v, table) for k, v in record.items() if k != "id"}
        changes["_row"] = self._row(table, row["id"])
        self._journal(table, row["id"], "insert", changes)
        self._capture(table, row["id"], "insert", None)
        return row["id"]

    def update(self, table: str, row_id: str, changes: dict, expected_version: int | None = None, *,
               erase: bool = False) -> None:
        """Change columns of one row. ``erase``: the change erases personal values (the Law 09-08
        retention purge): its op carries no old value (the erased values never leave in an op),
        which the hub takes as an erasure (``desktop.hub.commands``)."""
        self._visible_only(table, changes)
        before = rowhash.row_hash(self.conn, table, row_id)
        old = self._before(table, row_id)
        sets = ", ".join(f"[{c}] = ?" for c in changes)
        sql = (f"UPDATE [{table}] SET {sets}, updated_at = ?, updated_by = ?, version = version + 1"
               f" WHERE id = ? AND deleted_at IS NULL")
        params = [*changes.values(), utc_now(), self.actor, row_id]
        if expected_version is not None:
            sql += " AND version = ?"
            params.append(expected_version)
        if self.conn.execute(sql, params).rowcount != 1:
            raise StoreError("conflict" if expected_version is not None else "record_missing",
                             f"{table} {row_id}")
        entry = {k: _journal_value(k, v, table) for k, v in changes.items()}
        entry["_row"] = self._row(table, row_id, before)
        self._journal(table, row_id, "erase" if erase else "update", entry)
        self._capture(table, row_id, "update", old, erase=erase)

    def tombstone(self, table: str, row_id: str) -> None:
        now = utc_now()
        before = rowhash.row_hash(self.conn, table, row_id)
        old = self._before(table, row_id)
        cur = self.conn.execute(
            f"UPDATE [{table}] SET deleted_at = ?, updated_at = ?, updated_by = ?, version = version + 1"
            " WHERE id = ? AND deleted_at IS NULL", (now, now, self.actor, row_id))
        if cur.rowcount != 1:
            raise StoreError("record_missing", f"{table} {row_id}")
        self._journal(table, row_id, "tombstone", {"_row": self._row(table, row_id, before)})
        self._capture(table, row_id, "tombstone", old)

    def put_row(self, table: str, row: dict) -> bool:
        """Write a row exactly as the hub holds it (a sync pull): inserted, or its columns replaced;
        journaled with its row hash like any write, never captured in the outbox (it came from
        there). Returns False when the row was already identical (nothing written)."""
        current = outbox.read_row(self.conn, table, row["id"])
        if current is not None:
            row = {c: v for c, v in row.items() if c in current}
            if all(current[c] == v for c, v in row.items()):
                return False
        before = rowhash.row_hash(self.conn, table, row["id"])
        if current is None:
            cols = ", ".join(f"[{c}]" for c in row)
            self.conn.execute(f"INSERT INTO [{table}] ({cols}) VALUES ({', '.join('?' for _ in row)})",
                              tuple(row.values()))
        else:
            sets = ", ".join(f"[{c}] = ?" for c in row if c != "id")
            self.conn.execute(f"UPDATE [{table}] SET {sets} WHERE id = ?",
                              (*(v for c, v in row.items() if c != "id"), row["id"]))
        self._journal(table, row["id"], "sync_apply", {"version": row.get("version"),
                                                        "_row": self._row(table, row["id"], before)})
        return True

    def bulk_insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence],
                    note: str = "") -> int:
        """Insert many rows (imports, demo) under one journal entry holding their digest."""
        now = utc_now()
        audit = (now, now, self.actor, self.actor, self.store.device_id, 1)
        all_cols = (*columns, *AUDIT_COLUMNS)
        sql = (f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in all_cols)})"
               f" VALUES ({', '.join('?' for _ in all_cols)})")
        digest = hashlib.sha256()
        buffered = []
        for row in rows:
            digest.update(repr(tuple(row)).encode())
            buffered.append((*row, *audit))
        self.conn.executemany(sql, buffered)
        self._journal(table, None, "bulk_insert",
                      {"count": len(buffered), "rows_sha256": digest.hexdigest(), "note": note,
                       "first_id": buffered[0][0] if buffered else None,
                       "last_id": buffered[-1][0] if buffered else None})
        if self.capture and outbox.captured(table):  # an enrolled device: one op per row
            key = list(all_cols).index("id")
            for row in buffered:
                self._capture(table, row[key], "insert", None)
        return len(buffered)


class Store:
    read_only_medium = False  # opened immutable: WAL database on a medium that cannot be written

    def __init__(self, path: Path, conn: sqlite3.Connection, readonly: bool, key: bytes | None = None):
        self.path = path
        self.conn = conn
        self.readonly = readonly
        self.key = key  # the commune's data key when it is encrypted (keys.py), else None
        self.attachments = AttachmentStore(attachments_dir(path), keys.subkey(key, "attachments") if key else None)
        self.device_id = self.meta("device_id") or ""
        self.sync_capture = outbox.is_enrolled(conn)  # writes captured for the hub (issue 12)
        self._listeners: list[Callable[[frozenset[str]], None]] = []
        self.backup: Path | None = None  # the copy taken before this opening migrated the schema

    def second_reader(self) -> sqlite3.Connection:
        """Another read-only connection to this database (for work in a thread beside this one)."""
        return _connect(self.path, True, immutable=self.read_only_medium, key=self.key)

    def add_commit_listener(self, listener: Callable[[frozenset[str]], None]) -> None:
        """Call ``listener(tables)`` after each committed transaction with the tables it wrote."""
        self._listeners.append(listener)

    def remove_commit_listener(self, listener: Callable[[frozenset[str]], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def share_listeners(self, other: "Store") -> None:
        """Tell ``other``'s listeners of this store's commits too (another connection to the same file)."""
        self._listeners = other._listeners

    def _committed(self, tables: frozenset[str]) -> None:
        for listener in list(self._listeners):
            try:
                listener(tables)
            except Exception:  # noqa: BLE001 - the write is done; a listener's bug must not undo it
                log.exception("commit listener failed after writing %s", sorted(tables))

    # -- reading -------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def is_demo(self) -> bool:
        return self.meta("demo") == "1"

    def query(self, sql: str, params: Sequence | dict = ()) -> list[dict]:
        """Rows as dictionaries (column name → value)."""
        try:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise from_sqlite(exc, str(self.path)) from exc

    def scalar(self, sql: str, params: Sequence | dict = ()):
        try:
            row = self.conn.execute(sql, params).fetchone()
        except sqlite3.Error as exc:
            raise from_sqlite(exc, str(self.path)) from exc
        return row[0] if row else None

    # -- writing -------------------------------------------------------------------------------
    @contextmanager
    def transaction(self, actor: str | None) -> Iterator[Transaction]:
        """One atomic write: all of it and its journal entries commit, or nothing does."""
        if self.readonly:
            raise StoreError("read_only", "opened read-only", path=str(self.path))
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise from_sqlite(exc, str(self.path)) from exc
        tx = Transaction(self, actor)
        try:
            yield tx
            tx._seal_all()
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise from_sqlite(exc, str(self.path)) from exc
        except BaseException:
            self._rollback()
            raise
        if tx.tables:
            self._committed(frozenset(tx.tables))

    def _rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the transaction may already be gone (e.g. SQLITE_FULL rolls it back)

    def close(self) -> None:
        self.conn.close()
        self.closed = True

    closed = False

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def demo_accounts(store: Store) -> list[tuple[str, str, str]]:
    """(username, password, role) of a demo commune's accounts, written by the demo builder;
    nothing for a real commune."""
    if not store.is_demo:
        return []
    return [tuple(a) for a in json.loads(store.meta("demo_accounts") or "[]")]


def _connect(path: Path, readonly: bool, immutable: bool = False, key: bytes | None = None) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode={'ro' if readonly else 'rwc'}{'&immutable=1' if immutable else ''}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=5)
    if key is not None:  # before anything else reads the file
        conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is our refusal, not a line on stderr
        conn.execute(f"PRAGMA key = {keys.sqlcipher_key(key)}")
        try:
            conn.execute(f"PRAGMA cache_size = -{ENCRYPTED_CACHE_KIB}")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "not a database" in str(exc).lower():  # the key does not open this file
                raise StoreError("keys_mismatch", str(exc), path=str(path), keys=str(keys.sidecar(path))) from exc
            raise
    add_math_functions(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    return conn


def _migrate(conn: sqlite3.Connection, current: int) -> None:
    for number, script in MIGRATIONS:
        if number <= current:
            continue
        try:
            conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def backup_path(db_path: Path, version: int, when: datetime | None = None) -> Path:
    """Where the copy of a database at schema ``version`` goes before it is migrated."""
    stamp = (when or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    return db_path.with_name(f"{db_path.stem}.backup-v{version}-{stamp}{db_path.suffix}")


def copy_database(conn: sqlite3.Connection, db_path: Path, target: Path, key: bytes | None) -> None:
    """A consistent copy of an open database into ``target`` (an empty file made 0600 by the
    caller): encrypted with the same key, its key file copied beside, when the commune is encrypted."""
    if key is not None:
        keys.read_keys(db_path).copy_to(target)
    copy = sqlite3.connect(target)
    try:
        if key is not None:
            copy.execute(f"PRAGMA key = {keys.sqlcipher_key(key)}")
        conn.backup(copy)
    finally:
        copy.close()


def backup_before_migrate(conn: sqlite3.Connection, db_path: Path, version: int, key: bytes | None = None) -> Path:
    """A complete, consistent copy of the database (WAL included) before its schema changes.

    A failure (disk full, folder not writable) raises StoreError("backup_failed") and the caller
    does not migrate: an update never changes a database it could not copy first.
    """
    target = backup_path(db_path, version)
    n = 1
    while target.exists():  # two openings within the same second
        target = target.with_name(f"{target.stem}-{n}{target.suffix}")
        n += 1
    try:
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        copy_database(conn, db_path, target, key)
    except (sqlite3.Error, OSError, StoreError) as exc:
        target.unlink(missing_ok=True)
        keys.sidecar(target).unlink(missing_ok=True)
        raise StoreError("backup_failed", str(exc), path=str(db_path), backup=str(target)) from exc
    return target


def open_store(path: str | Path, *, create: bool = False, readonly: bool = False, key: bytes | None = None) -> Store:
    """Open (or with ``create`` make) a commune database; every failure is a StoreError.

    An encrypted database opens with its data key: ``key``, or the one this process unwrapped for
    it at login (``keys.unlock``); without it the refusal says that the database is encrypted. A
    new database given a ``key`` is created encrypted (its sidecar is the caller's: ``keys``).
    A database of an older schema is copied beside itself (``backup_path``) and then migrated;
    one of a newer schema (written by a newer version of the application) is refused.
    """
    path = Path(path)
    exists = path.exists()
    if exists and path.is_dir():
        raise StoreError("not_a_file", path=str(path))
    if not exists and not create:
        raise StoreError("not_found", path=str(path))
    if exists:
        try:
            with path.open("rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise StoreError("cannot_open", str(exc), path=str(path)) from exc
        if head != SQLITE_HEADER and not (create and head == b""):
            if not keys.is_encrypted(path):
                raise StoreError("not_sqlite", path=str(path))
            keys.read_keys(path)  # a missing or unreadable sidecar is said as such
            key = key or keys.remembered(path)
            if key is None:
                raise StoreError("encrypted_locked", path=str(path))
        elif head == SQLITE_HEADER:
            key = None  # a clear database (one not yet converted by ``encrypt``)
    conn = None
    read_only_medium = False
    if not exists:  # personal data (Law 09-08): the owner alone reads the file; SQLite gives the
        try:        # -wal and -shm files the same permissions
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise StoreError("cannot_open", str(exc), path=str(path)) from exc
    try:
        conn = _connect(path, readonly, key=key)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.OperationalError as exc:
            # a database in WAL mode on a read-only medium (a backup disk): SQLite cannot create
            # its -shm file; nothing can change the file there, so it is read as immutable
            if not readonly or "unable to open" not in str(exc).lower():
                raise
            conn.close()
            conn = _connect(path, readonly, immutable=True, key=key)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            read_only_medium = True
        if version > LATEST:
            raise StoreError("newer_schema", path=str(path), found=version, known=LATEST)
        if version == 0:
            has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if has_tables or not create:
                raise StoreError("not_commune_db", path=str(path))
        backup = None
        if version < LATEST:
            if readonly:
                raise StoreError("needs_upgrade", path=str(path), found=version, known=LATEST)
            if version > 0:
                backup = backup_before_migrate(conn, path, version, key)
            _migrate(conn, version)
        store = Store(path, conn, readonly, key)
        store.backup = backup
        store.read_only_medium = read_only_medium
        if version == 0:  # a new commune: its device id and birth, journaled like any setting
            store.device_id = uuid7()
            with store.transaction(None) as tx:
                tx.set_meta("device_id", store.device_id)
                tx.set_meta("created_at", utc_now())
        if version < LATEST and LATEST >= ROW_HASHES_FROM:  # seal what is there (created or migrated)
            with store.transaction(None) as tx:
                for table in rowhash.covered_tables(conn):
                    if not (version == 0 and table == "meta"):  # a new commune's meta is journaled above
                        tx.reseal(table)
        return store
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise from_sqlite(exc, str(path)) from exc
    except StoreError:
        if conn is not None:
            conn.close()
        raise
