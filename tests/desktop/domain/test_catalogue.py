import json

import pytest

from desktop.domain.catalogue import CatalogueError, load_catalogue

CASABLANCA_FIELDS = ("hygiene", "urbanism", "public_domain")


def test_shipped_catalogue_covers_the_presidents_fields(catalogue):
    codes = {f.code for f in catalogue.fields}
    assert len(codes) >= 20  # art. 100 lists about two dozen fields
    assert {"ruin_buildings", "stray_animals", "funerals_cemeteries", "quarries"} <= codes


@pytest.mark.parametrize("code", CASABLANCA_FIELDS)
def test_casablanca_fields_are_fully_worked_out(catalogue, code):
    f = catalogue.field(code)
    assert f.worked and len(f.checklist) >= 5 and len(f.violations) >= 5
    for v in f.violations:
        assert v.ar and v.fr and v.basis and v.deadline_days >= 0
        assert v.next_step in ("awareness", "formal_notice", "referral", "decision")
    for item in f.checklist:
        assert item.violation in {v.code for v in f.violations}


def test_legal_facts_are_encoded(catalogue):
    # Planning: the commune observes and refers to the urbanism controller (Law 66-12 art. 65-66).
    assert all(v.next_step == "referral" and v.referral_to == "urbanism_controller"
               for v in catalogue.field("urbanism").violations if v.code != "URB-06")
    # Building on the public domain: the local authority demolishes (Law 57-19 art. 28), the commune
    # sends the art. 27 notice.
    assert catalogue.violation("DOM-06").referral_to == "local_authority"
    assert catalogue.violation("DOM-06").decision_kind == "stop_and_fee"
    no_permit = catalogue.violation("URB-01")
    assert (no_permit.fine_min, no_permit.fine_max) == (10000, 100000)
    assert any(b.text == "L12-90" and b.article == "71" for b in no_permit.basis)
    # Building on public land (art. 77) and in a non-buildable zone (art. 71) are two offences with
    # their own fines; extra floors fall under art. 72 para. 2 and the demolition route of art. 70.
    def articles(code):
        return {b.article for b in catalogue.violation(code).basis}
    assert (catalogue.violation("URB-04").fine_min, catalogue.violation("URB-04").fine_max) == (100000, 200000)
    assert (catalogue.violation("URB-07").fine_min, catalogue.violation("URB-07").fine_max) == (10000, 100000)
    assert articles("URB-04") == {"77", "70"} and articles("URB-07") == {"71", "70"} and articles("URB-08") == {"72", "70"}
    assert catalogue.violation("URB-08").measure.unit == "floors" and catalogue.violation("URB-02").measure is None
    # Public domain: an unauthorised occupier is told to stop at once and owes 5x the fee (Law 57-19
    # art. 27), on the report of sworn agents (art. 26): the art. 27 notice is the first act.
    unauthorised = catalogue.violation("DOM-01")
    assert unauthorised.fee_multiplier == 5 and unauthorised.deadline_days == 0
    assert unauthorised.next_step == "decision" and unauthorised.decision_kind == "stop_and_fee"
    # Unconfirmed points are flagged, not asserted.
    assert catalogue.basis_label(catalogue.violation("HYG-02").basis[1], "fr").endswith("(?)")
    assert "المادة 27" in catalogue.basis_label(unauthorised.basis[1], "ar")


def test_commune_extends_catalogue_without_code(tmp_path):
    ext = {"catalogue_version": 1,
           "legal_texts": {"ARR-2026-12": {"ar": "قرار جماعي 12", "fr": "Arrêté communal 12"}},
           "fields": [
               {"code": "hygiene", "violations": [{
                   "code": "HYG-90", "ar": "تدخين داخل المطعم", "fr": "Tabac dans le restaurant",
                   "basis": [{"text": "ARR-2026-12", "article": "3"}], "severity": "minor",
                   "deadline_days": 8, "next_step": "awareness"}]},
               {"code": "beaches", "ar": "الشواطئ", "fr": "Plages", "checklist": [], "violations": []}]}
    (tmp_path / "10-local.json").write_text(json.dumps(ext), encoding="utf-8")
    cat = load_catalogue(tmp_path)
    assert cat.has_violation("HYG-90", "hygiene")
    assert cat.field("beaches").label("ar") == "الشواطئ"
    assert len(cat.field("hygiene").violations) == 10
    assert cat.sources[-1].endswith("10-local.json")


