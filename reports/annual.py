"""The annual activity report to the governor (and any period's report) as PDF.

Takes plain data (``ReportData``: sections of paragraphs, tables, bar charts and maps, labels
already in the report's language) and lays it out: a title page, a table of contents, numbered
pages, tables that split across pages with their header repeated, vector charts
(reportlab.graphics) and maps. Arabic is shaped and right to left like the decisions.
"""
from __future__ import annotations

import io
import math
import re
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from typing import Any, Callable

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Polygon, Rect
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from shapely.geometry import shape
from shapely.ops import polylabel

from reports.bidi_layout import break_lines, draw_line
from reports.fonts import document_font
from reports.numbers import grouped

PAGE_W, PAGE_H = A4
MARGIN = 48
TEXT_W = PAGE_W - 2 * MARGIN
RAMP = ("#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026")
BAR = "#2f6f9f"


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None  # relative
    size: float = 9.5  # a wide table (the annex) takes a smaller type


@dataclass
class BarChart:
    title: str
    labels: list[str]
    values: list[float]
    unit: str = ""


@dataclass
class MapFigure:
    title: str
    polygons: list[tuple[dict, float | None, str]]   # (GeoJSON geometry, value, label)
    legend_title: str
    cells: list[tuple[float, float, float, float, int]] = field(default_factory=list)  # lon0, lat0, lon1, lat1, count
    no_data: str = "—"


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    blocks: list = field(default_factory=list)


@dataclass
class ReportData:
    lang: str
    title: str
    subtitle: str
    header: list[str]
    sections: list[Section]
    toc_title: str
    page_label: str  # e.g. "Page {n} / {total}"


class Cancelled(CancelledError):
    """``cancelled()`` answered True between two sections; no PDF is returned."""


class _Page:
    def __init__(self, canvas: Canvas, rtl: bool, page_label: str, total: int | None):
        self.c, self.rtl, self.label, self.total = canvas, rtl, page_label, total
        self.n = 1
        self.y = PAGE_H - MARGIN

    def footer(self) -> None:
        text = self.label.format(n=self.n, total=self.total or "…")
        line = break_lines(text, document_font(), 9, TEXT_W, self.rtl)[0]
        draw_line(self.c, line, (PAGE_W - line.width) / 2, 24)

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self.n += 1
        self.y = PAGE_H - MARGIN

    def need(self, height: float) -> None:
        if self.y - height < MARGIN + 20:
            self.new_page()

    def text(self, text: str, size: float = 11, bold: bool = False, align: str = "start", gap: float = 4,
             width: float = TEXT_W, x0: float = MARGIN) -> None:
        for line in break_lines(text, document_font(bold), size, width, self.rtl):
            self.need(size * 1.6)
            x = _aligned(line.width, align, self.rtl, x0, width)
            draw_line(self.c, line, x, self.y - size)
            self.y -= size * 1.5
        self.y -= gap


def _aligned(w: float, align: str, rtl: bool, x0: float, width: float) -> float:
    if align == "center":
        return x0 + (width - w) / 2
    if (align == "start") == rtl:
        return x0 + width - w
    return x0


LINE_H = 11.5  # a line inside a table cell
MAX_CELL_LINES = 3


def _cell_lines(text: str, width: float, size: float, rtl: bool, bold: bool = False) -> list:
    """A cell's text broken to its width, at most MAX_CELL_LINES lines (the last one cut)."""
    return break_lines(text, document_font(bold), size, width - 6, rtl)[:MAX_CELL_LINES]


def _cell(c: Canvas, lines: list, x0: float, width: float, y: float, rtl: bool, numeric: bool = False) -> None:
    """Draw a cell's lines from ``y`` (the first line's baseline) down."""
    for k, line in enumerate(lines):
        if numeric or rtl:  # figures line up on the right, like the Arabic text and the headers
            x = x0 + width - 3 - line.width
        else:
            x = x0 + 3
        draw_line(c, line, x, y - k * LINE_H)


