"""Any list to CSV or XLSX: every row of its query (not only those loaded), as displayed."""
from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from desktop.domain.auth import require
from desktop.domain.errors import Refusal
from desktop.domain.spreadsheet import safe_row
from desktop.services.privacy import journal_export
from reports.numbers import grouped
from desktop.store.files import atomic_path
from desktop.ui.errors import show_error
from desktop.ui.table_model import KeysetTableModel

PAGE = 5000


def rows_of(model):
    """Every row, formatted: a keyset list reads its whole query page by page; an in-memory
    list (RowsTableModel) has them all."""
    if not isinstance(model, KeysetTableModel):
        yield from (model.formatter(r) for r in model.rows)
        return
    after = None
    while True:
        raw = model.query.page(model.store, after, PAGE)
        for r in raw:
            yield model.formatter(r)
        if len(raw) < PAGE:
            return
        after = model.query.key_of(raw[-1])


def _text_cells(sheet, row) -> list:
    """Text as text: openpyxl would make a formula of any string starting with "=" (review H5)."""
    cells = []
    for value in row:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def export_model(model, path: Path) -> int:
    count = 0
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".xlsx":
            book = Workbook(write_only=True)
            sheet = book.create_sheet()
            sheet.append(_text_cells(sheet, model.headers))
            for row in rows_of(model):
                sheet.append(_text_cells(sheet, row))
                count += 1
            book.save(tmp)
        else:
            with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(safe_row(model.headers))
                for row in rows_of(model):
                    writer.writerow(safe_row(row))
                    count += 1
    return count


def export_dialog(parent: QWidget, model, tr, name: str = "liste", *, session=None,
                  personal: bool = False) -> Path | None:
    """Ask where, write the list, and journal the export (who, which list, how many rows). A
    list with personal data (owners and their identity numbers) is exported only by the roles
    allowed to (review M2: not officers, not the governor's reviewers)."""
    if personal:
        try:
            require(session.user.role, "personal.export")
        except Refusal as exc:
            show_error(parent, exc, tr)
            return None
    chosen, selected = QFileDialog.getSaveFileName(parent, tr("ui.export_list"), f"{name}.xlsx",
                                                   "Excel (*.xlsx);;CSV (*.csv)")
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        path = path.with_suffix(".csv" if "CSV" in selected else ".xlsx")
    try:
        n = export_model(model, path)
        if session is not None:
            journal_export(session.store, session.user, f"list:{name}", n, personal)
    except Exception as exc:  # noqa: BLE001 - the one presenter decides (atomic_path made OS errors StoreErrors)
        show_error(parent, exc, tr)
        return None
    QMessageBox.information(parent, tr("ui.export_list"), tr("ui.exported", n=grouped(n), path=str(path)))
    return path
