"""Complaints in the store: intake, triage, links to inspections, answers, Open311 exchange."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Sequence

from desktop.domain.auth import require
from desktop.domain.catalogue import Catalogue
from desktop.domain.errors import Refusal
from desktop.domain.complaints import (CLOCK_RUNNING_SQL, ComplaintError, ComplaintInput, answer_due, check_triage,
                                       device_code, from_open311, reference_prefix, reference_problem, to_open311,
                                       validate)
from desktop.store.db import Store, Transaction
from desktop.store.districts import current_bounds, district_locator
from desktop.store.errors import StoreError
from desktop.store.files import write_atomic
from desktop.store.users import User

STATUSES = ("received", "accepted", "forwarded", "rejected", "merged", "answered")


def _next_reference(conn, year: int, code: str | None = None) -> str:
    """The next free reference of this installation's series (``reference_prefix``: PL-YYYY-NNNNN
    standalone, PL-YYYY-CCCC-NNNNN on an enrolled device): references may have been imported with
    gaps. A device holds every complaint of its own series (it wrote them), whatever it sees of
    the others'."""
    prefix = reference_prefix(year, code)
    count = conn.execute("SELECT count(*) FROM complaint WHERE reference LIKE ? || '_____'",
                         (prefix,)).fetchone()[0]
    while True:
        count += 1
        reference = f"{prefix}{count:05d}"
        if not conn.execute("SELECT 1 FROM complaint WHERE reference = ?", (reference,)).fetchone():
            return reference


def _device_code(store: Store) -> str | None:
    """The code of an enrolled device's series (None standalone: today's PL-YYYY-NNNNN)."""
    return device_code(store.device_id) if store.sync_capture else None


def _insert(tx: Transaction, inp: ComplaintInput) -> str:
    code = _device_code(tx.store)
    reference = inp.reference.strip() or _next_reference(tx.conn, inp.received_on.year, code)
    if code is not None and reference_problem(reference, inp.channel, code):
        raise ComplaintError("complaint_reference_series", reference=reference)
    if tx.conn.execute("SELECT 1 FROM complaint WHERE reference = ?", (reference,)).fetchone():
        raise ComplaintError("complaint_duplicate_reference", reference=reference)
    return tx.insert("complaint", {
        "reference": reference, "channel": inp.channel, "received_on": inp.received_on.isoformat(),
        "field_code": inp.field_code, "district_id": inp.district_id, "lon": inp.lon, "lat": inp.lat,
        "location_text": inp.location_text.strip(), "description": inp.description.strip(),
        "complainant_kind": inp.complainant_kind, "complainant_name": inp.complainant_name.strip(),
        "complainant_contact": inp.complainant_contact.strip(), "answer_due": answer_due(inp.received_on).isoformat()})


def _context(store: Store, catalogue: Catalogue):
    return catalogue.has_field, current_bounds(store)


def _locate(store: Store, inp: ComplaintInput) -> None:
    if inp.lon is not None and inp.district_id is None:
        locator = district_locator(store)
        inp.district_id = locator.locate(inp.lon, inp.lat) if locator else None


def create_complaint(store: Store, user: User, catalogue: Catalogue, inp: ComplaintInput) -> str:
    require(user.role, "complaint.create")
    field_exists, bounds = _context(store, catalogue)
    problems = validate(inp, field_exists, bounds)
    if problems:
        raise ComplaintError(problems[0][1], field=problems[0][0], problems=problems)
    _locate(store, inp)
    with store.transaction(user.id) as tx:
        return _insert(tx, inp)


def get_complaint(store: Store, complaint_id: str) -> dict:
    rows = store.query("SELECT * FROM complaint WHERE id = ?", (complaint_id,))
    if not rows:
        raise StoreError("record_missing", f"complaint {complaint_id}")
    row = rows[0]
    row["inspections"] = [r["inspection_id"] for r in store.query(
        "SELECT inspection_id FROM complaint_inspection WHERE complaint_id = ? AND deleted_at IS NULL", (complaint_id,))]
    row["attachments"] = store.query("SELECT sha256, mime, original_name FROM attachment WHERE owner_type = 'complaint'"
                                     " AND owner_id = ? AND deleted_at IS NULL ORDER BY rowid", (complaint_id,))
    return row


def _move(store: Store, user: User, complaint_id: str, following: str, changes: dict, links: Sequence[str] = ()) -> None:
    require(user.role, "complaint.triage")
    current = get_complaint(store, complaint_id)
    check_triage(current["status"], following)
    with store.transaction(user.id) as tx:
        # re-read inside the write lock: someone may have triaged it since (no lost update)
        if store.scalar("SELECT status FROM complaint WHERE id = ?", (complaint_id,)) != current["status"]:
            raise Refusal("changed_meanwhile")
        tx.update("complaint", complaint_id, {"status": following, **changes})
        for inspection_id in links:
            if inspection_id not in current["inspections"]:
                tx.insert("complaint_inspection", {"complaint_id": complaint_id, "inspection_id": inspection_id})


def accept(store: Store, user: User, complaint_id: str, inspection_ids: Sequence[str] = ()) -> None:
    _move(store, user, complaint_id, "accepted", {}, list(inspection_ids))


def merge(store: Store, user: User, complaint_id: str, into_id: str) -> None:
    """A duplicate (same place, same problem): it follows the other complaint."""
    if complaint_id == into_id:
        raise ComplaintError("complaint_merge_self")
    target = get_complaint(store, into_id)
    if target["status"] == "merged":
        raise ComplaintError("complaint_merge_into_merged")
    _move(store, user, complaint_id, "merged", {"merged_into": into_id})


