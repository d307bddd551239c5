"""PDF pages as PNG images, for a preview that *is* the document (the same bytes the signature
covers, drawn by the same engine): poppler's ``pdftoppm``, when installed."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def can_rasterize() -> bool:
    return shutil.which("pdftoppm") is not None


def pdf_pages_png(pdf: bytes, dpi: int = 96, timeout: float = 60) -> list[bytes]:
    """Each page of ``pdf`` as a PNG image ([] when ``pdftoppm`` is missing)."""
    if not can_rasterize():
        return []
    with tempfile.TemporaryDirectory(prefix="preview-") as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(src), str(Path(tmp) / "page")],
                       check=True, capture_output=True, timeout=timeout)
        return [p.read_bytes() for p in sorted(Path(tmp).glob("page*.png"), key=lambda p: int(p.stem.split("-")[-1]))]
