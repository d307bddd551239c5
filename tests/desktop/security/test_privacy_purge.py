"""Law 09-08 art. 3 (review M1): a retention purge erases the personal fields of closed files,
journaled, `check` still OK, and the values gone from the database file and its WAL."""
import os
from datetime import date, timedelta

import pytest

from desktop.cli import main
from desktop.domain.auth import PermissionDenied
from desktop.domain.complaints import ComplaintInput
from desktop.services.privacy import purge
from desktop.store import complaints
from desktop.store.check import check_store
from desktop.store.db import open_store
from desktop.store.users import authenticate

OLD = date.today() - timedelta(days=3 * 365)


def _complaint(store, user, catalogue, n, *, answered: bool):
    cid = complaints.create_complaint(store, user, catalogue, ComplaintInput(
        channel="desk", received_on=OLD + timedelta(days=n), field_code="hygiene",
        description=f"Bruit et odeurs, le voisin Karim Bennani{n} (CIN ZZ{n:06d}) refuse",
        complainant_name=f"Fatima Zahra Idrissi{n}", complainant_contact=f"0662-99{n:04d} fz{n}@example.ma",
        location_text=f"{n} rue des Oliviers"))
    if answered:
        complaints.accept(store, user, cid)
        complaints.answer(store, user, cid, f"Madame Idrissi{n}, suite à votre plainte (tél 0662-99{n:04d}) …",
                          on=OLD + timedelta(days=n + 10))
    return cid


def _raw(path):
    data = b""
    for p in (path, path.with_name(path.name + "-wal")):
        if p.exists():
            data += p.read_bytes()
    return data


@pytest.fixture
def populated(store, catalogue, tmp_path):
    coordinator = authenticate(store, "coordinateur", "coord-demo")
    closed = [_complaint(store, coordinator, catalogue, n, answered=True) for n in range(1, 6)]
    letter = tmp_path / "lettre.pdf"
    letter.write_bytes(b"%PDF-1.4 lettre manuscrite de Fatima Zahra Idrissi1, CIN ZZ000001")
    complaints.attach_file(store, coordinator, closed[0], letter)
    still_open = _complaint(store, coordinator, catalogue, 99, answered=False)
    # a site whose only activity is old: its owner's name and CIN go
    with store.transaction(coordinator.id) as tx:
        site = tx.insert("site", {"kind": "establishment", "name": "Café ancien", "owner_name": "Rachid Oulhaj",
                                  "owner_id_kind": "cin", "owner_id_number": "QQ424242"})
    return {"closed": closed, "open": still_open, "site": site}


def test_dry_run_counts_and_changes_nothing(store, populated):
    admin = authenticate(store, "admin", "admin-demo")
    seq = store.scalar("SELECT max(seq) FROM journal")
    counts = purge(store, admin, date.today() - timedelta(days=365), dry_run=True)
    assert counts.complaints == 5 and counts.sites >= 1
    assert store.scalar("SELECT max(seq) FROM journal") == seq
    assert store.scalar("SELECT complainant_name FROM complaint WHERE id = ?", (populated["closed"][0],))


def test_officer_and_reviewer_cannot_purge(store, populated):
    for name, pw in (("agent001", "agent-demo"), ("gouverneur", "revue-demo")):
        with pytest.raises(PermissionDenied):
            purge(store, authenticate(store, name, pw), date.today())


