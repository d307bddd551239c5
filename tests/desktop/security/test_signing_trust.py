"""Review security-2026-11, H1, H2 and H4: only the commune's own certificates sign, and only their
holder; `decision verify` never says OK without checking; one draft is signed once."""
import subprocess
import sys
import textwrap

import pytest

from desktop.cli import main
from desktop.demo.cases import CERT_PASSWORD, certs_dir
from desktop.services import paperwork
from desktop.services.commune import Commune
from tests.builders import signable_draft
from desktop.store.decisions import signed_pdf
from desktop.store.errors import StoreError
from desktop.store.users import authenticate
from reports.pki import issue_signer, make_ca, write_pkcs12
from reports.signing import SigningError, sign_pdf


@pytest.fixture
def people(store):
    return {name: authenticate(store, name, pw) for name, pw in
            (("president", "president-demo"), ("coordinateur", "coord-demo"), ("vicepresident", "vice-demo"))}


@pytest.fixture
def p12(demo_path):
    folder = certs_dir(demo_path)
    return {"president": folder / "president.p12", "vicepresident": folder / "vicepresident.p12"}


def _sign(store, user, decision_id, p12_path, password=CERT_PASSWORD):
    from desktop.domain.catalogue import load_catalogue
    return paperwork.sign_decision(Commune(store.path, store, load_catalogue(), user=user), decision_id, p12_path, password)


def _draft(store, people, catalogue, field="hygiene"):
    return signable_draft(store, people["coordinateur"], catalogue, field)


@pytest.fixture
def stranger_p12(tmp_path):
    """The review's evil.p12: a self-made CA, a signer named like the president."""
    ca = make_ca("Commune de Casablanca")
    path = tmp_path / "evil.p12"
    write_pkcs12(path, issue_signer(ca, "Président du conseil communal (démo)", "Commune de Casablanca"), ca, "evil")
    return path


def _numbers(store, series=None):
    """The numbers signed in the register, or in one ``series`` of it (each is numbered on its own)."""
    return [r["number"] for r in store.query("SELECT number FROM decision WHERE status = 'signed'"
                                             " AND (? IS NULL OR series = ?) ORDER BY series, number", (series, series))]


def test_a_strangers_certificate_does_not_sign(store, people, catalogue, stranger_p12):
    draft = _draft(store, people, catalogue)
    before = _numbers(store)
    with pytest.raises(SigningError) as refused:
        _sign(store, people["president"], draft, stranger_p12, "evil")
    assert refused.value.code == "certificate_not_commune"
    assert _numbers(store) == before and store.scalar("SELECT status FROM decision WHERE id = ?", (draft,)) == "draft"


def test_anothers_certificate_does_not_sign(store, people, catalogue, p12):
    draft = _draft(store, people, catalogue)  # hygiene: within the vice-president's delegation
    with pytest.raises(SigningError) as refused:
        _sign(store, people["vicepresident"], draft, p12["president"])
    assert refused.value.code == "certificate_not_yours"
    _sign(store, people["vicepresident"], draft, p12["vicepresident"])  # his own certificate signs


def test_no_trust_anchor_no_signature(store, people, catalogue, p12):
    with store.transaction(people["president"].id) as tx:
        tx.set_meta("ca_pem", "")
    with pytest.raises(SigningError) as refused:
        _sign(store, people["president"], _draft(store, people, catalogue), p12["president"])
    assert refused.value.code == "no_trust_anchor"


def _signed_file(store, tmp_path):
    decision = store.scalar("SELECT id FROM decision WHERE status = 'signed' LIMIT 1")
    path = tmp_path / "genuine.pdf"
    path.write_bytes(signed_pdf(store, decision))
    return path


def test_verify_without_a_trust_root_is_not_ok(store, tmp_path, capsys):
    path = _signed_file(store, tmp_path)
    assert main(["decision", "verify", str(path)]) == 3
    out = capsys.readouterr().out
    assert "OK" not in out and "NON VÉRIFIÉ" in out
    assert main(["decision", "verify", str(path), "--db", str(store.path)]) == 0
    assert "OK" in capsys.readouterr().out


