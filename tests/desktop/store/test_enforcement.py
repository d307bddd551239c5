"""The ladder and the register on a real database: owners, due dates, who may sign, numbering.

Cases are opened in an empty commune with the builders; signing, delegations and the counts use
the demo (its certificates, delegation and thousands of cases)."""
import json
import subprocess
from datetime import date, timedelta

import pytest

from desktop.cli import main
from desktop.demo.cases import CERT_PASSWORD, certs_dir
from desktop.domain.ladder import LadderError, working_days_after
from desktop.store.cases import advance, case_steps, current_step, funnel, overdue_steps
from desktop.domain.errors import Refusal
from desktop.services.commune import Commune
from desktop.services.paperwork import NotAuthorisedToSign
from desktop.services import paperwork
from desktop.store.decisions import document, record_delivery, register, signed_pdf
from desktop.store.delegations import withdraw_delegation
from desktop.store.users import authenticate
from reports.signing import SigningError, verify_pdf
from tests.builders import signable_draft, case_of, make_case, make_inspection, make_site, make_user


def sign(store, user, decision_id, p12, password):
    """Sign as ``user`` through the application layer."""
    from desktop.domain.catalogue import load_catalogue
    return paperwork.sign_decision(Commune(store.path, store, load_catalogue(), user=user), decision_id, p12, password)


@pytest.fixture
def people(store):
    return {name: authenticate(store, name, pw) for name, pw in
            (("president", "president-demo"), ("coordinateur", "coord-demo"), ("vicepresident", "vice-demo"),
             ("agent001", "agent-demo"))}


@pytest.fixture
def p12(demo_path):
    folder = certs_dir(demo_path)
    return {"president": folder / "president.p12", "vicepresident": folder / "vicepresident.p12"}


@pytest.fixture
def commune(empty_commune):
    """An empty commune with its coordinator (who owns the paperwork steps) and two officers."""
    return {"store": empty_commune, "coordinator": make_user(empty_commune, "coordinator"),
            "officer": make_user(empty_commune, "officer"), "other_officer": make_user(empty_commune, "officer")}


def test_a_finding_opens_a_case_with_owner_and_due_date(commune, catalogue):
    store, officer = commune["store"], commune["officer"]
    site = make_site(store)
    iid = make_inspection(store, officer, catalogue, site, field_code="public_domain", findings=["DOM-04"],
                          inspected_at="2026-06-01T10:30:00Z")
    case_id = case_of(store, iid)
    step = current_step(store, case_id)
    assert step.step == "formal_notice"  # DOM-04: notice to return the site (Law 57-19 art. 25)
    assert (step.opened_on, step.due_on) == ("2026-06-01", "2026-07-01")  # its 30 days
    assert step.owner_id == commune["coordinator"].id
    # A second inspection of the same site and field joins the open case.
    iid2 = make_inspection(store, officer, catalogue, site, field_code="public_domain", findings=["DOM-05"],
                           inspected_at="2026-06-05T10:30:00Z")
    assert case_of(store, iid2) == case_id
    assert [s.step for s in case_steps(store, case_id)] == ["formal_notice"]  # the ladder does not restart
    # Another field on the same site, or the same field on another site, opens its own case.
    other_field = make_inspection(store, officer, catalogue, site, field_code="hygiene", findings=["HYG-02"])
    other_site = make_inspection(store, officer, catalogue, field_code="public_domain", findings=["DOM-01"])
    assert len({case_id, case_of(store, other_field), case_of(store, other_site)}) == 3
    assert store.scalar("SELECT count(*) FROM case_file") == 3


def test_a_field_step_goes_to_the_officer_who_found_it(commune, catalogue):
    store = commune["store"]
    case_id = make_case(store, commune["officer"], catalogue, ["HYG-02"])  # awareness visit first
    step = current_step(store, case_id)
    assert step.step == "awareness" and step.owner_id == commune["officer"].id


