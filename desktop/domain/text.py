"""Text the application records: no hidden characters."""
from __future__ import annotations

import re

# Control characters (NUL cuts SQLite's length()) and bidi overrides (U+202E turns text around in a
# decision's PDF): never in what the application records. Line breaks and tabs are allowed.
_HIDDEN = {chr(c) for c in range(32) if chr(c) not in "\n\r\t"} | {"\x7f"} | {chr(c) for c in range(0x202A, 0x202F)} | \
    {chr(c) for c in range(0x2066, 0x206A)}


_HIDDEN_SEARCH = re.compile("[" + "".join(sorted(re.escape(c) for c in _HIDDEN)) + "]").search  # one C-speed scan


def has_hidden_characters(text: str) -> bool:
    return bool(text) and _HIDDEN_SEARCH(text) is not None


def any_hidden_characters(texts) -> bool:
    """Whether one of ``texts`` has a hidden character: one scan of them all (a line break between
    two texts is not one), as ``any(has_hidden_characters(t) for t in texts)``."""
    return _HIDDEN_SEARCH("\n".join(texts)) is not None
