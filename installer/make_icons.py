"""Render the SVG icon into the PNG (Linux) and ICO (Windows) files the packages need.

    python installer/make_icons.py OUT_DIR
writes OUT_DIR/commune-police.png (256 px) and OUT_DIR/commune-police.ico (16 to 256 px). The
images are build products, made from installer/commune-police.svg (the one kept in git).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SVG = Path(__file__).resolve().with_name("commune-police.svg")
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(size: int) -> QImage:
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    return image


def write_ico(images: list[QImage], path: Path) -> None:
    """A Windows icon holding PNG images (the format Windows Vista and later read)."""
    import struct
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    blobs = []
    for image in images:
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.WriteOnly)
        image.save(buffer, "PNG")
        blobs.append(bytes(data))
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries = b""
    for image, blob in zip(images, blobs):
        side = image.width() if image.width() < 256 else 0  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    path.write_bytes(header + entries + b"".join(blobs))


def main(out: Path) -> None:
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - needed to paint
    out.mkdir(parents=True, exist_ok=True)
    if not render(256).save(str(out / "commune-police.png"), "PNG"):
        raise SystemExit("could not write the PNG icon")
    write_ico([render(s) for s in ICO_SIZES], out / "commune-police.ico")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
