"""The demo commune's enforcement: cases at every rung of the ladder, a delegation, demo
certificates beside the database, and decisions in the register (some signed)."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from desktop.domain.catalogue import Catalogue
from desktop.domain.ids import uuid7
from desktop.domain.ladder import STEP_DAYS, document_for, first_step
from desktop.services.commune import Commune
from desktop.domain.errors import Refusal
from desktop.services.paperwork import draft_decision, sign_decision
from desktop.store.db import Store
from desktop.store.delegations import add_delegation
from desktop.store.users import User, authenticate, create_user

CERT_PASSWORD = "certificat-demo"
VICE_PRESIDENT = ("vicepresident", "vice-demo", "coordinator", "يوسف بناني", "Youssef Bennani")
# Where the demo's cases stand: (rungs reached after the first step, share)
PATHS = [((), 0.30), (("reinspection",), 0.15), (("reinspection", "closed"), 0.15),
         (("reinspection", "decision"), 0.12), (("reinspection", "decision", "notification"), 0.10),
         (("reinspection", "decision", "notification", "execution"), 0.06),
         (("reinspection", "decision", "notification", "closed"), 0.12)]


def certs_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".certs")


def build_enforcement(store: Store, admin: User, catalogue: Catalogue, rng: np.random.Generator,
                      today: date, days: int = 120) -> dict:
    """Cases from the violations of the last ``days`` days; returns what the demo prints."""
    since = (today - timedelta(days=days)).isoformat()
    rows = store.conn.execute(
        "SELECT i.site_id, i.field_code, i.lead_officer_id, substr(i.inspected_at, 1, 10), f.id, f.violation_code"
        " FROM inspection i JOIN finding f ON f.inspection_id = i.id WHERE i.outcome = 'violations'"
        " AND i.inspected_at >= ? ORDER BY i.inspected_at", (since,)).fetchall()
    coordinator = store.scalar("SELECT id FROM [user] WHERE role = 'coordinator' ORDER BY created_at LIMIT 1")
    cases: dict[tuple[str, str], dict] = {}
    for site_id, field_code, officer, day, finding_id, code in rows:
        c = cases.setdefault((site_id, field_code), {"id": uuid7(), "opened": day, "officer": officer, "findings": [], "codes": []})
        c["findings"].append(finding_id)
        c["codes"].append(code)
    case_rows, link_rows, step_rows = [], [], []
    shares = np.array([p for _, p in PATHS])
    choice = rng.choice(len(PATHS), size=len(cases), p=shares / shares.sum())
    for ((site_id, field_code), c), path_k in zip(cases.items(), choice):
        violations = [catalogue.violation(x) for x in c["codes"] if catalogue.has_violation(x)]
        first, first_days, authority = first_step(violations)
        path = PATHS[path_k][0] if first in ("awareness", "formal_notice") else (() if path_k % 2 else ("closed",))
        day = date.fromisoformat(c["opened"])
        rungs = [(first, first_days, {"authority": authority} if authority else {})]
        rungs += [(r, STEP_DAYS.get(r, 0), {}) for r in path]
        closed = rungs[-1][0] == "closed"
        if closed:
            rungs = rungs[:-1]
        for n, (step, span, data) in enumerate(rungs):
            due = day + timedelta(days=span)
            last = n == len(rungs) - 1
            done_on = None if (last and not closed) else max(day + timedelta(days=1),
                                                             due + timedelta(days=int(rng.integers(-3, 6))))
            if done_on and done_on >= today:  # the future has not happened: the case waits here
                done_on, closed, last = None, False, True
            owner = c["officer"] if step in ("awareness", "reinspection") else coordinator
            step_rows.append((uuid7(), c["id"], step, "done" if done_on else "open", day.isoformat(), due.isoformat(),
                              owner, done_on.isoformat() if done_on else None,
                              ("conforme" if closed and last else "non conforme") if done_on else "", json.dumps(data)))
            if not done_on:
                break
            day = done_on
        case_rows.append((c["id"], site_id, field_code, "closed" if closed else "open", c["opened"],
                          day.isoformat() if closed else None))
        link_rows += [(uuid7(), c["id"], f) for f in c["findings"]]
    with store.transaction(admin.id) as tx:
        tx.bulk_insert("case_file", ("id", "site_id", "field_code", "status", "opened_on", "closed_on"), case_rows, "demo cases")
        tx.bulk_insert("case_finding", ("id", "case_id", "finding_id"), link_rows, "demo case findings")
        tx.bulk_insert("case_step", ("id", "case_id", "step", "status", "opened_on", "due_on", "owner_id", "done_on",
                                     "result", "data"), step_rows, "demo case steps")
    return {"cases": len(case_rows), "steps": len(step_rows)}


def build_signatures(store: Store, admin: User, catalogue: Catalogue, today: date, signed: int = 12) -> dict:
    """A delegation to the first vice-president, demo certificates, and decisions: drafts for
    cases waiting for one, some of them signed by the president or under the delegation."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from desktop.services.trust import certificate_sha256, issue_crl
    from desktop.store.users import bind_certificate
    from reports.pki import issue_signer, make_ca, write_cert_pem, write_pkcs12
    vp = create_user(store, admin, *VICE_PRESIDENT[:3], full_name_ar=VICE_PRESIDENT[3], full_name_fr=VICE_PRESIDENT[4])
    president = authenticate(store, "president", "president-demo")
    commune = Commune(store.path, store, catalogue, user=president)
    add_delegation(store, president, vp, "3/2026", today - timedelta(days=200), "art103",
                   ["hygiene", "public_domain"], "حفظ الصحة والاحتلال المؤقت للملك العمومي",
                   "hygiène et occupation du domaine public", "النائب الأول للرئيس", "Premier vice-président",
                   today - timedelta(days=200), bo_number="18", bo_date=today - timedelta(days=185))
    folder = certs_dir(store.path)
    folder.mkdir(mode=0o700, exist_ok=True)
    ca = make_ca("Commune de Casablanca")
    write_cert_pem(folder / "commune-ca.pem", ca.cert)
    paths = {}
    for key, name in (("president", "Président du conseil communal (démo)"), ("vicepresident", "Premier vice-président (démo)")):
        paths[key] = folder / f"{key}.p12"
        issued = issue_signer(ca, name, "Commune de Casablanca")
        write_pkcs12(paths[key], issued, ca, CERT_PASSWORD)
        paths[key].chmod(0o600)  # a private key
        bind_certificate(store, president, vp.id if key == "vicepresident" else president.id,
                         certificate_sha256(issued.cert))
    with store.transaction(admin.id) as tx:
        tx.set_meta("ca_pem", (folder / "commune-ca.pem").read_text())
    # the CA's (empty) revocation list, published beside it and embedded in each signature
    crl = issue_crl(store, None, ca.key, days=365)
    (folder / "commune-ca.crl").write_bytes(crl.public_bytes(Encoding.PEM))
    waiting = store.query("SELECT s.case_id, s.id AS step_id, s.step, c.field_code FROM case_step s"
                          " JOIN case_file c ON c.id = s.case_id WHERE s.step IN ('formal_notice', 'decision', 'referral')"
                          " ORDER BY s.opened_on DESC LIMIT ?", (signed * 3,))
    drafted = done = 0
    for n, w in enumerate(waiting):
        codes = [r[0] for r in store.conn.execute("SELECT f.violation_code FROM case_finding cf JOIN finding f"
                                                   " ON f.id = cf.finding_id WHERE cf.case_id = ?", (w["case_id"],))]
        kind = document_for(w["step"], [catalogue.violation(c) for c in codes if catalogue.has_violation(c)])
        commune.user = president
        decision_id = draft_decision(commune, w["case_id"], kind, step_id=w["step_id"])
        drafted += 1
        if done < signed and n % 3 != 2:
            by_delegate = w["field_code"] in ("hygiene", "public_domain") and n % 2
            commune.user = vp if by_delegate else president
            try:
                sign_decision(commune, decision_id, paths["vicepresident" if by_delegate else "president"],
                              CERT_PASSWORD, today)
            except Refusal:  # a missing fact or an unconfirmed basis: the draft waits, as in real life
                continue
            done += 1
    return {"drafts": drafted - done, "signed": done, "certs": folder, "p12": paths}
