"""validate_document: the template problems rendering would meet, found without drawing a PDF."""
import copy
import json

import pytest

from reports.documents import TemplateError, load_templates, render_document, validate_document
from tests.reports.test_documents import pdf_text, sample

KINDS = list(load_templates()["documents"])


@pytest.fixture(scope="module")
def templates():
    return load_templates()


@pytest.mark.parametrize("kind", KINDS)
def test_every_shipped_template_validates(kind):
    validate_document(sample(kind, ("ar", "fr")))  # loads the shipped file itself
    validate_document(sample(kind, ("ar",)))


def test_unknown_placeholder_names_kind_language_and_problem(templates):
    broken = copy.deepcopy(templates)
    broken["documents"]["closure"]["fr"]["articles"].append("Le site est peint en {site_colour}.")
    with pytest.raises(TemplateError) as err:
        validate_document(sample("closure", ("ar", "fr")), broken)
    assert (err.value.kind, err.value.lang, err.value.problem) == ("closure", "fr", "unknown placeholder {site_colour}")
    assert str(err.value) == "template closure/fr: unknown placeholder {site_colour}"


def test_only_the_documents_languages_are_checked(templates):
    broken = copy.deepcopy(templates)
    broken["documents"]["closure"]["fr"]["articles"].append("{site_colour}")
    validate_document(sample("closure", ("ar",)), broken)  # the French text is not used
    render_document(sample("closure", ("ar",)), broken)


def _mutations():
    """(name, change to the templates, document kind, langs), each a template problem or none."""
    def article(kind, lang, text):
        return lambda t: t["documents"][kind][lang]["articles"].append(text)

    def drop(kind, lang, part):
        return lambda t: t["documents"][kind][lang].pop(part)

    return [
        ("unknown placeholder", article("closure", "ar", "يغلق {site_colour}"), "closure", ("ar",)),
        ("positional field", article("removal", "fr", "Article {0}"), "removal", ("ar", "fr")),
        ("attribute of a value", article("closure", "fr", "{owner.upper}"), "closure", ("ar", "fr")),
        ("lone brace", article("withdrawal", "ar", "المادة {owner"), "withdrawal", ("ar",)),
        ("closing brace", article("withdrawal", "fr", "Article }"), "withdrawal", ("ar", "fr")),
        ("bad conversion", article("closure", "ar", "{owner!z}"), "closure", ("ar",)),
        ("number format on text", article("stop_and_fee", "fr", "{deadline_days:d} jours"), "stop_and_fee", ("ar", "fr")),
        ("missing part", drop("ruin_order", "fr", "appeal"), "ruin_order", ("ar", "fr")),
        ("missing language", lambda t: t["documents"]["closure"].pop("fr"), "closure", ("ar", "fr")),
        ("unknown kind", lambda t: t["documents"].pop("closure"), "closure", ("ar",)),
        ("no Arabic in the document", lambda t: None, "closure", ("fr",)),
        ("a known placeholder without a value", article("closure", "ar", "{complainant}"), "closure", ("ar",)),
        ("nothing wrong", lambda t: None, "formal_notice", ("ar", "fr")),
    ]


def _outcome(fn, *args):
    try:
        fn(*args)
    except TemplateError as exc:
        return type(exc), exc.kind, exc.lang, exc.problem
    return None


@pytest.mark.parametrize("name,change,kind,langs", _mutations(), ids=[m[0] for m in _mutations()])
def test_validation_and_rendering_agree(templates, name, change, kind, langs):
    changed = copy.deepcopy(templates)
    change(changed)
    doc = sample(kind, langs)
    expected_ok = name in ("nothing wrong", "a known placeholder without a value")
    validated = _outcome(validate_document, doc, changed)
    assert validated == _outcome(render_document, doc, changed)
    assert (validated is None) == expected_ok, validated
    if validated:
        assert validated[1] == kind and validated[3]


def test_a_known_placeholder_without_a_value_shows_an_ellipsis(templates, tmp_path):
    """Not a template problem: the drafting code leaves unknown facts as "…" for the clerk."""
    full, doc = sample("closure", ("ar",)), sample("closure", ("ar",))
    del doc.values_ar["reinspection_date"]
    validate_document(doc, templates)
    before = pdf_text(render_document(full, templates), tmp_path)
    after = pdf_text(render_document(doc, templates), tmp_path)
    assert "15/04/2026" in before and "15/04/2026" not in after
    assert after.count("…") == before.count("…") + 1  # the digest under the QR code has one too


def test_malformed_templates_file_is_refused_as_a_template_error(templates, tmp_path):
    broken = copy.deepcopy(templates)
    broken["documents"]["removal"]["ar"]["visas"].append("وبناء على {legal_bases")
    path = tmp_path / "templates.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(TemplateError) as err:
        load_templates(path)
    assert (err.value.kind, err.value.lang) == ("removal", "ar") and "malformed" in err.value.problem
