"""Documents of a case and of a complaint: choosing, drafting, signing.

The layer chooses which document a case's current step calls for (the GUI no longer does), takes
every fact from the case's recorded events, and puts the commune's wording around them from
``templates.json`` ("phrases"): no legal prose lives in code. Signing numbers the draft, renders it
and signs it (PAdES) in one transaction; only the president or a delegate in force may sign.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from desktop.domain.auth import PermissionDenied, require
from desktop.domain.catalogue import Catalogue, Violation
from desktop.domain.errors import Refusal
from desktop.domain.ladder import decision_kind, document_for, document_series, oversight_class
from desktop.services.commune import Commune
from desktop.services import trust
from desktop.services.hubconfig import hub_number
from desktop.services.verification import check_signer_certificate
from desktop.store.cases import case_steps, case_violations, current_step, step_after_signature
from desktop.store.commune import CommuneInfo, get_commune
from desktop.store.complaints import get_complaint
from desktop.store.db import Store
from desktop.store.decisions import document, dump_document, next_number
from desktop.store.errors import StoreError
from desktop.store.users import User, password_reset
from reports.counting import NOUNS, count
from reports.numbers import decimal_text
from reports.signing import read_pkcs12, sign_pdf
from reports.documents import (DocumentData, Delegation, Signatory, gregorian_text, load_templates, render_document,
                               signing_gaps, validate_document)


ARABIC = re.compile("[\u0600-\u06ff]")


class NotAuthorisedToSign(PermissionDenied):
    """The user is neither the president nor a delegate in force for this field."""

    prefix = "sign."

    def __init__(self, user: User, field_code: str):
        super().__init__(user.role, "decision.sign")
        self.code = "not_authorised"
        self.params = {"field": field_code}
        self.field_code = field_code


@lru_cache(maxsize=1)
def phrases() -> dict:
    """The wording around the facts (``templates.json``, section "phrases")."""
    return load_templates()["phrases"]


def _phrase(name: str, lang: str, **values) -> str:
    text = phrases()[name][lang]
    return text.format(**values) if values else text


def _fmt(day: str | None) -> str:
    return gregorian_text(date.fromisoformat(day[:10])) if day else "—"


def _case_violations(catalogue: Catalogue, codes: list[str]) -> list[Violation]:
    """The catalogue's entries for a case's codes; a code the catalogue no longer knows is refused
    rather than silently dropped from the legal bases."""
    unknown = [c for c in dict.fromkeys(codes) if not catalogue.has_violation(c)]
    if unknown:
        raise Refusal("unknown_violation", codes=", ".join(unknown))
    return [catalogue.violation(c) for c in dict.fromkeys(codes)]


def kind_for_current_step(commune: Commune, case_id: str) -> str | None:
    """The document the case's open step calls for (None: a field step, or a closed case)."""
    step = current_step(commune.store, case_id)
    if step is None:
        return None
    return document_for(step.step, _case_violations(commune.catalogue, case_violations(commune.store, case_id)))


def _article_key(article: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in article.replace("-", ".").split("."))


def _legal_bases(catalogue: Catalogue, violations: list[Violation], lang: str, kind: str | None = None) -> str:
    """The visas: one per text (the kind's own bases and the violations'), ordered by rank (organic
    law, laws, decrees, communal regulations), each with the promulgating dahir and the articles
    that apply, sorted; an unconfirmed basis keeps its "(?)" (and the draft cannot be signed)."""
    cited: list[tuple[str, str | None, bool]] = [(t, a, True) for t, a in phrases().get("document_bases", {}).get(kind or "", [])]
    cited += [(b.text, b.article, b.confirmed) for v in violations for b in v.basis]
    articles: dict[str, list[str]] = {}
    doubtful: set[str] = set()
    for text_code, article, confirmed in cited:
        entry = articles.setdefault(text_code, [])
        if article and article not in entry:
            entry.append(article)
        if not confirmed and article:  # an article not verified; a whole text is confirmed by its record
            doubtful.add(text_code)
    order = sorted(articles, key=lambda code: (catalogue.texts[code].rank, list(articles).index(code)))
    bases = []
    for text_code in order:
        legal_text = catalogue.texts[text_code]
        text = (legal_text.visa_ar or legal_text.ar) if lang == "ar" else (legal_text.visa_fr or legal_text.fr)
        arts = sorted(articles[text_code], key=_article_key)
        if arts:
            joined = _phrase("article_joiner", lang).join(arts)
            text += _phrase("visa_one_article" if len(arts) == 1 else "visa_many_articles", lang, articles=joined)
        if text_code in doubtful or not legal_text.confirmed:
            text += _phrase("unconfirmed", lang)
        bases.append(_phrase("visa", lang, text=text))
    return "\n".join(bases)


