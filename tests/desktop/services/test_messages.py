"""The one presenter: every refusal the code can raise has its message in both languages, every
literal message key exists, and a bug is never dressed up as a message."""
import ast

from desktop.store.engine import sqlite3 as engine
from pathlib import Path

import pytest

from desktop.domain.auth import PermissionDenied
from desktop.domain.complaints import ComplaintError
from desktop.domain.errors import Refusal
from desktop.domain.ladder import LadderError
from desktop.i18n import Translator, _messages
from desktop.services.messages import message_for
from desktop.services.paperwork import NotAuthorisedToSign
from desktop.store.errors import DatabaseBug, StoreError, from_sqlite
from desktop.store.programmes import ProgrammeError

ROOT = Path(__file__).resolve().parents[3]
# Refusal classes and the prefix of their message keys.
PREFIXES = {"Refusal": Refusal.prefix, "LadderError": LadderError.prefix, "ComplaintError": ComplaintError.prefix,
            "ProgrammeError": ProgrammeError.prefix}


def _calls(name_filter):
    for path in (ROOT / "desktop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name_filter(name):
                    yield path, name, node.args[0].value


def test_every_refusal_raised_in_the_code_has_its_message():
    known = _messages()
    missing = []
    for path, name, code in _calls(lambda n: n in PREFIXES):
        key = code if "." in code else PREFIXES[name] + code
        if name in ("ComplaintError", "ProgrammeError"):  # c. then v., as problem_text looks them up
            ok = f"c.{code}" in known or f"v.{code}" in known
        else:
            ok = key in known
        if not ok:
            missing.append(f"{path.relative_to(ROOT)}: {name}({code!r})")
    assert missing == []


def test_every_literal_message_key_exists():
    known = _messages()
    missing = sorted({f"{path.relative_to(ROOT)}: {key}" for path, name, key in _calls(lambda n: n in ("tr", "self.tr"))
                      if "." in key and " " not in key and key not in known})
    assert missing == []


@pytest.mark.parametrize("lang", ["ar", "fr"])
@pytest.mark.parametrize("exc", [
    Refusal("password_too_short", min=8), Refusal("rep.period_required"), PermissionDenied("officer", "decision.sign"),
    LadderError("bad_transition", current="decision", following="closed", allowed=("notification",)),
    ComplaintError("complaint_description_short", problems=[("description", "complaint_description_short", "")]),
    StoreError("disk_full", "ENOSPC", path="/x"), StoreError("record_missing", "case 1"),
])
def test_refusals_and_failures_read_without_placeholders(exc, lang):
    text = message_for(exc, Translator(lang))
    assert text and "{" not in text and "}" not in text
    assert not any(word in text for word in ("Refusal", "Traceback", "None"))


def test_a_signer_without_delegation_is_told_which_field(store):
    from desktop.store.users import authenticate
    text = message_for(NotAuthorisedToSign(authenticate(store, "agent001", "agent-demo"), "hygiene"), Translator("fr"))
    assert "hygiene" in text and "délégation" in text


@pytest.mark.parametrize("exc", [ValueError("bad thing"), KeyError("x"), RuntimeError("boom"), AttributeError("a")])
def test_a_bug_has_no_message(exc):
    assert message_for(exc, Translator("ar")) is None


def test_an_unknown_sqlite_error_is_a_bug_not_a_database_error(store):
    with pytest.raises(DatabaseBug) as raised:
        store.query("SELECT no_such_column FROM inspection")
    assert message_for(raised.value, Translator("fr")) is None
    assert isinstance(raised.value.__cause__, engine.OperationalError)
    # the failures of the world keep their message
    full = from_sqlite(engine.OperationalError("database or disk is full"), "/x")
    assert isinstance(full, StoreError) and full.code == "disk_full"
