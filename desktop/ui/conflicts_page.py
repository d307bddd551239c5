"""«Conflits / التعارضات»: the clashes the hub recorded instead of overwriting anything.

On the coordinator's station (enrolled over the network) the page lists the hub's queue and
resolves each conflict: keep the hub's value, or take the device's. Elsewhere it lists what the
hub reported about this device's own ops (read only). The hub is asked in the background."""
from __future__ import annotations

import json
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit,
                               QPushButton, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.domain.complaints import device_code
from desktop.i18n import Translator
from desktop.services import netsync, sync
from desktop.services.messages import problem_text
from desktop.store.cases import case_header, case_violations
from desktop.store.errors import StoreError
from desktop.ui.errors import show_error
from desktop.ui.session import Session
from desktop.ui.tasks import run_background
from desktop.ui.widgets import first_strong_rtl, follow_text_direction, ltr, row_table

COLUMNS = ("net.c_when", "net.c_entity", "net.c_column", "net.c_kind", "net.c_hub", "net.c_device", "net.c_status")
COLUMN_LABELS = {  # a register's column as its form names it; any other column by its own name
    ("site", "name"): "ui.site_name", ("site", "address"): "ui.site_address", ("site", "activity"): "ui.site_activity",
    ("site", "kind"): "ui.site_kind", ("site", "owner_name"): "ui.owner_name", ("site", "owner_id_number"): "ui.owner_id",
    ("complaint", "reference"): "cp.reference", ("complaint", "channel"): "cp.channel",
    ("complaint", "received_on"): "cp.received", ("complaint", "description"): "cp.description",
    ("complaint", "location_text"): "cp.location", ("complaint", "complainant_name"): "cp.complainant",
    ("complaint", "answer_due"): "cp.answer_due", ("complaint", "status"): "cp.status",
    ("complaint", "complainant_kind"): "cp.complainant",
}
# Columns holding a code the form shows in words: the message key's prefix
CODED = {("complaint", "channel"): "cp.channel_", ("complaint", "status"): "cp.status_",
         ("complaint", "complainant_kind"): "cp.complainant_"}
# The values' columns at most this many average characters wide (cut short, read whole on hover
# and below the list): a case opened twice reads in ~110, and pushed the device's value and the
# state out of a 1280 px window, behind a sideways scroll
VALUE_CHARS = 36
# The record a conflict is about, by what its register shows (read in this station's replica): a
# site's address clash said «Sites · Adresse» and not which site
RECORD_NAMES = {
    "site": "SELECT name FROM site WHERE id = ?",
    "complaint": "SELECT reference FROM complaint WHERE id = ?",
    "inspection": "SELECT s.name || ', ' || substr(i.inspected_at, 1, 10) FROM inspection i"
                  " JOIN site s ON s.id = i.site_id WHERE i.id = ?",
    "case_file": "SELECT s.name FROM case_file c JOIN site s ON s.id = c.site_id WHERE c.id = ?",
    "authorisation": "SELECT s.name FROM authorisation a JOIN site s ON s.id = a.site_id WHERE a.id = ?",
}
# What a refused row's values show without: its ids (a reader cannot use them) and empty values
_HIDDEN = re.compile(r"(^id$|_id$|^version$|_(at|by)$)")


def values_text(tr: Translator, table: str, value):
    """A refused op's values (``{"values": {...}, "rule": ...}`` or the columns themselves) as
    «label : value» lines, the register's words for its columns and codes, Latin values isolated
    left to right in Arabic; anything else as it is."""
    values = value.get("values") if isinstance(value, dict) and isinstance(value.get("values"), dict) else value
    if not isinstance(values, dict) or not values:
        return value
    lines = []
    rule = value.get("rule") if isinstance(value, dict) else None
    if isinstance(rule, str) and rule:  # the rule that refused it, in words where the application has them
        params = [ltr(p) if tr.lang == "ar" else str(p) for p in value.get("params") or [] if p is not None] \
            if isinstance(value.get("params"), list) else []
        said = problem_text(rule, tr, *params, reference=params[0] if params else "")
        field = value.get("field") if isinstance(value.get("field"), str) else ""
        key = COLUMN_LABELS.get((table, field))
        where = f" ({tr(key) if key else field})" if field else ""
        lines.append(f"{tr('net.rule')} : {said}{where}")
    for column, v in values.items():
        if v is None or v == "" or _HIDDEN.search(column):
            continue
        key = COLUMN_LABELS.get((table, column))
        text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
        prefix = CODED.get((table, column))
        if prefix and tr(prefix + text) != prefix + text:
            text = tr(prefix + text)
        lines.append(f"{tr(key) if key else column} : {_in_arabic(tr, text)}")
    return "\n".join(lines) or value


def _value(value) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)


def _in_arabic(tr: Translator, text: str) -> str:
    """``text`` isolated left to right in an Arabic sentence unless it starts right to left (a
    date, a code, a French or Latin name keep their order); as it is in French."""
    return ltr(text) if tr.lang == "ar" and first_strong_rtl(text) is not True else text


