"""Inspections in the store. Most tests start from an empty commune and add the few rows they
need (tests/builders.py); paging and filters run over the demo's 3,000 inspections."""

import pytest

from desktop.domain.model import FindingInput, PhotoRef, SiteInput
from desktop.domain.validation import ValidationFailed
from desktop.store.check import check_store
from desktop.store.drafts import discard_draft, list_drafts, save_draft
from desktop.store.errors import StoreError
from desktop.store.inspections import (InspectionFilter, get_inspection, inspection_query,
                                       submit_inspection)
from desktop.store.sites import search_sites, site_history
from desktop.store.users import authenticate
from tests.builders import PASSWORD, inspection_input, make_inspection, make_site, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def journal_count(store):
    return store.scalar("SELECT count(*) FROM journal")


@pytest.fixture
def store(empty_commune):
    """Here ``store`` is the empty commune (the demo is asked for by name where needed)."""
    return empty_commune


@pytest.fixture
def officer(store):
    return make_user(store, "officer")


@pytest.fixture
def valid_input(store, officer):
    """An inspection that passes every rule, on an existing site, with a colleague."""
    site = make_site(store)
    return inspection_input(store, [officer, make_user(store, "officer")], site, field_code="public_domain",
                            findings=[FindingInput("DOM-01", 12.5, "terrasse")],
                            checklist={"DOM-C01": "no", "DOM-C02": "yes"}, notes="visite test")


@pytest.fixture
def demo(demo_path):
    from desktop.store.db import open_store
    s = open_store(demo_path)
    yield s
    s.close()


def test_submit_writes_everything_and_journals_it(store, officer, valid_input, catalogue):
    before = journal_count(store)
    iid = submit_inspection(store, officer, valid_input, catalogue)
    got = get_inspection(store, iid)
    assert got["origin_type"] == "programme" and got["outcome"] == "violations"
    assert got["checklist"] == {"DOM-C01": "no", "DOM-C02": "yes"}
    assert [f["violation_code"] for f in got["findings"]] == ["DOM-01"]
    assert got["findings"][0]["measure_value"] == 12.5
    assert got["created_by"] == officer.id and got["version"] == 1 and got["device_id"] == store.device_id
    assert got["lead_officer_id"] == officer.id and got["second_officer_id"] == valid_input.officer_ids[1]
    raw = store.scalar("SELECT checklist FROM inspection WHERE id = ?", (iid,))
    assert raw == '{"DOM-C01": "no", "DOM-C02": "yes"}'  # JSON with sorted keys
    entries = store.query("SELECT entity, op, actor FROM journal WHERE seq > ?", (before,))
    assert [(e["entity"], e["op"]) for e in entries] == [
        ("inspection", "insert"), ("finding", "insert"),
        ("case_file", "insert"), ("case_step", "insert"), ("case_finding", "insert")]  # a finding opens a case
    assert all(e["actor"] == officer.id for e in entries)
    assert check_store(store).ok


def test_invalid_inspection_writes_nothing(store, officer, valid_input, catalogue):
    before = (journal_count(store), store.scalar("SELECT count(*) FROM inspection"))
    valid_input.findings[0].violation_code = "HYG-99"
    with pytest.raises(ValidationFailed) as err:
        submit_inspection(store, officer, valid_input, catalogue)
    assert ("finding:0", "unknown_violation") in {(p.field, p.code) for p in err.value.problems}
    assert (journal_count(store), store.scalar("SELECT count(*) FROM inspection")) == before


def test_reviewer_cannot_submit(store, valid_input, catalogue):
    reviewer = authenticate(store, make_user(store, "reviewer").username, PASSWORD)
    assert reviewer is not None and reviewer.role == "reviewer"
    before = (journal_count(store), store.scalar("SELECT count(*) FROM inspection"))
    with pytest.raises(PermissionError):
        submit_inspection(store, reviewer, valid_input, catalogue)
    assert (journal_count(store), store.scalar("SELECT count(*) FROM inspection")) == before


def test_new_site_and_photo_in_one_transaction(store, officer, valid_input, catalogue, tmp_path):
    photo = tmp_path / "facade.png"
    photo.write_bytes(PNG)
    stored = store.attachments.put_photo(photo)
    valid_input.site_id = None
    valid_input.new_site = SiteInput(name="Café Test Unique", address="3 rue X", owner_name="A. B",
                                     owner_id_kind="cin", owner_id_number="be123456",
                                     authorisation_ref="AOT-2026-77", authorisation_expires="2026-12-31")
    valid_input.photos = [PhotoRef(stored.sha256, "facade.png", stored.mime, stored.size)]
    iid = submit_inspection(store, officer, valid_input, catalogue)
    site = search_sites(store, "Café Test Unique")[0]
    assert site["owner_id_number"] == "BE123456"
    assert [h["id"] for h in site_history(store, site["id"])] == [iid]
    assert get_inspection(store, iid)["photos"][0]["sha256"] == stored.sha256
    assert store.attachments.path_for(stored.sha256).read_bytes() == PNG
    assert check_store(store).ok


