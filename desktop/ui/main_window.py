"""The main window: navigation on the side, one page at a time, the user and database shown."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QLabel, QListWidget, QListWidgetItem, QMainWindow, QMenu,
                               QMessageBox, QSplitter, QStackedWidget, QWidget)

from desktop.i18n import LANGUAGES
from desktop.services.visits import inspection_for_complaint
from desktop.store.drafts import list_drafts
from desktop.ui.errors import attempt, show_error
from desktop.ui.widgets import compact_filters, ltr
from desktop.ui.inspection_form import InspectionForm
from desktop.ui.inspection_view import InspectionView
from desktop.ui.inspections_page import InspectionsPage
from desktop.ui.session import Session
from desktop.ui.sites_page import SitesPage
from maps.attribution import ATTRIBUTION

LANGUAGE_NAMES = {"ar": "العربية", "fr": "Français"}


@dataclass(frozen=True)
class PageSpec:
    """One page of the navigation: its label, the window method that builds it (on first show),
    the method that refreshes it, and the tables whose changes make it stale."""

    key: str
    build: str
    refresh: str | None = None
    tables: frozenset[str] = frozenset()


def _tables(*names: str) -> frozenset[str]:
    return frozenset(names)


INSPECTION_TABLES = _tables("inspection", "finding", "site", "district")
PAGES: tuple[PageSpec, ...] = (
    PageSpec("ui.nav_inspections", "_build_inspections", "apply_filters", INSPECTION_TABLES),
    PageSpec("ui.nav_sites", "_build_sites", None, _tables("site")),
    PageSpec("ui.nav_map", "_build_map", "reload_points", INSPECTION_TABLES),
    PageSpec("ui.nav_cases", "_build_cases", "refresh", _tables("case_file", "case_step", "case_finding", "decision")),
    PageSpec("ui.nav_decisions", "_build_register", "refresh", _tables("decision", "case_file")),
    PageSpec("ui.nav_complaints", "_build_complaints", "refresh", _tables("complaint", "complaint_inspection")),
    PageSpec("ui.nav_programmes", "_build_programmes", "refresh", _tables("programme", "programme_brigade")),
    PageSpec("ui.nav_fairness", "_build_fairness", "refresh", INSPECTION_TABLES | _tables("complaint")),
    PageSpec("ui.nav_reports", "_build_reports", "refresh", INSPECTION_TABLES | _tables("case_file", "case_step", "decision", "complaint")),
    PageSpec("net.nav_conflicts", "_build_conflicts", "refresh", _tables("sync_conflict")),  # shown when enrolled
    PageSpec("net.nav_devices", "_build_devices", None, frozenset()),  # the coordinator's, over the network
)
ROW = {spec.build.removeprefix("_build_"): n for n, spec in enumerate(PAGES)}
INSPECTIONS_ROW, SITES_ROW, MAP_ROW, CASES_ROW, REGISTER_ROW = (ROW[k] for k in ("inspections", "sites", "map", "cases", "register"))
COMPLAINTS_ROW, PROGRAMMES_ROW, FAIRNESS_ROW, REPORTS_ROW = (ROW[k] for k in ("complaints", "programmes", "fairness", "reports"))
CONFLICTS_ROW, DEVICES_ROW = ROW["conflicts"], ROW["devices"]


class MainWindow(QMainWindow):
    language_switched = Signal(str)
    logout_requested = Signal()  # the user leaves the desk: the login comes back

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        self.setObjectName("main_window")
        self.resize(1280, 800)
        self.forms: list[InspectionForm] = []
        self.built: dict[int, QWidget] = {}
        self.stale: set[int] = set()
        session.notifier.changed.connect(self.data_changed)
        self.build()

    def build(self) -> None:
        tr = self.session.tr
        self.setLayoutDirection(Qt.RightToLeft if tr.rtl else Qt.LeftToRight)
        self.setWindowTitle(f"{tr('ui.app_title')} — {self.session.store.path.name}")
        self.nav = QListWidget(objectName="navigation")
        self.nav.setMinimumWidth(190)
        self.nav.setMaximumWidth(260)
        # a name wider than the menu (the window at its narrowest, French at 1280 px: «Dossiers et
        # mises en demeure») goes on two lines rather than being cut behind a scroll bar
        self.nav.setWordWrap(True)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.pages = QStackedWidget()
        self.built, self.stale = {}, set()
        self.sites = self.map_page = self.cases_page = self.register_page = None  # built when first shown
        self.complaints_page = self.programmes_page = self.fairness_page = self.reports_page = None  # idem
        for spec in PAGES:
            self.nav.addItem(QListWidgetItem(tr(spec.key)))
            self.pages.addWidget(QWidget())
        self.inspections = self._page(INSPECTIONS_ROW)
        self.nav.currentRowChanged.connect(self.show_page)
        self.nav.setCurrentRow(INSPECTIONS_ROW)
        split = QSplitter()
        split.addWidget(self.nav)
        split.addWidget(self.pages)
        split.setStretchFactor(1, 1)
        nav_width = max(190, min(260, self.nav.sizeHintForColumn(0) + 2 * self.nav.frameWidth() + 12))
        split.setSizes([nav_width, 1280 - nav_width])  # the pages get what the menu's words do not need
        self.setCentralWidget(split)
        self._menus()
        user = self.session.user
        demo = f" — {tr('ui.demo_banner')}" if self.session.store.is_demo else ""
        text = f"{user.name(tr.lang) or user.username} ({tr.enum('role', user.role)}){demo}"
        if getattr(self, "user_label", None) is None:  # built once: a language switch rebuilds the rest
            self.user_label = QLabel(objectName="status_user")
            self.statusBar().addPermanentWidget(self.user_label)  # never under a passing message
        self.user_label.setText(text)
        self._sync_panel()
        self._drafts_hint()

    # -- pages -----------------------------------------------------------------------------------
    def _page(self, row: int) -> QWidget:
        """The page of ``row``, built on first use in place of its placeholder."""
        if row not in self.built:
            page = getattr(self, PAGES[row].build)()
            compact_filters(page)
            placeholder = self.pages.widget(row)
            self.pages.insertWidget(row, page)
            self.pages.removeWidget(placeholder)
            placeholder.deleteLater()
            self.built[row] = page
        return self.built[row]

    def show_page(self, row: int) -> None:
        page = self._page(row)
        self.pages.setCurrentIndex(row)
        if row in self.stale:
            self._refresh(row, page)

    def data_changed(self, tables: frozenset[str]) -> None:
        """After a write: the visible page refreshes now, the others when next shown."""
        for row, page in self.built.items():
            spec = PAGES[row]
            if spec.refresh and spec.tables & tables:
                if self.pages.currentIndex() == row:
                    self._refresh(row, page)
                else:
                    self.stale.add(row)

    def _refresh(self, row: int, page: QWidget) -> None:
        self.stale.discard(row)
        try:
            getattr(page, PAGES[row].refresh)()
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc, self.session.tr)

    def _build_inspections(self) -> InspectionsPage:
        page = InspectionsPage(self.session)
        page.new_requested.connect(self.new_inspection)
        page.open_requested.connect(self.open_inspection)
        page.error.connect(lambda e: show_error(self, e, self.session.tr))
        return page

    def _build_sites(self) -> SitesPage:
        self.sites = SitesPage(self.session)
        self.sites.open_requested.connect(self.open_inspection)
        self.sites.error.connect(lambda e: show_error(self, e, self.session.tr))
        return self.sites

    def _build_map(self) -> QWidget:
        from desktop.ui.map_page import MapPage
        self.map_page = MapPage(self.session)
        self.map_page.open_inspection.connect(self.open_inspection_rowid)
        self.map_page.selection_to_list.connect(self.show_map_selection)
        self.map_page.districts_requested.connect(self.manage_districts)
        return self.map_page

    def _build_cases(self) -> QWidget:
        from desktop.ui.cases_page import CasesPage
        self.cases_page = CasesPage(self.session)
        self.cases_page.open_case.connect(self.open_case)
        return self.cases_page

    def _build_register(self) -> QWidget:
        from desktop.ui.register_page import RegisterPage
        self.register_page = RegisterPage(self.session)
        self.register_page.open_case.connect(self.open_case)
        return self.register_page

    def _build_complaints(self) -> QWidget:
        from desktop.ui.complaints_page import ComplaintsPage
        self.complaints_page = ComplaintsPage(self.session)
        self.complaints_page.inspect.connect(self.inspect_complaint)
        self.complaints_page.pick_requested.connect(self.pick_on_map)
        return self.complaints_page

    def _build_programmes(self) -> QWidget:
        from desktop.ui.programmes_page import ProgrammesPage
        self.programmes_page = ProgrammesPage(self.session)
        return self.programmes_page

    def _build_fairness(self) -> QWidget:
        from desktop.ui.fairness_page import FairnessPage
        self.fairness_page = FairnessPage(self.session)
        return self.fairness_page

    def _build_conflicts(self) -> QWidget:
        from desktop.ui.conflicts_page import ConflictsPage
        return ConflictsPage(self.session)

    def _build_devices(self) -> QWidget:
        from desktop.ui.devices_page import DevicesPage
        return DevicesPage(self.session)

    def _sync_panel(self) -> None:
        """The sync's state and action (status bar, File menu) and the Conflits page, when enrolled."""
        from desktop.ui.sync_panel import SyncPanel
        if getattr(self, "sync_panel", None) is None:
            self.sync_panel = SyncPanel(self)
            self.session.notifier.changed.connect(lambda _tables: self.sync_panel.refresh())
        else:
            self.sync_panel.retranslate()
        state = self.sync_panel.state
        self.nav.item(CONFLICTS_ROW).setHidden(not state.get("enrolled"))
        self.nav.item(DEVICES_ROW).setHidden(not (state.get("network") and state.get("resolver")))
        file_menu = self.menuBar().actions()[0].menu()
        if state.get("enrolled"):  # the USB stick: every enrolled device, network or not
            file_menu.insertActions(file_menu.actions()[0], [self.sync_panel.usb_export, self.sync_panel.usb_import])
        if state.get("network"):
            file_menu.insertAction(file_menu.actions()[0], self.sync_panel.action)

    def _build_reports(self) -> QWidget:
        from desktop.ui.reports_page import ReportsPage
        self.reports_page = ReportsPage(self.session)
        self.reports_page.drill.connect(self.drill_down)
        return self.reports_page

    def drill_down(self, filt: dict) -> None:
        """A bar of the dashboard opens the inspections behind it."""
        page = self.inspections
        for combo, value in ((page.field, filt.get("field_code")), (page.district, filt.get("district_id"))):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.blockSignals(False)
        for edit, value in ((page.date_from, filt.get("date_from")), (page.date_to, filt.get("date_to"))):
            edit.blockSignals(True)
            edit.setDate(value)
            edit.blockSignals(False)
        page.apply_filters()
        self.nav.setCurrentRow(INSPECTIONS_ROW)

    def inspect_complaint(self, complaint: dict) -> InspectionForm:
        """A new inspection caused by a complaint: origin, reference, field and place filled in."""
        self.new_inspection({"id": None, "input": inspection_for_complaint(complaint, self.session.user)})
        return self.forms[-1]

    def open_case(self, case_id: str) -> None:
        from desktop.ui.case_dialog import CaseDialog
        CaseDialog(self.session, case_id, self).exec()  # its writes refresh the pages through data_changed

    def open_inspection_rowid(self, rowid: int) -> None:
        from desktop.store.inspections import inspection_id_for_rowid
        self.open_inspection(inspection_id_for_rowid(self.session.store, rowid))

    def show_map_selection(self, rowids) -> None:
        self.inspections.set_map_selection(rowids)
        self.nav.setCurrentRow(INSPECTIONS_ROW)

    def pick_on_map(self, form) -> None:
        """Let the user click a location on the map for ``form`` (an inspection form or a
        complaint being recorded: anything with ``set_location``)."""
        self.nav.setCurrentRow(MAP_ROW)
        widget = self.map_page.map

        def picked(lon: float, lat: float) -> None:
            widget.location_picked.disconnect(picked)
            form.set_location(lon, lat)
            form.raise_()
            form.activateWindow()
        widget.location_picked.connect(picked)
        self.map_page.pick_location()
        self.raise_()

    def manage_districts(self) -> None:
        from desktop.ui.districts_dialog import DistrictsDialog
        dialog = DistrictsDialog(self.session, self)
        if dialog.exec() and dialog.changed:
            self.session.reload_labels()
            self.build()
            self.nav.setCurrentRow(MAP_ROW)

    def _menus(self) -> None:
        tr = self.session.tr
        bar = self.menuBar()
        bar.clear()
        file_menu = bar.addMenu(tr("ui.menu_file"))
        new = QAction(tr("ui.new_inspection"), self, shortcut=QKeySequence.New, triggered=self.new_inspection)
        new.setEnabled(self.inspections.new_button.isEnabled())
        file_menu.addAction(new)
        self.drafts_menu = QMenu(tr("ui.drafts"), self)
        self.drafts_menu.aboutToShow.connect(self._fill_drafts)
        file_menu.addMenu(self.drafts_menu)
        file_menu.addSeparator()
        from desktop.domain.auth import can
        if can(self.session.user.role, "user.manage") or can(self.session.user.role, "delegation.manage"):
            file_menu.addAction(QAction(tr("adm.title"), self, triggered=self.administration))
            file_menu.addSeparator()
        file_menu.addAction(QAction(tr("ui.change_my_password"), self, triggered=lambda: self.change_my_password()))
        file_menu.addAction(QAction(tr("ui.logout"), self, shortcut="Ctrl+L", triggered=self.logout_requested))
        file_menu.addSeparator()
        file_menu.addAction(QAction(tr("ui.quit"), self, shortcut=QKeySequence.Quit, triggered=self.close))
        view_menu = bar.addMenu(tr("ui.menu_view"))
        for n in range(len(PAGES)):
            view_menu.addAction(QAction(self.nav.item(n).text(), self, shortcut=f"Ctrl+{n + 1}" if n < 9 else "",
                                        triggered=lambda _=False, n=n: self.nav.setCurrentRow(n)))
        lang_menu = view_menu.addMenu(tr("ui.language"))
        for lang in LANGUAGES:
            lang_menu.addAction(QAction(LANGUAGE_NAMES[lang], self, checkable=True, checked=lang == tr.lang,
                                        triggered=lambda _=False, code=lang: self.switch_language(code)))
        help_menu = bar.addMenu(tr("ui.menu_help"))
        help_menu.addAction(QAction(tr("ui.user_guide"), self, shortcut=QKeySequence.HelpContents,
                                    triggered=lambda: self.show_guide()))
        help_menu.addAction(QAction(tr("ui.about"), self, triggered=self.about))

    def _fill_drafts(self) -> None:
        self.drafts_menu.clear()
        drafts = list_drafts(self.session.store, self.session.user)
        if not drafts:
            self.drafts_menu.addAction(self.session.tr("ui.no_drafts")).setEnabled(False)
        for d in drafts:
            inp = d["input"]
            label = " — ".join(x for x in (ltr(d["updated_at"].replace("T", " ")[:16]),
                                           self.session.labels.field(inp.field_code) if inp.field_code else "",
                                           inp.new_site.name if inp.new_site else "") if x)
            self.drafts_menu.addAction(label, lambda d=d: self.new_inspection(d))

    def _drafts_hint(self) -> None:
        n = len(list_drafts(self.session.store, self.session.user))
        if n:
            self.statusBar().showMessage(self.session.tr("ui.drafts_waiting", n=n))

    def new_inspection(self, draft: dict | None = None) -> None:
        form = InspectionForm(self.session, draft if isinstance(draft, dict) else None, self)
        form.pick_requested.connect(lambda: self.pick_on_map(form))
        form.submitted.connect(self.after_submit)
        form.finished.connect(lambda _r: self.forms.remove(form) if form in self.forms else None)
        self.forms.append(form)
        form.show()

    def after_submit(self, inspection_id: str) -> str:
        """Say which case the inspection joined, its step and how late it is (in the status bar)."""
        from datetime import date

        from desktop.services.visits import inspection_case
        tr = self.session.tr
        case = inspection_case(self.session.store, inspection_id)
        if case is None or not case["step"]:
            return ""
        late = case["due_on"] < date.today().isoformat()
        text = tr("ui.joined_case", site=case["site"], step=tr(f"step.{case['step']}"), due=ltr(case["due_on"]),
                  late=tr("ui.joined_case_late", since=ltr(case["due_on"])) if late else "")
        self.statusBar().showMessage(text, 30000)
        return text

    def open_inspection(self, inspection_id: str | None) -> None:
        if not inspection_id:
            return
        try:
            InspectionView(self.session, inspection_id, self).exec()
        except Exception as exc:  # noqa: BLE001 - one place shows errors
            show_error(self, exc, self.session.tr)

    def switch_language(self, lang: str) -> None:
        for form in list(self.forms):
            form.save_draft_now()
            form.close()
        row = self.nav.currentRow()
        self.session.set_language(lang)
        self.build()
        if row > 0:
            self.nav.setCurrentRow(row)  # the user stays on the page he was on
        self.language_switched.emit(lang)

    def change_my_password(self, values: tuple[str, str, str] | None = None) -> bool:
        """Anyone changes his own password: the current one, then the new one twice."""
        from desktop.ui.admin_dialog import ask_own_password
        tr = self.session.tr
        values = values or ask_own_password(self, tr)
        if values is None:
            return False
        current, new, again = values
        if new != again:
            QMessageBox.warning(self, tr("ui.error_title"), tr("ui.passwords_differ"))
            return False
        from desktop.services.accounts import change_own_password
        if not attempt(self, lambda: change_own_password(self.session.commune, current, new) or True, tr):
            return False
        QMessageBox.information(self, tr("ui.change_my_password"), tr("ui.password_changed"))
        return True

    def password_reset_notice(self, values: tuple[str, str, str] | None = None) -> bool:
        """At login: the holder of an account whose password someone else set (an administrator's
        reset) is told who did it and when, and changes it now; nothing signs until he has."""
        from desktop.store.users import password_reset
        if self.session.store.closed:  # the window closed before the notice came round, its store with it
            return False
        reset = password_reset(self.session.store, self.session.user)
        if reset is None:
            return False
        tr = self.session.tr
        QMessageBox.warning(self, tr("ui.change_my_password"),
                            tr("ui.password_was_reset", by=reset["by"] or "—",
                               at=ltr(reset["at"][:16].replace("T", " "))))
        self.change_my_password(values)
        return True

    def administration(self) -> None:
        from desktop.ui.admin_dialog import AdminDialog
        AdminDialog(self.session, self).exec()

    def show_guide(self, modal: bool = True):
        """The guide of the user's role (F1 from any page)."""
        from desktop.ui.help_dialog import HelpDialog
        dialog = HelpDialog(self.session.tr, self.session.user.role, self)
        if modal:
            dialog.exec()
        return dialog

    def about(self) -> None:
        from desktop import __version__
        tr = self.session.tr
        QMessageBox.about(self, tr("ui.about"), f"<b>{tr('ui.app_title')}</b> {__version__}<br><br>"
                          f"{ATTRIBUTION}<br>Fonts: Noto Sans, Noto Sans Arabic, Amiri (SIL OFL 1.1).")

    def closeEvent(self, event) -> None:
        for form in list(self.forms):
            form.save_draft_now()
        self.session.close()
        event.accept()