def governor_title(info: CommuneInfo | None, lang: str) -> str:
    """The governor as the commune set his title (``commune set --governor-ar``), else the
    catalogue's default (Casablanca's wali-governor)."""
    own = (info.governor_ar if lang == "ar" else info.governor_fr) if info else ""
    return own or phrases()["governor"][lang]


def _facts(store: Store, catalogue: Catalogue, case_id: str, kind: str | None = None) -> tuple[dict, dict, str]:
    """The placeholder values of a case's documents, Arabic and French, and its police field."""
    info = get_commune(store)
    cases = store.query("SELECT c.field_code, s.name, s.address, s.owner_name, s.owner_id_kind, s.owner_id_number,"
                        " d.name_ar AS district_ar, d.name_fr AS district_fr FROM case_file c JOIN site s ON s.id = c.site_id"
                        " LEFT JOIN district d ON d.id = s.district_id WHERE c.id = ?", (case_id,))
    if not cases:
        raise StoreError("record_missing", f"case {case_id}")
    case = cases[0]
    first = store.query("SELECT i.inspected_at FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
                        " JOIN inspection i ON i.id = f.inspection_id WHERE cf.case_id = ? ORDER BY i.inspected_at LIMIT 1",
                        (case_id,))
    findings = store.query("SELECT f.violation_code, f.measure_value FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
                           " WHERE cf.case_id = ? ORDER BY f.rowid", (case_id,))
    violations = _case_violations(catalogue, [f["violation_code"] for f in findings])
    steps = case_steps(store, case_id)
    open_step = next((s for s in reversed(steps) if s.status == "open"), None)
    reinspection = next((s for s in reversed(steps) if s.step == "reinspection" and s.done_on), None)
    notice = store.query("SELECT year, number, delivered_on FROM decision WHERE case_id = ? AND kind = 'formal_notice'"
                         " AND status = 'signed' ORDER BY signed_on DESC LIMIT 1", (case_id,))
    decided = store.query("SELECT year, number, delivered_on FROM decision WHERE case_id = ? AND status = 'signed'"
                          " AND kind NOT IN ('formal_notice', 'referral_letter', 'public_force_request')"
                          " ORDER BY signed_on DESC LIMIT 1", (case_id,))
    deadline = max((v.deadline_days for v in violations), default=30) or 30
    notice_step = next((s for s in steps if s.step == "formal_notice"), None)
    authority = ((open_step.data.get("authority") if open_step else None)
                 or (violations[0].referral_to if violations else None) or "urbanism_controller")
    # Every fact comes from a recorded event: a notice counts once signed, its date is the day it
    # was delivered (deadlines run from delivery), never a step's opening; a missing event stays
    # "—" and the draft cannot be signed (signing_gaps).
    delivered = notice[0]["delivered_on"] if notice else None
    notice_days = ((date.fromisoformat(notice_step.due_on) - date.fromisoformat(notice_step.opened_on)).days
                   if notice_step else deadline)
    common = {"site_name": case["name"], "site_address": case["address"], "deadline_days": str(deadline),
              "inspection_date": _fmt(first[0]["inspected_at"] if first else None),
              "reinspection_date": _fmt(reinspection.done_on if reinspection and (not delivered or reinspection.done_on
                                                                                   >= delivered) else None),
              "deadline_date": gregorian_text(date.today() + timedelta(days=deadline)),
              "fee_multiplier": str(int(max((v.fee_multiplier or 0 for v in violations), default=5) or 5)),
              "notice_ref": f"{notice[0]['number']}/{notice[0]['year']}" if notice else "—",
              "notice_date": _fmt(delivered) if delivered else "—",
              "notice_days": str(notice_days),
              "decision_ref": f"{decided[0]['number']}/{decided[0]['year']}" if decided else "—",
              "decision_delivered_date": _fmt(decided[0]["delivered_on"]) if decided and decided[0]["delivered_on"]
              else "—"}
    # Facts recorded on the case's steps (the permit withdrawn, the technical expertise of a ruin
    # order): printed only as recorded; absent, they stay "—" and the draft cannot be signed.
    recorded = {key: "—" for key in ("permit_ref", "permit_date", "expertise_ref", "expertise_date")}
    for s in steps:
        for key in recorded:
            if s.data.get(key):
                recorded[key] = _fmt(s.data[key]) if key.endswith("_date") else str(s.data[key])
    p = phrases()

    def lang_values(lang: str) -> dict:
        measured = []
        for f in findings:
            v = catalogue.violation(f["violation_code"])
            label = v.label(lang)
            if f["measure_value"] is not None and v.measure:
                unit = p["units"][v.measure.unit][lang]
                value = f["measure_value"]
                if v.measure.unit in NOUNS and float(value).is_integer():
                    label += f" ({count(int(value), v.measure.unit, lang, spelled=False)})"
                else:
                    label += f" ({decimal_text(value, lang)} {unit})".replace(" )", ")")
            measured.append(label)
        owner = case["owner_name"] or p["owner_default"][lang]
        if case["owner_id_number"]:
            id_kind = p["id_kinds"].get(case["owner_id_kind"], p["id_kinds"]["rc"])[lang]
            owner += f" ({id_kind} {case['owner_id_number']})"
        measure = p["measures"][decision_kind(violations)]
        chosen = p["authorities"].get(authority, p["authorities"]["urbanism_controller"])
        governor = governor_title(info, lang)
        return {**common, "owner": owner, "deadline_period": count(deadline, "days", lang),
                "notice_period": count(notice_days, "days", lang), "findings": p["findings_joiner"][lang].join(dict.fromkeys(measured)),
                "legal_bases": _legal_bases(catalogue, violations, lang, kind), "next_measure": measure[lang],
                "authority": chosen[lang].format(governor=governor), "executor": p["executor"][lang],
                "governor": governor, "court": p["court"][lang], **recorded,
                "district": case["district_ar" if lang == "ar" else "district_fr"] or ""}
    return lang_values("ar"), lang_values("fr"), case["field_code"]


