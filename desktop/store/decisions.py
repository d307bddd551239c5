"""The decision register: drafting a document from a case, signing it (president or recorded
delegate only), numbering per year, delivery, transmission to the governor, appeals."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

from desktop.domain.auth import PermissionDenied, require
from desktop.domain.catalogue import Catalogue
from desktop.domain.ladder import decision_kind, governor_deadline, oversight_class
from desktop.store.cases import case_steps
from desktop.store.commune import get_commune
from desktop.store.db import Store
from desktop.store.errors import StoreError
from desktop.store.users import User
from reports.documents import DocumentData, Delegation, Signatory, gregorian_text, render_document

EXECUTOR = ("السيد المدير العام للمصالح", "M. le Directeur général des services")
AUTHORITIES = {
    "urbanism_controller": ("السيد المراقب التعميري (القانون رقم 66.12، المادتان 65 و66)", "M. le contrôleur de l'urbanisme (loi n° 66-12, art. 65 et 66)"),
    "national_police": ("السيد رئيس الأمن الإقليمي", "M. le chef de la sûreté préfectorale"),
    "gendarmerie": ("السيد قائد الدرك الملكي", "M. le commandant de la Gendarmerie royale"),
    "hygiene_office": ("السيد رئيس المكتب الجماعي لحفظ الصحة", "M. le chef du bureau communal d'hygiène"),
    "onssa": ("السيد المدير الجهوي للمكتب الوطني للسلامة الصحية للمنتجات الغذائية", "M. le directeur régional de l'ONSSA"),
}
MEASURES = {"closure": ("إغلاق المحل", "la fermeture de l'établissement"),
            "withdrawal": ("سحب الرخصة", "le retrait de l'autorisation"),
            "stop_and_fee": ("الأمر بالتوقف وأداء التعويض", "l'injonction de cesser et l'indemnité"),
            "removal": ("الإزالة على نفقة المعني بالأمر", "l'enlèvement d'office à ses frais"),
            "ruin_order": ("الإصلاح أو الهدم", "la réparation ou la démolition")}


class NotAuthorisedToSign(PermissionDenied):
    def __init__(self, user: User, field_code: str):
        super().__init__(user.role, "decision.sign")
        self.field_code = field_code


def _fmt(day: str | None) -> str:
    return gregorian_text(date.fromisoformat(day[:10])) if day else "…"


def _facts(store: Store, catalogue: Catalogue, case_id: str, kind: str) -> tuple[dict, dict, str]:
    case = store.query("SELECT c.field_code, s.name, s.address, s.owner_name, s.owner_id_kind, s.owner_id_number,"
                       " d.name_ar AS district_ar, d.name_fr AS district_fr FROM case_file c JOIN site s ON s.id = c.site_id"
                       " LEFT JOIN district d ON d.id = s.district_id WHERE c.id = ?", (case_id,))[0]
    first = store.query("SELECT i.inspected_at FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
                        " JOIN inspection i ON i.id = f.inspection_id WHERE cf.case_id = ? ORDER BY i.inspected_at LIMIT 1",
                        (case_id,))
    findings = store.query("SELECT f.violation_code, f.measure_value FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
                           " WHERE cf.case_id = ? ORDER BY f.rowid", (case_id,))
    codes = [f["violation_code"] for f in findings]
    violations = [catalogue.violation(c) for c in dict.fromkeys(codes) if catalogue.has_violation(c)]
    steps = case_steps(store, case_id)
    open_step = next((s for s in reversed(steps) if s.status == "open"), None)
    reinspection = next((s for s in reversed(steps) if s.step == "reinspection" and s.done_on), None)
    notice = store.query("SELECT year, number, delivered_on, content FROM decision WHERE case_id = ? AND kind = 'formal_notice'"
                         " AND status = 'signed' ORDER BY signed_on DESC LIMIT 1", (case_id,))
    decided = store.query("SELECT year, number, delivered_on FROM decision WHERE case_id = ? AND status = 'signed'"
                          " AND kind NOT IN ('formal_notice', 'referral_letter', 'public_force_request')"
                          " ORDER BY signed_on DESC LIMIT 1", (case_id,))
    deadline = max((v.deadline_days for v in violations), default=30) or 30
    notice_step = next((s for s in steps if s.step == "formal_notice"), None)
    authority = (open_step.data.get("authority") if open_step else None) or (violations[0].referral_to if violations else None) or "urbanism_controller"
    owner_id = f" ({'ب.و.' if case['owner_id_kind'] == 'cin' else 'س.ت.'} {case['owner_id_number']})" if case["owner_id_number"] else ""
    owner_id_fr = f" ({'CIN' if case['owner_id_kind'] == 'cin' else 'RC'} {case['owner_id_number']})" if case["owner_id_number"] else ""
    common = {"site_name": case["name"], "site_address": case["address"], "deadline_days": str(deadline),
              "inspection_date": _fmt(first[0]["inspected_at"] if first else None),
              "reinspection_date": _fmt(reinspection.done_on if reinspection else None),
              "deadline_date": gregorian_text(date.today() + timedelta(days=deadline)),
              "fee_multiplier": str(int(max((v.fee_multiplier or 0 for v in violations), default=5) or 5)),
              "notice_ref": f"{notice[0]['number']}/{notice[0]['year']}" if notice else "—",
              "notice_date": _fmt(notice[0]["delivered_on"] if notice and notice[0]["delivered_on"]
                                  else notice_step.opened_on if notice_step else None),
              "notice_days": str((date.fromisoformat(notice_step.due_on) - date.fromisoformat(notice_step.opened_on)).days
                                 if notice_step else deadline),
              "decision_ref": f"{decided[0]['number']}/{decided[0]['year']}" if decided else "…"}

    def lang_values(lang: str) -> dict:
        ar = lang == "ar"
        measured = []
        for f in findings:
            v = catalogue.violation(f["violation_code"]) if catalogue.has_violation(f["violation_code"]) else None
            label = (v.label(lang) if v else f["violation_code"])
            if f["measure_value"] is not None and v and v.measure:
                unit = {"m2": "م²" if ar else "m²", "m": "م" if ar else "m", "tables": "طاولة" if ar else "tables",
                        "floors": "طابق" if ar else "étages", "kg": "كلغ" if ar else "kg", "count": ""}[v.measure.unit]
                label += f" ({f['measure_value']:g} {unit})".replace(" )", ")")
            measured.append(label)
        articles: dict[tuple[str, bool], list[str]] = {}
        for v in violations:
            for b in v.basis:
                entry = articles.setdefault((b.text, b.confirmed), [])
                if b.article and b.article not in entry:
                    entry.append(b.article)
        bases = []
        for (text_code, confirmed), arts in articles.items():
            text = catalogue.texts[text_code].ar if ar else catalogue.texts[text_code].fr
            if arts:
                joined = " و".join(arts) if ar else ", ".join(arts)
                text += (f"، ولا سيما {'المادة' if len(arts) == 1 else 'المواد'} {joined} منه" if ar
                         else f", notamment {'son article' if len(arts) == 1 else 'ses articles'} {joined}")
            if not confirmed or not catalogue.texts[text_code].confirmed:
                text += " (?)"
            bases.append(("وبناء على " if ar else "Vu ") + text + ("؛" if ar else " ;"))
        return {**common, "owner": (case["owner_name"] or ("المستغل" if ar else "l'exploitant")) + (owner_id if ar else owner_id_fr),
                "findings": ("؛ " if ar else " ; ").join(measured), "legal_bases": "\n".join(dict.fromkeys(bases)),
                "next_measure": MEASURES.get(decision_kind(violations), MEASURES["closure"])[0 if ar else 1],
                "authority": AUTHORITIES.get(authority, AUTHORITIES["urbanism_controller"])[0 if ar else 1],
                "executor": EXECUTOR[0 if ar else 1], "commune": "", "district": case["district_ar" if ar else "district_fr"] or ""}
    return lang_values("ar"), lang_values("fr"), case["field_code"]


def _header(store: Store, district_ar: str, district_fr: str) -> tuple[list[str], list[str]]:
    c = get_commune(store)
    ar = ["المملكة المغربية", "وزارة الداخلية", c.wilaya_ar if c else "", c.name_ar if c else ""]
    fr = ["Royaume du Maroc", "Ministère de l'Intérieur", c.wilaya_fr if c else "", c.name_fr if c else ""]
    if district_ar:
        ar.append(f"مقاطعة {district_ar}")
        fr.append(f"Arrondissement {district_fr}")
    return [x for x in ar if x], [x for x in fr if x]


def draft_decision(store: Store, user: User, catalogue: Catalogue, case_id: str, kind: str,
                   langs: tuple[str, ...] = ("ar", "fr"), step_id: str | None = None) -> str:
    require(user.role, "decision.draft")
    values_ar, values_fr, field_code = _facts(store, catalogue, case_id, kind)
    header_ar, header_fr = _header(store, values_ar["district"], values_fr["district"])
    c = get_commune(store)
    doc = DocumentData(kind=kind, number=None, issued_on=date.today(), place_ar="الدار البيضاء" if not c else c.name_ar.replace("جماعة ", ""),
                       place_fr="Casablanca" if not c else c.name_fr.replace("Commune de ", ""), header_ar=header_ar,
                       header_fr=header_fr, values_ar=values_ar, values_fr=values_fr,
                       signatory=Signatory(c.president_ar if c else "", c.president_fr if c else ""), langs=langs)
    render_document(doc)  # a template problem shows now, not at signing
    with store.transaction(user.id) as tx:
        return tx.insert("decision", {"case_id": case_id, "step_id": step_id, "kind": kind, "field_code": field_code,
                                      "langs": "+".join(langs), "content": _dump(doc),
                                      "oversight_class": oversight_class(kind, field_code)})


def _dump(doc: DocumentData) -> str:
    data = asdict(doc)
    data["issued_on"] = doc.issued_on.isoformat()
    return json.dumps(data, ensure_ascii=False)


def _load(text: str) -> DocumentData:
    data = json.loads(text)
    sig = data.pop("signatory")
    delegation = sig.pop("delegation")
    return DocumentData(**{**data, "issued_on": date.fromisoformat(data["issued_on"]), "langs": tuple(data["langs"]),
                           "signatory": Signatory(**sig, delegation=Delegation(**delegation) if delegation else None)})


def document(store: Store, decision_id: str) -> tuple[dict, DocumentData]:
    rows = store.query("SELECT * FROM decision WHERE id = ?", (decision_id,))
    if not rows:
        raise StoreError("not_found", f"decision {decision_id}")
    return rows[0], _load(rows[0]["content"])


def signing_authority(store: Store, user: User, field_code: str, on: date) -> tuple[Signatory, str | None]:
    """Who signs and in what capacity: the president himself, or a user holding a delegation
    in force for this field (Law 113-14 arts. 103 and 236); anyone else is refused."""
    c = get_commune(store)
    if user.role == "president":
        return Signatory(c.president_ar if c else user.full_name_ar, c.president_fr if c else user.full_name_fr), None
    for d in store.query("SELECT * FROM delegation WHERE delegate_id = ? AND withdrawn_on IS NULL AND deleted_at IS NULL"
                         " AND valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?)", (user.id, on.isoformat(), on.isoformat())):
        fields = json.loads(d["scope_fields"])
        if "*" in fields or field_code in fields:
            delegation = Delegation(d["number"], _fmt(d["decided_on"]), user.full_name_ar, user.full_name_fr,
                                    d["capacity_ar"], d["capacity_fr"], d["scope_ar"], d["scope_fr"])
            return Signatory(c.president_ar if c else "", c.president_fr if c else "", delegation=delegation), d["id"]
    raise NotAuthorisedToSign(user, field_code)


def sign_decision(store: Store, user: User, decision_id: str, pkcs12: Path, password: str, on: date | None = None) -> int:
    """Number, render, sign (PAdES) and store a draft in one transaction; returns its number.

    A wrong password, an unusable certificate or an unauthorised signer stop everything before
    anything is written; the register number is only taken by a signature that succeeds."""
    from reports.signing import read_pkcs12, sign_pdf
    on = on or date.today()
    row, doc = document(store, decision_id)
    if row["status"] == "signed":
        raise StoreError("already_signed", decision_id)
    signatory, delegation_id = signing_authority(store, user, row["field_code"], on)
    read_pkcs12(pkcs12, password)
    with store.transaction(user.id) as tx:
        number = (tx.conn.execute("SELECT max(number) FROM decision WHERE year = ?", (on.year,)).fetchone()[0] or 0) + 1
        doc.number, doc.issued_on, doc.signatory = f"{number}/{on.year}", on, signatory
        pdf = sign_pdf(render_document(doc), pkcs12, password, reason=f"{row['kind']} {doc.number}",
                       location=doc.place_fr)
        stored = store.attachments.put_bytes(pdf, "application/pdf")
        tx.update("decision", decision_id, {
            "status": "signed", "year": on.year, "number": number, "content": _dump(doc),
            "content_sha256": doc.content_hash(), "pdf_sha256": stored.sha256, "signed_on": on.isoformat(),
            "signed_by": user.id, "delegation_id": delegation_id})
        tx.insert("attachment", {"sha256": stored.sha256, "mime": "application/pdf", "size": stored.size,
                                 "original_name": f"{row['kind']}-{number}-{on.year}.pdf", "owner_type": "decision",
                                 "owner_id": decision_id})
    return number


def record_delivery(store: Store, user: User, decision_id: str, on: date, method: str, receiver: str) -> None:
    """Proof of notification (Law 113-14 art. 97): date, method, receiver."""
    require(user.role, "decision.record")
    if not method.strip() or not receiver.strip():
        raise ValueError("method and receiver are required")
    with store.transaction(user.id) as tx:
        tx.update("decision", decision_id, {"delivered_on": on.isoformat(), "delivery_method": method.strip(),
                                            "delivery_receiver": receiver.strip()})


def record_transmission(store: Store, user: User, decision_id: str, sent_on: date, receipt_on: date | None = None,
                        observation: str = "") -> None:
    require(user.role, "decision.record")
    with store.transaction(user.id) as tx:
        tx.update("decision", decision_id, {"transmitted_on": sent_on.isoformat(),
                                            "receipt_on": receipt_on.isoformat() if receipt_on else None,
                                            "governor_observation": observation})


def record_receipt(store: Store, user: User, decision_id: str, on: date, observation: str = "") -> None:
    """The governor's receipt of a transmitted decision, with any observation (art. 115-116)."""
    require(user.role, "decision.record")
    row, _doc = document(store, decision_id)
    if not row["transmitted_on"]:
        raise StoreError("not_transmitted", decision_id)
    with store.transaction(user.id) as tx:
        tx.update("decision", decision_id, {"receipt_on": on.isoformat(), "governor_observation": observation.strip()})


