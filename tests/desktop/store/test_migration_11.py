"""Migration 11 (Law 09-08): an enrolled device's outbox written at schema 10 stays verified by
``check`` once migrated; only the redaction of an acknowledged op after its row's applied erasure
gets through the append-only trigger."""
import json

import pytest

import desktop.store.db as db
from desktop.services import privacy
from desktop.store import outbox
from desktop.store.check import check_store
from desktop.store.db import open_store
from desktop.store.engine import sqlite3
from desktop.store.migrations import LATEST, MIGRATIONS

CIN = "BK771199"


def _ack_all(store) -> None:
    conn = store.conn
    seq, hash_ = conn.execute("SELECT seq, hash FROM sync_op ORDER BY seq DESC LIMIT 1").fetchone()
    results = {r[0]: "applied" for r in conn.execute("SELECT op_id FROM sync_op WHERE acked_at IS NULL")}
    conn.execute("BEGIN IMMEDIATE")
    assert outbox.acknowledge(conn, seq, hash_, results, "2026-12-01T10:00:00Z") > 0
    conn.execute("COMMIT")


def _enrolled_at_10(path, monkeypatch) -> str:
    with monkeypatch.context() as m:
        m.setattr(db, "MIGRATIONS", [x for x in MIGRATIONS if x[0] <= 10])
        m.setattr(db, "LATEST", 10)
        with open_store(path, create=True) as store, store.transaction(None) as tx:
            tx.set_meta(outbox.ENROLLED_KEY, "1")
        with open_store(path) as store:
            assert store.scalar("PRAGMA user_version") == 10 and store.sync_capture
            with store.transaction(None) as tx:
                tx.insert("site", {"kind": "establishment", "name": "Site de test"})
                site = tx.insert("site", {"kind": "establishment", "name": "Épicerie T.", "owner_name": "Nadia T.",
                                          "owner_id_kind": "cin", "owner_id_number": CIN})
            _ack_all(store)
    return site


def test_an_outbox_of_schema_10_is_migrated_and_scrubbed_after_the_erasure(tmp_path, monkeypatch):
    path = tmp_path / "commune.sqlite"
    site = _enrolled_at_10(path, monkeypatch)
    with open_store(path) as store:
        assert store.scalar("PRAGMA user_version") == LATEST and store.backup is not None
        assert check_store(store).ok, check_store(store).problems
        op_id = store.scalar("SELECT op_id FROM sync_op WHERE row_id = ? AND kind = 'insert'", (site,))
        with pytest.raises(sqlite3.IntegrityError, match="never rewritten"):
            store.conn.execute("UPDATE sync_op SET new = '{}' WHERE op_id = ?", (op_id,))
        with store.transaction(None) as tx:  # the purge's erasure, then the hub's receipt
            tx.update("site", site, privacy.ERASED["site"], erase=True)
        assert privacy.scrub_outbox(store)["ops"] == 0  # not acknowledged yet: the op stays whole
        _ack_all(store)
        done = privacy.scrub_outbox(store)
        assert done["ops"] == 1 and len(done["by"]) == 1
        assert json.loads(store.scalar("SELECT redacted FROM sync_op WHERE op_id = ?", (op_id,)))["by"] == done["by"][0]
        report = check_store(store)
        assert report.ok, report.problems
    assert CIN.encode() not in path.read_bytes()
    assert privacy.app_copies(path) == []  # the copy made before the migration held it


def test_check_reports_an_op_marked_redacted_before_its_erasure_was_acknowledged(tmp_path, monkeypatch):
    path = tmp_path / "commune.sqlite"
    site = _enrolled_at_10(path, monkeypatch)
    with open_store(path) as store:
        with store.transaction(None) as tx:
            tx.update("site", site, privacy.ERASED["site"], erase=True)
        conn = store.conn
        op_id, new = conn.execute("SELECT op_id, new FROM sync_op WHERE row_id = ? AND kind = 'insert'", (site,)).fetchone()
        erase = conn.execute("SELECT op_id FROM sync_op WHERE row_id = ? ORDER BY seq DESC", (site,)).fetchone()[0]
        mark = json.dumps({"columns": ["owner_id_number"], "by": erase})
        blank = json.dumps({**json.loads(new), "owner_id_number": ""})
        with pytest.raises(sqlite3.IntegrityError, match="never rewritten"):  # the erasure is still pending
            conn.execute("UPDATE sync_op SET new = ?, redacted = ? WHERE op_id = ?", (blank, mark, op_id))
        conn.execute("DROP TRIGGER sync_op_no_rewrite")  # someone with the file
        conn.execute("UPDATE sync_op SET new = ?, redacted = ? WHERE op_id = ?", (blank, mark, op_id))
        problems = check_store(store).problems
    assert len(problems) == 1 and "redacted without an erasure" in problems[0], problems