def _header(commune: Commune, district_ar: str, district_fr: str) -> tuple[list[str], list[str]]:
    c = commune.info
    ar = [*_phrase_list("kingdom", "ar"), *((c.wilaya_ar, c.prefecture_ar, c.name_ar) if c else ())]
    fr = [*_phrase_list("kingdom", "fr"), *((c.wilaya_fr, c.prefecture_fr, c.name_fr) if c else ())]
    # Wilaya, prefecture («عمالة الدار البيضاء»), commune; no arrondissement line: the documents are
    # the commune president's, not the arrondissement's (legal review B7); the address says where.
    return [x for x in ar if x], [x for x in fr if x]


def _phrase_list(name: str, lang: str) -> list[str]:
    return list(phrases()[name][lang])


def _place(commune: Commune) -> tuple[str, str]:
    """The place a document is issued at: the commune's name without the word "commune"."""
    c = commune.info
    if c is None:
        return "", ""
    return (c.name_ar.replace(_phrase("place_prefix", "ar"), ""),
            c.name_fr.replace(_phrase("place_prefix", "fr"), ""))


def draft_for_current_step(commune: Commune, case_id: str, langs: tuple[str, ...] = ("ar", "fr")) -> str:
    """Draft the document the case's current step calls for; returns the draft decision's id."""
    require(commune.actor.role, "decision.draft")
    step = current_step(commune.store, case_id)
    kind = kind_for_current_step(commune, case_id)
    if step is None or kind is None:
        raise Refusal("no_document_for_step", step=step.step if step else "")
    return draft_decision(commune, case_id, kind, langs, step_id=step.id)


def draft_decision(commune: Commune, case_id: str, kind: str, langs: tuple[str, ...] = ("ar", "fr"),
                   step_id: str | None = None) -> str:
    """Draft a document of ``kind`` for a case (the demo builder and tests choose the kind)."""
    user = commune.actor
    require(user.role, "decision.draft")
    store = commune.store
    values_ar, values_fr, field_code = _facts(store, commune.catalogue, case_id, kind)
    header_ar, header_fr = _header(commune, values_ar["district"], values_fr["district"])
    place_ar, place_fr = _place(commune)
    values_ar["commune"], values_fr["commune"] = place_ar or "—", place_fr or "—"
    doc = DocumentData(kind=kind, number=None, issued_on=date.today(), place_ar=place_ar, place_fr=place_fr,
                       header_ar=header_ar, header_fr=header_fr, values_ar=values_ar, values_fr=values_fr,
                       signatory=_president(commune), langs=langs)
    validate_document(doc)  # a template problem shows now, not at signing
    with store.transaction(user.id) as tx:
        return tx.insert("decision", {"case_id": case_id, "step_id": step_id, "kind": kind, "field_code": field_code,
                                      "langs": "+".join(langs), "content": dump_document(doc),
                                      "oversight_class": oversight_class(kind, field_code),
                                      "series": document_series(kind)})


