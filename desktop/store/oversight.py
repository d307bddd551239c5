"""What the governor's services need from the register and the cases (legal review, section E):
the list of the documents signed, their execution, litigation, delegations in force, brigades.

Only what the schema records is counted; the report says "not recorded" for the rest (the amounts
of indemnities, orders to pay, art. 265 memos, court rulings, sworn-agent designations, budget).
"""
from __future__ import annotations

from datetime import date

from desktop.store.db import Store
from desktop.store.indicators import Scope


def _period(scope: Scope) -> tuple[str, str]:
    return scope.start.isoformat(), scope.end.isoformat()


def signed_documents(store: Store, scope: Scope) -> list[dict]:
    """Each document signed in the period, in register order (series, year, number): what legality
    control (OL 113-14 art. 115) reads, act by act."""
    return store.query(
        "SELECT d.id, d.series, d.kind, d.field_code, d.year, d.number, d.signed_on, d.delivered_on, d.transmitted_on,"
        " d.receipt_on, d.governor_observation, d.appeal_on, d.appeal_ref, d.delegation_id, s.name AS site_name"
        " FROM decision d LEFT JOIN case_file c ON c.id = d.case_id LEFT JOIN site s ON s.id = c.site_id"
        " WHERE d.status = 'signed' AND d.signed_on >= ? AND d.signed_on < ?"
        " ORDER BY CASE d.series WHEN 'arrete' THEN 0 WHEN 'notice' THEN 1 ELSE 2 END, d.year, d.number",
        _period(scope))


def execution(store: Store, scope: Scope) -> dict:
    """Requests for public force (OL art. 108) and what became of their case; decisions and notices
    not yet delivered; cases referred to the local authority (Law 57-19 art. 28, Law 12-90 art. 70)."""
    p = _period(scope)
    force = store.query(
        "SELECT d.case_id, c.status AS case_status,"
        " (SELECT count(*) FROM case_step s WHERE s.case_id = d.case_id AND s.step = 'execution' AND s.status = 'done')"
        " AS executed FROM decision d LEFT JOIN case_file c ON c.id = d.case_id"
        " WHERE d.status = 'signed' AND d.kind = 'public_force_request' AND d.signed_on >= ? AND d.signed_on < ?", p)
    undelivered = store.scalar(
        "SELECT count(*) FROM decision WHERE status = 'signed' AND series IN ('arrete', 'notice') AND delivered_on IS NULL"
        " AND signed_on >= ? AND signed_on < ?", p) or 0
    local = store.query(
        "SELECT count(*) AS sent, coalesce(sum(status = 'done'), 0) AS followed_up FROM case_step WHERE step = 'referral'"
        " AND json_extract(data, '$.authority') = 'local_authority' AND opened_on >= ? AND opened_on < ?", p)[0]
    return {"force_requests": len(force), "force_executed": sum(1 for r in force if r["executed"]),
            "force_closed": sum(1 for r in force if r["case_status"] == "closed"),
            "undelivered": undelivered, "local_referrals": local["sent"], "local_followed_up": local["followed_up"]}


def indemnities(store: Store, scope: Scope) -> dict:
    """Art. 27 notices signed (each announces the fivefold indemnity and its order to pay)."""
    return {"art27_notices": store.scalar("SELECT count(*) FROM decision WHERE status = 'signed' AND kind = 'stop_and_fee'"
                                          " AND signed_on >= ? AND signed_on < ?", _period(scope)) or 0}


def appeals(store: Store, scope: Scope) -> list[dict]:
    """Appeals recorded against documents signed in the period."""
    return [r for r in signed_documents(store, scope) if r["appeal_on"]]


def delegations_in_force(store: Store, on: date) -> list[dict]:
    """Delegations in force on ``on`` (not withdrawn, within their dates), with their BO-CT
    publication and the number of documents signed under each."""
    return store.query(
        "SELECT g.id, g.number, g.decided_on, g.legal_basis, g.scope_ar, g.scope_fr, g.bo_number, g.bo_date,"
        " u.full_name_ar, u.full_name_fr, g.capacity_ar, g.capacity_fr,"
        " (SELECT count(*) FROM decision d WHERE d.delegation_id = g.id AND d.status = 'signed') AS acts"
        " FROM delegation g JOIN [user] u ON u.id = g.delegate_id WHERE g.deleted_at IS NULL AND g.withdrawn_on IS NULL"
        " AND g.valid_from <= ? AND (g.valid_to IS NULL OR g.valid_to >= ?) ORDER BY g.decided_on, g.number",
        (on.isoformat(), on.isoformat()))


def brigades(store: Store, scope: Scope) -> list[dict]:
    """Brigade days planned in the period and the officers they used, by arrondissement."""
    # an officer is counted once, whether he led some days and seconded on others
    return store.query(
        "WITH b AS (SELECT district_id, lead_officer_id, second_officer_id FROM programme_brigade"
        "           WHERE deleted_at IS NULL AND day >= ? AND day < ?),"
        " people AS (SELECT district_id, lead_officer_id AS officer FROM b"
        "            UNION SELECT district_id, second_officer_id FROM b)"
        " SELECT d.name_ar, d.name_fr, count(*) AS brigade_days,"
        " (SELECT count(DISTINCT p.officer) FROM people p WHERE p.district_id IS b.district_id) AS officers"
        " FROM b LEFT JOIN district d ON d.id = b.district_id GROUP BY b.district_id ORDER BY d.name_fr",
        _period(scope))


def refused_access(store: Store, scope: Scope) -> dict:
    """Visits where access was refused, and how many of their sites were visited again after."""
    w, p = scope.where()
    row = store.query(
        f"SELECT count(*) AS refused, coalesce(sum(EXISTS (SELECT 1 FROM inspection j WHERE j.site_id = i.site_id"
        f" AND j.inspected_at > i.inspected_at AND j.deleted_at IS NULL)), 0) AS visited_again"
        f" FROM inspection i WHERE {w} AND i.outcome = 'refused'", p)[0]
    return {"refused": row["refused"] or 0, "visited_again": row["visited_again"] or 0}
