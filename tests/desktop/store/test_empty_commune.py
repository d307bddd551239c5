"""The empty commune the store tests start from, and the builders that fill it."""
from desktop.store.cases import current_step
from desktop.store.check import check_store
from desktop.store.commune import get_commune
from desktop.store.inspections import get_inspection
from desktop.store.users import authenticate
from tests.builders import ADMIN, PASSWORD, admin_of, make_case, make_district, make_inspection, make_site, make_user


def test_the_empty_commune_holds_a_commune_and_its_administrator_only(empty_commune):
    store = empty_commune
    assert get_commune(store).name_fr == "Commune de test"
    assert authenticate(store, ADMIN, PASSWORD).role == "administrator"
    counts = {t: store.scalar(f"SELECT count(*) FROM [{t}]")
              for t in ("user", "commune", "district", "site", "inspection", "case_file", "decision", "complaint")}
    assert counts == {"user": 1, "commune": 1, "district": 0, "site": 0, "inspection": 0, "case_file": 0,
                      "decision": 0, "complaint": 0}
    assert not store.is_demo and check_store(store).ok


def test_each_test_gets_its_own_copy(empty_commune_path, empty_commune_template):
    assert empty_commune_path != empty_commune_template
    assert empty_commune_path.read_bytes() == empty_commune_template.read_bytes()


def test_builders_write_through_the_store(empty_commune, catalogue):
    store = empty_commune
    officer = make_user(store, "officer")
    assert authenticate(store, officer.username, PASSWORD) == officer
    district = make_district(store, "061410131")
    site = make_site(store, name="Café Test", district_id=district)
    inspection = make_inspection(store, officer, catalogue, site, field_code="hygiene", findings=["HYG-01"],
                                 notes="odeurs")
    got = get_inspection(store, inspection)
    assert (got["site_id"], got["district_id"], got["outcome"], got["notes"]) == (site, district, "violations", "odeurs")
    assert [f["violation_code"] for f in got["findings"]] == ["HYG-01"]
    case = make_case(store, officer, catalogue, ["DOM-06"])  # a measure is required: the builder gives one
    assert current_step(store, case).step == "referral"  # demolition is the local authority's (art. 28)
    actors = {r["actor"] for r in store.query("SELECT actor FROM journal")}
    assert actors == {None, admin_of(store).id, officer.id}  # the first account is created by nobody
    assert check_store(store).ok
