"""The register's three series (arrêtés, notices, letters), each numbered per year, and migration 10 (7 on its branch)
that brings a database registered in one shared series over to them with `check` still OK."""
from desktop.store.engine import sqlite3

import pytest

import desktop.store.db as db
from desktop.store.check import check_store
from desktop.store.db import open_store
from desktop.store.decisions import next_number
from desktop.store.errors import DatabaseBug
from desktop.store.migrations import MIGRATIONS
from desktop.store import rowhash

SIGNED = [("closure", "hygiene", "individual_other", 1), ("formal_notice", "hygiene", "individual_other", 2),
          ("referral_letter", "urbanism", "individual_urbanism", 3), ("stop_and_fee", "public_domain", "individual_other", 4),
          ("withdrawal", "public_domain", "individual_other", 5), ("public_force_request", "hygiene", "individual_other", 6)]


def _registered_before(path, monkeypatch) -> dict:
    """A database at schema 6 whose six signed documents share one numbering, written through the
    store (journaled, row hashes), plus a draft; returns {kind: id}."""
    with monkeypatch.context() as m:
        m.setattr(db, "MIGRATIONS", MIGRATIONS[:6])
        m.setattr(db, "LATEST", 6)
        store = open_store(path, create=True)
        ids = {}
        with store.transaction(None) as tx:
            for kind, field, klass, number in SIGNED:
                ids[kind] = tx.insert("decision", {"kind": kind, "field_code": field, "content": "{}", "status": "signed",
                                                   "oversight_class": klass, "year": 2026, "number": number,
                                                   "signed_on": "2026-03-01"})
            ids["draft"] = tx.insert("decision", {"kind": "formal_notice", "field_code": "hygiene", "content": "{}",
                                                  "oversight_class": "individual_other"})
        assert store.scalar("PRAGMA user_version") == 6 and check_store(store).ok
        hashes = {k: rowhash.row_hash(store.conn, "decision", i)["h"] for k, i in ids.items()}
        store.close()
    return {"ids": ids, "hashes": hashes}


def test_migration_10_keeps_the_rows_their_hashes_and_check(tmp_path, monkeypatch):
    path = tmp_path / "commune.sqlite"
    before = _registered_before(path, monkeypatch)
    with open_store(path) as store:
        assert store.scalar("PRAGMA user_version") == MIGRATIONS[-1][0] and store.backup is not None  # 10 and after
        report = check_store(store)
        assert report.ok, report.problems
        rows = {r["id"]: r for r in store.query("SELECT * FROM decision")}
        for key, decision_id in before["ids"].items():
            row = rows[decision_id]
            n = 31  # the columns of schema 6, in the same order: the hashes of the rows are unchanged
            same = rowhash.digest([row[c] for c in rowhash.columns(store.conn, "decision")[:n]]).hex() == before["hashes"][key]
            assert same == (key not in ("referral_letter", "public_force_request"))  # letters lost their art. 116 class
        series = {k: rows[i]["series"] for k, i in before["ids"].items()}
        assert series == {"closure": "arrete", "withdrawal": "arrete", "formal_notice": "notice", "stop_and_fee": "notice",
                          "referral_letter": "letter", "public_force_request": "letter", "draft": "notice"}
        assert rows[before["ids"]["referral_letter"]]["oversight_class"] == "letter"
        assert [rows[before["ids"][k]]["number"] for k, *_ in SIGNED] == [1, 2, 3, 4, 5, 6]  # numbers kept
        # each series goes on from its own highest number
        assert [next_number(store.conn, s, 2026) for s in ("arrete", "notice", "letter")] == [6, 5, 7]
        assert [next_number(store.conn, s, 2027) for s in ("arrete", "notice", "letter")] == [1, 1, 1]
        # two series may now hold the same number, one series may not hold it twice
        with store.transaction(None) as tx:
            tx.update("decision", before["ids"]["draft"], {"status": "signed", "series": "notice", "year": 2026, "number": 5})
        with pytest.raises(DatabaseBug, match="UNIQUE"), store.transaction(None) as tx:
            tx.insert("decision", {"kind": "closure", "field_code": "hygiene", "content": "{}", "oversight_class": "x",
                                   "series": "arrete", "year": 2026, "number": 5})
        with store.transaction(None) as tx:
            tx.insert("decision", {"kind": "referral_letter", "field_code": "hygiene", "content": "{}",
                                   "oversight_class": "letter", "series": "letter", "year": 2026, "number": 5})
        assert check_store(store).ok
        with pytest.raises(sqlite3.IntegrityError):  # the table still refuses a DELETE
            store.conn.execute("DELETE FROM decision")
    with open_store(path) as store:
        assert check_store(store).ok


def test_next_number_refuses_an_unknown_series(tmp_path):
    with open_store(tmp_path / "c.sqlite", create=True) as store, pytest.raises(ValueError):
        next_number(store.conn, "arrêté", 2026)