def _table(p: _Page, t: Table) -> None:
    """A table whose cells wrap (headers included): no label is cut off."""
    size = t.size
    n = len(t.columns)
    rel = t.widths or [1.0] * n
    widths = [TEXT_W * r / sum(rel) for r in rel]
    xs = []  # left edge of each column, columns placed right to left in Arabic
    x = MARGIN + TEXT_W if p.rtl else MARGIN
    for w in widths:
        if p.rtl:
            x -= w
            xs.append(x)
        else:
            xs.append(x)
            x += w
    numeric = [all(_is_number(r[k]) for r in t.rows if r[k] not in ("", "—")) and any(r[k] for r in t.rows) for k in range(n)]
    # A header wraps rather than being cut («infractions pour 1» for «… pour 1 000»), a grouped
    # number in it stays whole, and a header over figures is aligned as they are.
    heads = [_cell_lines(re.sub(r"(\d) (\d{3})\b", "\\1\u00a0\\2", title), widths[k], size, p.rtl, bold=True)
             for k, title in enumerate(t.columns)]
    head_h = max(len(h) for h in heads) * LINE_H + 5.5

    def header() -> None:
        p.c.setFillColor(HexColor("#e8edf1"))
        p.c.rect(MARGIN, p.y - head_h, TEXT_W, head_h, stroke=0, fill=1)
        p.c.setFillColor(HexColor("#000000"))
        for k, lines in enumerate(heads):
            _cell(p.c, lines, xs[k], widths[k], p.y - LINE_H + 1, p.rtl, numeric=numeric[k])
        p.y -= head_h

    p.need(head_h + LINE_H * 2 + 26)
    p.text(t.title, size=11.5, bold=True, gap=2)
    header()
    for r, row in enumerate(t.rows):
        cells = [_cell_lines(str(value), widths[k], size, p.rtl) for k, value in enumerate(row)]
        row_h = max((len(c) for c in cells), default=1) * LINE_H + 5.5
        if p.y - row_h < MARGIN + 20:
            p.new_page()
            header()
        if r % 2:
            p.c.setFillColor(HexColor("#f6f8fa"))
            p.c.rect(MARGIN, p.y - row_h, TEXT_W, row_h, stroke=0, fill=1)
            p.c.setFillColor(HexColor("#000000"))
        for k, lines in enumerate(cells):
            _cell(p.c, lines, xs[k], widths[k], p.y - LINE_H + 1, p.rtl, numeric=numeric[k])
        p.y -= row_h
    p.y -= 12


def _is_number(text: str) -> bool:
    return bool(text) and text.replace(" ", "").replace("\u00a0", "").replace(",", "").replace(".", "").replace("%", "").replace("-", "").isdigit()


def _bars(p: _Page, chart: BarChart) -> None:
    """Horizontal bars (reportlab.graphics), labels and values set in the report's script."""
    row_h = 15
    height = row_h * len(chart.values) + 8
    p.need(height + 40)
    p.text(chart.title, size=11.5, bold=True, gap=2)
    label_w, value_w = TEXT_W * 0.34, 60
    bar_w = TEXT_W - label_w - value_w
    peak = max(chart.values or [1]) or 1
    drawing = Drawing(bar_w, height)
    for k, value in enumerate(chart.values):
        w = bar_w * value / peak
        y = height - (k + 1) * row_h
        drawing.add(Rect(bar_w - w if p.rtl else 0, y + 2, w, row_h - 5, fillColor=HexColor(BAR), strokeColor=None))
    bar_x = MARGIN + value_w if p.rtl else MARGIN + label_w
    renderPDF.draw(drawing, p.c, bar_x, p.y - height)
    for k, (label, value) in enumerate(zip(chart.labels, chart.values)):
        y = p.y - (k + 1) * row_h + 5
        label_x0 = MARGIN + TEXT_W - label_w if p.rtl else MARGIN
        _cell(p.c, _cell_lines(label, label_w - 4, 9, p.rtl)[:1], label_x0, label_w - 4, y, p.rtl)
        value_x0 = MARGIN if p.rtl else MARGIN + TEXT_W - value_w
        _cell(p.c, _cell_lines(f"{value:,.0f}".replace(",", "\u00a0") + chart.unit, value_w, 9, p.rtl)[:1], value_x0,
              value_w, y, p.rtl, numeric=True)
    p.y -= height + 14


