"""A bundle's outer JSON is read by orjson where it reads what ``json.loads`` reads, and by
``json.loads`` everywhere else: the same value, or the same refusal, for every input; a bundle
written with its outer JSON as UTF-8 opens to the same body and signature as the ASCII one."""
import json

import pytest

from desktop.domain import bundle
from desktop.domain.errors import Refusal
from desktop.domain.sync import FORMAT

CASES = [
    b'{"body": "{}", "sig": "00"}',
    b'{"a": 1, "a": 2}',  # the last one wins, for both
    b'{"body": "x", "sig": "y", "n": 18446744073709551616}',  # past 64 bits: orjson reads a float
    b'{"n": -9223372036854775809}',
    b'{"n": 18446744073709551615, "m": -9223372036854775808}',
    b'[1e400, -1e400]', b'NaN', b'{"x": Infinity}', b'-0', b'1E2', b'[0.1, -0.0, 5e-324]',
    b'"\\ud800"', b'"\xed\xa0\x80"', b'\xef\xbb\xbf{}', '{"é": 1}'.encode("utf-16-le"), b'"\xff"',
    b'"a\x01"', b'[1,]', b'{"a": 1}x', b'', b' {} ', b'"\\u0000"', b'"\\ud83d\\ude00"',
    b'[' * 990 + b']' * 990,  # deeper than orjson goes is json.loads's
    b'[' * 2000 + b']' * 2000,
    '{"body": "مخالفة « é »", "sig": "ab"}'.encode(),
]


def _tokens(value) -> list[str]:
    """Each value met, depth first, as its type and repr (1 and 1.0, -0.0 and 0.0, NaN told
    apart); not recursive: some cases are nested 990 deep."""
    out, stack = [], [value]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            out.append(f"dict{list(value)!r}")
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            out.append(f"list{len(value)}")
            stack.extend(reversed(value))
        else:
            out.append(f"{type(value).__name__}:{value!r}")
    return out


def _read(read, data):
    try:
        return "value", _tokens(read(data))
    except RecursionError:
        return "error", "RecursionError"
    except ValueError as exc:  # json.JSONDecodeError, UnicodeDecodeError
        return "error", type(exc).__name__


@pytest.mark.parametrize("data", CASES)
def test_the_outer_json_reads_as_json_loads_reads_it(data):
    assert _read(bundle._outer, data) == _read(json.loads, data)


def test_a_bundle_written_as_utf8_opens_to_the_same_body():
    private, public = bundle.new_key()
    text = json.dumps({"format": FORMAT, "kind": "pull", "schema": 1, "notes": 'مخالفة « "é" » \\ \n'},
                      ensure_ascii=False)
    ascii_, utf8 = bundle.seal_text(text, private), bundle.seal_text(text, private, utf8=True)
    assert ascii_.isascii() and not utf8.isascii() and len(utf8) < len(ascii_)
    assert json.loads(utf8) == json.loads(ascii_)
    assert bundle.open_sealed(utf8, public, kind="pull", schema=1) == json.loads(text)
    forged = utf8.replace("é".encode(), "e".encode(), 1)
    with pytest.raises(Refusal) as refused:
        bundle.open_sealed(forged, public, kind="pull", schema=1)
    assert refused.value.code == "sync.bad_signature"