def _cell(value) -> str:
    """A value on one line, isolated in its own direction (Latin text in an Arabic row)."""
    text = _value(value).replace("\n", " ")
    return ltr(text) if first_strong_rtl(text) is False else text


def case_twice_text(tr: Translator, opened: str | None, site: str, field: str, codes: list[str]) -> str:
    """A case opened twice in words; its date and violation codes isolated left to right (in
    Arabic «2026-06-01» would read «01-06-2026», «HYG-01, HYG-02» reordered)."""
    return tr("net.case_twice", opened=ltr(opened) if opened else "—", site=site, field=field,
              codes=ltr(", ".join(codes)) if codes else "—")


def rule_text(tr: Translator, r: dict) -> str:
    """The rule that refused a complaint's reference (``invalid``), in words, the reference
    isolated left to right; empty for any other refusal (the device's value shows its rule)."""
    device = r.get("device_value")
    if r.get("reason") != "invalid" or not isinstance(device, dict) or not isinstance(device.get("rule"), str) \
            or device.get("field") != "reference":
        return ""
    values = device.get("values") if isinstance(device.get("values"), dict) else {}
    params = device.get("params") if isinstance(device.get("params"), list) else []
    reference = values.get("reference") or (params[0] if params else "")
    text = problem_text(device["rule"], tr, reference=ltr(reference))
    return "" if text == device["rule"] else text


