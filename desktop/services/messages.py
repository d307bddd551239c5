"""The one presenter: any refusal or failure of the world, in the user's language.

``message_for(exc, tr)`` serves the CLI and the GUI (``desktop.ui.errors.show_error``). It returns
None for anything else: that is a bug, to be logged with its traceback, never shown as raw text.
"""
from __future__ import annotations

import sys
from typing import Any

from desktop.domain.errors import Refusal
from desktop.i18n import Translator, ltr_tokens
from desktop.store.errors import StoreError

# Form fields a complaint problem can name, and the label the intake form shows for each.
FORM_LABELS = {"channel": "cp.channel", "reference": "cp.reference", "received_on": "cp.received",
               "field_code": "ui.field", "complainant": "cp.complainant", "description": "cp.description",
               "location": "cp.location"}


def message_for(exc: BaseException, tr: Translator) -> str | None:
    """The user's message for a refusal or a failure of the world; None for a bug."""
    if isinstance(exc, StoreError):
        text = tr("store." + exc.code, **_isolated(exc.params, tr))
        return f"{text}\n\n({exc.detail})" if exc.detail else text
    e: Any = exc  # classes of modules that may not be loaded are recognised without importing them
    if _is(exc, "desktop.domain.complaints", "ComplaintError") or _is(exc, "desktop.store.programmes", "ProgrammeError"):
        return complaint_message(e, tr)
    if _is(exc, "desktop.domain.validation", "ValidationFailed"):
        return "\n".join(f"- {problem_text(p.code, tr, *p.params)}" for p in e.problems)
    if isinstance(exc, Refusal):
        return tr(exc.key, **_isolated(_named_steps(exc.params, tr), tr))
    if _is(exc, "desktop.domain.catalogue", "CatalogueError"):
        return tr("catalogue.error", str(exc))
    if _is(exc, "reports.signing", "SigningError"):
        return tr("sign." + e.code, **_isolated(e.params, tr)) + (f"\n  ({e.detail})" if e.detail else "")
    if _is(exc, "reports.documents", "TemplateError"):
        return tr("sign.template_error", kind=e.kind, lang=e.lang, problem=e.problem)
    if _is(exc, "maps.layers", "LayerError"):
        text = f"{tr('layer.refused')} {tr('layer.' + e.code, **e.params)}"
        return f"{text}\n  ({e.detail})" if e.detail else text
    return None


def _isolated(params: dict, tr: Translator) -> dict:
    """In Arabic, the dates, codes and references a message names read as in French (``ltr``)."""
    return ltr_tokens(params) if tr.rtl else params


# Parameters that hold ladder steps: shown by their names in the user's language.
STEP_PARAMS = ("step", "current", "following", "allowed")


def _named_steps(params: dict, tr: Translator) -> dict:
    named = dict(params)
    for key in STEP_PARAMS:
        value = named.get(key)
        if isinstance(value, str) and value:
            named[key] = tr(f"step.{value}")
        elif isinstance(value, (tuple, list)):
            named[key] = "، ".join(tr(f"step.{s}") for s in value) if tr.rtl else ", ".join(tr(f"step.{s}") for s in value)
            named[key] = named[key] or tr("ladder.no_step")
    return named


def _is(exc: BaseException, module: str, name: str) -> bool:
    """``isinstance`` against an error class without importing its module: when the module was
    never imported, nothing can have raised its error (so the CLI and the login window start
    without paying for the PDF and geo engines, the catalogue or the complaint rules)."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))


def problem_text(code: str, tr: Translator, *args, **params) -> str:
    """A complaint, programme or validation code in the user's language."""
    for prefix in ("c.", "v."):
        text = tr(prefix + code, *args, **params)
        if text != prefix + code:
            return text
    return code


def complaint_message(exc: Refusal, tr: Translator) -> str:
    """A complaint or programme refusal: its headline, then each listed problem on its own line."""
    text = problem_text(exc.code, tr, **_isolated({k: v for k, v in exc.params.items() if k not in ("problems", "field")}, tr))
    details = exc.params.get("problems") or []
    if details and details[0][1] == exc.code and details[0][0] in FORM_LABELS:
        text = f"{tr(FORM_LABELS[details[0][0]])}: {text}"  # the headline is the first problem
        details = details[1:]
    lines = []
    for problem in details[:50]:
        label, code, reference = (*problem, "")[:3] if len(problem) >= 2 else ("", problem[0], "")
        label = tr(FORM_LABELS[label]) if label in FORM_LABELS else label
        shown = _isolated({"reference": reference}, tr)["reference"]
        lines.append(f"\n  - {label}{f' ({shown})' if reference else ''}: {problem_text(code, tr, reference=shown)}")
    return text + "".join(lines)
