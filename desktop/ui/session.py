"""What the windows of one logged-in session share, passed explicitly (no global app object)."""
from __future__ import annotations

from dataclasses import dataclass, field

from desktop.domain.catalogue import Catalogue
from desktop.i18n import Translator
from desktop.settings import Settings
from desktop.store.db import Store
from desktop.store.inspections import district_locator
from desktop.store.users import User
from desktop.ui.labels import Labels


@dataclass
class Session:
    store: Store
    user: User
    catalogue: Catalogue
    tr: Translator
    settings: Settings
    labels: Labels = field(init=False)
    _locator: object | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.labels = Labels(self.store, self.catalogue, self.tr)

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