class ConflictsPage(QWidget):
    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session, self.tr = session, session.tr
        tr = self.tr
        self.rows: list[dict] = []
        self.loading = 0  # requests to the hub in flight
        layout = QVBoxLayout(self)
        self.intro = QLabel(objectName="conflicts_intro", wordWrap=True)
        top = QHBoxLayout()
        top.addWidget(self.intro, 1)
        self.which = QComboBox(objectName="conflicts_status")
        for key in ("open", "resolved", "all"):
            self.which.addItem(tr(f"net.show_{key}"), key)
        self.which.currentIndexChanged.connect(self.refresh)
        top.addWidget(self.which)
        self.reload = QPushButton(tr("net.refresh"), objectName="conflicts_refresh", clicked=self.refresh)
        top.addWidget(self.reload)
        layout.addLayout(top)
        self.table = row_table([tr(k) for k in COLUMNS], "conflicts_table", self.show_details)
        self.table.setWordWrap(False)  # a value cut short on one line, not wrapped and cut at the row's foot
        layout.addWidget(self.table, 2)
        self.reason = QLabel(objectName="conflict_reason", wordWrap=True)
        layout.addWidget(self.reason)  # (in the grid below, its wrapped lines were cut)
        details = QGridLayout()
        details.addWidget(QLabel(tr("net.hub_value")), 1, 0)
        details.addWidget(QLabel(tr("net.device_value")), 1, 1)
        self.hub_value = QPlainTextEdit(objectName="conflict_hub_value", readOnly=True)
        self.device_value = QPlainTextEdit(objectName="conflict_device_value", readOnly=True)
        for edit in (self.hub_value, self.device_value):
            edit.setLayoutDirection(Qt.LeftToRight)
            follow_text_direction(edit)  # a value in Arabic reads from the right
        details.addWidget(self.hub_value, 2, 0)
        details.addWidget(self.device_value, 2, 1)
        self.keep_hub = QPushButton(tr("net.keep_hub"), objectName="keep_hub", clicked=lambda: self.resolve("hub"))
        self.take_device = QPushButton(tr("net.take_device"), objectName="take_device",
                                       clicked=lambda: self.resolve("device"))
        details.addWidget(self.keep_hub, 3, 0)
        details.addWidget(self.take_device, 3, 1)
        layout.addLayout(details, 1)
        self.refresh()

    @property
    def resolver(self) -> bool:
        return bool(netsync.state(self.session.commune).get("resolver")) and netsync.enrolled(self.session.commune.path)

    def refresh(self) -> None:
        tr, status = self.tr, self.which.currentData()
        self.intro.setText(tr("net.conflicts_hub") if self.resolver else tr("net.conflicts_device"))
        for button in (self.keep_hub, self.take_device):
            button.setVisible(self.resolver)
        if not self.resolver:
            self._show(sync.list_conflicts(self.session.commune, None if status == "all" else status))
            return
        path = self.session.commune.path
        self.loading += 1
        self.reload.setEnabled(False)

        def failed(exc: Exception) -> None:
            self.loading -= 1
            self.reload.setEnabled(not self.loading)
            show_error(self, exc, tr)

        def loaded(rows) -> None:
            self.loading -= 1
            self._show(rows)
            if status == "open":  # the status bar counts this queue
                sync.remember_hub_conflicts(self.session.commune, len(rows))
                self.session.notifier.changed.emit(frozenset({"sync_state"}))  # (not a table this page follows)
        run_background(lambda: netsync.hub_conflicts(path, status), loaded, failed, owner=self)

    def _show(self, rows) -> None:
        tr = self.tr
        self.reload.setEnabled(not self.loading)
        chosen = (self.selected() or {}).get("conflict_id")
        self.rows = list(rows)
        self.table.setRowCount(len(self.rows))
        for n, r in enumerate(self.rows):
            when = str(r.get("created_at") or r.get("reported_at") or "")[:16].replace("T", " ")
            hub, device = self._readable(r, r.get("hub_value")), self._readable(r, r.get("device_value"))
            values = (ltr(when), tr(f"net.table.{r['tbl']}"), self._column(r) or "—", tr(f"net.kind.{r['kind']}"),
                      _cell(hub), _cell(device), tr(f"net.status.{r['status']}"))
            whole = {4: _value(hub), 5: _value(device)}  # a value cut short, read whole on hover
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, n)
                if c in whole:
                    item.setToolTip(whole[c])
                self.table.setItem(n, c, item)
        self.table.resizeColumnsToContents()
        most = self.table.fontMetrics().averageCharWidth() * VALUE_CHARS
        for c in (4, 5):
            self.table.setColumnWidth(c, min(self.table.columnWidth(c), most))
        for n, r in enumerate(self.rows):  # the conflict the user was reading stays selected
            if r["conflict_id"] == chosen:
                self.table.setCurrentCell(n, 0)  # (selectRow selects nothing right to left)
        self.show_details()

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def show_details(self) -> None:
        r = self.selected()
        self.hub_value.setPlainText(_value(self._readable(r, r.get("hub_value"))) if r else "")
        self.device_value.setPlainText(_value(self._readable(r, r.get("device_value"))) if r else "")
        # an empty list says so (an officer's page, empty on most days, read as not loaded)
        self.reason.setText(self._reason(r) if r else "" if self.rows else self.tr("sync.no_conflicts"))
        self._fit_reason()
        open_one = r is not None and r.get("status") == "open"
        self.keep_hub.setEnabled(open_one)
        self.take_device.setEnabled(open_one)
        twin = r is not None and r.get("kind") == "duplicate_case"  # merge, or keep both cases
        self.keep_hub.setText(self.tr("net.merge_case" if twin else "net.keep_hub"))
        self.take_device.setText(self.tr("net.keep_both_cases" if twin else "net.take_device"))

    def _fit_reason(self) -> None:
        """The reason's wrapped lines all shown (a layout gives a wrapped label one line's height)."""
        height = max(0, self.reason.heightForWidth(max(1, self.reason.width())))
        if height != self.reason.minimumHeight():
            self.reason.setMinimumHeight(height)
            self.layout().activate()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_reason()

    def _readable(self, r: dict, value):
        """A case opened twice reads as the case (date, site, field, violations), not as its id; a
        refused op's values as «label : value» lines (``values_text``)."""
        if r.get("kind") == "refused":
            return values_text(self.tr, r["tbl"], value)
        if r.get("kind") != "duplicate_case" or not isinstance(value, dict) or "case_id" not in value:
            return value
        try:
            case = case_header(self.session.store, value["case_id"])
            codes = case_violations(self.session.store, value["case_id"])
        except StoreError:  # not in this replica (yet): the id is all there is
            return value
        field = self.session.catalogue.field(case["field_code"]).label(self.tr.lang)
        return case_twice_text(self.tr, value.get("opened_on"), case["name"], field, codes)

    def _column(self, r: dict) -> str:
        column = r.get("column_name") or ""
        key = COLUMN_LABELS.get((r["tbl"], column))
        return self.tr(key) if key else column

    def _record(self, r: dict) -> str:
        """The name of the record ``r`` is about, as its register shows it; empty when this
        replica does not hold it (a refused new record) or its register has no name."""
        sql = RECORD_NAMES.get(r.get("tbl"))
        if sql is None or not r.get("row_id"):
            return ""
        try:
            return str(self.session.store.scalar(sql, (r["row_id"],)) or "")
        except StoreError:
            return ""

    def _reason(self, r: dict) -> str:
        """What happened, in words: the register and field, then the hub's reason."""
        tr = self.tr
        reason = tr(f"sync.reason.{r.get('reason')}")
        if reason.startswith("sync.reason."):
            reason = tr(f"net.kind.{r['kind']}")
        register = tr(f"net.table.{r['tbl']}")
        name = self._record(r)
        if name:
            register = tr("net.record", register=register,
                          name=_in_arabic(tr, name))
        where = " · ".join(x for x in (register, self._column(r)) if x)
        rule = rule_text(tr, r)
        sent = tr("net.sent_by", user=ltr(r["device_user"]), code=ltr(device_code(r["device_id"]))) \
            if r.get("device_user") and r.get("device_id") else ""  # (the hub's queue: who sent the value)
        return f"{where} — {reason}" + "".join(f"\n{line}" for line in (rule, sent) if line)

    def resolve(self, choice: str) -> None:
        r = self.selected()
        if r is None:
            return
        path, tr = self.session.commune.path, self.tr
        self.keep_hub.setEnabled(False)
        self.take_device.setEnabled(False)

        def done(_result) -> None:
            self.refresh()

        def failed(exc: Exception) -> None:
            show_error(self, exc, tr)
            self.show_details()
        run_background(lambda: netsync.resolve_hub_conflict(path, r["conflict_id"], choice), done, failed, owner=self)
