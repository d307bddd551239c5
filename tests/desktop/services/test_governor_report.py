"""The report to the governor (legal review, section E) on a commune whose register is known: the
annex lists each document signed, apart from the ladder's steps; what the schema does not record is
said to be not recorded, never counted; officers appear as totals, not by name."""
import subprocess
from datetime import date, timedelta

from desktop.domain.catalogue import load_catalogue
from desktop.services.paperwork import draft_for_current_step
from desktop.services.report import write_report
from desktop.store.decisions import record_appeal, record_delivery, record_transmission
from desktop.store.delegations import add_delegation
from desktop.store.indicators import Scope
from tests.builders import make_case, make_user
from tests.desktop.services.test_lawful_documents import BIDI, DAY, sign, to_decision, world  # noqa: F401


def report_text(w, lang, scope=None):
    out = w["tmp"] / f"report-{lang}.pdf"
    scope = scope or Scope(date(DAY.year, 1, 1), DAY + timedelta(days=1))
    write_report(w["store"], w["commune"].catalogue, scope, lang, out)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    return BIDI.sub("", text), out


def test_the_annex_lists_each_signed_document_with_its_register_facts(world):  # noqa: F811
    w = world
    cat = load_catalogue()
    case_id = make_case(w["store"], w["officer"], cat, ["HYG-01"])
    to_decision(w, case_id, DAY - timedelta(days=40))
    closure = draft_for_current_step(w["commune"], case_id)
    number = sign(w, closure)
    record_delivery(w["store"], w["coord"], closure, DAY - timedelta(days=2), "huissier", "le gérant")
    record_transmission(w["store"], w["coord"], closure, DAY - timedelta(days=1), DAY, "sans observation")
    record_appeal(w["store"], w["coord"], closure, DAY, "TA-77/2026")
    sign(w, draft_for_current_step(w["commune"], make_case(w["store"], w["officer"], cat, ["URB-01"])))  # a letter
    add_delegation(w["store"], w["president"], make_user(w["store"], "coordinator"), "9/2026", DAY - timedelta(days=30),
                   "art103", ["cleanliness"], "النظافة", "propreté", "النائب الثاني", "Deuxième vice-président",
                   DAY - timedelta(days=30), bo_number="77", bo_date=DAY - timedelta(days=20))
    text, _pdf = report_text(w, "fr")
    annex = text[text.rindex("Annexe : liste des documents signés"):]
    # the closure, then the notice, then the letter: each series numbered on its own (1, 1, 1)
    closure_line = next(line for line in annex.splitlines() if f"{number}/{DAY.year}" in line and "fermeture" in line)
    for day in (DAY - timedelta(days=2), DAY - timedelta(days=1), DAY):
        assert day.strftime("%d/%m/%Y") in closure_line
    assert "sans" in closure_line  # the governor's observation (wrapped in its cell)
    assert annex.index("fermeture") < annex.index("Mise en demeure") < annex.index("Saisine")
    assert "Documents signés pendant la période : 1 arrêté · 1 mise en demeure · 1 lettre" in " ".join(text.split())
    assert "TA-77/2026" in text and "Recours enregistrés contre les documents signés pendant la période : 1" in text
    flat = " ".join(text.split())
    assert "Ordres de recettes émis non enregistré dans l'application" in flat
    assert "Deuxième vice-président" in flat and "77 — " in flat  # the delegation in force with its BO-CT
    for officer in (w["officer"], w["coord"]):  # officers as totals, never by name
        assert officer.full_name_fr not in text
    assert "Règlement communal d'hygiène" in flat and "non confirmé" in flat
    assert "Indicateurs d'équité" in flat


def test_the_arabic_report_counts_and_names_the_sections(world):  # noqa: F811
    w = world
    sign(w, draft_for_current_step(w["commune"], make_case(w["store"], w["officer"], load_catalogue(), ["URB-01"])))
    text, _pdf = report_text(w, "ar")
    flat = "".join(text.split())  # pdftotext moves the spaces around numbers and colons in Arabic
    assert "ملحق:قائمةالوثائقالموقعة" in flat and "التفويضاتالسارية" in flat and "غيرمسجلفيالتطبيق" in flat
    assert "قرار·0إعذار·1مراسلة" in flat  # counted nouns (reports/counting.py)
    # the communal regulations' references in Arabic, not the catalogue's French wording
    assert "تُدرجهالجماعة".replace("ُ", "") in flat.replace("ُ", "") and "àcompléter" not in flat


def test_a_comparison_with_a_period_the_data_do_not_cover_is_flagged(world):  # noqa: F811
    from tests.builders import make_inspection
    w = world
    cat = load_catalogue()
    at = lambda d: d.strftime("%Y-%m-%dT10:00:00Z")  # noqa: E731
    make_inspection(w["store"], w["officer"], cat, field_code="hygiene", inspected_at=at(DAY - timedelta(days=40)))
    for k in range(3):
        make_inspection(w["store"], w["officer"], cat, field_code="hygiene", inspected_at=at(DAY - timedelta(days=k + 1)))
    scope = Scope(DAY - timedelta(days=30), DAY + timedelta(days=1))  # previous: 61 to 31 days ago, data from day 40
    text, _pdf = report_text(w, "fr", scope)
    flat = " ".join(text.split())
    # flagged, and no percentage against a period the data do not cover (usability review 17)
    assert "+200%" not in flat and "la période précédente n'est pas entièrement couverte" in flat
    make_inspection(w["store"], w["officer"], cat, field_code="hygiene", inspected_at=at(DAY - timedelta(days=15)))
    covered = Scope(DAY - timedelta(days=10), DAY + timedelta(days=1))  # previous: 21 to 11 days ago, after day 40
    text, _pdf = report_text(w, "fr", covered)
    flat = " ".join(text.split())
    # covered, but one inspection is too few for a percentage: the count alone, not flagged
    assert "+200%" not in flat and "pas entièrement couverte" not in flat
    assert "Période précédente de même durée : 1 contrôle" in flat
