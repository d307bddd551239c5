"""The device's side of a pull (issue 12): the hub's rows applied to the replica, journaled and
never captured, a row with an op still waiting for the hub kept back; a new replica's first pull
inserted at once; a full-commune station's large pull in pages (``hub.pull.Page``), a sequence
cut short gone on with. ``desktop.services.sync`` (bundles, receipts, status) re-exports what its
callers use; no Qt here."""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from desktop.domain import bundle, pullformat
from desktop.domain.erasure import ERASED
from desktop.domain.errors import Refusal
from desktop.domain.sync import TABLES, hlc_merge, table_order
from desktop.services import catalogue_sync, privacy
from desktop.services.commune import Commune
from desktop.services.jobs import Job
from desktop.store import outbox
from desktop.store.db import Store, Transaction, copy_database
from desktop.store.engine import sqlite3
from desktop.store.errors import DatabaseBug
from desktop.store import keys
from desktop.store.migrations import LATEST

BULK_FROM = 500  # rows of one table into an empty local table: inserted at once, then the table sealed


def require_enrolled(store: Store) -> None:
    if not outbox.is_enrolled(store.conn):
        raise Refusal("sync.not_enrolled", path=str(store.path))


def open_from_hub(store: Store, data: bytes, kind: str) -> dict:
    require_enrolled(store)
    body = bundle.open_sealed(data, store.meta("sync.hub_public_key") or "", kind=kind, schema=LATEST,
                              here="device")
    if body.get("hub_id") != store.meta("sync.hub_id") or body.get("device_id") != store.device_id:
        raise Refusal("sync.not_for_this_device", device=str(body.get("device_id")))
    return body


def backup_before_pull(store: Store) -> Path:
    """A consistent copy of the database, replaced at each pull: ``<db>.before-pull``."""
    target = store.path.with_name(store.path.name + ".before-pull")
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    copy_database(store.conn, store.path, partial, store.key)
    if store.key is not None:
        os.replace(keys.sidecar(partial), keys.sidecar(target))
    os.replace(partial, target)
    return target


def _put_blobs(store: Store, blobs: dict) -> None:
    for sha, data in bundle.checked_blobs(blobs):
        if not store.attachments.path_for(sha).exists():
            store.attachments.put_bytes(data, "application/octet-stream")


def pull_position(commune: Commune) -> tuple[int, dict | None]:
    """Where this device's next pull starts: its cursor, and the next page of a paged pull it has
    not finished (None: a new pull)."""
    conn = commune.store.conn
    cursor = int(outbox.get_state(conn, "cursor") or 0)
    state = json.loads(outbox.get_state(conn, "pull_page") or "null")
    return cursor, (state["next"] if state and state.get("since") == cursor else None)


def forget_page(commune: Commune) -> None:
    """Drop the place of a paged pull cut short (the hub answers it no more): the next pull starts
    again from the cursor (the rows already applied come again, changing nothing)."""
    with commune.store.transaction(None) as tx:
        tx.capture = False
        outbox.set_state(tx.conn, "pull_page", "")


def pull_all(commune: Commune, fetch: Callable[[int, dict | None], bytes], job: Job | None = None) -> dict:
    """Pull until this device holds what the hub held when it asked: ``fetch(cursor, place)`` is
    the hub's pull from ``cursor`` (``place``: the next page of a paged pull). A paged pull cut
    short goes on from its next page (``pull_position``), then a pull from the cursor it ended at
    brings what changed since it began; a place the hub no longer answers (``sync.page_stale``)
    is dropped and the pull starts again from the cursor. Returns ``apply_pulls``' summary, added up."""
    cursor, place = pull_position(commune)
    try:
        first = fetch(cursor, place)
    except Refusal as exc:
        if place is None or exc.key != "sync.page_stale":
            raise
        forget_page(commune)
        place, first = None, fetch(cursor, None)
    result = apply_pulls(commune, first, lambda following: fetch(cursor, following), job)
    if place is None:
        return result
    cursor, _ = pull_position(commune)  # (the sequence begun earlier, finished: what changed since)
    later = apply_pulls(commune, fetch(cursor, None), lambda following: fetch(cursor, following), job)
    return {"rows": result["rows"] + later["rows"], "skipped": result["skipped"] + later["skipped"],
            "cursor": later["cursor"], "pages": result["pages"] + later["pages"]}


