"""The decision register: stored drafts and signed documents, numbering per year, delivery,
transmission to the governor, appeals. Drafting and signing are use cases of
``desktop.services.paperwork``."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from datetime import date

from desktop.domain.auth import require
from desktop.domain.errors import Refusal
from desktop.domain.ladder import SERIES, governor_deadline
from desktop.store.db import Store
from desktop.store.errors import StoreError
from desktop.store.users import User
from reports.documents import DocumentData, Delegation, Signatory


def dump_document(doc: DocumentData) -> str:
    data = asdict(doc)
    data["issued_on"] = doc.issued_on.isoformat()
    return json.dumps(data, ensure_ascii=False)


def load_document(text: str) -> DocumentData:
    data = json.loads(text)
    sig = data.pop("signatory")
    delegation = sig.pop("delegation")
    return DocumentData(**{**data, "issued_on": date.fromisoformat(data["issued_on"]), "langs": tuple(data["langs"]),
                           "signatory": Signatory(**sig, delegation=Delegation(**delegation) if delegation else None)})


def document(store: Store, decision_id: str) -> tuple[dict, DocumentData]:
    rows = store.query("SELECT * FROM decision WHERE id = ?", (decision_id,))
    if not rows:
        raise StoreError("record_missing", f"decision {decision_id}")
    return rows[0], load_document(rows[0]["content"])


def next_number(conn: sqlite3.Connection, series: str, year: int) -> int:
    """The next number of a series of the year's register ("arrete", "notice", "letter":
    ``ladder.SERIES``), taken inside the signing transaction (``conn`` holds its write lock).

    The one place a number is given: a hub that numbers for its enrolled communes replaces this
    function, the series names and the (series, year, number) uniqueness stay."""
    if series not in SERIES:
        raise ValueError(f"unknown series {series!r}")
    return (conn.execute("SELECT max(number) FROM decision WHERE series = ? AND year = ?",
                         (series, year)).fetchone()[0] or 0) + 1


def record_delivery(store: Store, user: User, decision_id: str, on: date, method: str, receiver: str) -> None:
    """Proof of notification (Law 113-14 art. 97): date, method, receiver."""
    require(user.role, "decision.record")
    if not method.strip() or not receiver.strip():
        raise Refusal("delivery_incomplete")
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
        raise Refusal("appeal_reference_required")
    with store.transaction(user.id) as tx:
        tx.update("decision", decision_id, {"appeal_on": filed_on.isoformat(), "appeal_ref": reference.strip()})


def register(store: Store, year: int | None = None) -> list[dict]:
    """Decisions with their oversight deadline and whether it was met."""
    where, params = ("WHERE d.year = ? OR (d.year IS NULL AND ? IS NOT NULL)", (year, year)) if year else ("", ())
    rows = store.query(f"SELECT d.id, d.kind, d.series, d.field_code, d.year, d.number, d.status, d.signed_on, d.delivered_on,"
                       f" d.transmitted_on, d.receipt_on, d.appeal_on, d.oversight_class, s.name AS site_name"
                       f" FROM decision d LEFT JOIN case_file c ON c.id = d.case_id LEFT JOIN site s ON s.id = c.site_id"
                       f" {where} ORDER BY d.year IS NULL, d.year, d.series, d.number, d.created_at", params)
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
    return store.attachments.read(row["pdf_sha256"])