def test_purge_erases_the_values_from_the_file(demo_path, store, populated, capsys):
    letter = store.scalar("SELECT sha256 FROM attachment WHERE owner_id = ?", (populated["closed"][0],))
    values = [b"Fatima Zahra Idrissi3", b"0662-990003", b"fz3@example.ma", b"Karim Bennani3", b"3 rue des Oliviers",
              b"QQ424242", b"Rachid Oulhaj"]
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert all(v in _raw(demo_path) for v in values)  # they are there before
    store.close()
    env = {"COMMUNE_POLICE_PASSWORD": "admin-demo"}
    os.environ.update(env)
    try:
        before = (date.today() - timedelta(days=365)).isoformat()
        assert main(["privacy", "purge", "--db", str(demo_path), "--before", before, "--dry-run"]) == 0
        assert "5 plaintes" in capsys.readouterr().out
        assert main(["privacy", "purge", "--db", str(demo_path), "--before", before]) == 0
    finally:
        del os.environ["COMMUNE_POLICE_PASSWORD"]
    assert "5 plaintes" in capsys.readouterr().out
    raw = _raw(demo_path)
    assert [v for v in values if v in raw] == []  # gone from the file and its WAL (checkpoint, VACUUM)
    assert not (demo_path.parent / (demo_path.name + ".files") / letter[:2] / letter[2:]).exists()  # the scan too
    with open_store(demo_path) as s:
        report = check_store(s)
        assert report.ok, report.problems
        row = s.query("SELECT complainant_name, complainant_contact, description, answer_text, status, received_on"
                      " FROM complaint WHERE id = ?", (populated["closed"][2],))[0]
        assert row["complainant_name"] == row["complainant_contact"] == row["description"] == row["answer_text"] == ""
        assert row["status"] == "answered" and row["received_on"]  # the statistics keep their facts
        # the open complaint keeps its complainant
        assert s.scalar("SELECT complainant_name FROM complaint WHERE id = ?", (populated["open"],)) == "Fatima Zahra Idrissi99"
        assert s.scalar("SELECT owner_id_number FROM site WHERE id = ?", (populated["site"],)) == ""
        event = s.query("SELECT actor, changes FROM journal WHERE entity = 'privacy' AND op = 'purge'")
        assert len(event) == 1 and '"complaints":5' in event[0]["changes"]
        assert s.scalar("SELECT role FROM [user] WHERE id = ?", (event[0]["actor"],)) == "administrator"
    assert main(["check", "--db", str(demo_path)]) == 0


def test_a_future_cutoff_is_refused(store):
    from desktop.domain.errors import Refusal
    with pytest.raises(Refusal):
        purge(store, authenticate(store, "admin", "admin-demo"), date.today() + timedelta(days=1))


def test_the_retention_period_gives_the_cutoff(demo_path, store, populated, capsys, monkeypatch):
    store.close()
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-demo")
    assert main(["privacy", "purge", "--db", str(demo_path), "--dry-run"]) == 2  # no date, no period: said
    assert "privacy retention" in capsys.readouterr().err
    assert main(["privacy", "retention", "--db", str(demo_path), "--years", "0"]) == 2
    assert main(["privacy", "retention", "--db", str(demo_path), "--years", "2"]) == 0
    assert main(["privacy", "purge", "--db", str(demo_path), "--dry-run"]) == 0
    cutoff = (date.today() - timedelta(days=round(365.25 * 2))).isoformat()
    out = capsys.readouterr().out
    assert f"avant le {cutoff} :" in out and "5 plaintes" in out  # the complaints are three years old
    with open_store(demo_path) as s:
        assert s.meta("retention_years") == "2"
        assert s.scalar("SELECT count(*) FROM journal WHERE entity = 'meta' AND entity_id = 'retention_years'") == 1


def test_a_drafts_owner_is_not_journaled(store, valid_input, officer):
    """An unsubmitted inspection form (autosaved) holds the new site's owner: the journal keeps a
    salted hash of the draft, not its text."""
    from desktop.domain.model import SiteInput
    from desktop.store.drafts import save_draft
    valid_input.site_id = None
    valid_input.new_site = SiteInput(kind="establishment", name="Snack Atlas", address="2 rue X",
                                     owner_name="Hamid Zerouali", owner_id_kind="cin", owner_id_number="QX778811")
    draft = save_draft(store, officer, valid_input)
    changes = store.scalar("SELECT changes FROM journal WHERE entity = 'draft' AND entity_id = ?", (draft,))
    assert "QX778811" not in changes and "Zerouali" not in changes and "personal_sha256" in changes
