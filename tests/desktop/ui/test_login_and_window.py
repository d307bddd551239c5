from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from desktop.store.users import authenticate
from desktop.i18n import Translator
from desktop.ui.login import LoginDialog
from desktop.ui.main_window import MainWindow


def test_login_refuses_wrong_password_then_accepts(qtbot, store):
    dlg = LoginDialog(store, Translator("fr"), "Casablanca")
    qtbot.addWidget(dlg)
    assert dlg.demo.isVisibleTo(dlg) and "agent-demo" in dlg.demo.text()
    qtbot.keyClicks(dlg.username, "agent001")
    qtbot.keyClicks(dlg.password, "wrong")
    qtbot.keyClick(dlg.password, Qt.Key_Return)
    assert dlg.user is None and "incorrect" in dlg.error.text() and dlg.password.text() == ""
    qtbot.keyClicks(dlg.password, "agent-demo")
    qtbot.keyClick(dlg.password, Qt.Key_Return)
    assert dlg.result() == QDialog.Accepted and dlg.user.username == "agent001"


def test_login_language_switch_turns_layout(qtbot, store):
    dlg = LoginDialog(store, Translator("fr"))
    qtbot.addWidget(dlg)
    assert dlg.layoutDirection() == Qt.LeftToRight
    dlg.language.setCurrentIndex(dlg.language.findData("ar"))
    assert dlg.layoutDirection() == Qt.RightToLeft and dlg.labels[1].text() == "كلمة المرور"


def test_main_window_arabic_by_default_and_switches_to_french(qtbot, make_session, officer):
    session = make_session(officer, "ar")
    win = MainWindow(session)
    qtbot.addWidget(win)
    win.show()
    assert win.layoutDirection() == Qt.RightToLeft
    assert win.nav.item(0).text() == "المراقبات"
    assert win.nav.count() == 11 and all(win.nav.item(k).flags() & Qt.ItemIsEnabled for k in range(9))
    assert win.nav.item(9).isHidden() and win.nav.item(10).isHidden()  # Conflits, Appareils: enrolled with a hub
    win.switch_language("fr")
    assert win.layoutDirection() == Qt.LeftToRight and win.nav.item(0).text() == "Contrôles"
    assert session.settings["language"] == "fr"


def test_reviewer_cannot_start_an_inspection(qtbot, make_session, store):
    reviewer = authenticate(store, "gouverneur", "revue-demo")
    win = MainWindow(make_session(reviewer))
    qtbot.addWidget(win)
    assert not win.inspections.new_button.isEnabled()


def test_login_shows_the_commune_name_in_the_chosen_language(qtbot, store):
    from desktop.i18n import Translator
    dialog = LoginDialog(store, Translator("ar"), commune_names=("جماعة الدار البيضاء", "Commune de Casablanca"))
    qtbot.addWidget(dialog)
    assert dialog.commune.text() == "جماعة الدار البيضاء"
    dialog.language.setCurrentIndex(dialog.language.findData("fr"))
    assert dialog.commune.text() == "Commune de Casablanca"


def test_a_filter_cut_on_a_narrow_screen_reads_whole_on_hover(qtbot, make_session, officer):
    from PySide6.QtWidgets import QComboBox
    win = MainWindow(make_session(officer, "fr"))
    qtbot.addWidget(win)
    win.resize(900, 600)
    win.show()
    combo = win.findChild(QComboBox, "filter_district")
    assert combo.toolTip() == "Tous les arrondissements"
    combo.setCurrentIndex(1)
    assert combo.toolTip() == combo.itemText(1) != "Tous les arrondissements"


def test_an_error_arriving_after_its_window_closed_is_logged_not_shown(qtbot, monkeypatch):
    """A background task that fails once its window is gone (closing the app mid-query) must not
    open a box on a deleted parent (Qt aborts the process)."""
    from PySide6.QtWidgets import QMessageBox, QWidget
    from shiboken6 import delete

    from desktop.domain.errors import Refusal
    from desktop.ui.errors import show_error
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a))
    gone = QWidget()
    delete(gone)
    show_error(gone, Refusal("net.unreachable", url="http://hub", detail="down"), Translator("fr"))
    assert shown == []
    alive = QWidget()
    qtbot.addWidget(alive)
    show_error(alive, Refusal("net.unreachable", url="http://hub", detail="down"), Translator("fr"))
    assert len(shown) == 1


