"""How controls spread: arrondissements compared with their population and complaints, and
sites or owners controlled far more often than the rest (the abuse Casablanca saw reported)."""
from __future__ import annotations

import statistics

from desktop.store.db import Store


def by_district(store: Store, since: str | None = None) -> list[dict]:
    where, params = ("AND i.inspected_at >= ?", (since,)) if since else ("", ())
    received = "AND c.received_on >= ?" if since else ""  # complaints of the same period
    rows = store.query(
        f"SELECT d.id, d.name_ar, d.name_fr, d.population,"
        f" (SELECT count(*) FROM inspection i WHERE i.district_id = d.id {where}) AS inspections,"
        f" (SELECT count(*) FROM inspection i WHERE i.district_id = d.id AND i.origin_type = 'own_initiative' {where}) AS own,"
        f" (SELECT count(*) FROM complaint c WHERE c.district_id = d.id {received}) AS complaints"
        f" FROM district d WHERE d.deleted_at IS NULL ORDER BY d.name_fr", params * 3)
    total_i = sum(r["inspections"] for r in rows) or 1
    total_p = sum(r["population"] or 0 for r in rows) or 1
    total_c = sum(r["complaints"] for r in rows) or 1
    for r in rows:
        r["share_inspections"] = r["inspections"] / total_i
        r["share_population"] = (r["population"] or 0) / total_p
        r["share_complaints"] = r["complaints"] / total_c
        r["ratio_to_population"] = r["share_inspections"] / r["share_population"] if r["share_population"] else None
    return rows


def outliers(store: Store, factor: float = 5.0, minimum: int = 10, limit: int = 50) -> list[dict]:
    """Owners (by ID number, else name) controlled at least ``factor`` times as often as the
    median owner, and at least ``minimum`` times."""
    rows = store.query(
        "SELECT coalesce(nullif(s.owner_id_number, ''), s.owner_name) AS owner, count(*) AS controls,"
        " count(DISTINCT s.id) AS sites, sum(i.origin_type = 'own_initiative') AS own_initiative,"
        " sum(i.origin_type = 'complaint_president') AS by_president"
        " FROM inspection i JOIN site s ON s.id = i.site_id WHERE coalesce(nullif(s.owner_id_number, ''), s.owner_name) != ''"
        " GROUP BY 1")
    if not rows:
        return []
    median = statistics.median(r["controls"] for r in rows)
    flagged = [dict(r, median=median, times_median=r["controls"] / median) for r in rows
               if r["controls"] >= max(minimum, factor * median)]
    return sorted(flagged, key=lambda r: -r["controls"])[:limit]
