"""Lines of mixed Arabic and French: the Unicode bidi algorithm, HarfBuzz shaping, line breaking.

A paragraph is broken into lines in logical order at spaces; each line is split into runs of one
embedding level (python-bidi's resolution of the Unicode Bidirectional Algorithm), each run is
shaped by HarfBuzz in its direction (which also mirrors brackets in right-to-left runs), and the
runs are placed in visual order. Numbers and Latin words inside Arabic stay left to right.
"""
from __future__ import annotations

from dataclasses import dataclass

from bidi import algorithm as uba

from reports.fonts import FontPair, Glyph, ShapedTTFont


@dataclass
class Run:
    font: ShapedTTFont
    glyphs: list[Glyph]

    @property
    def width(self) -> float:  # 1/1000 em
        return sum(g.advance for g in self.glyphs)


@dataclass
class Line:
    runs: list[Run]  # visual order, left to right
    size: float

    @property
    def width(self) -> float:
        return sum(r.width for r in self.runs) * self.size / 1000


def levels(text: str, rtl_base: bool) -> list[int]:
    """Resolved embedding level of each character (even: left to right)."""
    storage = uba.get_empty_storage()
    storage["base_level"] = 1 if rtl_base else 0
    storage["base_dir"] = "R" if rtl_base else "L"
    uba.get_embedding_levels(text, storage)
    uba.explicit_embed_and_overrides(storage)
    uba.resolve_weak_types(storage)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    chars = storage["chars"]
    if len(chars) != len(text):  # explicit formatting characters were dropped: keep it simple
        return [1 if rtl_base else 0] * len(text)
    return [c["level"] for c in chars]


# Control characters and explicit bidi embeddings, overrides and isolates never reach a page: an
# U+202E in a site's name would turn the text of a decision around (review L2). The application
# refuses them at entry; this is the last guard for whatever reaches the PDF engine anyway.
HIDDEN = dict.fromkeys([*(c for c in range(32) if chr(c) not in "\n\t"), 0x7F, *range(0x202A, 0x202F),
                        *range(0x2066, 0x206A)])


def visible(text: str) -> str:
    return text.translate(HIDDEN)


def shape_line(text: str, font: FontPair, size: float, rtl_base: bool) -> Line:
    text = visible(text)
    if not text:
        return Line([], size)
    lv = levels(text, rtl_base)
    runs: list[tuple[int, str]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or lv[i] != lv[start]:
            runs.append((lv[start], text[start:i]))
            start = i
    shaped = []
    for level, chunk in runs:
        rtl = level % 2 == 1
        # One directional run may need two fonts (the Arabic face has no Latin brackets, say);
        # the pieces keep the run's level, so the reordering below places them right to left.
        for f, piece in _by_coverage(chunk, font, rtl):
            shaped.append((level, Run(f, f.shape(piece, rtl=rtl))))
    # Reorder (rule L2): from the highest level down to the lowest odd one, reverse every
    # sequence of runs at that level or higher.
    order = list(range(len(shaped)))
    run_levels = [lvl for lvl, _ in shaped]
    top = max(run_levels)
    lowest_odd = min((lvl for lvl in run_levels if lvl % 2), default=top + 1)
    for level in range(top, lowest_odd - 1, -1):
        k = 0
        while k < len(order):
            if run_levels[order[k]] >= level:
                j = k
                while j < len(order) and run_levels[order[j]] >= level:
                    j += 1
                order[k:j] = reversed(order[k:j])
                k = j
            else:
                k += 1
    return Line([shaped[k][1] for k in order], size)


def _by_coverage(text: str, font: FontPair, rtl: bool) -> list[tuple[ShapedTTFont, str]]:
    """Split ``text`` into pieces each drawn by one font: the run's own font where it has the
    character, the other one where it does not."""
    main = font.for_run(rtl)
    other = font.for_run(not rtl)
    cmap = main.face.charToGlyph
    out: list[tuple[ShapedTTFont, str]] = []
    for ch in text:
        f = main if (ord(ch) in cmap or ch.isspace()) else other
        if out and out[-1][0] is f:
            out[-1] = (f, out[-1][1] + ch)
        else:
            out.append((f, ch))
    return out


def word_width(word: str, font: FontPair, size: float, rtl_base: bool) -> float:
    return shape_line(word, font, size, rtl_base).width


def break_lines(text: str, font: FontPair, size: float, width: float, rtl_base: bool) -> list[Line]:
    """Greedy line breaking at spaces (explicit newlines kept); a word longer than the line stays
    whole on its own line."""
    lines: list[Line] = []
    space = word_width(" ", font, size, rtl_base) or size * 0.25
    for paragraph in text.split("\n"):
        words = [w for w in paragraph.split(" ") if w]  # not str.split(): a no-break space binds
        if not words:
            lines.append(Line([], size))
            continue
        current: list[str] = []
        used = 0.0
        for word in words:
            w = word_width(word, font, size, rtl_base)
            if current and used + space + w > width:
                lines.append(shape_line(" ".join(current), font, size, rtl_base))
                current, used = [word], w
            else:
                used += (space if current else 0) + w
                current.append(word)
        lines.append(shape_line(" ".join(current), font, size, rtl_base))
    return lines


def draw_line(canvas, line: Line, x: float, y: float) -> None:
    """Draw ``line`` with its left edge at ``x`` and its baseline at ``y``.

    Each run is one string: a glyph's horizontal offset is folded into the advances around it
    (the glyph before ends later, this one ends earlier), so text extraction sees one unbroken
    word instead of pieces. Only a vertical offset (a mark above or below) is drawn apart.
    """
    scale = line.size / 1000
    for run in line.runs:
        font = run.font
        canvas.setFont(font.fontName, line.size)
        glyphs = run.glyphs
        widths = [g.advance for g in glyphs]
        start = x
        for k, g in enumerate(glyphs):
            if g.x_offset and not g.y_offset:
                if k:
                    widths[k - 1] += g.x_offset
                else:
                    start += g.x_offset * scale
                widths[k] -= g.x_offset
        text, pen = "", start
        for g, w in zip(glyphs, widths):
            if g.y_offset:  # a mark above or below: the text so far, then the mark in place
                if text:
                    canvas.drawString(start, y, text)
                canvas.drawString(pen + g.x_offset * scale, y + g.y_offset * scale, font.code_for(g.gid, 0.0, g.text))
                text, start = "", pen + w * scale
            else:
                text += font.code_for(g.gid, w, g.text)
            pen += w * scale
        if text:
            canvas.drawString(start, y, text)
        x += run.width * scale