def forward(store: Store, user: User, complaint_id: str, authority: str) -> None:
    """Outside the president's powers: sent to the competent authority, named."""
    if not authority.strip():
        raise ComplaintError("complaint_authority_required")
    _move(store, user, complaint_id, "forwarded", {"forwarded_to": authority.strip()})


def reject(store: Store, user: User, complaint_id: str, reason: str) -> None:
    if len(reason.strip()) < 10:
        raise ComplaintError("complaint_reason_required")
    _move(store, user, complaint_id, "rejected", {"reason": reason.strip()})


def answer(store: Store, user: User, complaint_id: str, text: str, on: date | None = None) -> None:
    """The complainant is told the outcome; merged duplicates are answered with it."""
    if len(text.strip()) < 10:
        raise ComplaintError("complaint_answer_required")
    on = on or date.today()
    _move(store, user, complaint_id, "answered", {"answered_on": on.isoformat(), "answer_text": text.strip()})
    duplicates = store.query("SELECT id FROM complaint WHERE merged_into = ? AND answered_on IS NULL", (complaint_id,))
    if duplicates:
        with store.transaction(user.id) as tx:
            for d in duplicates:
                tx.update("complaint", d["id"], {"answered_on": on.isoformat(), "answer_text": text.strip()})


def link_inspection(tx: Transaction, complaint_id: str, inspection_id: str) -> None:
    """Called when an inspection cites a complaint: the complaint is accepted and linked."""
    tx.insert("complaint_inspection", {"complaint_id": complaint_id, "inspection_id": inspection_id})
    status = tx.conn.execute("SELECT status FROM complaint WHERE id = ?", (complaint_id,)).fetchone()[0]
    if status == "received":
        tx.update("complaint", complaint_id, {"status": "accepted"})


def attach_file(store: Store, user: User, complaint_id: str, source: Path) -> str:
    """A photo or a scanned letter joined to a complaint (stored content-addressed)."""
    require(user.role, "complaint.create")
    try:
        stored = store.attachments.put_photo(source)
    except StoreError as exc:
        if exc.code != "photo_not_image":
            raise
        head = Path(source).read_bytes()[:5]
        if head != b"%PDF-":
            raise
        stored = store.attachments.put_file(Path(source), "application/pdf")
    with store.transaction(user.id) as tx:
        return tx.insert("attachment", {"sha256": stored.sha256, "mime": stored.mime, "size": stored.size,
                                        "original_name": Path(source).name, "owner_type": "complaint",
                                        "owner_id": complaint_id})


def overdue_answers(store: Store, today: date | None = None) -> list[dict]:
    today = today or date.today()
    return store.query("SELECT id, reference, channel, received_on, answer_due, status FROM complaint"
                       f" WHERE {CLOCK_RUNNING_SQL} AND answer_due < ? ORDER BY answer_due",
                       (today.isoformat(),))


def import_open311(store: Store, user: User, catalogue: Catalogue, path: Path) -> int:
    """All the service requests of a GeoReport v2 JSON file, or none: every problem is reported
    with the request it belongs to. A request for a service outside the police fields is kept
    (no field, its service named in the text) for the coordinator to forward. A bulk import is
    not an officer's (review L7): ``complaint.import``."""
    require(user.role, "complaint.import")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise StoreError("file_unreadable", str(exc), path=str(path)) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ComplaintError("open311_not_json", detail=str(exc)) from exc
    except RecursionError:  # "[" nested 100,000 deep: not a list of requests
        raise ComplaintError("open311_not_json", detail="nested too deep") from None
    requests = data.get("service_requests", data) if isinstance(data, dict) else data
    if not isinstance(requests, list):
        raise ComplaintError("open311_not_a_list")
    field_exists, bounds = _context(store, catalogue)
    inputs, problems, seen = [], [], set()
    existing = {r[0] for r in store.conn.execute("SELECT reference FROM complaint")}
    series = _device_code(store)
    for n, request in enumerate(requests):
        try:
            inp = from_open311(request if isinstance(request, dict) else {})
        except ComplaintError as exc:
            problems.append((f"#{n + 1}", exc.code, ""))
            continue
        if inp.field_code and not field_exists(inp.field_code):
            # A service outside the police fields (street lighting, roads…) is still a citizen's
            # complaint: recorded without a field, its service kept in the text, to be forwarded
            # to the competent authority. Only a malformed request refuses the file.
            service = str(request.get("service_name") or "").strip()
            inp.description = f"{inp.description}\n[Open311 : {service + ' — ' if service else ''}{inp.field_code}]"
            inp.field_code = ""
        for _where, code in validate(inp, field_exists, bounds):
            problems.append((f"#{n + 1}", code, inp.reference))
        if series is not None and inp.reference and reference_problem(inp.reference, inp.channel, series):
            problems.append((f"#{n + 1}", "complaint_reference_series", inp.reference))
        if inp.reference in existing or inp.reference in seen:
            problems.append((f"#{n + 1}", "complaint_duplicate_reference", inp.reference))
        seen.add(inp.reference)
        inputs.append(inp)
    if problems:
        raise ComplaintError("open311_rejected", problems=problems, count=len(problems))
    for inp in inputs:
        _locate(store, inp)
    with store.transaction(user.id) as tx:
        for inp in inputs:
            _insert(tx, inp)
    return len(inputs)


def export_open311(store: Store, catalogue: Catalogue, path: Path) -> int:
    rows = store.query("SELECT * FROM complaint WHERE deleted_at IS NULL ORDER BY received_on, reference")
    out = [to_open311(r, catalogue.field(r["field_code"]).fr if catalogue.has_field(r["field_code"]) else "") for r in rows]
    write_atomic(path, json.dumps(out, ensure_ascii=False, indent=1))
    return len(out)