def test_a_compliant_inspection_opens_no_case(commune, catalogue):
    make_inspection(commune["store"], commune["officer"], catalogue, field_code="hygiene")
    assert commune["store"].scalar("SELECT count(*) FROM case_file") == 0


def test_ladder_moves_in_order_only(commune, catalogue):
    store, coord, officer = commune["store"], commune["coordinator"], commune["officer"]
    case_id = make_case(store, officer, catalogue, ["TRAPAR-01"])  # awareness first, an injunction at the end
    with pytest.raises(LadderError):
        advance(store, coord, case_id, "execution")
    advance(store, coord, case_id, "reinspection", "advice given", on=date(2026, 7, 1))
    reinspection = current_step(store, case_id)
    assert reinspection.owner_id == officer.id  # field steps go to the officer
    assert reinspection.due_on == "2026-07-06"  # the step's default: 5 days
    advance(store, coord, case_id, "decision", "not complied", on=date(2026, 7, 6), days=3, catalogue=catalogue)
    assert (current_step(store, case_id).due_on, current_step(store, case_id).owner_id) == ("2026-07-09", coord.id)
    advance(store, coord, case_id, "notification")
    advance(store, coord, case_id, "closed", "complied after the decision")
    assert [s.step for s in case_steps(store, case_id)] == ["awareness", "reinspection", "decision", "notification"]
    assert all(s.status == "done" for s in case_steps(store, case_id))
    assert store.scalar("SELECT status FROM case_file WHERE id = ?", (case_id,)) == "closed"
    with pytest.raises(Refusal, match="no_open_step"):
        advance(store, coord, case_id, "closed")


def test_only_case_managers_advance(commune, catalogue):
    store = commune["store"]
    case_id = make_case(store, commune["officer"], catalogue, ["TRAPAR-01"])
    for role in ("officer", "reviewer", "administrator"):
        with pytest.raises(PermissionError):
            advance(store, make_user(store, role), case_id, "reinspection")
    assert [(s.step, s.status) for s in case_steps(store, case_id)] == [("awareness", "open")]
    advance(store, make_user(store, "president"), case_id, "reinspection")
    assert current_step(store, case_id).step == "reinspection"


def _draft(store, people, catalogue, field, kind="formal_notice"):
    return signable_draft(store, people["coordinateur"], catalogue, field, kind)


def test_only_president_or_delegate_in_scope_signs(store, people, p12, catalogue, tmp_path):
    urbanism = _draft(store, people, catalogue, "urbanism")
    hygiene = _draft(store, people, catalogue, "hygiene")
    with pytest.raises(NotAuthorisedToSign):
        sign(store, people["coordinateur"], hygiene, p12["president"], CERT_PASSWORD)
    with pytest.raises(NotAuthorisedToSign):  # the delegation covers hygiene and public domain only
        sign(store, people["vicepresident"], urbanism, p12["vicepresident"], CERT_PASSWORD)
    number = sign(store, people["vicepresident"], hygiene, p12["vicepresident"], CERT_PASSWORD)
    pdf = signed_pdf(store, hygiene)
    path = tmp_path / "d.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "بتفويض" in text and "3/2026" in text and "par délégation" in text  # the delegation is cited
    row, doc = document(store, hygiene)
    assert row["number"] == number and doc.signatory.delegation.number == "3/2026"
    from cryptography import x509
    ca = x509.load_pem_x509_certificate(store.meta("ca_pem").encode())
    assert verify_pdf(pdf, [ca]).ok


def test_withdrawn_delegation_no_longer_signs(store, people, p12, catalogue):
    hygiene = _draft(store, people, catalogue, "hygiene")
    delegation = store.scalar("SELECT id FROM delegation")
    with pytest.raises(Refusal):
        withdraw_delegation(store, people["president"], delegation, date.today(), "no")
    withdraw_delegation(store, people["president"], delegation, date.today(), "Réorganisation des délégations du bureau")
    with pytest.raises(NotAuthorisedToSign):
        sign(store, people["vicepresident"], hygiene, p12["vicepresident"], CERT_PASSWORD)