def _map(p: _Page, figure: MapFigure) -> None:
    """Districts filled by class of value (quintiles), and density cells of the inspections."""
    box_w, box_h = TEXT_W, 300
    p.need(box_h + 70)
    p.text(figure.title, size=11.5, bold=True, gap=2)
    xs, ys = [], []
    for geometry, _v, _l in figure.polygons:
        for ring in _rings(geometry):
            xs += [c[0] for c in ring]
            ys += [c[1] for c in ring]
    if not xs:
        p.text(figure.no_data)
        return
    lat0 = (min(ys) + max(ys)) / 2
    kx = math.cos(math.radians(lat0))
    x0, x1, y0, y1 = min(xs) * kx, max(xs) * kx, min(ys), max(ys)
    scale = min(box_w / (x1 - x0), box_h / (y1 - y0))
    ox = MARGIN + (box_w - (x1 - x0) * scale) / 2
    oy = p.y - box_h

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return ox + (lon * kx - x0) * scale, oy + (lat - y0) * scale

    values = sorted(v for _g, v, _l in figure.polygons if v is not None)
    breaks = [values[int(len(values) * q)] for q in (0.2, 0.4, 0.6, 0.8)] if values else []
    drawing = Drawing(PAGE_W, PAGE_H)
    for geometry, value, _label in figure.polygons:
        k = sum(value > b for b in breaks) if value is not None else None
        fill = HexColor(RAMP[min(k, 4)]) if k is not None else HexColor("#d9d9d9")
        for ring in _rings(geometry):
            pts = [v for c in ring for v in xy(c[0], c[1])]
            drawing.add(Polygon(pts, fillColor=fill, strokeColor=HexColor("#51606f"), strokeWidth=0.6))
    if figure.cells:
        peak = max(c[4] for c in figure.cells) or 1
        for lon0, lat0_, lon1, lat1, count in figure.cells:
            (a, b), (c2, d) = xy(lon0, lat0_), xy(lon1, lat1)
            shade = 0.25 + 0.75 * math.log1p(count) / math.log1p(peak)
            drawing.add(Rect(a, b, c2 - a, d - b, fillColor=HexColor("#1f4e79"), fillOpacity=shade * 0.8,
                             strokeColor=None))
    renderPDF.draw(drawing, p.c, 0, 0)
    _map_labels(p, figure, xy)
    p.y -= box_h + 6
    p.text(figure.legend_title, size=9, gap=2)
    if breaks and not figure.cells:
        _legend_swatches(p, breaks)
    p.y -= 8


LABEL_SIZE = 6.5


def label_boxes(labels: list[tuple[tuple[float, float], float]], h: float) -> list[tuple[float, float, float, float]]:
    """A box (x0, y0, x1, y1) for each label (anchor, width), in order: at its anchor, else the
    nearest place up, down or to a side that covers no box already placed (else the anchor)."""
    placed: list[tuple[float, float, float, float]] = []
    for (sx, sy), w in labels:
        candidates = [(0.0, 0.0)] + [(0.0, dy * h) for dy in (1, -1, 2, -2, 3, -3)] + \
                     [(side * (w / 2 + 4), dy * h) for side in (1, -1) for dy in (0, 1, -1)]
        boxes = [(sx + dx - w / 2, sy + dy - 2, sx + dx + w / 2, sy + dy - 2 + h) for dx, dy in candidates]
        free = [b for b in boxes if not any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in placed)]
        placed.append(free[0] if free else boxes[0])
    return placed


def _map_labels(p: _Page, figure: MapFigure, xy: Callable[[float, float], tuple[float, float]]) -> None:
    """Each district's name (and value) at a point inside it, on a pale box so it reads over dark
    fills; the largest districts first, and a label that would cover one already placed moves up
    or down, or to the side, to the nearest free place (review: labels overlapped)."""
    items = []
    for geometry, value, label in figure.polygons:
        if not label:
            continue
        shape_ = shape(geometry)
        if shape_.is_empty:
            continue
        inside = polylabel(max(getattr(shape_, "geoms", [shape_]), key=lambda g: g.area), tolerance=1e-4)
        text = label if value is None else f"{label} {grouped(value, 1, comma=not p.rtl)}"
        items.append((shape_.area, xy(inside.x, inside.y), break_lines(text, document_font(), LABEL_SIZE, 140, p.rtl)[0]))
    h = LABEL_SIZE + 3
    ordered = sorted(items, key=lambda item: -item[0])
    boxes = label_boxes([(anchor, line.width + 4) for _area, anchor, line in ordered], h)
    for (_area, _anchor, line), box in zip(ordered, boxes):
        w = line.width + 4
        p.c.saveState()
        p.c.setFillColor(HexColor("#ffffff"), alpha=0.75)
        p.c.setStrokeColor(HexColor("#ffffff"), alpha=0)
        p.c.roundRect(box[0], box[1], w, h, 1.5, stroke=0, fill=1)
        p.c.restoreState()
        draw_line(p.c, line, box[0] + 2, box[1] + 2)


