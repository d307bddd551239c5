"""``commune-police check``: is this database whole? SQLite integrity, foreign keys,
attachment files against their hashes, and the journal chain."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from desktop.store import journal
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
    except sqlite3.Error as exc:
        raise from_sqlite(exc, str(store.path)) from exc
    return report
