"""Grab the README's screenshots from a demo database (offscreen; no display needed).

    .venv/bin/python docs/make_screenshots.py demo/commune-demo.sqlite
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.domain.catalogue import load_catalogue  # noqa: E402
from desktop.i18n import Translator  # noqa: E402
from desktop.settings import Settings  # noqa: E402
from desktop.store.db import open_store  # noqa: E402
from desktop.store.users import authenticate  # noqa: E402
from desktop.ui.app import apply_direction, make_application  # noqa: E402

OUT = Path(__file__).resolve().parent


def settle(app) -> None:
    """Let timers (the deferred count) fire and background work finish."""
    import time
    from PySide6.QtCore import QThreadPool
    for _ in range(10):
        app.processEvents()
        QThreadPool.globalInstance().waitForDone()
        time.sleep(0.03)


def main(db: str) -> None:
    from desktop.ui.inspection_form import InspectionForm
    from desktop.ui.main_window import MainWindow
    from desktop.ui.session import Session
    app = make_application()
    store = open_store(Path(db))
    for lang in ("ar", "fr"):
        tr = Translator(lang)
        apply_direction(app, tr)
        session = Session(store, authenticate(store, "agent001", "agent-demo"), load_catalogue(), tr,
                          Settings(Path("/nonexistent/settings.json")))
        window = MainWindow(session)
        window.resize(1280, 760)
        window.show()
        settle(app)
        window.grab().save(str(OUT / f"main-{lang}.png"))
        form = InspectionForm(session, None, window)
        form.field.setCurrentIndex(form.field.findData("public_domain"))
        form.origin.setCurrentIndex(form.origin.findData("own_initiative"))
        form.checklist.combos["DOM-C02"].setCurrentIndex(form.checklist.combos["DOM-C02"].findData("no"))
        form.show()
        form.submit()  # shows the validation messages next to the fields
        settle(app)
        form.grab().save(str(OUT / f"form-{lang}.png"))
        form.discard()
        window.close()
    store.close()


if __name__ == "__main__":
    main(sys.argv[1])
