"""Managing the commune's district layer: rename districts, import a layer to replace them."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QMessageBox,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from desktop.store.districts import current_bounds, rename_district, replace_district_layer
from desktop.ui.errors import show_error
from desktop.ui.session import Session
from desktop.ui.tasks import Job, run_op
from maps.layers import LayerError, load_district_layer


def layer_message(tr, code: str, params: dict) -> str:
    return tr(f"layer.{code}", **params)


class DistrictsDialog(QDialog):
    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session, self.tr = session, session.tr
        self.changed = False
        self.setObjectName("districts_dialog")
        self.setWindowTitle(self.tr("map.districts"))
        self.resize(640, 520)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, 4, objectName="districts_table")
        self.table.setHorizontalHeaderLabels([self.tr("layer.code"), self.tr("layer.name_ar"),
                                              self.tr("layer.name_fr"), self.tr("layer.population")])
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.info = QLabel(objectName="districts_info")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        row = QHBoxLayout()
        self.import_button = QPushButton(self.tr("layer.import"), objectName="import_layer")
        self.import_button.clicked.connect(lambda: self.import_layer())
        row.addWidget(self.import_button)
        row.addStretch(1)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Close)
        buttons.button(QDialogButtonBox.Save).clicked.connect(self.save_names)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.fill()

    def fill(self) -> None:
        rows = self.session.store.query("SELECT id, code, name_ar, name_fr, population FROM district"
                                        " WHERE deleted_at IS NULL ORDER BY name_fr")
        self.table.setRowCount(len(rows))
        for n, r in enumerate(rows):
            for c, key in enumerate(("code", "name_ar", "name_fr", "population")):
                item = QTableWidgetItem("" if r[key] is None else str(r[key]))
                if key in ("code", "population"):
                    item.setFlags(item.flags() & ~Qt.ItemIsEditable)
                item.setData(Qt.UserRole, r["id"])
                self.table.setItem(n, c, item)

    def save_names(self) -> None:
        current = {r["id"]: (r["name_ar"], r["name_fr"]) for r in self.session.store.query(
            "SELECT id, name_ar, name_fr FROM district WHERE deleted_at IS NULL")}
        try:
            for n in range(self.table.rowCount()):
                district_id = self.table.item(n, 0).data(Qt.UserRole)
                names = (self.table.item(n, 1).text().strip(), self.table.item(n, 2).text().strip())
                if names != current.get(district_id):
                    if not all(names):
                        self.info.setText(self.tr("layer.name_required"))
                        return
                    rename_district(self.session.store, self.session.user, district_id, *names)
                    self.changed = True
        except Exception as exc:  # noqa: BLE001 - one place shows errors
            show_error(self, exc, self.tr)
            return
        self.accept()

    def import_layer(self, path: Path | None = None, confirm=None) -> None:
        """Load, check, show what was found and, once confirmed, replace the layer."""
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, self.tr("layer.import"), "",
                                                  "GeoJSON, GeoPackage, Shapefile (*.geojson *.json *.gpkg *.shp)")
            if not name:
                return
            path = Path(name)
        try:
            layer = load_district_layer(path, reference_bounds=current_bounds(self.session.store))
        except LayerError as exc:
            self.info.setText(self.tr("layer.refused") + " " + layer_message(self.tr, exc.code, exc.params)
                              + (f"\n({exc.detail})" if exc.detail else ""))
            return
        notes = [layer_message(self.tr, code, params) for code, params in layer.warnings]
        question = self.tr("layer.confirm", n=len(layer.features), names=", ".join(
            (f.name_ar if self.tr.rtl else f.name_fr) for f in layer.features[:6])) + "".join(f"\n• {n}" for n in notes)
        ask = confirm or (lambda text: QMessageBox.question(self, self.tr("layer.import"), text) == QMessageBox.Yes)
        if not ask(question):
            return
        self._replace(layer)

    def _replace(self, layer) -> None:
        """One transaction: not cancellable, failures go to the one error presenter."""
        commune, user = self.session.commune, self.session.user

        def work(job: Job):
            with commune.writer() as store:
                return replace_district_layer(store, user, layer.features, progress=job.progress)

        def done(report) -> None:
            self.changed = True
            self.info.setText(self.tr("layer.replaced", n=report.total, outside=report.outside))
            self.fill()

        run_op(self, self.tr("layer.replacing"), work, done, tr=self.tr, cancellable=False)