def test_verify_db_refuses_a_pdf_outside_the_register(store, people, p12, tmp_path, capsys):
    """A delegate's genuine certificate signs a forged decision outside the application."""
    genuine = _signed_file(store, tmp_path)
    forged = tmp_path / "forged.pdf"
    from reports.documents import render_document
    from desktop.store.decisions import document
    _row, doc = document(store, store.scalar("SELECT id FROM decision WHERE status = 'draft' LIMIT 1"))
    doc.number = "77/2026"
    forged.write_bytes(sign_pdf(render_document(doc), p12["vicepresident"], CERT_PASSWORD, "ARRETE 77/2026 (FAUX)", "Casablanca"))
    assert main(["decision", "verify", str(forged), "--db", str(store.path)]) == 1
    assert "not a signed decision of the register" in capsys.readouterr().out
    # the genuine one, re-signed by another CA, fails too
    resigned = tmp_path / "resigned.pdf"
    ca = make_ca("Autre")
    evil = tmp_path / "evil.p12"
    write_pkcs12(evil, issue_signer(ca, "Président", "Commune"), ca, "evil")
    resigned.write_bytes(sign_pdf(genuine.read_bytes(), evil, "evil", "x", "y", field_name="Signature2"))
    assert main(["decision", "verify", str(resigned), "--db", str(store.path)]) == 1


def test_verify_db_refuses_a_decision_whose_delegation_was_not_in_force(store, people, catalogue, p12, tmp_path, capsys):
    draft = _draft(store, people, catalogue)
    _sign(store, people["vicepresident"], draft, p12["vicepresident"])
    path = tmp_path / "d.pdf"
    path.write_bytes(signed_pdf(store, draft))
    assert main(["decision", "verify", str(path), "--db", str(store.path)]) == 0
    capsys.readouterr()
    # the register rewritten to a delegation that starts after the signature (through the app)
    delegation = store.scalar("SELECT delegation_id FROM decision WHERE id = ?", (draft,))
    with store.transaction(None) as tx:
        tx.update("delegation", delegation, {"valid_from": "2099-01-01"})
    assert main(["decision", "verify", str(path), "--db", str(store.path)]) == 1
    assert "delegation was not in force" in capsys.readouterr().out


def test_a_stale_read_cannot_sign_twice(store, people, catalogue, p12, monkeypatch):
    """The status is re-read inside the write transaction: a signer who read the draft before
    another signature committed is refused, and no register number is lost."""
    draft = _draft(store, people, catalogue)
    stale = paperwork.document(store, draft)
    _sign(store, people["president"], draft, p12["president"])
    numbers = _numbers(store)
    monkeypatch.setattr(paperwork, "document", lambda s, d: stale)
    with pytest.raises(StoreError) as refused:
        _sign(store, people["president"], draft, p12["president"])
    assert refused.value.code == "already_signed"
    assert _numbers(store) == numbers


SIGNER = textwrap.dedent("""
    import sys, time
    from datetime import date
    from desktop.domain.catalogue import load_catalogue
    from desktop.services.commune import Commune
    from desktop.services.paperwork import sign_decision
    from desktop.store.db import open_store
    from desktop.store.users import authenticate
    db, user, pw, p12, draft, start = sys.argv[1:7]
    store = open_store(db)
    me = authenticate(store, user, pw)
    while time.time() < float(start):
        pass
    try:
        print("signed", sign_decision(Commune(store.path, store, load_catalogue(), user=me), draft, p12, "%s"))
    except Exception as exc:
        print("refused", getattr(exc, "code", type(exc).__name__))
""" % CERT_PASSWORD)


