"""Exporting the listed inspections (GeoPackage, GeoJSON, CSV) in the background, with a
progress bar and a cancel button; a cancelled or failed export leaves no file behind."""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from desktop.store.db import open_store
from desktop.store.geo import export_inspections
from desktop.store.inspections import InspectionFilter
from desktop.ui.errors import show_error
from desktop.ui.session import Session
from desktop.ui.tasks import run_background
from maps.export import ExportCancelled

FILTERS = {"gpkg": "GeoPackage (*.gpkg)", "geojson": "GeoJSON (*.geojson)", "csv": "CSV (*.csv)"}


class _Progress(QObject):
    rows = Signal(int)


def ask_export_path(parent: QWidget, session: Session) -> Path | None:
    name, chosen = QFileDialog.getSaveFileName(parent, session.tr("ui.export"), "controles.gpkg",
                                               ";;".join(FILTERS.values()))
    if not name:
        return None
    path = Path(name)
    if path.suffix.lower().lstrip(".") not in FILTERS:
        fmt = next(k for k, v in FILTERS.items() if v == chosen)
        path = path.with_suffix(f".{fmt}")
    return path


def export_with_progress(parent: QWidget, session: Session, filt: InspectionFilter, path: Path,
                         total: int | None, on_finished=None) -> QProgressDialog:
    tr = session.tr
    fmt = path.suffix.lower().lstrip(".")
    dialog = QProgressDialog(tr("ui.exporting", path=path.name), tr("ui.cancel"), 0, total or 0, parent)
    dialog.setObjectName("export_progress")
    dialog.setWindowModality(Qt.WindowModal)
    dialog.setMinimumDuration(300)
    cancel = threading.Event()
    dialog.canceled.connect(cancel.set)
    relay = _Progress()
    relay.rows.connect(dialog.setValue)

    def progress(rows: int) -> bool:
        relay.rows.emit(rows)
        return not cancel.is_set()

    def work():
        with open_store(session.store.path, readonly=True) as store:
            return export_inspections(store, path, fmt, filt, progress)

    def done(rows: int) -> None:
        dialog.reset()
        QMessageBox.information(parent, tr("ui.export"), tr("ui.exported", n=f"{rows:,}".replace(",", " "), path=str(path)))
        if on_finished:
            on_finished(rows)

    def failed(exc: Exception) -> None:
        dialog.reset()
        if not isinstance(exc, ExportCancelled):
            if isinstance(exc, OSError):
                from desktop.store.errors import from_os
                exc = from_os(exc, str(path))
            show_error(parent, exc, tr)
        if on_finished:
            on_finished(None)

    dialog._relay = relay  # lives as long as the dialog
    run_background(work, done, failed, owner=parent)
    return dialog
