"""Cells safe to open in a spreadsheet: no text is ever taken for a formula (review H5).

A CSV cell that starts with ``= + - @``, a tab or a carriage return is prefixed with an apostrophe
(OWASP's advice: the program then shows it as text); XLSX cells are written as strings explicitly.
"""
from __future__ import annotations

from typing import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(row: Iterable) -> list:
    return [safe_cell(v) for v in row]
