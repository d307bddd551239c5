"""The mouse wheel scrolls the page; it never changes a choice the user did not click.

Qt lets the wheel change a combo box, spin box or date under the pointer even without focus: an
officer scrolling the inspection form would change the outcome or a checklist answer unawares.
One event filter on the application sends such a wheel event to the scroll area around the field
instead (or drops it when there is none). A field with keyboard focus keeps its wheel.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSpinBox)  # QDateEdit and QDateTimeEdit are spin boxes
WHEEL = QEvent.Type.Wheel  # looked up once: the filter sees every event of the application


class WheelGuard(QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == WHEEL and isinstance(obj, GUARDED) and not obj.hasFocus():
            if obj.focusPolicy() == Qt.WheelFocus:
                obj.setFocusPolicy(Qt.StrongFocus)  # the wheel does not take the focus either
            area = _scroll_area(obj)
            if area is not None:
                QCoreApplication.sendEvent(area.verticalScrollBar(), event)
            return True
        return False


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def install_wheel_guard(app: QApplication) -> WheelGuard:
    guard = getattr(app, "_wheel_guard", None)
    if guard is None:
        guard = WheelGuard(app)
        app.installEventFilter(guard)
        app._wheel_guard = guard  # type: ignore[attr-defined]
    return guard
