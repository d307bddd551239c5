"""Guards against a Qt for Python release that loses references to None in QPainter calls.

PySide6 6.12.0 did: every drawLine, drawEllipse or drawStaticText decremented None's reference
count, so a long session (a map redrawn while panning) ended in "Fatal Python error:
none_dealloc". pyproject.toml excludes that release; this test catches the next one.
"""
import sys

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QPainter, QStaticText


def test_painter_calls_keep_none_alive(qapp):
    image = QImage(64, 64, QImage.Format_ARGB32_Premultiplied)
    text = QStaticText("أنفا")
    painter = QPainter(image)
    before = sys.getrefcount(None)
    for k in range(2000):
        painter.drawLine(QPointF(0, 0), QPointF(k % 64, 5))
        painter.drawEllipse(QPointF(10, 10), 3.0, 3.0)
        painter.drawEllipse(QRectF(1, 1, 4, 4))
        painter.drawStaticText(QPointF(2, 2), text)
    after = sys.getrefcount(None)
    painter.end()
    assert after >= before - 100, f"None lost {before - after} references in 8,000 QPainter calls"