def apply_pulls(commune: Commune, data: bytes, fetch: Callable[[dict], bytes], job: Job | None = None) -> dict:
    """Apply a pull and, when it is a page of a station's paged pull (``hub.pull.Page``), every
    next page (``fetch(page)``: its bytes), each in its own transaction (``apply_pull``): a
    sequence cut short goes on from its last page applied (``pull_position``). A new replica's
    pages go in as one transaction (``_apply_first_pages``). ``job``: progress by rows, cancel
    between pages. Returns ``apply_pull``'s summary, added up, with ``pages``."""
    job = job or Job()
    store = commune.store
    body = open_from_hub(store, data, "pull")
    page = body.get("page")
    if page and page.get("next") and _nothing_to_overwrite(store, _synced_tables(store)):
        return _apply_first_pages(commune, body, fetch, job)
    total = {"rows": 0, "skipped": 0, "cursor": 0, "pages": 0}
    for opened in _pages(store, body, fetch, job):
        try:
            got = _apply_opened(commune, opened)
        except DatabaseBug:  # a page this replica cannot take (a foreign key, say): its place dropped,
            if opened.get("page"):  # the next sync starts again from the cursor, with a new bound
                forget_page(commune)
            raise
        total.update(rows=total["rows"] + got["rows"], skipped=total["skipped"] + got["skipped"],
                     cursor=got["cursor"], pages=total["pages"] + 1)
    return total


def _pages(store: Store, body: dict, fetch: Callable[[dict], bytes], job: Job) -> Iterator[dict]:
    """``body`` (opened) and, when it is a page of a paged pull, each next one (``fetch``, opened),
    each given once the one before is applied; progress by rows, cancel between two. A next place
    that is the one just asked for (a hub answering one page again and again would keep a sync
    going without end) or a page of another sequence is refused (``sync.page_stale``)."""
    first = body.get("page") or {}
    expected, done, asked = first.get("rows"), 0, None
    while True:
        yield body
        done += _own_rows(body)
        job.progress(done, expected)
        following = (body.get("page") or {}).get("next")
        if not following:
            return
        if following == asked:
            raise Refusal("sync.page_stale")
        asked = following
        job.check()
        since = body["since"]
        body = open_from_hub(store, fetch(following), "pull")
        if body.get("since") != since or (body.get("page") or {}).get("bound") != first.get("bound"):
            raise Refusal("sync.page_stale")  # (a hub's answer to another sequence)


def _own_rows(body: dict) -> int:
    return sum(len(t.get("rows", ())) for t in body.get("tables", {}).values())


def _synced_tables(store: Store) -> list[str]:
    names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [t for t in TABLES if t in names]


def _apply_first_pages(commune: Commune, first: dict, fetch: Callable[[dict], bytes], job: Job) -> dict:
    """A new replica's paged pull (``_nothing_to_overwrite``), every page in ONE transaction, as
    ``_apply_first_pull`` applies one body: each page's rows inserted (a row a page closed over
    that a later page sends again takes its later values), each table sealed once at the end,
    foreign keys checked once at the end. Memory holds one page at a time; a cancel, a lost network
    or a crash leaves the replica as it was (empty), and its next sync starts again."""
    store, conn = commune.store, commune.store.conn
    bound, pages, written, body = first["page"]["bound"], 0, 0, first
    with _first_pull(store) as (tx, filled):
        for body in _pages(store, first, fetch, job):
            tables = pullformat.tables(body)
            _check_erasures(store, body)
            catalogue_sync.apply(commune, body)
            _put_blobs(store, body.get("blobs", {}))
            for table in table_order(tables):
                written += _upsert_all(conn, table, tables[table])
                tx.reseal(table)
            filled.update(tables)
            pages += 1
            if body["page"]["next"] is not None:  # (the last page's: with the pull's state, below)
                _keep_erasures(tx, body)
        _finish_pull(tx, body, bound)
    return {"rows": written, "skipped": 0, "cursor": bound, "pages": pages}


def _upsert_all(conn: sqlite3.Connection, table: str, pulled: pullformat.PulledTable) -> int:
    """``pulled``'s rows inserted; one already here (a parent a page closed over) takes their values."""
    names = ", ".join(f"[{c}]" for c in pulled.columns)
    sets = ", ".join(f"[{c}] = excluded.[{c}]" for c in pulled.columns if c != "id")
    rows = pulled.values()
    conn.executemany(f"INSERT INTO [{table}] ({names}) VALUES ({', '.join('?' for _ in pulled.columns)})"
                     f" ON CONFLICT(id) DO UPDATE SET {sets}", rows)
    return len(rows)


