"""Lawful documents (legal review 2026-11), on real cases of an empty commune, checked on the PDF.

Each violation family is taken the real way: an inspection opens the case, the documents its steps
call for are drafted, signed (PAdES), delivered; the signed PDF is read back with pdftotext. Signing
is refused while a fact the document cites was not recorded or a cited basis is unconfirmed."""
import json
import re
import subprocess
from datetime import date, timedelta

import pytest

from desktop.domain.catalogue import load_catalogue
from desktop.domain.errors import Refusal
from desktop.services.commune import Commune
from desktop.services.paperwork import (decision_pdf, draft_decision, draft_for_current_step, kind_for_current_step,
                                        sign_decision)
from desktop.store.cases import advance, current_step, record_case_fact
from desktop.store.decisions import document, record_delivery, signed_pdf
from tests.builders import make_case, make_user

PASSWORD = "test-cert-password"
BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
DAY = date.today()


@pytest.fixture
def world(empty_commune, tmp_path, catalogue):
    from reports.pki import issue_signer, make_ca, write_cert_pem, write_pkcs12
    store = empty_commune
    president, coord, officer = (make_user(store, r) for r in ("president", "coordinator", "officer"))
    from desktop.services.verification import bind_certificate, set_trust_anchor
    ca = make_ca("Commune de test")
    set_trust_anchor(store, president, ca.cert)  # the commune's own authority (issue 11)
    p12 = tmp_path / "president.p12"
    signer = issue_signer(ca, "Président de test", "Commune de test")
    write_pkcs12(p12, signer, ca, PASSWORD)
    bind_certificate(store, president, president.username, signer.cert)
    write_cert_pem(tmp_path / "ca.pem", ca.cert)
    commune = Commune(store.path, store, catalogue, user=president)
    return {"store": store, "commune": commune, "president": president, "coord": coord, "officer": officer, "p12": p12,
            "tmp": tmp_path, "ca": ca}


def sign(w, decision_id):
    return sign_decision(w["commune"], decision_id, w["p12"], PASSWORD, DAY)


def text_of(w, decision_id) -> str:
    path = w["tmp"] / f"{decision_id}.pdf"
    path.write_bytes(signed_pdf(w["store"], decision_id))
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    import os
    if os.environ.get("DUMP_PDF"):
        import shutil
        shutil.copy(path, os.environ["DUMP_PDF"] + f"-{len(os.listdir(os.path.dirname(os.environ['DUMP_PDF'])))}.pdf")
    return " ".join(BIDI.sub("", out).split())


def pages_of(w, decision_id) -> list[str]:
    path = w["tmp"] / f"{decision_id}-pages.pdf"
    path.write_bytes(signed_pdf(w["store"], decision_id))
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(BIDI.sub("", page).split()) for page in out.split("\f") if page.strip()]


def flat(text: str) -> str:
    """Without spaces: pdftotext moves the space around a number inside Arabic."""
    return re.sub(r"\s+", "", text)


def arabic_page(text: str) -> str:
    return text.split("Royaume du Maroc")[0]


def no_placeholder_left(text: str) -> None:
    text = re.sub(r"…?\s*(SHA-256)?\s*[0-9a-f]{32}\s*…?\s*(SHA-256)?", " ", text)  # the QR digest's line aside
    assert "—" not in text and "(?)" not in text and "{" not in text and "…" not in text


def signed_delivered_notice(w, case_id, delivered_on):
    notice = draft_for_current_step(w["commune"], case_id)
    sign(w, notice)
    record_delivery(w["store"], w["coord"], notice, delivered_on, "main propre", "le gérant")
    return notice


def to_decision(w, case_id, notice_delivered=DAY - timedelta(days=40)):
    """Notice signed and delivered, re-inspection done after its deadline, decision step open."""
    signed_delivered_notice(w, case_id, notice_delivered)
    advance(w["store"], w["coord"], case_id, "reinspection", "notice served", on=notice_delivered)
    advance(w["store"], w["coord"], case_id, "decision", "not complied", on=notice_delivered + timedelta(days=35))


def visa_order(text: str, *markers: str) -> None:
    where = [text.index(m) for m in markers]
    assert where == sorted(where), list(zip(markers, where))