def _president(commune: Commune, delegation: Delegation | None = None) -> Signatory:
    """The president as signatory, with his exact capacity («رئيس مجلس جماعة الدار البيضاء»)."""
    c = commune.info
    place_ar, place_fr = _place(commune)
    return Signatory(c.president_ar if c else "", c.president_fr if c else "",
                     _phrase("president_capacity", "ar", commune=place_ar),
                     _phrase("president_capacity", "fr", commune=place_fr), delegation=delegation)


def signing_authority(commune: Commune, user: User, field_code: str, on: date,
                      district_id: str | None = None) -> tuple[Signatory, str | None]:
    """Who signs and in what capacity: the president himself, or a user holding a delegation
    in force for this field (Law 113-14 arts. 103 and 236); anyone else is refused.

    A delegation is in force once published in the BO-CT (art. 277), not before; an art. 236
    delegation covers only its arrondissement (``district_id``: the site's); the delegate of an
    art. 236 delegation signs in his own capacity, the art. 103 one «عن الرئيس وبتفويض منه»."""
    if user.role == "president":
        signatory = _president(commune)
        if commune.info is None:
            signatory.name_ar, signatory.name_fr = user.full_name_ar, user.full_name_fr
        return signatory, None
    for d in commune.store.query(
            "SELECT * FROM delegation WHERE delegate_id = ? AND withdrawn_on IS NULL AND deleted_at IS NULL"
            " AND valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?)", (user.id, on.isoformat(), on.isoformat())):
        fields = json.loads(d["scope_fields"])
        if field_code not in fields:
            continue
        if not d["bo_number"] or not d["bo_date"] or d["bo_date"] > on.isoformat():
            raise Refusal("delegation_not_published", number=d["number"])
        if d["legal_basis"] == "art236" and (district_id is None or d["district_id"] != district_id):
            continue
        delegation = Delegation(d["number"], _fmt(d["decided_on"]), user.full_name_ar, user.full_name_fr,
                                d["capacity_ar"], d["capacity_fr"], d["scope_ar"], d["scope_fr"],
                                bo_number=d["bo_number"], bo_date=_fmt(d["bo_date"]),
                                own_capacity=d["legal_basis"] == "art236")
        return _president(commune, delegation), d["id"]
    raise NotAuthorisedToSign(user, field_code)


def _case_district(store: Store, case_id: str | None) -> str | None:
    if case_id is None:
        return None
    return store.scalar("SELECT s.district_id FROM case_file c JOIN site s ON s.id = c.site_id WHERE c.id = ?", (case_id,))


def check_signable(doc: DocumentData) -> None:
    """Refuse to sign a draft that prints a fact no event recorded ("—", "…", empty) or cites a
    legal basis still unconfirmed "(?)": the commune records the event (the notice signed and
    delivered, the re-inspection done…) or the text's references, then redrafts."""
    missing, unconfirmed = signing_gaps(doc)
    if missing:
        raise Refusal("missing_facts", facts=", ".join(missing))
    if unconfirmed:
        raise Refusal("unconfirmed_basis", bases=" ".join(unconfirmed))


def _period(doc: DocumentData) -> int | None:
    days = doc.values_fr.get("deadline_days", "")
    return int(days) if days.isdigit() else None


