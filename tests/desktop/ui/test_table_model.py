"""The in-memory table model (a site's history, a year's register) against Qt's model tester."""
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from desktop.ui.table_model import ID_ROLE, RowsTableModel

ROWS = [{"id": "a", "name": "Café des Arts", "late": True}, {"id": "b", "name": "Épicerie", "late": False},
        {"id": "c", "name": "Hammam", "late": False}]


def make_model(rows=ROWS) -> RowsTableModel:
    model = RowsTableModel(["Nom", "Retard"], lambda r: (r["name"], "oui" if r["late"] else "non"),
                           lambda r: QColor("#fde2e1") if r["late"] else None)
    model.set_rows(list(rows))
    return model


def test_rows_model_passes_the_model_tester(qtmodeltester):
    model = make_model()
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)  # Qt's own QAbstractItemModelTester too


def test_an_empty_rows_model_passes_the_model_tester(qtmodeltester):
    qtmodeltester.check(make_model([]))


def test_replacing_the_rows_is_a_reset_the_tester_follows(qtmodeltester, qtbot):
    model = make_model()
    qtmodeltester.check(model)
    with qtbot.waitSignals([model.modelAboutToBeReset, model.modelReset]):
        model.set_rows(ROWS[:1])
    assert model.rowCount() == 1
    model.set_rows([])
    assert model.rowCount() == 0


def test_rows_model_shows_its_rows():
    model = make_model()
    assert (model.rowCount(), model.columnCount()) == (3, 2)
    assert model.rowCount(model.index(0, 0)) == 0  # a table: no children
    assert [model.index(r, 0).data() for r in range(3)] == ["Café des Arts", "Épicerie", "Hammam"]
    assert model.index(0, 1).data() == "oui" and model.index(1, 1).data() == "non"
    assert [model.index(r, 0).data(ID_ROLE) for r in range(3)] == ["a", "b", "c"]
    assert model.index(0, 0).data(Qt.BackgroundRole) == QColor("#fde2e1")
    assert model.index(1, 0).data(Qt.BackgroundRole) is None
    assert [model.headerData(c, Qt.Horizontal) for c in range(2)] == ["Nom", "Retard"]


def test_an_invalid_index_has_no_data():
    """An invalid index (row -1) once answered with the last row; the model tester does not catch it."""
    model = make_model()
    assert model.data(QModelIndex()) is None
    assert model.data(QModelIndex(), ID_ROLE) is None


def test_the_register_model_passes_the_model_tester(qtbot, qtmodeltester, make_session, store):
    from desktop.store.users import authenticate
    from desktop.ui.register_page import RegisterPage
    page = RegisterPage(make_session(authenticate(store, "president", "president-demo")))
    qtbot.addWidget(page)
    page.year.setValue(2026)
    assert page.model.rowCount() > 0
    qtmodeltester.check(page.model)


def test_the_site_history_model_passes_the_model_tester(qtbot, qtmodeltester, session, store):
    from desktop.ui.sites_page import HistoryModel
    model = HistoryModel(session)
    site = store.scalar("SELECT site_id FROM inspection GROUP BY site_id ORDER BY count(*) DESC LIMIT 1")
    model.set_site(site)
    assert model.rowCount() > 1
    qtmodeltester.check(model)