def test_closure_of_a_food_business_follows_a_delivered_notice(world):
    w = world
    case_id = make_case(w["store"], w["officer"], load_catalogue(), ["HYG-01"])
    assert kind_for_current_step(w["commune"], case_id) == "formal_notice"
    delivered = DAY - timedelta(days=40)
    to_decision(w, case_id, delivered)
    assert kind_for_current_step(w["commune"], case_id) == "closure"
    closure = draft_for_current_step(w["commune"], case_id)
    number = sign(w, closure)
    text = text_of(w, closure)
    ar = arabic_page(text)
    no_placeholder_left(text)
    assert "قرار بالإغلاق المؤقت لمحل" in ar and f"{number}/{DAY.year}" in ar
    assert "إن رئيس مجلس جماعة الاختبار" in ar and "يقرر ما يلي" in ar and "المادة الأولى" in ar and "المادة الثالثة" in ar
    assert delivered.strftime("%d/%m/%Y") in ar  # the notice's delivery, not a step's opening
    # Visas: one per text, organic law, then laws, then the decree; the decree's articles sorted.
    visa_order(ar, "القانون التنظيمي رقم 113.14", "القانون رقم 28.07", "المرسوم رقم 2.10.473")
    assert flat("ولا سيما المواد 5.3 و17 و18 منه") in flat(ar) and ar.count("القانون التنظيمي رقم 113.14") == 2  # visa + appeal
    assert "الظهير الشريف رقم 1.02.202" in ar  # Law 03-01 with its dahir
    assert "265" in ar and "266" in ar and "المحكمة الإدارية بالدار البيضاء" in ar and "41.90" in ar
    assert "رئيس مجلس جماعة الاختبار" in ar  # the signatory's exact capacity
    fr = text.split("Royaume du Maroc")[1]
    assert "Le Président du Conseil de la commune de test," in fr and "ARRÊTE" in fr and "Article premier" in fr
    assert "Vu le dahir n° 1-15-85" in fr


def test_signing_refuses_each_missing_fact(world):
    w = world
    cat = load_catalogue()
    case_id = make_case(w["store"], w["officer"], cat, ["HYG-01"])
    # A closure drafted with no notice: notice number and date missing, no re-inspection.
    early = draft_decision(w["commune"], case_id, "closure")
    with pytest.raises(Refusal) as refused:
        sign(w, early)
    assert refused.value.code == "missing_facts"
    assert set(refused.value.params["facts"].split(", ")) == {"notice_ref", "notice_date", "reinspection_date"}
    # The notice signed but not delivered: its date is still missing (deadlines run from delivery).
    notice = draft_for_current_step(w["commune"], case_id)
    sign(w, notice)
    undelivered = draft_decision(w["commune"], case_id, "closure")
    with pytest.raises(Refusal, match="notice_date"):
        sign(w, undelivered)
    record_delivery(w["store"], w["coord"], notice, DAY - timedelta(days=20), "main propre", "le gérant")
    no_reinspection = draft_decision(w["commune"], case_id, "closure")
    with pytest.raises(Refusal) as refused:
        sign(w, no_reinspection)
    assert refused.value.params["facts"] == "reinspection_date"
    # Nothing was numbered by the refusals: the drafts stay drafts.
    assert w["store"].scalar("SELECT count(*) FROM decision WHERE status = 'signed'") == 1


def test_signing_refuses_an_unconfirmed_basis_until_the_commune_records_it(world, tmp_path):
    w = world
    case_id = make_case(w["store"], w["officer"], load_catalogue(), ["HYG-08"])  # rests on the hygiene regulation only
    notice = draft_for_current_step(w["commune"], case_id)
    with pytest.raises(Refusal) as refused:
        sign(w, notice)
    assert refused.value.code == "unconfirmed_basis" and "النظام الجماعي لحفظ الصحة" in refused.value.params["bases"]
    extension = tmp_path / "catalogue.d"
    extension.mkdir()
    (extension / "rch.json").write_text(json.dumps({"catalogue_version": 1, "legal_texts": {"RCH": {
        "ar": "القرار التنظيمي الجماعي رقم 12 المتعلق بحفظ الصحة", "fr": "Arrêté réglementaire communal n° 12 relatif à l'hygiène",
        "reference": "BO-CT n° 45 du 01/03/2025", "confirmed": True, "rank": 3}}}), encoding="utf-8")
    w["commune"].loaded_catalogue = load_catalogue(extension)
    notice = draft_for_current_step(w["commune"], case_id)
    sign(w, notice)
    ar = arabic_page(text_of(w, notice))
    no_placeholder_left(ar)
    assert "القرار التنظيمي الجماعي رقم 12" in ar and "يعذر" in ar and "يقرر" not in ar
    visa_order(ar, "القانون التنظيمي رقم 113.14", "القانون رقم 03.01", "القرار التنظيمي الجماعي رقم 12")


