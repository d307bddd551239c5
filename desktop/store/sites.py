"""Sites (establishments, buildings, building sites, public-domain spots) and their history."""
from __future__ import annotations

from desktop.domain.complaints import has_hidden_characters
from desktop.domain.errors import Refusal
from desktop.domain.model import SiteInput
from desktop.domain.validation import SITE_MAX_CHARS, site_text_refusal
from desktop.store.db import Store, Transaction
from desktop.store.listing import KeysetQuery

SITE_COLUMNS = ("s.id", "s.kind", "s.name", "s.address", "s.district_id", "s.owner_name",
                "s.owner_id_kind", "s.owner_id_number", "s.activity", "s.lon", "s.lat")



def create_site(tx: Transaction, site: SiteInput, district_id: str | None,
                lon: float | None, lat: float | None) -> str:
    refused = site_text_refusal({name: getattr(site, name) for name in SITE_MAX_CHARS})
    if refused:
        raise Refusal(refused[0], **refused[1])
    site_id = tx.insert("site", {
        "kind": site.kind, "name": site.name.strip(), "address": site.address.strip(),
        "activity": site.activity.strip(), "district_id": district_id, "lon": lon, "lat": lat,
        "owner_name": site.owner_name.strip(), "owner_id_kind": site.owner_id_kind,
        "owner_id_number": site.owner_id_number.strip().upper()})
    if site.authorisation_ref.strip():
        tx.insert("authorisation", {"site_id": site_id, "reference": site.authorisation_ref.strip(),
                                    "expires_on": site.authorisation_expires or None})
    return site_id


SITE_EDITABLE = ("kind", "name", "address", "activity", "owner_name", "owner_id_kind", "owner_id_number")


def update_site(tx: Transaction, site_id: str, site: SiteInput) -> None:
    """Correct a site's record (name, activity, owner and his identity…) and add an authorisation
    if one is given; every change is journaled, the inspections already made keep their site. The
    location is the inspections' own (a site's point moves with a new inspection, not here)."""
    for text in (site.name, site.address, site.activity, site.owner_name, site.owner_id_number, site.authorisation_ref):
        if has_hidden_characters(text):
            raise Refusal("text_hidden_characters")
    values = {k: getattr(site, k).strip() if isinstance(getattr(site, k), str) else getattr(site, k) for k in SITE_EDITABLE}
    values["owner_id_number"] = values["owner_id_number"].upper()
    tx.update("site", site_id, values)
    if site.authorisation_ref.strip():
        tx.insert("authorisation", {"site_id": site_id, "reference": site.authorisation_ref.strip(),
                                    "expires_on": site.authorisation_expires or None})


def _like(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def site_text_condition(text: str, prefix: str = "") -> tuple[str, list]:
    """SQL condition (and its parameters) matching sites by name, address, owner or owner's ID."""
    q = _like(text)
    cols = ("name", "address", "owner_name", "owner_id_number")
    return " OR ".join(f"{prefix}{c} LIKE ? ESCAPE '\\'" for c in cols), [q] * len(cols)


def site_query(text: str = "", district_id: str | None = None) -> KeysetQuery:
    where, params = ["s.deleted_at IS NULL"], []
    if text.strip():
        cond, cond_params = site_text_condition(text, "s.")
        where.append(cond)
        params += cond_params
    if district_id:
        where.append("s.district_id = ?")
        params.append(district_id)
    return KeysetQuery(columns=SITE_COLUMNS, source="site s", keys=("s.name", "s.rowid"),
                       descending=False, where=where, params=params)


def search_sites(store: Store, text: str, limit: int = 30) -> list[dict]:
    query = site_query(text)
    rows = query.page(store, None, limit)
    names = [c.split(".")[1] for c in SITE_COLUMNS]
    return [dict(zip(names, r)) for r in rows]


def get_site(store: Store, site_id: str) -> dict | None:
    rows = store.query(f"SELECT {', '.join(SITE_COLUMNS)} FROM site s WHERE s.id = ?", (site_id,))
    if not rows:
        return None
    site = rows[0]
    site["authorisations"] = store.query(
        "SELECT reference, expires_on FROM authorisation WHERE site_id = ? AND deleted_at IS NULL"
        " ORDER BY created_at", (site_id,))
    return site


def site_history(store: Store, site_id: str) -> list[dict]:
    """The site's inspections, newest first, with their findings' codes."""
    return store.query(
        "SELECT i.id, i.inspected_at, i.field_code, i.outcome, i.origin_type, i.finding_count,"
        " (SELECT group_concat(violation_code, ' ') FROM finding f"
        "   WHERE f.inspection_id = i.id AND f.deleted_at IS NULL) AS codes"
        " FROM inspection i WHERE i.site_id = ? AND i.deleted_at IS NULL"
        " ORDER BY i.inspected_at DESC", (site_id,))
