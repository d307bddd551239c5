"""TrueType fonts for ReportLab whose glyphs come from HarfBuzz, with a ToUnicode map back to the
source letters.

ReportLab embeds a font as characters; shaped Arabic is glyphs (initial, medial, final forms,
ligatures) that have no character of their own. Each shaped glyph is given a private code point
here, with the glyph and its HarfBuzz advance behind it, and the PDF's ToUnicode map sends that
code back to the letters it came from — so copy-paste and ``pdftotext`` read real Arabic letters,
not presentation forms or private-use codes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import uharfbuzz as hb
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import SUBSETN, TTFont

import resources

PRIVATE_START = 0xF0000  # Supplementary Private Use Area-A: never in a real text


@dataclass(frozen=True)
class Glyph:
    gid: int
    text: str          # the source letters this glyph stands for ("" for a cluster's extra glyphs)
    advance: float     # in 1/1000 em
    x_offset: float
    y_offset: float


def _to_unicode_cmap(fontname: str, subset: list[int], text_of: dict[int, str]) -> str:
    def utf16(text: str) -> str:
        return text.encode("utf-16-be").hex().upper()  # "" for the extra glyphs of a cluster
    entries = [f"<{i:02X}> <{utf16(text_of.get(v, chr(v)))}>" for i, v in enumerate(subset)]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>", "endcodespacerange", f"{len(entries)} beginbfchar", *entries,
        "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"])


class ShapedTTFont(TTFont):
    """A ReportLab TTFont plus HarfBuzz shaping and a ToUnicode map for shaped glyphs."""

    def __init__(self, name: str, path: Path):
        super().__init__(name, str(path), shapable=False)  # we shape, not ReportLab's own path
        data = path.read_bytes()
        self.hb_face = hb.Face(data)
        self.hb_font = hb.Font(self.hb_face)
        self.scale = 1000.0 / self.hb_face.upem
        self.text_of: dict[int, str] = {}
        self._glyph_codes: dict[tuple[int, float, str], int] = {}
        self._next = PRIVATE_START

    def code_for(self, gid: int, advance: float, text: str) -> str:
        """The private character standing for ``gid`` followed by an advance of ``advance``
        (1/1000 em) and read back as ``text``."""
        key = (gid, round(advance, 1), text)
        code = self._glyph_codes.get(key)
        if code is None:
            code = self._glyph_codes[key] = self._next
            self._next += 1
            self.face.charToGlyph[code] = gid
            self.face.charWidths[code] = key[1]
            self.text_of[code] = text
        return chr(code)

    def shape(self, text: str, rtl: bool) -> list[Glyph]:
        """Glyphs of one directional run, in visual order (left to right)."""
        buf = hb.Buffer()
        buf.add_str(text)
        buf.direction = "rtl" if rtl else "ltr"
        buf.script = "Arab" if rtl else "Latn"
        buf.language = "ar" if rtl else "fr"
        buf.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS
        hb.shape(self.hb_font, buf, {"kern": True, "liga": True})
        infos, positions = buf.glyph_infos, buf.glyph_positions
        clusters = sorted({i.cluster for i in infos})
        ends = {c: (clusters[k + 1] if k + 1 < len(clusters) else len(text)) for k, c in enumerate(clusters)}
        out = []
        order = range(len(infos))
        # In an RTL run HarfBuzz lists the cluster's glyphs right to left: the first glyph met in
        # logical order is the last one listed.
        first_of_cluster: dict[int, int] = {}
        for k in (reversed(order) if rtl else order):
            first_of_cluster.setdefault(infos[k].cluster, k)
        for k in order:
            info, pos = infos[k], positions[k]
            cluster_text = text[info.cluster:ends[info.cluster]] if first_of_cluster[info.cluster] == k else ""
            out.append(Glyph(info.codepoint, cluster_text, pos.x_advance * self.scale,
                             pos.x_offset * self.scale, pos.y_offset * self.scale))
        return out

    def addObjects(self, doc) -> None:
        """ReportLab's subset embedding, with our ToUnicode map (see the module docstring)."""
        try:
            state = self.state[doc]
        except KeyError:
            state = self.state[doc] = TTFont.State(self._asciiReadable)
        state.frozen = 1
        for n, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            base_name = (b"".join((SUBSETN(n), b"+", self.face.name, self.face.subfontNameX))).decode("pdfdoc")
            pdf_font = pdfdoc.PDFTrueTypeFont()
            pdf_font.__Comment__ = f"Font {self.fontName} subset {n}"
            pdf_font.Name = internal_name
            pdf_font.BaseFont = base_name
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(subset) - 1
            pdf_font.Widths = pdfdoc.PDFArray(list(map(self.face.getCharWidth, subset)))
            cmap = pdfdoc.PDFStream()
            cmap.content = _to_unicode_cmap(base_name, subset, self.text_of)
            if doc.compression:
                cmap.filters = [pdfdoc.PDFZCompress]
            pdf_font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base_name)
            pdf_font.FontDescriptor = self.face.addSubsetObjects(doc, base_name, subset)
            doc.Reference(pdf_font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = pdf_font
        del self.state[doc]


_REGISTERED: dict[str, ShapedTTFont] = {}
_FILES = {"Naskh": "NotoNaskhArabic-Regular.ttf", "Naskh-Bold": "NotoNaskhArabic-Bold.ttf",
          "Amiri": "Amiri-Regular.ttf", "Amiri-Bold": "Amiri-Bold.ttf"}


def _font(name: str) -> ShapedTTFont:
    if name not in _REGISTERED:
        font = ShapedTTFont(name, resources.path("fonts", _FILES[name]))
        pdfmetrics.registerFont(font)
        _REGISTERED[name] = font
    return _REGISTERED[name]


@dataclass(frozen=True)
class FontPair:
    """Arabic runs in Noto Naskh Arabic (every word one glyph per letter group, so text
    extraction is clean), Latin runs and numbers in Amiri's Latin (a matching book face)."""
    arabic: ShapedTTFont
    latin: ShapedTTFont

    def for_run(self, rtl: bool) -> ShapedTTFont:
        return self.arabic if rtl else self.latin


def document_font(bold: bool = False) -> FontPair:
    """The document fonts (SIL OFL), registered once per process."""
    suffix = "-Bold" if bold else ""
    return FontPair(_font("Naskh" + suffix), _font("Amiri" + suffix))