def test_unauthorised_occupation_gets_the_art27_notice_at_once(world):
    w = world
    case_id = make_case(w["store"], w["officer"], load_catalogue(), ["DOM-01"])
    assert current_step(w["store"], case_id).step == "decision"
    assert kind_for_current_step(w["commune"], case_id) == "stop_and_fee"
    notice = draft_for_current_step(w["commune"], case_id)
    sign(w, notice)
    text = text_of(w, notice)
    ar = arabic_page(text)
    no_placeholder_left(text)
    assert "في الحال" in ar and "أمر بالتحصيل" in ar and "أضعاف" in ar and "30" not in ar.split("رقم")[2][:200]
    assert flat("ولا سيما المواد 26 و27 منه") in flat(ar)  # the sworn agents' report, art. 27
    assert "يقرر ما يلي" not in ar and "ARRÊTE" not in text  # a notice, not an arrêté
    assert "Met en demeure" in text


def test_withdrawal_names_the_permit_withdrawn(world):
    w = world
    case_id = make_case(w["store"], w["officer"], load_catalogue(), ["DOM-03"])
    to_decision(w, case_id)
    assert kind_for_current_step(w["commune"], case_id) == "withdrawal"
    draft = draft_for_current_step(w["commune"], case_id)
    with pytest.raises(Refusal) as refused:
        sign(w, draft)
    assert refused.value.params["facts"] == "permit_ref, permit_date"
    record_case_fact(w["store"], w["coord"], case_id, "permit_ref", "77/2024")
    record_case_fact(w["store"], w["coord"], case_id, "permit_date", "2024-05-02")
    draft = draft_for_current_step(w["commune"], case_id)
    sign(w, draft)
    ar = arabic_page(text_of(w, draft))
    no_placeholder_left(ar)
    assert "77/2024" in ar and "02/05/2024" in ar and "تسحب" in ar and flat("المواد 21 و24 منه") in flat(ar)


@pytest.mark.parametrize("code, kind, words", [
    ("CLE-01", "removal", ("على نفقة المخالف", "107")),           # waste: removal at the offender's cost
    ("URB-06", "removal", ("على نفقة المخالف", "107")),           # rubble on the road: no dwelling closed
    ("DOM-04", "removal", ("المادة 25",)),                        # expired permit: art. 25, not a withdrawal
    ("STRANI-01", "injunction", ("يؤمر", "107")),
])
def test_no_closure_where_no_text_allows_it(world, code, kind, words):
    w = world
    case_id = make_case(w["store"], w["officer"], load_catalogue(), [code])
    to_decision(w, case_id)
    assert kind_for_current_step(w["commune"], case_id) == kind
    draft = draft_for_current_step(w["commune"], case_id)
    sign(w, draft)
    ar = arabic_page(text_of(w, draft))
    no_placeholder_left(ar)
    assert "يغلق" not in ar and "الإغلاق" not in ar and all(x in ar for x in words)
    assert "يقرر ما يلي" in ar and "المادة الأولى" in ar and "265" in ar


