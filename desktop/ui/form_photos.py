"""The photos of the visit: chosen in a file dialog or dropped on the form, stored at once
(content-addressed) and shown as thumbnails."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QFileDialog, QLabel, QListWidget, QListWidgetItem, QPushButton, QWidget

from desktop.domain.model import PhotoRef
from desktop.i18n import Translator
from desktop.store.db import Store
from desktop.store.errors import StoreError
from desktop.ui.form_parts import show_message
from desktop.ui.form_section import FormSection

PHOTO_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.heic)"


class PhotoList(QListWidget):
    """Thumbnails of the photos attached (already stored content-addressed)."""

    def __init__(self, store: Store, parent=None):
        super().__init__(parent)
        self.store = store
        self.setObjectName("photos")
        self.setViewMode(QListWidget.IconMode)
        self.setIconSize(QPixmap(96, 96).size())
        self.setMaximumHeight(130)
        self.setAcceptDrops(False)  # the form takes the drops

    def add(self, ref: PhotoRef) -> None:
        if ref.sha256 in self.hashes():
            return
        pixmap = QPixmap()
        try:
            pixmap.loadFromData(self.store.attachments.read(ref.sha256))
        except StoreError:
            pass  # missing or damaged: the item shows its name without a thumbnail (check says it)
        item = QListWidgetItem(QIcon(pixmap.scaled(96, 96, Qt.KeepAspectRatio)) if not pixmap.isNull()
                               else QIcon(), ref.name)
        item.setData(Qt.UserRole, ref)
        self.addItem(item)

    def refs(self) -> list[PhotoRef]:
        return [self.item(i).data(Qt.UserRole) for i in range(self.count())]

    def hashes(self) -> set[str]:
        return {r.sha256 for r in self.refs()}


def photo_paths_from_mime(mime: QMimeData) -> list[Path]:
    """The local files dragged onto the form (anything else is ignored)."""
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []


class PhotosSection(FormSection):
    """Validation fields: ``photos``, and ``photo:<n>`` shown with them."""

    def __init__(self, store: Store, tr: Translator, parent: QWidget | None = None):
        super().__init__(tr("ui.sec_photos"), parent)
        self.store, self.tr = store, tr
        self.photos = PhotoList(store)
        add_photo = QPushButton(tr("ui.add_photo"), objectName="add_photo")
        add_photo.clicked.connect(self.choose)
        self.form.addRow(self.photos)
        self.form.addRow(add_photo)
        self.drop_hint = QLabel(tr("ui.drop_hint"))
        self.form.addRow(self.drop_hint)
        self.add_error_row("photos")

    def add_file(self, path: Path) -> bool:
        """Store the photo and show it; False (and why, under the photos) when it cannot be."""
        try:
            stored = self.store.attachments.put_photo(path)
        except StoreError as exc:
            show_message(self.errors["photos"], self.tr("store." + exc.code, **exc.params))
            return False
        show_message(self.errors["photos"], "")
        self.photos.add(PhotoRef(stored.sha256, path.name, stored.mime, stored.size))
        self.changed.emit()
        return True

    def choose(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self.window(), self.tr("ui.add_photo"), "", PHOTO_FILTER)
        for name in files:
            self.add_file(Path(name))

    def load(self, photos: list[PhotoRef]) -> None:
        self.photos.clear()
        for p in photos:
            self.photos.add(p)

    def collect(self) -> list[PhotoRef]:
        return self.photos.refs()

    def error_key(self, field: str) -> str | None:
        return "photos" if field.startswith("photo:") else super().error_key(field)