def apply_pull(commune: Commune, data: bytes) -> dict:
    """Back the database up, then apply the hub's rows (journaled, never captured). A row that
    still has an op waiting for the hub is left as it is, and the cursor stays before it: the next
    pull brings the hub's version again once the hub has answered that op. A pull with nothing to
    overwrite (a new device's first pull) takes ``_apply_first_pull``: no backup, tables at once.
    The erasures the pull lists (Law 09-08, each signed by the hub) are kept; when one is new here,
    or a row it erased still held its values here, the outbox is scrubbed of them
    (``privacy.scrub_outbox``), the erased complaints' letters removed, the file rewritten and the
    copies beside it (the one this pull made too) removed.
    Returns ``{"rows": written, "skipped": pending rows kept, "cursor": new cursor}``.

    A page of a paged pull (``apply_pulls``) keeps the cursor where it was and the next page's
    place (``pull_position``); its last moves the cursor to the sequence's bound (or before the
    first row kept back by any of its pages)."""
    return _apply_opened(commune, open_from_hub(commune.store, data, "pull"))


def _apply_opened(commune: Commune, body: dict) -> dict:
    store = commune.store
    held = int(outbox.get_state(store.conn, "cursor") or 0)
    if int(body["cursor"]) < held:  # an older file read in again (a USB stick's): it would undo newer rows
        raise Refusal("sync.pull_older", found=int(body["cursor"]), cursor=held)
    tables = pullformat.tables(body)  # another layout is refused before anything is written
    _check_erasures(store, body)  # so is an erasure the hub did not sign
    catalogue_sync.apply(commune, body)  # (checked first) before the cursor passes its change
    _put_blobs(store, body.get("blobs", {}))
    if _nothing_to_overwrite(store, tables):
        return _apply_first_pull(store, body, tables)
    sequence = _sequence(store.conn, body)  # (a paged pull's pages: one copy, before the first that overwrites)
    backup = bool(sequence and sequence.get("backup"))
    if not backup and _overwrites(store, body, tables):  # a pull that only adds rows needs no copy (see _overwrites)
        backup_before_pull(store)
        backup = True
    keep = outbox.pending_rows(store.conn)
    held = _holds_erased(store, body.get("erased", []))  # the values the pull overwrites: in the copy, the freed pages
    written = skipped = 0
    low: int | None = None  # before the first row kept back
    with store.transaction(None) as tx:
        tx.capture = False
        tx.conn.execute("PRAGMA defer_foreign_keys = ON")
        for table in table_order(tables):
            pulled = tables[table]
            if len(pulled.rows) >= BULK_FROM and not tx.conn.execute(f"SELECT 1 FROM [{table}] LIMIT 1").fetchone():
                # an empty table holds no row with a pending op (rows are never deleted)
                _insert_all(tx.conn, table, pulled)
                tx.reseal(table)
                written += len(pulled.rows)
                continue
            for row, seq in zip(pulled.dicts(), pulled.seqs()):
                if (table, row["id"]) in keep:  # kept until the hub has answered our op on it
                    skipped += 1
                    if seq > int(body["since"]):
                        low = seq - 1 if low is None else min(low, seq - 1)
                elif tx.put_row(table, row):
                    written += 1
        cursor, page = _cursor_after(body, sequence, low, backup)
        erased = _finish_pull(tx, body, cursor, page)
    if erased or held:  # erasures new here, or rows erased (Law 09-08): what this device keeps of them scrubbed
        complaints = [e["row_id"] for e in body["erased"] if e["tbl"] == "complaint"]
        privacy.remove_letters(store, [r[0] for r in store.conn.execute(
            "SELECT sha256 FROM attachment WHERE owner_type = 'complaint' AND owner_id IN"
            " (SELECT value FROM json_each(?))", (json.dumps(complaints),))])
        privacy.scrub_outbox(store, rewrite=True)
    return {"rows": written, "skipped": skipped, "cursor": cursor}


def _holds_erased(store: Store, erased: list[dict]) -> bool:
    """Whether a row the pull lists as erased holds here a value its erasure took out."""
    for table, columns in ERASED.items():
        ids = [e["row_id"] for e in erased if e["tbl"] == table]
        if ids and store.conn.execute(
                f"SELECT 1 FROM [{table}] WHERE id IN (SELECT value FROM json_each(?))"
                f" AND NOT ({' AND '.join(f'[{c}] IS ?' for c in columns)}) LIMIT 1",
                (json.dumps(ids), *columns.values())).fetchone():
            return True
    return False


