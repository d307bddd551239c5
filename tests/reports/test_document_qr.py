"""The QR code on each page, read back from the rasterised PDF module by module.

No QR decoder is available offline, so the test samples the centre of every module on a
pdftoppm image and compares the result with the matrix of reportlab's own QR widget (the
implementation the documents used before they drew the code as one path) for the payload.
"""
import subprocess

import pytest
from PIL import Image
from reportlab.graphics.barcode.qr import QrCodeWidget

from reports.documents import PAGE_H, QR_BORDER, QR_SIZE, qr_origin, render_document
from tests.reports.test_documents import sample

DPI = 288  # 4 pixels per point: a module (about 1.4 pt) is 5 to 6 pixels wide
PX = DPI / 72

FINDER = [[r in (0, 6) or c in (0, 6) or (2 <= r <= 4 and 2 <= c <= 4) for c in range(7)] for r in range(7)]


def expected_matrix(payload: str) -> list[list[bool]]:
    widget = QrCodeWidget(payload)  # level L and automatic version, as the documents use
    widget.qr.make()
    return [[bool(m) for m in row] for row in widget.qr.modules]


def sampled_matrix(pdf_path, page: int, lang: str, count: int) -> tuple[list[list[bool]], list[bool]]:
    """Dark/light at each module centre, and at the centre of each quiet-zone cell around it."""
    x0, y0 = qr_origin(lang)
    left, top = int(x0 * PX) - 4, int((PAGE_H - y0 - QR_SIZE) * PX) - 4
    side = int(QR_SIZE * PX) + 8
    out = pdf_path.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-f", str(page), "-l", str(page), "-x", str(left),
                    "-y", str(top), "-W", str(side), "-H", str(side), "-singlefile", str(pdf_path), str(out)],
                   check=True)
    image = Image.open(out.with_suffix(".pgm"))
    box = QR_SIZE / (count + 2 * QR_BORDER)

    def dark(row: int, col: int) -> bool:  # row/col in modules, the quiet zone included
        x = (x0 + (col + 0.5) * box) * PX - left
        y = (PAGE_H - y0 - QR_SIZE + (row + 0.5) * box) * PX - top
        return image.getpixel((int(x), int(y))) < 128

    cells = count + 2 * QR_BORDER
    modules = [[dark(r + QR_BORDER, c + QR_BORDER) for c in range(count)] for r in range(count)]
    quiet = [dark(r, c) for r in range(cells) for c in range(cells)
             if not (QR_BORDER <= r < cells - QR_BORDER and QR_BORDER <= c < cells - QR_BORDER)]
    return modules, quiet


@pytest.mark.parametrize("kind,langs", [("closure", ("ar", "fr")), ("formal_notice", ("ar",))])
def test_qr_modules_on_the_page_are_the_encoders(kind, langs, tmp_path):
    doc = sample(kind, langs)
    path = tmp_path / "doc.pdf"
    path.write_bytes(render_document(doc))
    expected = expected_matrix(f"commune-police:{kind}:12/2026:sha256={doc.content_hash()}")
    n = len(expected)
    for page, lang in enumerate(langs, 1):
        modules, quiet = sampled_matrix(path, page, lang, n)
        assert not any(quiet), "the quiet zone around the code must stay white"
        for r0, c0 in ((0, 0), (0, n - 7), (n - 7, 0)):  # the three finder patterns
            assert [row[c0:c0 + 7] for row in modules[r0:r0 + 7]] == FINDER
        wrong = [(r, c) for r in range(n) for c in range(n) if modules[r][c] != expected[r][c]]
        assert wrong == [], f"page {page}: {len(wrong)} modules differ, e.g. {wrong[:5]}"


def test_a_draft_carries_its_own_code(tmp_path):
    """The payload names the draft, so a draft's code differs from the numbered document's."""
    doc = sample("closure", ("ar",))
    doc.number = None
    path = tmp_path / "draft.pdf"
    path.write_bytes(render_document(doc))
    expected = expected_matrix(f"commune-police:closure:draft:sha256={doc.content_hash()}")
    modules, _quiet = sampled_matrix(path, 1, "ar", len(expected))
    assert modules == expected
