"""A bundle's wrapper is read by orjson when that gives what ``json.loads`` gives, and by
``json.loads`` otherwise: the same bundles accepted, the same values, the same refused."""
from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from desktop.domain.bundle import _outer

values = st.recursive(st.none() | st.booleans() | st.integers() | st.integers(2**63 - 2, 2**70) | st.floats()
                      | st.text(), lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6)
wrappers = st.dictionaries(st.sampled_from(["body", "sig", "x"]), st.text() | values, max_size=3)
edits = st.sampled_from(["", "bom", "utf16", "dup", "trail", "ws", "text", "nan", "surrogate", "raw_surrogate"])


def _text(wrapper: dict, edit: str) -> bytes | str:
    text = json.dumps(wrapper, ensure_ascii=edit != "raw_surrogate")
    if edit == "dup":
        text = text.replace("{", '{"body": "first", ', 1) if text != "{}" else '{"body": "a", "body": "b"}'
    elif edit == "trail":
        text += " x"
    elif edit == "ws":
        text = "\t\n " + text.replace(":", " :\r\n") + "\n"
    elif edit == "nan":
        text = text.replace("{", '{"n": NaN, ', 1) if text != "{}" else '{"n": Infinity}'
    elif edit == "surrogate":
        text = text.replace("{", '{"s": "\\ud800", ', 1) if text != "{}" else '{"s": "\\udc00x"}'
    if edit == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if edit == "utf16":
        return text.encode("utf-16")
    if edit in ("text", "raw_surrogate"):
        return text
    return text.encode("utf-8", "surrogatepass")


def _outcome(read, data):
    try:
        return "ok", json.dumps(read(data), sort_keys=True)
    except (ValueError, TypeError, UnicodeError) as exc:
        return "refused", type(exc).__name__ if not isinstance(exc, ValueError) else "ValueError"


@settings(max_examples=1500, deadline=None)
@given(wrappers, edits)
@example({"body": "{}", "sig": "ab", "x": 2**64}, "")
@example({"body": "\ud83d\ude00", "sig": "ab"}, "")
def test_the_wrapper_reads_as_json_reads_it(wrapper, edit):
    data = _text(wrapper, edit)
    assert _outcome(_outer, data) == _outcome(json.loads, data)