def record_appeal(store: Store, user: User, decision_id: str, filed_on: date, reference: str) -> None:
    """An appeal against a decision (administrative court, or the urgent-matters judge)."""
    require(user.role, "decision.record")
    if not reference.strip():
        raise ValueError("the appeal's reference is required")
    with store.transaction(user.id) as tx:
        tx.update("decision", decision_id, {"appeal_on": filed_on.isoformat(), "appeal_ref": reference.strip()})


def register(store: Store, year: int | None = None) -> list[dict]:
    """Decisions with their oversight deadline and whether it was met."""
    where, params = ("WHERE d.year = ? OR (d.year IS NULL AND ? IS NOT NULL)", (year, year)) if year else ("", ())
    rows = store.query(f"SELECT d.id, d.kind, d.field_code, d.year, d.number, d.status, d.signed_on, d.delivered_on,"
                       f" d.transmitted_on, d.receipt_on, d.appeal_on, d.oversight_class, s.name AS site_name"
                       f" FROM decision d LEFT JOIN case_file c ON c.id = d.case_id LEFT JOIN site s ON s.id = c.site_id"
                       f" {where} ORDER BY d.year IS NULL, d.year, d.number, d.created_at", params)
    for r in rows:
        due = governor_deadline(r["oversight_class"], date.fromisoformat(r["signed_on"]) if r["signed_on"] else None,
                                date.fromisoformat(r["delivered_on"]) if r["delivered_on"] else None)
        r["governor_due"] = due.isoformat() if due else None
        r["governor_late"] = bool(due and (r["transmitted_on"] or date.today().isoformat()) > due.isoformat())
    return rows


