"""``commune-police check``: is this database whole? SQLite integrity, foreign keys,
attachment files against their hashes, and the journal chain."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from desktop.store import journal, outbox, rowhash
from desktop.store.db import Store
from desktop.store.errors import from_sqlite


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_store(store: Store) -> CheckReport:
    report = CheckReport()
    conn = store.conn
    try:
        for (line,) in conn.execute("PRAGMA integrity_check(20)"):
            if line != "ok":
                report.problems.append(f"sqlite integrity: {line}")
        for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check").fetchmany(20):
            report.problems.append(f"foreign key: {table} row {rowid} points to a missing {parent}")
        for table in ("site", "inspection", "finding", "attachment", "user", "district"):
            report.counts[table] = conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
        checked = 0
        for sha, size, owner_type, owner_id in conn.execute(
                "SELECT DISTINCT sha256, size, owner_type, owner_id FROM attachment WHERE deleted_at IS NULL"):
            checked += 1
            problem = store.attachments.verify(sha, size)
            if problem:
                report.problems.append(f"attachment {sha[:12]}… of {owner_type} {owner_id}: {problem}")
        report.counts["attachment files"] = checked
        entries, chain = journal.verify(conn)
        report.counts["journal entries"] = entries
        report.problems += [f"journal entry {p.seq}: {p.problem}" for p in chain]
        report.problems += outbox.verify(conn)
        if store.meta("demo") == "1" and store.meta("demo_accounts") is None:  # written last by the builder
            report.problems.append("demo commune: its build was interrupted before the end (build it again)")
        rows, problems = check_rows(conn)
        report.counts["rows checked"] = rows
        report.problems += problems
    except sqlite3.Error as exc:
        raise from_sqlite(exc, str(store.path)) from exc
    return report


@dataclass
class _Touched:
    seq: int
    n: int
    after: str
    before: str | None  # the row's hash at the table's last seal; None: it did not exist then


@dataclass
class _TableState:
    seal: tuple[int, dict] | None = None
    touched: dict = field(default_factory=dict)


def _journal_states(conn: sqlite3.Connection) -> dict[str, _TableState]:
    """Per table: its last seal, and the rows written one by one since (first and last entry)."""
    states: dict[str, _TableState] = {}
    for seq, entity, entity_id, changes in conn.execute(
            "SELECT seq, entity, entity_id, changes FROM journal"
            " WHERE instr(changes, '\"_row\":') > 0 OR instr(changes, '\"_seal\":') > 0 ORDER BY seq"):
        data = json.loads(changes)
        state = states.setdefault(entity, _TableState())
        if entity_id is None and isinstance(data.get("_seal"), dict):
            state.seal, state.touched = (seq, data["_seal"]), {}
        elif entity_id is not None and isinstance(data.get("_row"), dict):
            row = data["_row"]
            known = state.touched.get(entity_id)
            before = known.before if known else row.get("before")
            state.touched[entity_id] = _Touched(seq, int(row["n"]), row["after"], before)
    return states


def check_rows(conn: sqlite3.Connection, limit: int = 20) -> tuple[int, list[str]]:
    """Every row of every table against the journal: the hash its last journal entry recorded, or
    the table's last seal (rows written in bulk). Returns (rows checked, problems)."""
    states = _journal_states(conn)
    problems: list[str] = []
    checked = 0
    for table in rowhash.covered_tables(conn):
        state = states.get(table, _TableState())
        found: list[str] = []
        cols = rowhash.columns(conn, table)
        key_at = cols.index(rowhash.key_column(table))
        select = ", ".join(f"[{c}]" for c in cols)
        sealed_n = int(state.seal[1]["n"]) if state.seal else len(cols)
        pairs: list[tuple[str, bytes]] = []
        seen = set()
        digest = rowhash.digest
        for row in conn.execute(f"SELECT {select} FROM [{table}]"):
            checked += 1
            key = row[key_at]
            touched = state.touched.get(key)
            if touched is not None:
                seen.add(key)
                if digest(row[:touched.n]).hex() != touched.after:
                    found.append(f"{table} {key}: the row differs from its journal entry {touched.seq}"
                                 " (edited behind the application's back)")
                if touched.before is not None:
                    pairs.append((key, bytes.fromhex(touched.before)))
            elif state.seal is None:
                found.append(f"{table} {key}: the row is not in the journal (added behind the application's back)")
            else:
                pairs.append((key, digest(row[:sealed_n])))
        for key, touched in state.touched.items():
            if key not in seen:
                found.append(f"{table} {key}: the row of journal entry {touched.seq} is missing (deleted)")
        if state.seal is not None:
            seq, seal = state.seal
            if len(pairs) != int(seal["count"]):
                found.append(f"{table}: {len(pairs):,} rows where the journal (entry {seq}) has {int(seal['count']):,}"
                             " (rows deleted or added behind the application's back)")
            elif rowhash.seal_digest(pairs) != seal["rows_sha256"]:
                found.append(f"{table}: rows written in bulk differ from the journal (entry {seq})"
                             " (edited behind the application's back)")
        if len(found) > limit:
            found = found[:limit] + [f"{table}: … and {len(found) - limit:,} more"]
        problems += found
    return checked, problems
