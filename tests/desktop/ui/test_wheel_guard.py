"""Scrolling the inspection form with the wheel never changes an answer the user did not click."""
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from desktop.ui.inspection_form import InspectionForm
from desktop.ui.wheel_guard import install_wheel_guard


def wheel(widget, steps=-1):
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def small_form(qtbot, session):
    form = InspectionForm(session)
    qtbot.addWidget(form)
    form.resize(700, 400)  # the body is taller: the form scrolls
    form.show()
    qtbot.waitExposed(form)
    return form


def test_wheel_over_unfocused_fields_scrolls_the_form(qtbot, qapp, session):
    guard = install_wheel_guard(qapp)
    try:
        form = small_form(qtbot, session)
        bar = form.scroll.verticalScrollBar()
        assert bar.maximum() > 0
        before = (form.outcome.currentIndex(), form.field.currentIndex(), form.visit_section.when.dateTime())
        for widget in (form.outcome, form.field, form.visit_section.when):
            wheel(widget)
        assert (form.outcome.currentIndex(), form.field.currentIndex(), form.visit_section.when.dateTime()) == before
        assert bar.value() > 0  # the form scrolled instead
    finally:
        qapp.removeEventFilter(guard)
        del qapp._wheel_guard


def test_without_the_guard_the_wheel_changes_the_outcome(qtbot, session):
    """The check above can fail: Qt's default is to change the combo under the pointer."""
    form = small_form(qtbot, session)
    before = form.outcome.currentIndex()
    wheel(form.outcome)
    assert form.outcome.currentIndex() != before