def test_failed_signature_takes_no_number(store, people, p12, catalogue):
    draft = _draft(store, people, catalogue, "hygiene")
    year = date.today().year
    series = store.scalar("SELECT series FROM decision WHERE id = ?", (draft,))  # each series is numbered on its own
    before = store.scalar("SELECT coalesce(max(number), 0) FROM decision WHERE year = ? AND series = ?", (year, series))
    journal = store.scalar("SELECT count(*) FROM journal")
    with pytest.raises(SigningError):
        sign(store, people["president"], draft, p12["president"], "wrong")
    assert store.scalar("SELECT status FROM decision WHERE id = ?", (draft,)) == "draft"
    assert store.scalar("SELECT count(*) FROM journal") == journal
    assert sign(store, people["president"], draft, p12["president"], CERT_PASSWORD) == before + 1


def test_governor_deadline_for_urban_planning(store, people, p12, catalogue):
    draft = _draft(store, people, catalogue, "urbanism")
    sign(store, people["president"], draft, p12["president"], CERT_PASSWORD)
    delivered = date.today() - timedelta(days=9)
    record_delivery(store, people["coordinateur"], draft, delivered, "main propre", "le gérant")
    row = next(r for r in register(store, date.today().year) if r["id"] == draft)
    assert row["oversight_class"] == "individual_urbanism"
    assert row["governor_due"] == (delivered + timedelta(days=5)).isoformat() and row["governor_late"]
    assert working_days_after(date(2026, 11, 20), 15) == date(2026, 12, 11)  # Friday + 15 working days


def test_overdue_and_funnel_match_independent_counts(store):
    today = date(2026, 6, 30)
    overdue = overdue_steps(store, today)
    assert len(overdue) == store.scalar("SELECT count(*) FROM case_step WHERE status = 'open' AND due_on < ?",
                                        (today.isoformat(),))
    rungs = {r["rung"]: r for r in funnel(store)}
    assert rungs["findings"]["cases"] == store.scalar("SELECT count(*) FROM case_file")
    assert rungs["decision"]["cases"] == store.scalar("SELECT count(DISTINCT case_id) FROM case_step WHERE step = 'decision'")
    assert rungs["closed"]["cases"] == store.scalar("SELECT count(*) FROM case_file WHERE status = 'closed'")
    assert rungs["findings"]["cases"] >= rungs["formal_notice"]["cases"] >= rungs["closed"]["cases"] > 0


