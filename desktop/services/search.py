"""The case and complaint lists: filters, free-text search and sorting, read page by page.

A search word matches (case-insensitively, anywhere) the reference, the site's name and address,
the owner's name or ID number, the complainant and the place; several words must all match.
"""
from __future__ import annotations

from datetime import date

from desktop.domain.complaints import CLOCK_RUNNING_SQL
from desktop.store.listing import KeysetQuery

CASE_COLUMNS = ("s.case_id", "s.due_on", "s.step", "st.name", "c.field_code", "s.owner_id")
CASE_SORTS = {"due": "s.due_on", "step": "s.step", "site": "st.name COLLATE NOCASE", "field": "c.field_code"}
CASE_TEXT = ("c.id", "st.name", "st.address", "st.owner_name", "st.owner_id_number")

COMPLAINT_COLUMNS = ("id", "reference", "received_on", "channel", "field_code", "status", "answer_due", "answered_on")
COMPLAINT_SORTS = {"reference": "reference", "received": "received_on", "status": "status", "due": "answer_due",
                   "field": "field_code"}
COMPLAINT_TEXT = ("reference", "complainant_name", "complainant_contact", "location_text", "description", "forwarded_to")


COMPLAINT_SITE = ("EXISTS (SELECT 1 FROM complaint_inspection ci JOIN inspection i ON i.id = ci.inspection_id"
                  " JOIN site st ON st.id = i.site_id WHERE ci.complaint_id = complaint.id"
                  " AND (st.name LIKE ? ESCAPE '\\' OR st.owner_name LIKE ? ESCAPE '\\'))")


def _words(text: str, columns: tuple[str, ...], extra: str | None = None) -> tuple[list[str], list]:
    """One condition per word: any of ``columns`` (or the ``extra`` expression, whose two
    placeholders take the word) contains it."""
    where, params = [], []
    for word in text.split():
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        tests = [f"{c} LIKE ? ESCAPE '\\'" for c in columns] + ([extra] if extra else [])
        where.append("(" + " OR ".join(tests) + ")")
        params += [pattern] * (len(columns) + (2 if extra else 0))
    return where, params


def case_steps_query(step: str | None = None, overdue_only: bool = False, field_code: str | None = None,
                     today: date | None = None, text: str = "", sort: str = "due",
                     descending: bool = False) -> KeysetQuery:
    """The open steps of the ladder, due first by default."""
    where = ["s.status = 'open'", "s.deleted_at IS NULL"]
    params: list = []
    if step:
        where.append("s.step = ?")
        params.append(step)
    if overdue_only:
        where.append("s.due_on < ?")
        params.append((today or date.today()).isoformat())
    if field_code:
        where.append("c.field_code = ?")
        params.append(field_code)
    w, p = _words(text, CASE_TEXT)
    return KeysetQuery(columns=CASE_COLUMNS,
                       source="case_step s JOIN case_file c ON c.id = s.case_id JOIN site st ON st.id = c.site_id",
                       keys=(CASE_SORTS[sort], "s.rowid"), descending=descending, where=where + w, params=params + p)


def complaints_search_query(status: str | None = None, overdue: bool = False, today: date | None = None,
                            text: str = "", sort: str = "received", descending: bool = True) -> KeysetQuery:
    """The complaints list, newest first by default; the site name is searched through the
    inspections launched from the complaint."""
    where, params = ["deleted_at IS NULL"], []
    if status:
        where.append("status = ?")
        params.append(status)
    if overdue:
        where += [CLOCK_RUNNING_SQL, "answer_due < ?"]
        params.append((today or date.today()).isoformat())
    w, p = _words(text, COMPLAINT_TEXT, COMPLAINT_SITE)
    return KeysetQuery(columns=COMPLAINT_COLUMNS, source="complaint", keys=(COMPLAINT_SORTS[sort], "rowid"),
                       descending=descending, where=where + w, params=params + p)