def test_ruin_order_rests_on_the_expertise_and_has_the_urgent_appeal(world):
    w = world
    case_id = make_case(w["store"], w["officer"], load_catalogue(), ["RUIBUI-01"])
    draft = draft_for_current_step(w["commune"], case_id)
    with pytest.raises(Refusal, match="expertise_ref"):
        sign(w, draft)
    record_case_fact(w["store"], w["coord"], case_id, "expertise_ref", "EXP-2026-31")
    record_case_fact(w["store"], w["coord"], case_id, "expertise_date", (DAY - timedelta(days=3)).isoformat())
    draft = draft_for_current_step(w["commune"], case_id)
    sign(w, draft)
    text = text_of(w, draft)
    ar = arabic_page(text)
    no_placeholder_left(text)
    assert "EXP-2026-31" in ar and "آيلة للسقوط" in ar and "وكيل اتحاد الملاك" in ar and "شاغلوها" in ar
    # The signature does not stand alone on a page: an article is printed on the page it closes.
    for page in pages_of(w, draft):
        if "حرر ب" in page or "Fait à" in page:
            assert "المادة" in page or "Article" in page, page
    assert "عن طريق السلطة الإدارية المحلية" in ar and "قاضيا للأمور المستعجلة" in ar and "يوقف الطعن" in ar
    assert "عشرة (10) أيام" in ar.replace("( 10)", "(10)").replace("(10 )", "(10)") or "عشرة" in ar


def test_letters_are_letters(world):
    w = world
    cat = load_catalogue()
    referral_case = make_case(w["store"], w["officer"], cat, ["URB-01"])
    letter = draft_for_current_step(w["commune"], referral_case)
    sign(w, letter)
    text = text_of(w, letter)
    ar = arabic_page(text)
    no_placeholder_left(text)
    assert "الموضوع" in ar and "مراقبو التعمير" in ar and "والسلام" in ar
    from desktop.store.decisions import register
    row = next(r for r in register(w["store"], DAY.year) if r["id"] == letter)
    assert row["oversight_class"] == "letter" and row["governor_due"] is None  # no art. 116 deadline for a letter
    assert "يقرر" not in ar and "المادة الأولى" not in ar and "265" not in ar and "ARRÊTE" not in text
    # The public-force request cites the decision's own delivery, not the notice's.
    case_id = make_case(w["store"], w["officer"], cat, ["HYG-01"])
    to_decision(w, case_id, DAY - timedelta(days=60))
    closure = draft_for_current_step(w["commune"], case_id)
    sign(w, closure)
    decided = DAY - timedelta(days=10)
    record_delivery(w["store"], w["coord"], closure, decided, "huissier", "le gérant")
    advance(w["store"], w["coord"], case_id, "execution", "not executed")
    request = draft_for_current_step(w["commune"], case_id)
    sign(w, request)
    ar = arabic_page(text_of(w, request))
    no_placeholder_left(ar)
    assert decided.strftime("%d/%m/%Y") in ar and "استخدام القوة العمومية" in ar and "المادة 108" in ar
    assert "تسخير" not in ar and "يقرر" not in ar


def _delegate_p12(w, name, user):
    """A certificate of the commune's authority, registered on ``user``'s account."""
    from desktop.services.verification import bind_certificate
    from reports.pki import issue_signer, write_pkcs12
    path = w["tmp"] / f"{name}.p12"
    signer = issue_signer(w["ca"], name, "Commune de test")
    write_pkcs12(path, signer, w["ca"], PASSWORD)
    bind_certificate(w["store"], w["president"], user.username, signer.cert)
    return path


def test_a_delegation_signs_only_once_published_and_is_cited_among_the_visas(world):
    from desktop.services.paperwork import NotAuthorisedToSign
    from desktop.store.delegations import add_delegation, record_publication
    w = world
    vp = make_user(w["store"], "coordinator")
    with pytest.raises(Refusal, match="delegation_all_fields"):
        add_delegation(w["store"], w["president"], vp, "4/2026", DAY - timedelta(days=30), "art103", ["*"],
                       "الكل", "tout", "النائب الأول", "Premier vice-président", DAY - timedelta(days=30))
    delegation = add_delegation(w["store"], w["president"], vp, "4/2026", DAY - timedelta(days=30), "art103", ["cleanliness"],
                                "النظافة", "propreté", "النائب الأول للرئيس", "Premier vice-président", DAY - timedelta(days=30))
    case_id = make_case(w["store"], w["officer"], load_catalogue(), ["CLE-01"])
    notice = draft_for_current_step(w["commune"], case_id)
    as_vp = Commune(w["store"].path, w["store"], w["commune"].catalogue, user=vp)
    p12 = _delegate_p12(w, "vp", vp)
    with pytest.raises(Refusal, match="delegation_not_published"):
        sign_decision(as_vp, notice, p12, PASSWORD, DAY)
    record_publication(w["store"], w["president"], delegation, "61", DAY + timedelta(days=2))
    with pytest.raises(Refusal, match="delegation_not_published"):  # not before the BO-CT's date
        sign_decision(as_vp, notice, p12, PASSWORD, DAY)
    record_publication(w["store"], w["president"], delegation, "61", DAY - timedelta(days=5))
    sign_decision(as_vp, notice, p12, PASSWORD, DAY)
    ar = arabic_page(text_of(w, notice))
    assert "وبناء على قرار التفويض رقم 4/2026" in ar and "الجريدة الرسمية للجماعات الترابية عدد 61" in ar
    assert "عن الرئيس وبتفويض منه" in ar  # art. 103: delegation of signature
    other = make_case(w["store"], w["officer"], load_catalogue(), ["STRANI-01"])
    with pytest.raises(NotAuthorisedToSign):  # outside the delegated sector
        sign_decision(as_vp, draft_for_current_step(w["commune"], other), p12, PASSWORD, DAY)