def sign_decision(commune: Commune, decision_id: str, pkcs12: Path, password: str, on: date | None = None) -> int:
    """Number, render, sign (PAdES) and store a draft in one transaction; returns its number.

    A wrong password, an unusable certificate or an unauthorised signer stop everything before
    anything is written; the register number is only taken by a signature that succeeds."""
    user, store = commune.actor, commune.store
    on = on or date.today()
    row, doc = document(store, decision_id)
    if row["status"] == "signed":
        raise StoreError("already_signed", decision_id)
    signatory, delegation_id = signing_authority(commune, user, row["field_code"], on,
                                                 _case_district(store, row["case_id"]))
    reset = password_reset(store, user)
    if reset is not None:  # someone else set this password: its holder must change it first (GUI too)
        raise Refusal("password_change_required", by=reset["by"] or "—", at=reset["at"][:16].replace("T", " "))
    cert = read_pkcs12(pkcs12, password)[1]
    check_signer_certificate(store, user, cert)  # the commune's own certificate, and the signer's
    check_signable(doc)  # no missing fact, no unconfirmed basis
    with store.transaction(user.id) as tx:
        # re-read inside the write lock: another signature may have committed since (no lost update)
        if store.scalar("SELECT status FROM decision WHERE id = ?", (decision_id,)) != "draft":
            raise StoreError("already_signed", decision_id)
        series = document_series(row["kind"])
        # enrolled with a hub: the number is the hub's, reserved for this document (else a refusal)
        number = hub_number(commune, series, on.year, decision_id) or next_number(tx.conn, series, on.year)
        doc.number, doc.issued_on, doc.signatory = f"{number}/{on.year}", on, signatory
        # the journal's head goes into the signature: each decision handed out anchors the chain
        head = store.conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone() or (0, "")
        # validation data (chain, CRL) inside; a timestamp and B-LTA when the commune has a TSA
        pdf = sign_pdf(render_document(doc), pkcs12, password,
                       reason=f"{row['kind']} {doc.number} — journal {head[0]}:{head[1]}", location=doc.place_fr,
                       trust_roots=[*trust.commune_roots(store), *trust.tsa_roots(store)],
                       crls=trust.commune_crls(store), tsa_url=trust.tsa_url(store))
        stored = store.attachments.put_bytes(pdf, "application/pdf")
        tx.update("decision", decision_id, {
            "status": "signed", "series": series, "year": on.year, "number": number, "content": dump_document(doc),
            "content_sha256": doc.content_hash(), "pdf_sha256": stored.sha256, "signed_on": on.isoformat(),
            "signed_by": user.id, "delegation_id": delegation_id})
        tx.insert("attachment", {"sha256": stored.sha256, "mime": "application/pdf", "size": stored.size,
                                 "original_name": f"{row['kind']}-{number}-{on.year}.pdf", "owner_type": "decision",
                                 "owner_id": decision_id})
        # the ladder moves on: the step this document was drafted for is done, the next one opens
        step_after_signature(tx, row["case_id"], row["step_id"], doc.number, _period(doc), on)
    return number


def decision_pdf(commune: Commune, decision_id: str, langs: tuple[str, ...] | None = None) -> tuple[str, bytes]:
    """(status, PDF): the signed file once signed, else the draft rendered (in ``langs`` if given)."""
    row, doc = document(commune.store, decision_id)
    if row["status"] == "signed":
        return row["status"], commune.store.attachments.read(row["pdf_sha256"])
    if langs:
        doc.langs = langs
    return row["status"], render_document(doc)


def complaint_letter(commune: Commune, complaint_id: str, kind: str, langs: tuple[str, ...] = ("ar", "fr")) -> bytes:
    """The acknowledgement (``complaint_ack``) or the answer letter (``complaint_answer``) as PDF."""
    c = get_complaint(commune.store, complaint_id)
    info = commune.info
    p = phrases()
    received = gregorian_text(date.fromisoformat(c["received_on"]))
    summary = c["description"] if len(c["description"]) <= 220 else c["description"][:217] + "…"
    default = p["district_president"] if c["complainant_kind"] == "district_president" else p["complainant_default"]
    if c["complainant_kind"] == "district_president" and c["district_id"]:  # which arrondissement (review B8)
        names = commune.store.query("SELECT name_ar, name_fr FROM district WHERE id = ?", (c["district_id"],))
        if names:
            default = {lang: p["district_president_named"][lang].format(district=names[0][f"name_{lang}"])
                       for lang in ("ar", "fr")}
    answer = c["answer_text"] or "…"
    # The answer is recorded once, in the language it was written in: the French letter says so
    # rather than passing Arabic off as French (review B8).
    answer_fr = p["answer_in_arabic"]["fr"] + answer if ARABIC.search(answer) else answer
    common = {"complaint_ref": c["reference"], "received_date": received, "complaint_summary": summary}
    header_ar = [*_phrase_list("kingdom", "ar"), info.name_ar if info else ""]
    header_fr = [*_phrase_list("kingdom", "fr"), info.name_fr if info else ""]
    place_ar, place_fr = _place(commune)
    # The acknowledgement bears the day of receipt, the answer the day it was recorded (review B8),
    # not the day the letter is printed.
    issued = date.fromisoformat((c["received_on"] if kind == "complaint_ack" else c.get("answered_on") or
                                 date.today().isoformat())[:10])
    doc = DocumentData(kind, c["reference"], issued, place_ar, place_fr, header_ar, header_fr,
                       {**common, "complainant": c["complainant_name"] or default["ar"], "answer_text": answer},
                       {**common, "complainant": c["complainant_name"] or default["fr"], "answer_text": answer_fr},
                       Signatory(info.president_ar if info else "", info.president_fr if info else ""), langs)
    return render_document(doc)
