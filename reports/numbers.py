"""The one way a number with digit groups is written, in the interface and in every PDF.

Groups of three digits are joined by a no-break space (U+00A0). Its bidirectional class is
"common separator", so between two digits it joins them into one left-to-right run (Unicode
Bidirectional Algorithm, rule W4): inside Arabic text 100 000 reads "100 000", never "000 100",
as it does with an ordinary space (a neutral that splits the number into two runs laid out right
to left). The no-break space also keeps the number whole when a line breaks.
"""
from __future__ import annotations

GROUP_SEPARATOR = "\u00a0"


def grouped(value: int | float | None, decimals: int = 0, none: str = "—", comma: bool = False) -> str:
    """``value`` with its thousands grouped (``decimals`` digits after the point), ``none`` if None;
    ``comma``: the French decimal comma («1 234,5»)."""
    if value is None:
        return none
    text = f"{value:,.{decimals}f}" if decimals or isinstance(value, float) else f"{int(value):,}"
    text = text.replace(",", GROUP_SEPARATOR)
    return text.replace(".", ",") if comma else text


def decimal_text(value: float, lang: str) -> str:
    """A measured value as short as it is exact («12.5», «3»), with a decimal comma in French."""
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "fr" else text