def test_broken_extension_names_the_file_and_the_place(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps(
        {"catalogue_version": 1, "fields": [{"code": "hygiene", "violations": [{"code": "X-1"}]}]}),
        encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        load_catalogue(tmp_path)
    assert "bad.json" in str(err.value) and "fields/0/violations/0" in str(err.value)


def test_extension_citing_unknown_text_is_refused(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"catalogue_version": 1, "fields": [{"code": "hygiene", "violations": [{
        "code": "HYG-91", "ar": "ا", "fr": "a", "basis": [{"text": "NOPE"}], "severity": "minor",
        "deadline_days": 1, "next_step": "awareness"}]}]}), encoding="utf-8")
    with pytest.raises(CatalogueError, match="unknown legal text 'NOPE'"):
        load_catalogue(tmp_path)


def test_not_json_is_refused(tmp_path):
    (tmp_path / "a.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid JSON"):
        load_catalogue(tmp_path)


def test_validation_cache_never_hides_a_changed_file(tmp_path):
    ext = tmp_path / "a.json"
    ext.write_text(json.dumps({"catalogue_version": 1}), encoding="utf-8")
    load_catalogue(tmp_path)
    load_catalogue(tmp_path)  # second load: from the cache of valid digests
    ext.write_text(json.dumps({"catalogue_version": 0}), encoding="utf-8")
    with pytest.raises(CatalogueError, match="catalogue_version"):
        load_catalogue(tmp_path)


def _violation(code, **extra):
    return {"code": code, "ar": "ا", "fr": "a", "basis": [{"text": "L113-14"}], "severity": "minor",
            "deadline_days": 8, "next_step": "formal_notice", **extra}


def _extend(tmp_path, fields):
    (tmp_path / "20-kinds.json").write_text(json.dumps({"catalogue_version": 1, "fields": fields}), encoding="utf-8")
    return load_catalogue(tmp_path)


def test_every_shipped_violation_names_its_decision():
    from desktop.domain.catalogue import SHIPPED
    raw = json.loads(SHIPPED.read_text(encoding="utf-8"))
    missing = [v["code"] for f in raw["fields"] for v in f.get("violations", []) if "decision_kind" not in v]
    assert missing == []


def test_extension_sets_the_decision_of_its_violations(tmp_path):
    cat = _extend(tmp_path, [
        {"code": "hygiene", "violations": [_violation("HYG-90", decision_kind="withdrawal")]},
        {"code": "beaches", "ar": "الشواطئ", "fr": "Plages", "decision_kind": "removal",
         "violations": [_violation("BEA-01"), _violation("BEA-02", decision_kind="closure")]}])
    assert cat.violation("HYG-90").decision_kind == "withdrawal"
    assert cat.violation("BEA-01").decision_kind == "removal"  # the field's default
    assert cat.violation("BEA-02").decision_kind == "closure"  # its own prevails over the field's


def test_extension_violation_without_decision_gets_the_documented_default(tmp_path):
    cat = _extend(tmp_path, [
        {"code": "hygiene", "violations": [_violation("HYG-90")]},
        {"code": "ruin_buildings", "violations": [_violation("RUIBUI-90")]},
        {"code": "public_domain", "violations": [_violation("DOM-06", severity="major")]}])
    assert cat.violation("HYG-90").decision_kind == "injunction"     # no field default: the injunction
    assert cat.violation("RUIBUI-90").decision_kind == "ruin_order"  # the field's default (as before)
    replaced = cat.violation("DOM-06")
    assert replaced.severity == "major" and replaced.decision_kind == "stop_and_fee"  # kept from the replaced one


def test_extension_field_default_does_not_touch_violations_that_name_theirs(tmp_path):
    cat = _extend(tmp_path, [{"code": "public_domain", "decision_kind": "closure"}])
    assert cat.violation("DOM-06").decision_kind == "stop_and_fee"
    assert cat.field("public_domain").decision_kind == "closure"


@pytest.mark.parametrize("where", ["violation", "field"])
def test_unknown_decision_kind_is_refused(tmp_path, where):
    field = {"code": "hygiene", "violations": [_violation("HYG-90")]}
    (field["violations"][0] if where == "violation" else field)["decision_kind"] = "banishment"
    with pytest.raises(CatalogueError, match="banishment") as err:
        _extend(tmp_path, [field])
    assert "20-kinds.json" in str(err.value)


def test_several_bases_are_joined_with_the_arabic_semicolon_in_arabic():
    cat = load_catalogue()
    v = next(v for f in cat.fields for v in f.violations if len(v.basis) > 1)
    ar, fr = cat.bases_label(v.basis, "ar"), cat.bases_label(v.basis, "fr")
    assert ar.count("؛ ") == len(v.basis) - 1 and ";" not in ar
    assert fr.count("; ") == len(v.basis) - 1 and "؛" not in fr
