"""Exporting the listed inspections (GeoPackage, GeoJSON, CSV) in the background, with a
progress bar and a cancel button; a cancelled or failed export leaves no file behind."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from reports.numbers import grouped
from desktop.store.errors import from_os
from desktop.store.geo import export_inspections
from desktop.store.inspections import InspectionFilter
from desktop.ui.errors import show_error
from desktop.ui.session import Session
from desktop.ui.tasks import Job, run_op

FILTERS = {"gpkg": "GeoPackage (*.gpkg)", "geojson": "GeoJSON (*.geojson)", "csv": "CSV (*.csv)"}


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
    """Export in the background; ``on_finished`` gets the rows written, or None if the export was
    cancelled or failed."""
    tr = session.tr
    fmt = path.suffix.lower().lstrip(".")

    def work(job: Job) -> int:
        job.progress(0, total)
        try:
            with session.commune.reader() as store:
                return export_inspections(store, path, fmt, filt, job.progress, job.cancelled, total)
        except OSError as exc:
            raise from_os(exc, str(path)) from exc

    def done(rows: int) -> None:
        QMessageBox.information(parent, tr("ui.export"), tr("ui.exported", n=grouped(rows), path=str(path)))
        if on_finished:
            on_finished(rows)

    def failed(exc: Exception) -> None:
        show_error(parent, exc, tr)
        if on_finished:
            on_finished(None)

    dialog = run_op(parent, tr("ui.exporting", path=path.name), work, done, failed, tr=tr,
                    on_cancelled=lambda: on_finished(None) if on_finished else None)
    dialog.setObjectName("export_progress")
    return dialog
