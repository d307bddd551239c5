"""Lines of mixed Arabic and French: the Unicode bidi algorithm, HarfBuzz shaping, line breaking.

A paragraph is broken into lines in logical order at spaces; each line is split into runs of one
embedding level (python-bidi's resolution of the Unicode Bidirectional Algorithm), each run is
shaped by HarfBuzz in its direction (which also mirrors brackets in right-to-left runs), and the
runs are placed in visual order. Numbers and Latin words inside Arabic stay left to right.
"""
from __future__ import annotations

from dataclasses import dataclass

from bidi import algorithm as uba

from reports.fonts import Glyph, ShapedTTFont


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


def shape_line(text: str, font: ShapedTTFont, size: float, rtl_base: bool) -> Line:
    if not text:
        return Line([], size)
    lv = levels(text, rtl_base)
    runs: list[tuple[int, str]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or lv[i] != lv[start]:
            runs.append((lv[start], text[start:i]))
            start = i
    shaped = [(level, Run(font, font.shape(chunk, rtl=level % 2 == 1))) for level, chunk in runs]
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


def word_width(word: str, font: ShapedTTFont, size: float, rtl_base: bool) -> float:
    return shape_line(word, font, size, rtl_base).width


def break_lines(text: str, font: ShapedTTFont, size: float, width: float, rtl_base: bool) -> list[Line]:
    """Greedy line breaking at spaces (explicit newlines kept); a word longer than the line stays
    whole on its own line."""
    lines: list[Line] = []
    space = word_width(" ", font, size, rtl_base) or size * 0.25
    for paragraph in text.split("\n"):
        words = paragraph.split()
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
    """Draw ``line`` with its left edge at ``x`` and its baseline at ``y``."""
    scale = line.size / 1000
    for run in line.runs:
        canvas.setFont(run.font.fontName, line.size)
        pending = ""
        start_x = x
        for g in run.glyphs:
            if g.x_offset or g.y_offset:
                if pending:
                    canvas.drawString(start_x, y, pending)
                    pending = ""
                canvas.drawString(x + g.x_offset * scale, y + g.y_offset * scale, g.char)
                x += g.advance * scale
                start_x = x
            else:
                if not pending:
                    start_x = x
                pending += g.char
                x += g.advance * scale
        if pending:
            canvas.drawString(start_x, y, pending)
