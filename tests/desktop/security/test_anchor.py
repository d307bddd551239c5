"""Review security-2026-11, C2: history rewritten or cut short is found against a checkpoint kept
outside the file; each signed decision carries the journal's head."""
import hashlib
import sqlite3

import pytest

from desktop.cli import main
from desktop.demo.cases import CERT_PASSWORD, certs_dir
from desktop.store import journal


@pytest.fixture
def anchored(demo_path, tmp_path, monkeypatch):
    monkeypatch.setenv("COMMUNE_POLICE_PKCS12_PASSWORD", CERT_PASSWORD)
    out = tmp_path / "checkpoint.json"
    assert main(["journal", "checkpoint", "--db", str(demo_path), "--out", str(out),
                 "--pkcs12", str(certs_dir(demo_path) / "president.p12")]) == 0
    return demo_path, out


def _check(db, anchor, capsys):
    code = main(["check", "--db", str(db), "--anchor", str(anchor)])
    return code, capsys.readouterr().out


def test_an_untouched_journal_extends_its_checkpoint(anchored, capsys):
    db, anchor = anchored
    code, out = _check(db, anchor, capsys)
    assert code == 0, out


def _rechain(db, from_seq):
    """The review's rechain.py: edit one entry and recompute every later hash."""
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER journal_no_update")
    rows = conn.execute("SELECT seq, id, at, actor, device_id, entity, entity_id, op, changes, prev_hash"
                        " FROM journal WHERE seq >= ? ORDER BY seq", (from_seq,)).fetchall()
    prev = conn.execute("SELECT hash FROM journal WHERE seq = ?", (from_seq - 1,)).fetchone()[0]
    for seq, eid, at, actor, dev, entity, entity_id, op, changes, _ in rows:
        if seq == from_seq:
            actor = "someone-else"
        digest = journal.entry_hash(seq, eid, at, actor, dev, entity, entity_id, op, changes, prev)
        conn.execute("UPDATE journal SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?", (actor, prev, digest, seq))
        prev = digest
    conn.commit()
    conn.close()


def test_a_rechained_journal_is_found(anchored, capsys):
    db, anchor = anchored
    _rechain(db, 10)
    assert main(["check", "--db", str(db)]) == 0  # without the anchor the chain looks whole...
    capsys.readouterr()
    code, out = _check(db, anchor, capsys)
    assert code == 1 and "history rewritten" in out, out


def test_a_truncated_journal_is_found(anchored, capsys):
    db, anchor = anchored
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER journal_no_delete")
    last = conn.execute("SELECT max(seq) FROM journal").fetchone()[0]
    conn.execute("DELETE FROM journal WHERE seq > ?", (last - 3,))
    conn.commit()
    conn.close()
    code, out = _check(db, anchor, capsys)
    assert code == 1 and "history truncated" in out, out


def test_a_forged_checkpoint_is_refused(anchored, capsys, tmp_path):
    import json
    db, anchor = anchored
    document = json.loads(anchor.read_text())
    document["body"]["seq"] = 1
    document["body"]["head"] = hashlib.sha256(b"x").hexdigest()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document))
    code, out = _check(db, forged, capsys)
    assert code == 1 and "signature does not match" in out, out


def test_signed_decisions_carry_the_journal_head(demo_path):
    from pyhanko.pdf_utils.reader import PdfFileReader
    import io
    from desktop.store.db import open_store
    from desktop.store.decisions import signed_pdf
    with open_store(demo_path, readonly=True) as store:
        decision = store.scalar("SELECT id FROM decision WHERE status = 'signed' ORDER BY rowid DESC LIMIT 1")
        pdf = signed_pdf(store, decision)
        sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1]
        reason = str(sig.sig_object["/Reason"])
        seq, head = reason.rsplit("journal ", 1)[1].split(":")
        assert store.scalar("SELECT hash FROM journal WHERE seq = ?", (int(seq),)) == head