def signed_pdf(store: Store, decision_id: str) -> bytes:
    row, _doc = document(store, decision_id)
    if not row["pdf_sha256"]:
        raise StoreError("not_signed", decision_id)
    return store.attachments.path_for(row["pdf_sha256"]).read_bytes()


def add_delegation(store: Store, user: User, delegate: User, number: str, decided_on: date, legal_basis: str,
                   fields: list[str], scope_ar: str, scope_fr: str, capacity_ar: str, capacity_fr: str,
                   valid_from: date, valid_to: date | None = None) -> str:
    require(user.role, "delegation.manage")
    with store.transaction(user.id) as tx:
        return tx.insert("delegation", {
            "delegate_id": delegate.id, "number": number, "decided_on": decided_on.isoformat(), "legal_basis": legal_basis,
            "scope_fields": json.dumps(fields), "scope_ar": scope_ar, "scope_fr": scope_fr, "capacity_ar": capacity_ar,
            "capacity_fr": capacity_fr, "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None})


def withdraw_delegation(store: Store, user: User, delegation_id: str, on: date, reason: str) -> None:
    """Art. 236: withdrawal must be reasoned."""
    require(user.role, "delegation.manage")
    if len(reason.strip()) < 10:
        raise ValueError("a withdrawal states its reasons")
    with store.transaction(user.id) as tx:
        tx.update("delegation", delegation_id, {"withdrawn_on": on.isoformat(), "withdrawal_reason": reason.strip()})
