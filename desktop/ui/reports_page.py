"""Dashboard and reports: the report's indicators on screen, filtered, with charts that open the
matching inspections; the activity report generated in the background (progress, cancel)."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (QComboBox, QDateEdit, QFileDialog, QHBoxLayout, QLabel, QMessageBox,
                               QProgressDialog, QPushButton, QVBoxLayout, QWidget)

from reports.counting import count
from reports.numbers import grouped
from desktop.services.report import write_report
from desktop.domain.ids import local_display
from desktop.store.indicators import Scope, comparable_change, compute, data_as_of, first_recorded
from desktop.ui.widgets import ltr, set_display_format
from desktop.ui.errors import show_error
from desktop.ui.session import Session
from desktop.ui.tasks import Job, run_op


class BarChartWidget(QWidget):
    """Horizontal bars; a click on a bar emits its key."""
    clicked = Signal(object)

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.title, self.items = title, []  # (key, label, value)
        self.setMinimumHeight(180)

    def set_items(self, items: list[tuple]) -> None:
        self.items = items
        self.setMinimumHeight(30 + 20 * len(items))
        self.update()

    def _geometry(self):
        label_w = self.width() * 0.38
        return 26, 20, label_w, self.width() - label_w - 70

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        top, row, label_w, bar_w = self._geometry()
        rtl = self.layoutDirection() == Qt.RightToLeft
        painter.drawText(QRectF(0, 0, self.width(), 22), Qt.AlignCenter, self.title)
        peak = max((v for _k, _l, v in self.items), default=1) or 1
        for n, (_key, label, value) in enumerate(self.items):
            y = top + n * row
            w = bar_w * value / peak
            label_rect = QRectF(self.width() - label_w + 6, y, label_w - 12, row) if rtl else QRectF(6, y, label_w - 12, row)
            painter.setPen(QColor("#1d2a36"))
            # Beside its bar (AlignAbsolute: not mirrored again under Arabic), cut with "…" when long.
            shown = painter.fontMetrics().elidedText(label, Qt.ElideRight, int(label_rect.width()))
            painter.drawText(label_rect, Qt.AlignAbsolute | (Qt.AlignRight if not rtl else Qt.AlignLeft) | Qt.AlignVCenter
                             | Qt.TextSingleLine, shown)
            x = self.width() - label_w - w if rtl else label_w
            painter.fillRect(QRectF(x, y + 3, w, row - 6), QColor("#2f6f9f"))
            value_x = x - 66 if rtl else x + w + 4
            painter.setLayoutDirection(Qt.LeftToRight)  # "1 949" stays one number under Arabic
            painter.drawText(QRectF(value_x, y, 62, row), (Qt.AlignRight if rtl else Qt.AlignLeft) | Qt.AlignVCenter,
                             grouped(value))
            painter.setLayoutDirection(self.layoutDirection())
        painter.end()

    def key_at(self, y: float):
        top, row, _l, _b = self._geometry()
        n = int((y - top) // row)
        return self.items[n][0] if 0 <= n < len(self.items) and y >= top else None

    def mouseReleaseEvent(self, event) -> None:
        key = self.key_at(event.position().y())
        if key is not None:
            self.clicked.emit(key)


class ReportsPage(QWidget):
    drill = Signal(dict)  # a filter for the inspection list

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session, self.tr = session, session.tr
        tr = self.tr
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        today = date.today()
        start = date(today.year, 1, 1)
        self.date_from = QDateEdit(QDate(start.year, start.month, start.day), objectName="dash_from")
        self.date_to = QDateEdit(QDate(today.year, today.month, today.day), objectName="dash_to")
        for edit in (self.date_from, self.date_to):
            set_display_format(edit, "yyyy-MM-dd")
            edit.setCalendarPopup(True)
            edit.setLayoutDirection(Qt.LeftToRight)
        self.district = QComboBox(objectName="dash_district")
        self.district.addItem(tr("ui.all_districts"), None)
        for district_id, name in sorted(session.labels.districts.items(), key=lambda kv: kv[1]):
            self.district.addItem(name, district_id)
        self.field = QComboBox(objectName="dash_field")
        self.field.addItem(tr("ui.all_fields"), None)
        for f in session.catalogue.fields:
            self.field.addItem(f.label(tr.lang), f.code)
        refresh = QPushButton(tr("dash.refresh"), objectName="dash_refresh")
        refresh.clicked.connect(self.refresh)
        for w in (QLabel(tr("ui.from")), self.date_from, QLabel(tr("ui.to")), self.date_to, self.district, self.field, refresh):
            bar.addWidget(w)
        bar.addStretch(1)
        self.lang = QComboBox(objectName="report_lang")
        self.lang.addItem("العربية", "ar")
        self.lang.addItem("Français", "fr")
        self.report_button = QPushButton(tr("dash.report"), objectName="make_report")
        self.report_button.clicked.connect(lambda: self.make_report())
        bar.addWidget(self.lang)
        bar.addWidget(self.report_button)
        layout.addLayout(bar)
        self.kpis = QLabel(objectName="dash_kpis")
        self.kpis.setWordWrap(True)
        self.kpis.setStyleSheet("background: #eef2f5; padding: 8px; font-size: 11pt;")
        layout.addWidget(self.kpis)
        charts = QHBoxLayout()
        self.by_field = BarChartWidget(tr("rep.by_field"))
        self.by_district = BarChartWidget(tr("rep.by_district"))
        self.by_field.clicked.connect(lambda code: self._drill(field_code=code))
        self.by_district.clicked.connect(lambda district_id: self._drill(district_id=district_id))
        charts.addWidget(self.by_field)
        charts.addWidget(self.by_district)
        layout.addLayout(charts, 1)
        self.refresh()

    def scope(self) -> Scope:
        return Scope(self.date_from.date().toPython(), self.date_to.date().toPython() + timedelta(days=1),
                     self.district.currentData(), self.field.currentData())

    def refresh(self) -> None:
        tr = self.tr
        ind = compute(self.session.store, self.scope(), with_previous=True)
        self.indicators = ind
        violations = sum(n for o, n in ind.by_outcome if o == "violations")
        funnel = (" ← " if tr.rtl else " → ").join(f"{tr('funnel.' + r['rung'])} {grouped(r['count'])}" for r in ind.funnel)
        start, first = self.scope().previous().start, first_recorded(self.session.store)
        change = comparable_change(ind.inspections, ind.previous_inspections, start, first)
        counted = grouped(ind.previous_inspections or 0)
        previous = (tr("dash.previous_rate", previous=counted, change=ltr(f"{change * 100:+.0f}%")) if change is not None
                    else tr("dash.previous_uncovered", previous=counted, first=str(first)[:10]) if first and first > start
                    else tr("dash.previous_no_rate", previous=counted))
        when = local_display(data_as_of(self.session.store))
        as_of = tr("dash.as_of", day=ltr(when[:10]), time=ltr(when[11:16])) if when else ""
        self.kpis.setText(tr("dash.kpis_compared", n=grouped(ind.inspections), violations=grouped(violations),
                             previous=previous, complaints=grouped(ind.complaints.get("received", 0)),
                             overdue=grouped(ind.overdue_steps))
                          # signed documents apart from the cases' ladder steps (legal review B5)
                          + "<br>" + tr("dash.signed", documents=" · ".join(
                              count(ind.decisions.get(k, 0), noun, tr.lang, spelled=False)
                              for k, noun in (("signed", "decisions"), ("notices", "notices"), ("letters", "letters"))))
                          + "<br>" + tr("dash.steps") + " " + funnel
                          + (f"<br><small>{as_of}</small>" if as_of else ""))
        labels = self.session.labels
        self.by_field.set_items([(c, labels.field(c), n) for c, n in ind.by_field[:12]])
        self.by_district.set_items([(d["id"], d["name_ar"] if tr.rtl else d["name_fr"], d["inspections"])
                                    for d in ind.by_district])

    def _drill(self, **filt) -> None:
        self.drill.emit({"field_code": filt.get("field_code") or self.field.currentData(),
                         "district_id": filt.get("district_id") or self.district.currentData(),
                         "date_from": self.date_from.date(), "date_to": self.date_to.date()})

    def report_file_name(self) -> str:
        """``rapport-2026-01-01-2026-12-01.pdf``: the period in the name."""
        scope = self.scope()
        return f"rapport-{scope.start.isoformat()}-{(scope.end - timedelta(days=1)).isoformat()}.pdf"

    def make_report(self, path: Path | None = None, on_finished=None) -> QProgressDialog | None:
        """The activity report of the current scope, written in the background; ``on_finished``
        gets the path, or None if the report was cancelled or failed."""
        tr = self.tr
        if path is None:
            name, _ = QFileDialog.getSaveFileName(self, tr("dash.report"), self.report_file_name(), "PDF (*.pdf)")
            if not name:
                return None
            path = Path(name)
        scope, lang, commune = self.scope(), self.lang.currentData(), self.session.commune
        catalogue = self.session.catalogue

        def work(job: Job) -> int:
            with commune.reader() as store:
                return write_report(store, catalogue, scope, lang, path, cancelled=job.cancelled,
                                    progress=lambda percent: job.progress(percent, 100))

        def done(_size: int) -> None:
            if on_finished:
                on_finished(path)
            else:
                QMessageBox.information(self, tr("dash.report"), tr("map.exported", path=str(path)))

        def failed(exc: Exception) -> None:
            show_error(self, exc, tr)
            if on_finished:
                on_finished(None)

        dialog = run_op(self, tr("dash.generating"), work, done, failed, tr=tr,
                        on_cancelled=lambda: on_finished(None) if on_finished else None)
        dialog.setObjectName("report_progress")
        return dialog
