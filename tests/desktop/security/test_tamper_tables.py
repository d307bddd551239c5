"""Review security-2026-11, C1: an edit of the tables behind the application's back (the file
opened with sqlite3, triggers dropped) is found by `check`, which exits 1 and names it."""
import sqlite3

import pytest

from desktop.cli import main


def _tamper(path, *sql):
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


def _check(path, capsys) -> tuple[int, str]:
    code = main(["check", "--db", str(path)])
    return code, capsys.readouterr().out


def test_untouched_demo_passes(demo_path, capsys):
    code, out = _check(demo_path, capsys)
    assert code == 0, out
    assert "rows checked" in out


@pytest.mark.parametrize("sql, named", [
    # a bulk-inserted inspection rewritten (outcome, officer, date, audit columns)
    ("UPDATE inspection SET outcome = 'compliant', notes = 'RAS', inspected_at = '2025-01-01T09:00:00Z',"
     " updated_at = created_at WHERE rowid = (SELECT max(rowid) FROM inspection)", "inspection"),
    ("UPDATE finding SET violation_code = 'XX' WHERE rowid = 5", "finding"),
    ("UPDATE site SET owner_id_number = 'ZZ999999' WHERE rowid = 3", "site"),
    ("UPDATE user SET role = 'president' WHERE username = 'agent001'", "user"),
    ("UPDATE decision SET number = 999, content = replace(content, 'Casablanca', 'Rabat')"
     " WHERE status = 'signed' AND rowid = (SELECT min(rowid) FROM decision WHERE status = 'signed')", "decision"),
    ("UPDATE decision SET signed_by = (SELECT id FROM user WHERE username = 'agent001')"
     " WHERE rowid = (SELECT min(rowid) FROM decision WHERE status = 'signed')", "decision"),
    ("UPDATE meta SET value = 'forged' WHERE key = 'ca_pem'", "meta ca_pem"),
    ("UPDATE meta SET value = 'other-device' WHERE key = 'device_id'", "meta device_id"),
    ("UPDATE meta SET value = '' WHERE key = 'ca_crl_pem'", "meta ca_crl_pem"),  # the CRL dropped (M4)
])
def test_table_edit_is_found(demo_path, capsys, sql, named):
    _tamper(demo_path, sql)
    code, out = _check(demo_path, capsys)
    assert code == 1, out
    assert named in out and "behind the application's back" in out


def test_deleted_rows_are_found(demo_path, capsys):
    _tamper(demo_path,
            "DROP TRIGGER inspection_no_delete",
            "DELETE FROM inspection WHERE id IN (SELECT i.id FROM inspection i WHERE NOT EXISTS"
            " (SELECT 1 FROM finding f WHERE f.inspection_id = i.id) AND NOT EXISTS"
            " (SELECT 1 FROM complaint_inspection c WHERE c.inspection_id = i.id) LIMIT 50)")
    code, out = _check(demo_path, capsys)
    assert code == 1, out
    assert "inspection:" in out and "rows deleted or added" in out


def test_deleted_signed_decision_is_found(demo_path, capsys):
    _tamper(demo_path, "DROP TRIGGER IF EXISTS decision_no_delete",
            "DELETE FROM decision WHERE rowid = (SELECT min(rowid) FROM decision WHERE status = 'signed')")
    code, out = _check(demo_path, capsys)
    assert code == 1, out
    assert "decision " in out and "missing (deleted)" in out


def test_row_added_behind_the_back_is_found(demo_path, capsys):
    _tamper(demo_path, "INSERT INTO user (id, username, role, password_hash, created_at, updated_at, device_id)"
                       " SELECT 'intruder', 'intruder', 'president', password_hash, created_at, updated_at, device_id"
                       " FROM user WHERE username = 'president'")
    code, out = _check(demo_path, capsys)
    assert code == 1, out
    assert "user" in out


def test_a_write_through_the_application_stays_clean(demo_path, capsys):
    from desktop.store.db import open_store
    with open_store(demo_path) as store:
        row = store.query("SELECT id, version FROM inspection ORDER BY rowid LIMIT 1")[0]
        with store.transaction(None) as tx:
            tx.update("inspection", row["id"], {"notes": "corrigé"})
            tx.set_meta("ca_pem", "new anchor")
    code, out = _check(demo_path, capsys)
    assert code == 0, out
    # and an edit of that same row afterwards is still found
    _tamper(demo_path, f"UPDATE inspection SET notes = 'x' WHERE id = '{row['id']}'")
    code, out = _check(demo_path, capsys)
    assert code == 1 and row["id"] in out, out