def test_an_art236_delegation_covers_its_arrondissement_only(world):
    from desktop.services.paperwork import NotAuthorisedToSign
    from desktop.store.delegations import add_delegation
    from tests.builders import make_district, make_site
    w = world
    mine, other = make_district(w["store"]), make_district(w["store"])
    delegate = make_user(w["store"], "coordinator", district_id=mine)
    with pytest.raises(Refusal, match="delegation_district_required"):
        add_delegation(w["store"], w["president"], delegate, "5/2026", DAY - timedelta(days=30), "art236", ["cleanliness"],
                       "النظافة", "propreté", "رئيس المقاطعة", "Président d'arrondissement", DAY - timedelta(days=30))
    add_delegation(w["store"], w["president"], delegate, "5/2026", DAY - timedelta(days=30), "art236", ["cleanliness"],
                   "النظافة", "propreté", "رئيس مقاطعة الاختبار", "Président de l'arrondissement", DAY - timedelta(days=30),
                   bo_number="62", bo_date=DAY - timedelta(days=10), district_id=mine)
    as_delegate = Commune(w["store"].path, w["store"], w["commune"].catalogue, user=delegate)
    p12 = _delegate_p12(w, "arr", delegate)
    elsewhere = make_case(w["store"], w["officer"], load_catalogue(), ["CLE-01"], site_id=make_site(w["store"], district_id=other))
    with pytest.raises(NotAuthorisedToSign):
        sign_decision(as_delegate, draft_for_current_step(w["commune"], elsewhere), p12, PASSWORD, DAY)
    here = make_case(w["store"], w["officer"], load_catalogue(), ["CLE-01"], site_id=make_site(w["store"], district_id=mine))
    notice = draft_for_current_step(w["commune"], here)
    sign_decision(as_delegate, notice, p12, PASSWORD, DAY)
    ar = arabic_page(text_of(w, notice))
    assert "رئيس مقاطعة الاختبار" in ar and "عن الرئيس وبتفويض منه" not in ar  # delegated competence, own capacity
    assert "قرار التفويض رقم 5/2026" in ar


def test_the_report_counts_signed_arretes_apart_from_notices_and_letters(world):
    from desktop.store.indicators import _decisions
    from desktop.domain.ladder import document_series
    w = world
    assert [document_series(k) for k in ("closure", "formal_notice", "stop_and_fee", "referral_letter", "ruin_order")] == \
        ["arrete", "notice", "notice", "letter", "arrete"]
    cat = load_catalogue()
    case_id = make_case(w["store"], w["officer"], cat, ["HYG-01"])
    to_decision(w, case_id)
    sign(w, draft_for_current_step(w["commune"], case_id))
    sign(w, draft_for_current_step(w["commune"], make_case(w["store"], w["officer"], cat, ["URB-01"])))

    class Scope:
        start, end = DAY - timedelta(days=1), DAY + timedelta(days=1)
    counts = _decisions(w["store"], Scope)
    assert (counts["signed"], counts["notices"], counts["letters"]) == (1, 1, 1)


