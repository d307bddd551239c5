"""The Qt interface. Every PySide6 import of the application lives in this package."""
import sys

import PySide6.QtCore  # noqa: F401 - loads shiboken's import hook, which the next lines tame


def _skip_feature_scan() -> None:
    """PySide6 reads the source file of every module imported after it, looking for
    ``from __feature__ import snake_case, true_property``. The application never uses those
    opt-in features, so the scan is skipped: every later import (the login, the main window,
    the pages) is cheaper. Only when this PySide6 has the scan (a private function) is it changed."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
        feature._mod_uses_pyside = lambda module: False


_skip_feature_scan()