def test_decision_cli(demo_path, tmp_path, monkeypatch, capsys):
    assert main(["decision", "list", "--db", str(demo_path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    signed = next(r for r in rows if r["status"] == "signed")
    from desktop.store.db import open_store
    from reports.documents import signing_gaps
    s = open_store(demo_path)
    gaps = {r["id"]: signing_gaps(document(s, r["id"])[1]) for r in rows if r["status"] == "draft"}
    s.close()
    draft = next(r for r in rows if r["status"] == "draft" and r["field_code"] not in ("hygiene", "public_domain")
                 and gaps[r["id"]] == ([], []))
    unsignable = next(r for r in rows if r["status"] == "draft" and gaps[r["id"]] != ([], []))
    out = tmp_path / "s.pdf"
    assert main(["decision", "pdf", signed["id"], "--db", str(demo_path), "--out", str(out)]) == 0
    assert main(["decision", "verify", str(out), "--db", str(demo_path)]) == 0
    assert "OK" in capsys.readouterr().out
    damaged = tmp_path / "damaged.pdf"
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    assert main(["decision", "verify", str(damaged), "--db", str(demo_path)]) == 1
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "vice-demo")
    monkeypatch.setenv("COMMUNE_POLICE_PKCS12_PASSWORD", CERT_PASSWORD)
    p12 = certs_dir(demo_path) / "vicepresident.p12"
    assert main(["decision", "sign", draft["id"], "--db", str(demo_path), "--pkcs12", str(p12), "--user", "vicepresident"]) == 2
    assert "délégation" in capsys.readouterr().err
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "president-demo")
    monkeypatch.setenv("COMMUNE_POLICE_PKCS12_PASSWORD", "bad")
    p12 = certs_dir(demo_path) / "president.p12"
    assert main(["decision", "sign", draft["id"], "--db", str(demo_path), "--pkcs12", str(p12)]) == 2
    assert "incorrect" in capsys.readouterr().err
    monkeypatch.setenv("COMMUNE_POLICE_PKCS12_PASSWORD", CERT_PASSWORD)
    assert main(["decision", "sign", unsignable["id"], "--db", str(demo_path), "--pkcs12", str(p12)]) == 2
    assert "Signature impossible" in capsys.readouterr().err  # a missing fact or an unconfirmed basis
    assert main(["decision", "sign", draft["id"], "--db", str(demo_path), "--pkcs12", str(p12)]) == 0
    draft_pdf = tmp_path / "draft.pdf"
    other_draft = next(r for r in rows if r["status"] == "draft" and r["id"] != draft["id"])
    assert main(["decision", "pdf", other_draft["id"], "--db", str(demo_path), "--out", str(draft_pdf), "--lang", "ar+fr"]) == 0
    assert main(["check", "--db", str(demo_path)]) == 0


def test_delegation_cli(demo_path, monkeypatch, capsys):
    from desktop.store.db import open_store
    with open_store(demo_path) as s:
        district = s.scalar("SELECT id FROM district LIMIT 1")
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "president-demo")
    no_district = ["delegation", "add", "--db", str(demo_path), "--delegate", "coordinateur", "--number", "7/2026",
                   "--date", "2026-02-01", "--basis", "art236", "--fields", "urbanism", "--scope-ar", "التعمير",
                   "--scope-fr", "urbanisme", "--capacity-ar", "رئيس مقاطعة أنفا", "--capacity-fr", "Président"]
    assert main(no_district) == 2 and "arrondissement" in capsys.readouterr().err  # art. 236: his arrondissement only
    everything = list(no_district)
    everything[everything.index("urbanism")] = "*"
    assert main([*everything, "--district", district]) == 2 and "103" in capsys.readouterr().err  # no "all fields"
    args = ["delegation", "add", "--db", str(demo_path), "--district", district, "--delegate", "coordinateur", "--number", "7/2026",
            "--date", "2026-02-01", "--basis", "art236", "--fields", "urbanism", "--scope-ar", "التعمير",
            "--scope-fr", "urbanisme", "--capacity-ar", "رئيس مقاطعة أنفا", "--capacity-fr", "Président de l'arrondissement d'Anfa"]
    assert main(args) == 0
    delegation_id = capsys.readouterr().out.strip()
    bad = list(args)
    bad[bad.index("urbanism")] = "astrology"
    assert main(bad) == 2
    assert "astrology" in capsys.readouterr().err
    assert main(["delegation", "list", "--db", str(demo_path)]) == 0
    assert "7/2026" in capsys.readouterr().out
    assert main(["delegation", "publish", delegation_id, "--db", str(demo_path), "--bo-number", "52",
                 "--bo-date", "2026-03-01"]) == 0
    with open_store(demo_path) as s:
        assert s.query("SELECT bo_number, bo_date, district_id FROM delegation WHERE id = ?", (delegation_id,))[0] == \
            {"bo_number": "52", "bo_date": "2026-03-01", "district_id": district}
    assert main(["delegation", "withdraw", delegation_id, "--db", str(demo_path), "--reason", "Fin du mandat de l'arrondissement"]) == 0
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "coord-demo")
    assert main(["delegation", "withdraw", delegation_id, "--db", str(demo_path), "--user", "coordinateur",
                 "--reason", "une raison assez longue"]) == 2  # only the president manages delegations