def test_imminent_danger_has_its_own_order_without_suspension(world):
    w = world
    case_id = make_case(w["store"], w["officer"], load_catalogue(), ["RUIBUI-01"])
    record_case_fact(w["store"], w["coord"], case_id, "expertise_ref", "EXP-2026-40")
    record_case_fact(w["store"], w["coord"], case_id, "expertise_date", DAY.isoformat())
    order = draft_decision(w["commune"], case_id, "ruin_imminent")
    sign(w, order)
    ar = arabic_page(text_of(w, order))
    no_placeholder_left(ar)
    assert "خطر حال" in ar and "لا يوقف الطعن" in ar and "يوقف الطعن تنفيذ القرار" not in ar
    assert "EXP-2026-40" in ar and flat("المواد 6 و12 و17 و18 و20 منه") in flat(ar)


def test_a_complaint_acknowledgement_bears_the_day_of_receipt(store, catalogue, tmp_path):
    from desktop.services.paperwork import complaint_letter
    from desktop.store.users import authenticate
    row = store.query("SELECT id, received_on FROM complaint WHERE received_on < ? ORDER BY received_on LIMIT 1",
                      ((DAY - timedelta(days=30)).isoformat(),))[0]
    commune = Commune(store.path, store, catalogue, user=authenticate(store, "president", "president-demo"))
    path = tmp_path / "ack.pdf"
    path.write_bytes(complaint_letter(commune, row["id"], "complaint_ack", ("ar", "fr")))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    received = date.fromisoformat(row["received_on"][:10])
    from reports.documents import MONTHS_FR
    assert f"({received.day} {MONTHS_FR[received.month - 1]} {received.year})" in text
    assert f"({DAY.day} {MONTHS_FR[DAY.month - 1]} {DAY.year})" not in text  # not the day it is printed


def test_the_ladder_waits_for_the_notice_to_be_signed_delivered_and_run_out(world):
    from desktop.domain.ladder import LadderError
    w = world
    cat = load_catalogue()
    case_id = make_case(w["store"], w["officer"], cat, ["HYG-01"])  # a closure after a 30-day notice
    with pytest.raises(LadderError, match="notice_not_delivered"):  # nothing signed yet
        advance(w["store"], w["coord"], case_id, "reinspection", "served")
    notice = draft_for_current_step(w["commune"], case_id)
    sign(w, notice)
    with pytest.raises(LadderError, match="notice_not_delivered"):  # signed, not delivered
        advance(w["store"], w["coord"], case_id, "reinspection", "served")
    delivered = DAY - timedelta(days=10)
    record_delivery(w["store"], w["coord"], notice, delivered, "main propre", "le gérant")
    advance(w["store"], w["coord"], case_id, "reinspection", "served", on=delivered)
    # the re-inspection falls due once the 30 days have run from delivery (then 5 days to do it)
    assert current_step(w["store"], case_id).due_on == (delivered + timedelta(days=35)).isoformat()
    with pytest.raises(LadderError) as refused:  # the deadline runs from delivery: not over yet
        advance(w["store"], w["coord"], case_id, "decision", "not complied", on=DAY, catalogue=cat)
    assert refused.value.code == "notice_deadline_running"
    assert refused.value.params["ends"] == (delivered + timedelta(days=30)).isoformat()
    advance(w["store"], w["coord"], case_id, "decision", "not complied", on=delivered + timedelta(days=30), catalogue=cat)
    assert current_step(w["store"], case_id).step == "decision"


def test_a_closure_is_not_reached_without_a_notice_even_after_awareness(world):
    from desktop.domain.ladder import LadderError
    w = world
    cat = load_catalogue()
    case_id = make_case(w["store"], w["officer"], cat, ["HYG-02"])  # awareness first; a closure at the end
    assert current_step(w["store"], case_id).step == "awareness"
    advance(w["store"], w["coord"], case_id, "reinspection", "advised")  # no notice: none to wait for
    with pytest.raises(LadderError, match="notice_not_delivered"):
        advance(w["store"], w["coord"], case_id, "decision", "not complied", catalogue=cat)
    advance(w["store"], w["coord"], case_id, "formal_notice", "not complied", days=8)  # the notice comes first
    assert kind_for_current_step(w["commune"], case_id) == "formal_notice"


