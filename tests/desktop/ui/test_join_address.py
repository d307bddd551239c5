"""The first start's join page: a mistyped hub address (a port past 65535 or not a number, an
unclosed IPv6 bracket) is said on the page, not a crash."""
import pytest

from desktop.i18n import Translator
from desktop.settings import Settings
from desktop.services import first_start
from desktop.ui import first_start_dialog
from desktop.ui.first_start_dialog import FirstStartDialog


@pytest.fixture
def dialog(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(first_start.SNAPSHOT_ENV, raising=False)
    dlg = FirstStartDialog(Translator("fr"), Settings(tmp_path / "settings.json"), demo_inspections=150)
    qtbot.addWidget(dlg)
    return dlg


@pytest.mark.parametrize("url", ["https://hub.commune.ma:99999", "https://hub:abc", "https://[::1"])
def test_a_mistyped_address_is_said_on_the_page_not_shown_as_a_crash(qtbot, dialog, monkeypatch, url):
    crashes = []
    monkeypatch.setattr(first_start_dialog, "show_error", lambda _w, exc, _tr: crashes.append(repr(exc)))
    dialog.pages.setCurrentIndex(2)
    dialog.hub_url.setText(url)
    dialog.join_user.setText("agent1")
    dialog.join_password.setText("secret")
    dialog.join()
    qtbot.waitUntil(lambda: dialog.isEnabled(), timeout=10000)
    print(url, "crash dialog:", crashes, "page says:", repr(dialog.join_problem.text()))
    assert crashes == [] and dialog.join_problem.text()
