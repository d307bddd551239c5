"""What the windows of one logged-in session share, passed explicitly (no global app object)."""
from __future__ import annotations

from dataclasses import dataclass, field

from desktop.domain.catalogue import Catalogue
from desktop.i18n import Translator
from desktop.settings import Settings
from desktop.store.db import Store
from desktop.store.users import User
from desktop.ui.labels import Labels


@dataclass
class Session:
    store: Store
    user: User
    catalogue: Catalogue
    tr: Translator
    settings: Settings
    locator: object | None = None  # maps.districts.DistrictLocator
    labels: Labels = field(init=False)

    def __post_init__(self) -> None:
        self.labels = Labels(self.store, self.catalogue, self.tr)

    def set_language(self, lang: str) -> None:
        self.tr = Translator(lang)
        self.labels = Labels(self.store, self.catalogue, self.tr)
        self.settings["language"] = lang
        self.settings.save()
