"""Campaign programmes: the calendar of brigades by day, a brigade's visit list, progress, and
the dialog that plans a week."""
from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QDialog, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.domain.spreadsheet import safe_row
from desktop.domain.auth import can
from desktop.services.planning import plan_weekly_programme
from desktop.store.programmes import calendar, programmes, progress, visit_list
from desktop.ui.widgets import set_display_format
from desktop.ui.errors import submit_form
from desktop.ui.session import Session


class ProgrammesPage(QWidget):
    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session, self.tr = session, session.tr
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.new_button = QPushButton(self.tr("pg.new"), objectName="new_programme")
        self.new_button.clicked.connect(self.new_programme)
        self.new_button.setEnabled(can(session.user.role, "programme.manage"))
        self.progress = QLabel(objectName="programme_progress")
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.new_button)
        layout.addLayout(bar)
        split = QSplitter()
        self.list = QListWidget(objectName="programme_list")
        self.list.currentRowChanged.connect(self.show_programme)
        split.addWidget(self.list)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        self.grid = QTableWidget(objectName="programme_calendar")
        self.grid.cellClicked.connect(self.show_visits)
        right_layout.addWidget(self.grid, 2)
        self.visits = QTableWidget(0, 4, objectName="visit_list")
        self.visits.setHorizontalHeaderLabels([self.tr(k) for k in ("ui.site_name", "ui.site_address", "pg.open_case", "pg.last_visit")])
        self.visits.horizontalHeader().setStretchLastSection(True)
        right_layout.addWidget(self.visits, 1)
        export = QPushButton(self.tr("pg.export_visits"), objectName="export_visits")
        export.clicked.connect(lambda: self.export_visits())
        right_layout.addWidget(export)
        split.addWidget(right)
        split.setSizes([260, 900])
        layout.addWidget(split, 1)
        self.refresh()

    def refresh(self) -> None:
        self.items = programmes(self.session.store)
        self.list.clear()
        for p in self.items:
            self.list.addItem(QListWidgetItem(f"{p['title']} ({p['starts_on']} → {p['ends_on']})"))
        if self.items:
            self.list.setCurrentRow(0)

    def show_programme(self, row: int) -> None:
        if not 0 <= row < len(self.items):
            return
        p = self.items[row]
        self.brigades = calendar(self.session.store, p["id"])
        days = sorted({b["day"] for b in self.brigades})
        districts = sorted({b["district_id"] for b in self.brigades}, key=self.session.labels.district)
        self.grid.clear()
        self.grid.setRowCount(len(districts))
        self.grid.setColumnCount(len(days))
        self.grid.setHorizontalHeaderLabels(days)
        self.grid.setVerticalHeaderLabels([self.session.labels.district(d) for d in districts])
        self.cells: dict[tuple[int, int], list[dict]] = {}
        for b in self.brigades:
            key = (districts.index(b["district_id"]), days.index(b["day"]))
            self.cells.setdefault(key, []).append(b)
        for (r, c), brigades in self.cells.items():
            logged = sum(b["logged"] for b in brigades)
            item = QTableWidgetItem(self.tr("pg.cell", brigades=len(brigades), logged=logged))
            item.setTextAlignment(Qt.AlignCenter)
            self.grid.setItem(r, c, item)
        self.grid.resizeColumnsToContents()
        stats = progress(self.session.store, p["id"])
        share = f" ({stats['share']:.0%})" if stats["share"] is not None else ""
        self.progress.setText(self.tr("pg.progress", done=stats["done"], target=stats["target"], share=share,
                                      days=stats["brigade_days"], agreed=p["agreed_with"] or "—"))

    def show_visits(self, row: int, column: int) -> None:
        brigades = self.cells.get((row, column)) or []
        self.current_visits = visit_list(self.session.store, brigades[0]["id"]) if brigades else []
        self.visits.setRowCount(len(self.current_visits))
        for n, v in enumerate(self.current_visits):
            for c, value in enumerate((v["name"], v["address"], "✓" if v["open_case"] else "", (v["last_visit"] or "")[:10])):
                self.visits.setItem(n, c, QTableWidgetItem(value))
        self.visits.resizeColumnsToContents()

    def export_visits(self, path: Path | None = None) -> Path | None:
        """The visit list as CSV, for the officers' device."""
        if not getattr(self, "current_visits", None):
            return None
        if path is None:
            name, _ = QFileDialog.getSaveFileName(self, self.tr("pg.export_visits"), "visites.csv", "CSV (*.csv)")
            if not name:
                return None
            path = Path(name)
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["site", "adresse", "dossier_ouvert", "derniere_visite", "lat", "lon"])
            for v in self.current_visits:
                writer.writerow(safe_row([v["name"], v["address"], int(v["open_case"]), v["last_visit"] or "", v["lat"],
                                          v["lon"]]))
        return path

    def new_programme(self) -> None:
        dialog = NewProgrammeDialog(self.session, self)
        if dialog.exec():
            self.refresh()


class NewProgrammeDialog(QDialog):
    """A week's programme: every brigade of the chosen arrondissements, Monday to Saturday."""

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session, self.tr = session, session.tr
        self.setObjectName("new_programme_dialog")
        self.setWindowTitle(self.tr("pg.new"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.title = QLineEdit(objectName="pg_title")
        self.kind = QComboBox(objectName="pg_kind")
        for k in ("weekly", "complaint_wave", "seasonal"):
            self.kind.addItem(self.tr(f"pg.kind_{k}"), k)
        today = date.today()
        monday = today + timedelta(days=7 - today.weekday())
        self.start = QDateEdit(QDate(monday.year, monday.month, monday.day), objectName="pg_start")
        set_display_format(self.start, "yyyy-MM-dd")
        self.agreed = QLineEdit(objectName="pg_agreed")
        self.theme = QLineEdit(objectName="pg_theme")
        self.districts = QListWidget(objectName="pg_districts")
        for district_id, name in sorted(session.labels.districts.items(), key=lambda kv: kv[1]):
            item = QListWidgetItem(name)
            item.setData(Qt.UserRole, district_id)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.districts.addItem(item)
        self.fields = {code: QCheckBox(session.labels.field(code)) for code in ("hygiene", "public_domain", "urbanism")}
        fields_row = QHBoxLayout()
        for box in self.fields.values():
            box.setChecked(True)
            fields_row.addWidget(box)
        for label, widget in (("pg.title", self.title), ("pg.kind", self.kind), ("pg.week", self.start),
                              ("pg.agreed_with", self.agreed), ("pg.theme", self.theme)):
            form.addRow(self.tr(label), widget)
        form.addRow(self.tr("ui.field"), fields_row)
        form.addRow(self.tr("ui.district"), self.districts)
        layout.addLayout(form)
        self.error = QLabel(objectName="pg_error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        save = QPushButton(self.tr("cp.save"), objectName="pg_save")
        save.clicked.connect(self.save)
        layout.addWidget(save)

    def selected_districts(self) -> list[str]:
        return [self.districts.item(i).data(Qt.UserRole) for i in range(self.districts.count())
                if self.districts.item(i).checkState() == Qt.Checked]

    def save(self) -> str | None:
        fields = [c for c, box in self.fields.items() if box.isChecked()]
        return submit_form(self, lambda: plan_weekly_programme(
            self.session.commune, self.title.text(), self.kind.currentData(), self.start.date().toPython(),
            self.selected_districts(), fields, agreed_with=self.agreed.text(), theme=self.theme.text()),
            self.error, self.tr)
