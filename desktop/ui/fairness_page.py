"""Fairness: inspections by district against population and complaints, and owners inspected far
more often than the median."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from reports.numbers import grouped
from desktop.store.fairness import by_district, outliers
from desktop.ui.session import Session


class FairnessPage(QWidget):
    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session, self.tr = session, session.tr
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("fair.by_district")))
        self.districts = QTableWidget(objectName="fairness_districts")
        layout.addWidget(self.districts, 2)
        layout.addWidget(QLabel(self.tr("fair.outliers")))
        self.owners = QTableWidget(objectName="fairness_owners")
        layout.addWidget(self.owners, 1)
        self.refresh()

    def refresh(self) -> None:
        tr = self.tr
        rows = by_district(self.session.store)
        headers = [tr(k) for k in ("ui.district", "fair.inspections", "fair.share", "fair.population", "fair.complaints",
                                   "fair.ratio", "fair.own")]
        self.districts.setColumnCount(len(headers))
        self.districts.setHorizontalHeaderLabels(headers)
        self.districts.setRowCount(len(rows))
        for n, r in enumerate(rows):
            ratio = r["ratio_to_population"]
            values = (r["name_ar"] if tr.rtl else r["name_fr"], grouped(r['inspections']),
                      f"{r['share_inspections']:.1%}", f"{r['share_population']:.1%}", f"{r['share_complaints']:.1%}",
                      f"{ratio:.2f}" if ratio is not None else "—", str(r["own"]))
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == 5 and ratio is not None and (ratio > 1.5 or ratio < 0.5):
                    item.setBackground(Qt.yellow)
                self.districts.setItem(n, c, item)
        flagged = outliers(self.session.store)
        headers = [tr(k) for k in ("fair.owner", "fair.controls", "fair.sites", "fair.times_median", "fair.own", "fair.by_president")]
        self.owners.setColumnCount(len(headers))
        self.owners.setHorizontalHeaderLabels(headers)
        self.owners.setRowCount(len(flagged))
        for n, r in enumerate(flagged):
            for c, value in enumerate((r["owner"], str(r["controls"]), str(r["sites"]), f"{r['times_median']:.1f}",
                                       str(r["own_initiative"]), str(r["by_president"]))):
                self.owners.setItem(n, c, QTableWidgetItem(value))