def test_two_concurrent_signatures_give_one_decision(store, people, catalogue, p12):
    import time
    draft = _draft(store, people, catalogue)
    series = store.scalar("SELECT series FROM decision WHERE id = ?", (draft,))
    before = _numbers(store, series)
    start = str(time.time() + 4)
    procs = [subprocess.Popen([sys.executable, "-c", SIGNER, str(store.path), user, pw, str(p12[user]), draft, start],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for user, pw in (("president", "president-demo"), ("vicepresident", "vice-demo"))]
    outs = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert [o.split()[0] for o in outs] == ["refused", "signed"], outs
    assert outs[0] == "refused already_signed"
    after = _numbers(store, series)
    assert after == sorted(before + [int(outs[1].split()[1])]) and after == list(range(1, len(after) + 1))
    assert store.scalar("SELECT count(*) FROM attachment WHERE owner_id = ?", (draft,)) == 1


def test_a_stale_triage_is_refused(store, monkeypatch):
    """Two coordinators triage one complaint: the second, who read it before the first committed, is refused."""
    from desktop.domain.errors import Refusal
    from desktop.store import complaints
    coordinator = authenticate(store, "coordinateur", "coord-demo")
    cid = store.scalar("SELECT id FROM complaint WHERE status = 'received' LIMIT 1")
    stale = complaints.get_complaint(store, cid)
    complaints.accept(store, coordinator, cid)
    monkeypatch.setattr(complaints, "get_complaint", lambda s, i: stale)
    with pytest.raises(Refusal) as refused:
        complaints.merge(store, coordinator, cid, store.scalar("SELECT id FROM complaint WHERE id != ? LIMIT 1", (cid,)))
    assert refused.value.code == "changed_meanwhile"
    assert store.scalar("SELECT status FROM complaint WHERE id = ?", (cid,)) == "accepted"


def test_init_sets_the_trust_anchor_and_the_president_binds_certificates(tmp_path, monkeypatch, capsys):
    """A real commune: `init --ca`, then the president registers his certificate; a stranger's CA
    is refused as anchor change by the administrator, and unbound or foreign certificates do not sign."""
    from reports.pki import write_cert_pem
    ca = make_ca("Commune de Test")
    write_cert_pem(tmp_path / "ca.pem", ca.cert)
    mine = issue_signer(ca, "Président", "Commune de Test")
    write_pkcs12(tmp_path / "me.p12", mine, ca, "pw-cert")
    db = tmp_path / "real.db"
    monkeypatch.setenv("COMMUNE_POLICE_ADMIN_PASSWORD", "admin-pass-1")
    assert main(["init", "--db", str(db), "--commune-ar", "ج", "--commune-fr", "C", "--ca", str(tmp_path / "ca.pem")]) == 0
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-pass-1")
    monkeypatch.setenv("COMMUNE_POLICE_NEW_PASSWORD", "president-pass-1")
    assert main(["user", "add", "president", "--role", "president", "--db", str(db)]) == 0
    # the administrator cannot change the anchor nor bind certificates
    assert main(["ca", "set", "--db", str(db), "--ca", str(tmp_path / "ca.pem"), "--user", "admin"]) != 0
    monkeypatch.setenv("COMMUNE_POLICE_PKCS12_PASSWORD", "pw-cert")
    assert main(["user", "certificate", "president", "--cert", str(tmp_path / "me.p12"), "--db", str(db),
                 "--user", "admin"]) != 0
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "president-pass-1")
    evil = make_ca("Autre")
    write_pkcs12(tmp_path / "evil.p12", issue_signer(evil, "Président", "Commune de Test"), evil, "pw-cert")
    assert main(["user", "certificate", "president", "--cert", str(tmp_path / "evil.p12"), "--db", str(db)]) != 0
    assert main(["user", "certificate", "president", "--cert", str(tmp_path / "me.p12"), "--db", str(db)]) == 0
    from desktop.store.db import open_store
    from desktop.services.verification import certificate_sha256
    with open_store(db, readonly=True) as s:
        assert s.scalar("SELECT cert_sha256 FROM user WHERE username = 'president'") == certificate_sha256(mine.cert)
        assert s.meta("ca_pem").startswith("-----BEGIN CERTIFICATE")
    assert main(["check", "--db", str(db)]) == 0