def test_the_header_names_the_prefecture_and_the_governor_title_is_the_communes(world):
    from desktop.store.commune import set_identity
    w = world
    admin = make_user(w["store"], "administrator")
    with pytest.raises(PermissionError):
        set_identity(w["store"], w["president"], prefecture_ar="عمالة")
    set_identity(w["store"], admin, prefecture_ar="عمالة الاختبار", prefecture_fr="Préfecture de test",
                 governor_ar="السيد عامل عمالة الاختبار", governor_fr="M. le Gouverneur de la préfecture de test")
    cat = load_catalogue()
    case_id = make_case(w["store"], w["officer"], cat, ["URB-01"])
    letter = draft_for_current_step(w["commune"], case_id)
    sign(w, letter)
    text = text_of(w, letter)
    ar = arabic_page(text)
    visa_order(ar, "ولاية الاختبار", "عمالة الاختبار", "جماعة الاختبار")  # wilaya, prefecture, commune
    assert "السيد عامل عمالة الاختبار" in ar and "M. le Gouverneur de la préfecture de test" in text
    assert "والي جهة الدار البيضاء" not in ar


def test_complaint_letters_name_the_arrondissement_inform_under_law_09_08_and_do_not_pass_arabic_as_french(
        store, catalogue, tmp_path):
    from desktop.services.paperwork import complaint_letter
    from desktop.store.users import authenticate
    commune = Commune(store.path, store, catalogue, user=authenticate(store, "president", "president-demo"))

    def letter(complaint_id, kind):
        path = tmp_path / f"{complaint_id}-{kind}.pdf"
        path.write_bytes(complaint_letter(commune, complaint_id, kind, ("ar", "fr")))
        return " ".join(BIDI.sub("", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                                    check=True).stdout).split())
    row = store.query("SELECT c.id, d.name_ar, d.name_fr FROM complaint c JOIN district d ON d.id = c.district_id"
                      " WHERE c.complainant_kind = 'district_president' AND c.complainant_name = '' LIMIT 1")
    assert row, "the demo has letters from arrondissement presidents"
    if row:
        text = letter(row[0]["id"], "complaint_ack")
        assert f"M. le Président de l'arrondissement {row[0]['name_fr']}" in text
        assert row[0]["name_ar"] in arabic_page(text)
    any_ack = store.scalar("SELECT id FROM complaint LIMIT 1")
    text = letter(any_ack, "complaint_ack")
    assert "09.08" in arabic_page(text) and "loi n° 09-08" in text and "La commune s'engage" in text
    answered = store.scalar("SELECT id FROM complaint WHERE answered_on IS NOT NULL AND answer_text <> '' LIMIT 1")
    text = letter(answered, "complaint_answer")
    assert "(Réponse rédigée en arabe :)" in text.split("Royaume du Maroc")[1]


def test_each_language_of_a_closure_holds_on_its_page(world):
    """Review finding 29: the French appeal notice spilled alone onto a third page. A version a
    little too long is set a little smaller: Arabic on page 1, French on page 2, each with its date,
    signature and appeal notice."""
    w = world
    case_id = make_case(w["store"], w["officer"], load_catalogue(), ["HYG-01"])
    to_decision(w, case_id)
    closure = draft_for_current_step(w["commune"], case_id)
    pdf = decision_pdf(w["commune"], closure)[1]
    path = w["tmp"] / "closure.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+2$", info, re.M)  # two pages, no third
    pages = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"], capture_output=True, text=True,
                            check=True).stdout for n in (1, 2)]
    assert "يمكن الطعن بالإلغاء" in pages[0].replace("\u202b", "").replace("\u202c", "") and "حرر ب" in pages[0]
    assert "recours en annulation" in pages[1] and "Fait à" in pages[1]


def test_a_violation_found_twice_is_listed_once(world):
    """Review finding 2: the same violation appeared twice in the findings of a document."""
    w = world
    case_id = make_case(w["store"], w["officer"], load_catalogue(), ["HYG-01"])
    make_case(w["store"], w["officer"], load_catalogue(), ["HYG-01"], site_id=w["store"].scalar(
        "SELECT site_id FROM case_file WHERE id = ?", (case_id,)))
    assert w["store"].scalar("SELECT count(*) FROM case_finding WHERE case_id = ?", (case_id,)) == 2
    notice = draft_for_current_step(w["commune"], case_id)
    doc = document(w["store"], notice)[1]
    label = load_catalogue().violation("HYG-01").label("fr")
    assert doc.values_fr["findings"].count(label) == 1
