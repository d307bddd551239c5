"""The demo commune looks like the real thing."""
import json

import numpy as np

from desktop.store.districts import district_locator


def test_inspections_lie_in_their_arrondissement(store):
    locator = district_locator(store)
    rows = store.query("SELECT lon, lat, district_id FROM inspection")
    idx = locator.locate_many(np.array([r["lon"] for r in rows]), np.array([r["lat"] for r in rows]))
    found = [locator.ids[i] if i >= 0 else None for i in idx]
    agree = sum(f == r["district_id"] for f, r in zip(found, rows)) / len(rows)
    assert agree > 0.97  # a few metres of GPS jitter may cross a boundary


def test_more_inspections_where_more_people_live(store):
    rows = store.query("SELECT d.population, count(i.id) AS n FROM district d"
                       " JOIN inspection i ON i.district_id = d.id GROUP BY d.id")
    assert len(rows) == 16
    corr = np.corrcoef([r["population"] for r in rows], [r["n"] for r in rows])[0, 1]
    assert corr > 0.8


def test_mix_of_fields_outcomes_and_origins(store):
    fields = dict(store.conn.execute("SELECT field_code, count(*) FROM inspection GROUP BY 1").fetchall())
    assert fields["hygiene"] > fields["public_domain"] > fields["urbanism"] > 0
    outcomes = {r[0] for r in store.conn.execute("SELECT DISTINCT outcome FROM inspection")}
    assert outcomes == {"compliant", "violations", "awareness", "closed", "refused"}
    origins = {r[0] for r in store.conn.execute("SELECT DISTINCT origin_type FROM inspection")}
    assert origins == {"programme", "campaign", "complaint_citizen", "complaint_president", "follow_up",
                       "own_initiative"}
    # Follow-ups point at an earlier inspection of the same site that found violations.
    bad = store.scalar("SELECT count(*) FROM inspection i JOIN inspection p ON p.id = i.followup_of"
                       " WHERE i.origin_type = 'follow_up' AND (p.site_id != i.site_id"
                       " OR p.inspected_at > i.inspected_at OR p.finding_count = 0)")
    assert bad == 0
    assert store.scalar("SELECT count(*) FROM inspection WHERE origin_type = 'own_initiative'"
                        " AND length(origin_reason) < 10") == 0


def test_violations_have_findings_and_consistent_checklists(store):
    assert store.scalar("SELECT count(*) FROM inspection WHERE outcome = 'violations' AND finding_count = 0") == 0
    assert store.scalar("SELECT count(*) FROM inspection WHERE outcome = 'compliant' AND finding_count > 0") == 0
    assert store.scalar("SELECT count(*) FROM inspection i WHERE finding_count !="
                        " (SELECT count(*) FROM finding f WHERE f.inspection_id = i.id)") == 0
    assert store.scalar("SELECT count(*) FROM inspection WHERE inspected_at < '2025-06-30'"
                        " OR inspected_at > '2026-06-30T18:00:00Z'") == 0


def test_brigades_work_in_their_arrondissement(store):
    assert store.scalar("SELECT count(*) FROM inspection i JOIN [user] u ON u.id = i.lead_officer_id"
                        " WHERE u.district_id != i.district_id") == 0


def test_compliant_inspections_answer_yes_to_their_whole_checklist(store):
    rows = store.query("SELECT checklist FROM inspection WHERE outcome = 'compliant'")
    assert rows
    assert all(set(json.loads(r["checklist"]).values()) == {"yes"} for r in rows)
