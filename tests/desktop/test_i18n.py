"""The translator never shows a raw placeholder, even when a caller forgets a parameter."""
import logging

from desktop.i18n import Translator


def test_a_missing_parameter_leaves_no_placeholder_and_is_logged(caplog):
    tr = Translator("fr")
    from desktop.i18n import _messages
    key = next(k for k, v in _messages().items() if "{1}" in v.get("fr", "") and "{0}" in v.get("fr", ""))
    with caplog.at_level(logging.WARNING, logger="commune_police.i18n"):
        text = tr(key, "ONLY-ONE")
    assert "ONLY-ONE" in text
    assert "{" not in text and "}" not in text
    assert any(key in r.getMessage() for r in caplog.records)


def test_named_parameters_missing_are_left_empty():
    from desktop.i18n import _messages
    tr = Translator("ar")
    key = next(k for k, v in _messages().items() if "{n}" in v.get("ar", "") and v["ar"].count("{") >= 2)
    text = tr(key, n=7)
    assert "7" in text and "{" not in text
