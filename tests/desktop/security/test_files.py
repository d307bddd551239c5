"""Review security-2026-11, M1 (file permissions) and L4 (attachment paths from the database)."""
import os
import sqlite3

from desktop.store.engine import sqlite3 as engine
import stat

import pytest

from desktop.cli import main
from desktop.store.db import attachments_dir, open_store
from desktop.store.errors import StoreError


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_database_attachments_and_certificates_are_private(tmp_path):
    old = os.umask(0o022)  # the review's setting
    try:
        db = tmp_path / "demo.db"
        assert main(["demo", "--db", str(db), "--inspections", "200", "--seed", "3"]) == 0
    finally:
        os.umask(old)
    with open_store(db) as store:
        store.conn.execute("SELECT count(*) FROM inspection").fetchone()
        for sidecar in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            if sidecar.exists():
                assert _mode(sidecar) & 0o077 == 0, sidecar
    files = attachments_dir(db)
    assert _mode(files) == 0o700
    assert all(_mode(p) & 0o077 == 0 for p in files.rglob("*"))
    certs = db.with_name(db.name + ".certs")
    assert _mode(certs) == 0o700 and all(_mode(p) == 0o600 for p in certs.glob("*.p12"))


def test_an_attachment_path_from_the_database_is_not_trusted(demo_path, tmp_path, capsys):
    conn = sqlite3.connect(demo_path)
    decision = conn.execute("SELECT id FROM decision WHERE status = 'signed' LIMIT 1").fetchone()[0]
    conn.execute("UPDATE decision SET pdf_sha256 = 'xx/etc/hostname' WHERE id = ?", (decision,))
    conn.commit()
    conn.close()
    with open_store(demo_path, readonly=True) as store:
        with pytest.raises(StoreError) as refused:
            store.attachments.path_for("xx/etc/hostname")
        assert refused.value.code == "attachment_bad_hash"
    out = tmp_path / "out.pdf"
    assert main(["decision", "pdf", decision, "--db", str(demo_path), "--out", str(out)]) == 2
    assert "pièce jointe invalide" in capsys.readouterr().err and not out.exists()


def test_check_of_a_damaged_file_exits_1(demo_path, capsys):
    """Review L6: a damaged database is a problem found (exit 1), not an error (2)."""
    with demo_path.open("r+b") as fh:
        fh.seek(4096 * 2)
        fh.write(b"\xde\xad\xbe\xef" * 2048)
    assert main(["check", "--db", str(demo_path)]) == 1
    assert "endommagée" in capsys.readouterr().out


def test_the_journal_keeps_no_personal_data(store):
    """Review M1: CIN numbers and complainants' contacts are not written into the journal."""
    from datetime import date
    from desktop.domain.complaints import ComplaintInput
    from desktop.store.complaints import create_complaint
    from desktop.store.users import authenticate
    coordinator = authenticate(store, "coordinateur", "coord-demo")
    site = store.scalar("SELECT id FROM site LIMIT 1")
    with store.transaction(coordinator.id) as tx:
        tx.update("site", site, {"owner_name": "Karimo Zorglubian", "owner_id_number": "BE778899"})
    from desktop.domain.catalogue import load_catalogue
    create_complaint(store, coordinator, load_catalogue(), ComplaintInput(
        channel="desk", received_on=date.today(), description="Le voisin (tél 0662-998877)", reference="PL-PRIV-1",
        field_code="hygiene", complainant_name="Fatima Qorbelova",
        complainant_contact="0662-998877 fz@example.ma", location_text="3 rue X"))
    journal = " ".join(r[0] for r in store.conn.execute("SELECT changes FROM journal"))
    for secret in ("BE778899", "Zorglubian", "Qorbelova", "0662-998877", "fz@example.ma"):
        assert secret not in journal
    assert store.scalar("SELECT owner_id_number FROM site WHERE id = ?", (site,)) == "BE778899"


def test_an_interrupted_demo_does_not_pass_check(tmp_path, capsys):
    """Review L5: a demo killed while building (its first transaction only) is reported by check."""
    db = tmp_path / "half.db"
    with open_store(db, create=True) as store:
        with store.transaction(None) as tx:
            tx.set_meta("demo", "1")
    assert main(["check", "--db", str(db)]) == 1
    assert "interrupted" in capsys.readouterr().out


def test_a_database_on_a_read_only_medium_is_still_checked(demo_path, monkeypatch, capsys):
    """Review M5: where SQLite cannot create the -shm file (a read-only backup disk), a read-only
    opening falls back to immutable=1 instead of "unable to open database file"."""
    from desktop.store import db as dbmod
    real = dbmod._connect
    seen = []

    def read_only_medium(path, readonly, immutable=False, key=None):
        seen.append(immutable)
        if not immutable:  # what a read-only mount does to a WAL database's first read
            class Refusing:
                def execute(self, *a):
                    raise engine.OperationalError("unable to open database file")

                def close(self):
                    pass
            return Refusing()
        return real(path, readonly, immutable, key)
    monkeypatch.setattr(dbmod, "_connect", read_only_medium)
    assert main(["check", "--db", str(demo_path)]) == 0
    out = capsys.readouterr().out
    # the first opening falls back to immutable; check's second reader (beside it) opens immutable at once
    assert seen[:2] == [False, True] and all(seen[1:]) and out.startswith("Support en lecture seule") and "\nOK" in out
