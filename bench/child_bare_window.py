"""Baseline: a bare PySide6 window shown by the same Python; prints when it is first painted."""
import json
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget


class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint and not hasattr(self, "at"):
            self.at = time.time()
            QTimer.singleShot(0, QApplication.quit)
        return False


app = QApplication(sys.argv[:1])
w = QWidget()
w.resize(1280, 800)
probe = FirstPaint()
w.installEventFilter(probe)
w.show()
app.exec()
print(json.dumps({"painted_at": probe.at}))
