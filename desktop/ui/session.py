"""What the windows of one logged-in session share, passed explicitly (no global app object):
the open commune (store, catalogue, acting user), the language, the settings, the labels, and
the change notifier every page listens to."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.domain.catalogue import Catalogue
from desktop.i18n import Translator
from desktop.services.commune import Commune
from desktop.settings import Settings
from desktop.store.db import Store
from desktop.store.districts import district_locator
from desktop.store.users import User
from desktop.ui.labels import Labels


class ChangeNotifier(QObject):
    """Tells every page which tables a committed write touched (on the GUI thread), so that
    pages refresh themselves instead of being refreshed by whoever wrote."""

    changed = Signal(object)  # frozenset of table names


class Session:
    def __init__(self, commune: Commune, tr: Translator, settings: Settings):
        self.commune = commune
        self.tr = tr
        self.settings = settings
        self.labels = Labels(self.store, self.catalogue, self.tr)
        self.notifier = ChangeNotifier()
        self._locator: object | None = None
        self._listener = self.notifier.changed.emit  # any thread; received on the GUI's
        commune.store.add_commit_listener(self._listener)
        self.notifier.changed.connect(self._changed)

    @property
    def store(self) -> Store:
        return self.commune.store

    @property
    def user(self) -> User:
        return self.commune.actor

    @property
    def catalogue(self) -> Catalogue:
        return self.commune.catalogue

    def close(self) -> None:
        """The session ends (log out, quit): its pages stop hearing of the store's commits."""
        self.commune.store.remove_commit_listener(self._listener)

    def _changed(self, tables: frozenset[str]) -> None:
        if "district" in tables or "user" in tables:
            self.reload_labels()

    @property
    def locator(self):
        """Point-in-district lookups, built on first use (the geo engine is slow to import)."""
        if self._locator is None:
            self._locator = district_locator(self.store) or False
        return self._locator or None

    def reload_labels(self) -> None:
        """After districts or users changed."""
        self.labels = Labels(self.store, self.catalogue, self.tr)
        self._locator = None

    def set_language(self, lang: str) -> None:
        self.tr = Translator(lang)
        self.labels = Labels(self.store, self.catalogue, self.tr)
        self.settings["language"] = lang
        self.settings.save()