def _check_erasures(store: Store, body: dict) -> None:
    """Refuse a pull whose list of erasures (``erased``) holds one the hub did not sign (the body's
    signature covers the list; each entry's own is what the device keeps, and ``check`` verifies)."""
    erased = body.get("erased", [])
    if not isinstance(erased, list):
        raise Refusal("sync.erasure_unsigned", problem="erased")
    hub_id, public_pem = store.meta("sync.hub_id") or "", store.meta("sync.hub_public_key") or ""  # once, not per erasure
    for e in erased:
        problem = outbox.hub_erasure_problem(e, hub_id, public_pem)
        if problem:
            raise Refusal("sync.erasure_unsigned", problem=problem)


def _sequence(conn: sqlite3.Connection, body: dict) -> dict | None:
    """What this device kept of the paged pull ``body`` is a page of (None: its first page, or
    not a page): the next page's place, ``low``, ``backup``."""
    page = body.get("page")
    state = json.loads(outbox.get_state(conn, "pull_page") or "null")
    if page is None or not state or state.get("since") != body["since"] or state.get("bound") != page["bound"]:
        return None
    return state


def _cursor_after(body: dict, sequence: dict | None, low: int | None, backup: bool) -> tuple[int, dict | None]:
    """The cursor after a pull, and what to keep of a paged pull with a page to come (None: none).
    ``low``: before the first row it kept back for a pending op; a paged pull's are kept from page
    to page, and its last page's cursor is before the lowest of them all. ``backup``: the copy
    before a pull made (once per paged pull)."""
    page = body.get("page")
    if page is None:
        return int(body["cursor"]) if low is None else min(int(body["cursor"]), low), None
    if sequence and sequence.get("low") is not None:
        low = sequence["low"] if low is None else min(low, sequence["low"])
    if page["next"] is not None:
        return int(body["since"]), {"since": body["since"], "bound": page["bound"], "next": page["next"], "low": low,
                                    "backup": backup}
    return int(page["bound"]) if low is None else min(int(page["bound"]), low), None


def _keep_erasures(tx: Transaction, body: dict) -> list[dict]:
    """The erasures the hub listed (kept, journaled); returns those new to this device."""
    erased = outbox.record_hub_erasures(tx.conn, body.get("erased", []), body["at"])
    if erased:
        tx.event("privacy", "hub_erasures", {"rows": len(erased), "by": [e["op_id"] for e in erased]})
    return erased


def _finish_pull(tx: Transaction, body: dict, cursor: int, page: dict | None = None) -> list[dict]:
    """The pull's sync state, in its transaction: the cursor, the place of a paged pull's next page,
    the conflicts the hub resolved, the clock, the erasures the hub listed (kept, journaled; returns
    those new to this device)."""
    conn = tx.conn
    erased = _keep_erasures(tx, body)
    outbox.set_state(conn, "cursor", str(cursor))
    outbox.set_state(conn, "pull_page", json.dumps(page) if page else "")
    for conflict_id in body.get("resolved", []):  # decided at the hub by the coordinator
        conn.execute("UPDATE sync_conflict SET status = 'resolved' WHERE conflict_id = ? AND status = 'open'",
                     (conflict_id,))
    outbox.set_state(conn, "hlc", hlc_merge(outbox.get_state(conn, "hlc"), body.get("hlc")) or "")
    outbox.set_state(conn, "last_pull_at", body["at"])
    return erased


def _insert_all(conn: sqlite3.Connection, table: str, pulled: pullformat.PulledTable) -> None:
    names = ", ".join(f"[{c}]" for c in pulled.columns)
    conn.executemany(f"INSERT INTO [{table}] ({names}) VALUES ({', '.join('?' for _ in pulled.columns)})",
                     pulled.values())


def _overwrites(store: Store, body: dict, tables: dict[str, pullformat.PulledTable]) -> bool:
    """Whether the pull would change something this replica holds: a row it already has, with other
    values (an update, a tombstone, the hub's answer to a conflict), or a conflict the hub resolved. The copy before a
    pull exists so that a pull cannot destroy local work; one that only inserts rows the replica
    does not hold (or sends again rows it holds as they are), in one all-or-nothing transaction,
    cannot (an officer's usual pull: the other brigades' new visits), and is spared the copy of the whole database (~0.1 s a sync here)."""
    if body.get("resolved"):
        return True
    conn = store.conn
    for table, pulled in tables.items():
        key = pulled.columns.index("id")
        incoming = {r[key]: r for r in pulled.values()}
        cols = ", ".join(f"[{c}]" for c in pulled.columns)
        held = conn.execute(f"SELECT {cols} FROM [{table}] WHERE id IN (SELECT value FROM json_each(?))",
                            (json.dumps(list(incoming)),)).fetchall()
        if any(list(row) != list(incoming[row[key]]) for row in held):  # the same values again change nothing
            return True
    return False


