"""`check` finds tampering; a process killed while saving loses nothing it committed."""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

from desktop.cli import main
from desktop.store.check import check_store
from desktop.store.db import attachments_dir, open_store


def test_check_cli_ok(demo_path, capsys):
    assert main(["check", "--db", str(demo_path)]) == 0
    assert capsys.readouterr().out.startswith("OK")


def test_check_detects_journal_tampering(demo_path, capsys):
    conn = sqlite3.connect(demo_path)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("UPDATE journal SET actor = 'someone-else' WHERE seq = 3")
    conn.commit()
    conn.close()
    assert main(["check", "--db", str(demo_path)]) == 1
    out = capsys.readouterr().out
    assert "journal entry 3: entry content does not match its hash" in out


def test_check_detects_removed_journal_entry(demo_path):
    conn = sqlite3.connect(demo_path)
    conn.execute("DROP TRIGGER journal_no_delete")
    conn.execute("DELETE FROM journal WHERE seq = 5")
    conn.commit()
    conn.close()
    with open_store(demo_path, readonly=True) as s:
        problems = check_store(s).problems
    assert any("entry missing before seq 6" in p for p in problems)


def test_check_detects_altered_attachment(store, officer, valid_input, catalogue, tmp_path):
    from desktop.domain.model import PhotoRef
    from desktop.store.inspections import submit_inspection
    p = tmp_path / "p.jpg"
    p.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(500))
    f = store.attachments.put_photo(p)
    valid_input.photos = [PhotoRef(f.sha256, "p.jpg", f.mime, f.size)]
    submit_inspection(store, officer, valid_input, catalogue)
    target = store.attachments.path_for(f.sha256)
    os.chmod(target, 0o644)
    target.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(500))
    problems = check_store(store).problems
    assert any("content does not match its hash" in x and "attachment" in x for x in problems)
    target.unlink()
    assert any("missing" in x for x in check_store(store).problems)


WRITER = textwrap.dedent("""
    import sys
    from desktop.domain.catalogue import load_catalogue
    from desktop.domain.model import FindingInput, InspectionInput
    from desktop.store.db import open_store
    from desktop.store.inspections import submit_inspection, validation_context
    from desktop.store.users import authenticate
    store = open_store(sys.argv[1])
    cat = load_catalogue()
    user = authenticate(store, "agent001", "agent-demo")
    ctx = validation_context(store)
    site = store.query("SELECT id, district_id, lon, lat FROM site LIMIT 1")[0]
    n = 0
    while True:
        n += 1
        inp = InspectionInput(field_code="hygiene", site_id=site["id"], inspected_at="2026-06-01T10:00:00Z",
            officer_ids=[user.id], lon=site["lon"], lat=site["lat"], district_id=site["district_id"],
            findings=[FindingInput("HYG-02")], notes="crash test %d " % n + "x" * 3000,
            outcome="violations", origin_type="programme", origin_ref="PRG-CRASH")
        iid = submit_inspection(store, user, inp, cat, ctx=ctx)
        print(iid, flush=True)
""")


def test_kill_during_saves_loses_nothing_committed(demo_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(demo_path)], stdout=subprocess.PIPE, text=True)
    committed = []
    try:
        while len(committed) < 60:
            line = proc.stdout.readline()
            assert line, "writer died early"
            committed.append(line.strip())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    with open_store(demo_path) as s:
        present = {r["id"] for r in s.query("SELECT id FROM inspection WHERE origin_ref = 'PRG-CRASH'")}
        assert set(committed) <= present  # every reported commit survived (maybe one more)
        assert len(present) - len(committed) <= 1
        orphan_findings = s.scalar("SELECT count(*) FROM finding f LEFT JOIN inspection i ON i.id = f.inspection_id"
                                   " WHERE i.id IS NULL")
        assert orphan_findings == 0
        report = check_store(s)
        assert report.ok, report.problems
    assert not list(attachments_dir(demo_path).glob("**/.incoming-*"))