def test_photo_rules(store, tmp_path):
    text = tmp_path / "a.jpg"
    text.write_text("not an image")
    with pytest.raises(StoreError) as err:
        store.attachments.put_photo(text)
    assert err.value.code == "photo_not_image"
    big = tmp_path / "big.png"
    with big.open("wb") as fh:
        fh.write(PNG)
        fh.truncate(26 * 1024 * 1024)
    with pytest.raises(StoreError) as err:
        store.attachments.put_photo(big)
    assert err.value.code == "photo_too_large"
    assert not list(store.attachments.root.glob("**/.incoming-*"))


def test_same_photo_is_stored_once(store, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(PNG)
    b.write_bytes(PNG)
    before = len([p for p in store.attachments.root.rglob("*") if p.is_file()])
    assert store.attachments.put_photo(a) == store.attachments.put_photo(b)
    assert len([p for p in store.attachments.root.rglob("*") if p.is_file()]) == before + 1


def test_drafts_survive_and_are_closed_by_submission(store, officer, valid_input, catalogue):
    did = save_draft(store, officer, valid_input)
    valid_input.notes = "modifié"
    assert save_draft(store, officer, valid_input, did) == did
    drafts = list_drafts(store, officer)
    assert len(drafts) == 1 and drafts[0]["input"].notes == "modifié"
    submit_inspection(store, officer, drafts[0]["input"], catalogue, draft_id=did)
    assert list_drafts(store, officer) == []
    other = save_draft(store, officer, valid_input)
    discard_draft(store, officer, other)
    assert list_drafts(store, officer) == []


def _all_ids(store, query, page=97):
    out, after = [], None
    while True:
        rows = query.page(store, after, page)
        out += [r[0] for r in rows]
        if len(rows) < page:
            return out
        after = query.key_of(rows[-1])


@pytest.mark.parametrize("sort", ["inspected_at", "field_code", "district_id", "outcome"])
@pytest.mark.parametrize("descending", [True, False])
def test_keyset_pages_visit_every_row_once_in_order(demo, sort, descending):
    store = demo
    q = inspection_query(InspectionFilter(), sort=sort, descending=descending)
    ids = _all_ids(store, q)
    assert len(ids) == len(set(ids)) == q.count(store) == 3000
    col = "inspected_at" if sort == "inspected_at" else sort
    values = [store.scalar(f"SELECT {col} FROM inspection WHERE id = ?", (i,)) for i in ids[::50]]
    assert values == sorted(values, reverse=descending)


def test_filters_match_an_independent_count(demo):
    store = demo
    district = store.query("SELECT id FROM district WHERE code = '061410131'")[0]["id"]
    officer_id = store.query("SELECT lead_officer_id FROM inspection LIMIT 1")[0]["lead_officer_id"]
    filt = InspectionFilter(field_code="hygiene", district_id=district, date_from="2026-01-01T00:00:00Z",
                            date_to="2026-04-01T00:00:00Z", outcome="violations")
    expected = sum(1 for r in store.conn.execute(
        "SELECT field_code, district_id, inspected_at, outcome FROM inspection")
        if r[0] == "hygiene" and r[1] == district and "2026-01-01" <= r[2][:10] < "2026-04-01" and r[3] == "violations")
    assert expected > 0
    assert len(_all_ids(store, inspection_query(filt))) == expected
    by_officer = _all_ids(store, inspection_query(InspectionFilter(officer_id=officer_id)))
    assert len(by_officer) == store.scalar(
        "SELECT count(*) FROM inspection WHERE lead_officer_id = ?1 OR second_officer_id = ?1", (officer_id,))


def test_free_text_finds_site_owner_and_notes(store, officer, catalogue):
    cafe = make_site(store, name="Café des Arts", owner_name="Karim Tazi", owner_id_kind="cin",
                     owner_id_number="BE123456")
    shop = make_site(store, name="Épicerie du coin", owner_name="Salma Bennani", owner_id_kind="cin",
                     owner_id_number="BK654321")
    on_cafe = {make_inspection(store, officer, catalogue, cafe, inspected_at=f"2026-06-0{d}T10:00:00Z")
               for d in (1, 2)}
    noted = make_inspection(store, officer, catalogue, shop, notes="Gérant absent, parasol 100 tables",
                            inspected_at="2026-06-03T10:00:00Z")
    make_inspection(store, officer, catalogue, shop, notes="rien à signaler", inspected_at="2026-06-04T10:00:00Z")

    def found(text, **filters):
        return set(_all_ids(store, inspection_query(InspectionFilter(text=text, **filters))))

    assert found("BE123456") == found("be1234") == found("Tazi") == found("Arts") == on_cafe  # owner, ID, name
    assert found("parasol") == found("gérant absent") == {noted}  # words of the notes
    assert found("Zerktouni") == found("BE999999") == set()  # a term nothing holds finds nothing
    assert found("100%") == found("Caf_") == set()  # LIKE wildcards in the search text are literal
    assert found("parasol", field_code="hygiene") == set()  # the text combines with the other filters
