"""Names shown for the codes and ids in rows: fields, districts, officers, enumerations."""
from __future__ import annotations

from desktop.domain.catalogue import Catalogue
from desktop.domain.ids import local_display
from desktop.i18n import Translator
from desktop.store.commune import list_districts
from desktop.store.db import Store
from desktop.store.users import list_users


class Labels:
    """Looked up once per session (districts and users are few) and used for every row."""

    def __init__(self, store: Store, catalogue: Catalogue, tr: Translator):
        self.tr, self.catalogue = tr, catalogue
        self.districts = {d.id: d.name(tr.lang) for d in list_districts(store)}
        self.users = {u.id: u.name(tr.lang) for u in list_users(store)}
        self.fields = {f.code: f.label(tr.lang) for f in catalogue.fields}

    def field(self, code: str) -> str:
        return self.fields.get(code, code)

    def district(self, district_id: str | None) -> str:
        return self.districts.get(district_id or "", "—")

    def user(self, user_id: str | None) -> str:
        return self.users.get(user_id or "", "")

    def violation(self, code: str) -> str:
        if self.catalogue.has_violation(code):
            return f"{code} — {self.catalogue.violation(code).label(self.tr.lang)}"
        return code

    def inspection_row(self, row: tuple) -> tuple:
        """Display values of one LIST_COLUMNS row (see desktop.store.inspections)."""
        _id, at, field_code, site, district, outcome, lead, second, origin, findings = row[:10]
        officers = " / ".join(n for n in (self.user(lead), self.user(second)) if n)
        return (local_display(at), self.field(field_code), site, self.district(district),
                self.tr.enum("outcome", outcome), officers, self.tr.enum("origin", origin),
                str(findings) if findings else "")