def _french_window_at_1280(qtbot, make_session, store) -> MainWindow:
    """The coordinator's window in French, 1280 px wide, with the application's fonts (ui/app.py:
    the fonts shipped, not the system's, wider; the next test gets its first font back)."""
    from PySide6.QtWidgets import QApplication

    from desktop.ui.fonts import UI_FILES, register_fonts, ui_font
    register_fonts(UI_FILES)
    QApplication.setFont(ui_font())
    win = MainWindow(make_session(authenticate(store, "coordinateur", "coord-demo"), "fr"))
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_every_menu_entry_reads_whole_at_1280_pixels_in_french(qtbot, make_session, store):
    """The pages hold the window near 1280 px in French, so the menu keeps its 190 px: a name wider
    than that («Dossiers et mises en demeure») goes on two lines, never cut behind a scroll bar."""
    win = _french_window_at_1280(qtbot, make_session, store)
    nav = win.nav
    metrics, room = nav.fontMetrics(), nav.viewport().width()
    assert not nav.horizontalScrollBar().isVisible()
    for row in (r for r in range(nav.count()) if not nav.isRowHidden(r)):
        item = nav.item(row)
        rect = nav.visualItemRect(item)
        needed = metrics.boundingRect(0, 0, room - 8, 10_000, Qt.TextWordWrap, item.text())
        assert rect.right() <= nav.viewport().width() and rect.height() >= needed.height(), item.text()


def test_every_page_fits_a_window_of_1280_pixels_in_french(qtbot, make_session, store):
    """No page holds the window wider than a 1280 px screen in French (the inspections' filters
    did: 1,301 px), and the complaints list shows its last column, the 60-day clock, without
    scrolling sideways (the field's name, cut short, is read whole on hover)."""
    from PySide6.QtWidgets import QApplication, QStackedWidget

    from desktop.ui.complaints_page import ComplaintsPage
    from desktop.ui.inspections_page import InspectionsPage
    from desktop.ui.register_page import RegisterPage
    win = _french_window_at_1280(qtbot, make_session, store)
    pages = win.findChildren(QStackedWidget)[0]
    for row in (r for r in range(win.nav.count()) if not win.nav.isRowHidden(r)):
        win.nav.setCurrentRow(row)
        QApplication.processEvents()
        assert (win.nav.item(row).text(), win.minimumSizeHint().width()) <= (win.nav.item(row).text(), 1280)
        if isinstance(pages.currentWidget(), ComplaintsPage):
            view = pages.currentWidget().view
            header = view.horizontalHeader()
            last = header.count() - 1
            assert view.model().rowCount() > 0 and not view.horizontalScrollBar().isVisible()
            assert header.sectionViewportPosition(last) + header.sectionSize(last) <= view.viewport().width()
            assert header.sectionSize(last) >= header.sectionSizeHint(last)  # its header and clock whole
        if isinstance(pages.currentWidget(), InspectionsPage):  # its eight columns without scrolling sideways
            view = pages.currentWidget().view
            assert view.model().rowCount() > 0 and not view.horizontalScrollBar().isVisible()
        if isinstance(pages.currentWidget(), RegisterPage):  # eleven columns: the field's name no wider
            view = pages.currentWidget().view               # than 24 characters, read whole on hover
            longest = max(range(view.model().rowCount()), key=lambda r: len(view.model().index(r, 3).data()))
            cell = view.model().index(longest, 3)
            assert 0 < view.columnWidth(3) <= view.fontMetrics().averageCharWidth() * 24
            assert cell.data(Qt.ToolTipRole) == cell.data()
    assert win.width() == 1280