def _nothing_to_overwrite(store: Store, tables: Iterable[str]) -> bool:
    """True when this replica holds nothing a pull could overwrite or hold back: no op in its
    outbox (so no pending row, no conflict to resolve) and no row in any table the pull writes.

    A just-enrolled replica is one: ``open_store`` and ``enroll_local`` write only ``meta`` (the
    device's id and birth, the hub's id and key, the user, the scope, the hub's address, the
    enrolment mark) and their journal entries and seals; ``create_encrypted_replica`` the same plus
    the key file; the device key is a file beside. A pull never writes ``meta`` or the ``draft``
    table (device-local), and into tables that hold nothing it can only insert."""
    conn = store.conn
    if conn.execute("SELECT 1 FROM sync_op LIMIT 1").fetchone() or conn.execute(
            "SELECT 1 FROM sync_conflict LIMIT 1").fetchone():
        return False
    return not any(conn.execute(f"SELECT 1 FROM [{table}] LIMIT 1").fetchone() for table in tables)


def _apply_first_pull(store: Store, body: dict, tables: dict[str, pullformat.PulledTable]) -> dict:
    """A pull into tables that hold nothing (``_nothing_to_overwrite``): every table inserted at once
    and sealed (``check`` covers every row through the seal, computed from the pulled values),
    foreign keys checked once at the end.

    No ``before-pull`` copy: that copy exists so that a pull cannot destroy local work, and here
    it cannot (the pull only inserts, into tables that hold nothing, and changes no other row:
    not ``meta``, not the drafts, not the outbox); the transaction is all or nothing, so a pull that fails leaves the replica as it was, which is
    what the copy would hold. No row is kept back for a pending op: there is none."""
    with _first_pull(store) as (tx, filled):
        written = 0
        for table in table_order(tables):
            written += tx.fill_empty(table, tables[table].columns, tables[table].values())
        filled.update(tables)
        # (a page of a paged pull into tables that hold nothing yet: the sequence's place kept)
        cursor, page = _cursor_after(body, _sequence(store.conn, body), None, False)
        _finish_pull(tx, body, cursor, page)  # the erasures kept: this replica holds no op yet
    return {"rows": written, "skipped": 0, "cursor": cursor}


FIRST_PULL_CACHE_KIB = 512 * 1024  # SQLite's page cache while a new replica takes its first pull


@contextmanager
def _first_pull(store: Store) -> Iterator[tuple[Transaction, set[str]]]:
    """The transaction of a new replica's first pull (``_apply_first_pull``, ``_apply_first_pages``),
    uncaptured, and the set of the tables it fills, whose foreign keys are checked at its end.

    Foreign keys are off while the rows go in (it cannot change inside a transaction): with them
    on, one row inserted before the row it refers to (an inspection before the one it follows up)
    makes SQLite scan every child table at each later insert (quadratic: ~4 s for 3,600
    inspections of the benchmark's replica); ``foreign_key_check`` refuses the whole pull, as the
    commit would have. The page cache is ``FIRST_PULL_CACHE_KIB`` meanwhile: the tables' indexes
    grow with every row, and with the usual cache each insert read and wrote back (and, encrypted,
    decrypted and encrypted) index pages out of it (a station's 1,700,000 rows in pages: 305 s
    with it at 64 MB, 130 s at 512 MB; bench/RESULTS.md, paged pulls). Both as before afterwards."""
    conn = store.conn
    enforced = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(f"PRAGMA cache_size = -{FIRST_PULL_CACHE_KIB}")
    try:
        with store.transaction(None) as tx:
            tx.capture = False
            filled: set[str] = set()
            yield tx, filled
            for table in sorted(filled) if enforced else ():  # the rows inserted (no other row changed)
                broken = conn.execute(f"PRAGMA foreign_key_check([{table}])").fetchone()
                if broken is not None:
                    raise sqlite3.IntegrityError(f"FOREIGN KEY constraint failed: {broken[0]} row {broken[1]}"
                                                 f" refers to a missing {broken[2]}")
    finally:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")
        conn.execute(f"PRAGMA cache_size = {int(cache)}")