def _legend_swatches(p: _Page, breaks: list[float]) -> None:
    """The five classes as coloured squares, each with its range ("24.1–25.4"), written left to
    right: drawn shapes, not characters a font may lack."""
    bounds = [None, *breaks, None]
    labels = []
    for k in range(5):
        lo, hi = bounds[k], bounds[k + 1]
        fmt = lambda v: grouped(v, 1, comma=not p.rtl)  # noqa: E731 - the French decimal comma
        labels.append(f"< {fmt(hi)}" if lo is None else f"> {fmt(lo)}" if hi is None
                      else fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}–{fmt(hi)}")
    size, slot = 8.0, TEXT_W / 5
    p.need(size * 2.4)
    y = p.y - size - 2
    for k, label in enumerate(labels):
        x = MARGIN + (TEXT_W - slot * (k + 1) if p.rtl else slot * k)
        p.c.setFillColor(HexColor(RAMP[k]))
        p.c.setStrokeColor(HexColor("#51606f"))
        p.c.rect(x + (slot - 12 if p.rtl else 0), y - 1, 10, 10, fill=1, stroke=1)
        p.c.setFillColor(HexColor("#000000"))
        line = break_lines(label, document_font(), size, slot - 16, False)[0]
        draw_line(p.c, line, x + (slot - 16 - line.width if p.rtl else 14), y)
    p.y -= size * 2.2


BLOCK_RENDERERS: dict[type, Callable[[_Page, Any], None]] = {Table: _table, BarChart: _bars, MapFigure: _map}


def _rings(geometry: dict) -> list[list]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


def _render(data: ReportData, total: int | None, toc: dict[int, int], cancelled,
            section_done=lambda: None) -> tuple[bytes, dict[int, int], int]:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(data.title)
    canvas.setAuthor("commune-police")
    rtl = data.lang == "ar"
    p = _Page(canvas, rtl, data.page_label, total)
    # Title page
    p.y = PAGE_H - 120
    for k, line in enumerate(data.header):
        p.text(line, size=12, bold=k < 2, align="center", gap=0)
    p.y -= 120
    p.text(data.title, size=22, bold=True, align="center", gap=10)
    p.text(data.subtitle, size=14, align="center", gap=0)
    p.new_page()
    # Table of contents (page numbers known from the first pass)
    p.text(data.toc_title, size=16, bold=True, gap=10)
    for n, section in enumerate(data.sections):
        page_no = toc.get(n)
        p.text(f"{n + 1}. {section.title}" + (f" — {page_no}" if page_no else ""), size=11.5, gap=2)
    p.new_page()
    starts: dict[int, int] = {}
    for n, section in enumerate(data.sections):
        if cancelled():
            raise Cancelled()
        if p.y < PAGE_H - MARGIN - 1:
            p.need(140)
        starts[n] = p.n
        p.text(f"{n + 1}. {section.title}", size=15, bold=True, gap=6)
        for paragraph in section.paragraphs:
            p.text(paragraph, size=11, gap=5)
        for block in section.blocks:
            BLOCK_RENDERERS[type(block)](p, block)
        p.y -= 10
        section_done()
    p.footer()
    canvas.save()
    return buffer.getvalue(), starts, p.n


def render_report(data: ReportData, cancelled: Callable[[], bool] = lambda: False,
                  progress: Callable[[int, int], None] | None = None) -> bytes:
    """Two passes: the first finds where sections start and how many pages there are, the second
    prints the table of contents and "page n / N" with them. ``progress(done, total)`` is told
    after each section of each pass; ``cancelled()`` is polled before each section (a cancel
    raises ``Cancelled``, a ``concurrent.futures.CancelledError``)."""
    done = [0]
    total_steps = 2 * len(data.sections)

    def section_done() -> None:
        done[0] += 1
        if progress:
            progress(done[0], total_steps)
    _pdf, starts, total = _render(data, None, {}, cancelled, section_done)
    pdf, _starts, _total = _render(data, total, starts, cancelled, section_done)
    return pdf
