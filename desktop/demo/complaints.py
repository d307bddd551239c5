"""The demo commune's complaints and weekly programmes, linked to the inspections they caused."""
from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np

from desktop.domain.complaints import answer_due
from desktop.domain.ids import uuid7
from desktop.store.db import Store
from desktop.store.users import User

COMPLAINT_TEXT = {
    "hygiene": ("روائح كريهة وانتشار الحشرات قرب المطعم", "Odeurs et insectes près du restaurant"),
    "public_domain": ("احتلال الرصيف بالطاولات يمنع مرور الراجلين", "Le trottoir est occupé par des tables, les piétons passent sur la chaussée"),
    "urbanism": ("أشغال بناء طابق إضافي بدون لوحة ورش", "Construction d'un étage supplémentaire sans panneau de chantier"),
}
ANSWERS = ("تمت معاينة المحل وتوجيه إعذار إلى المستغل", "تمت المعاينة ولم تسجل أية مخالفة", "تمت إحالة الملف على السلطة المختصة")


def build_programmes(store: Store, admin: User, today: date, weeks: int = 8) -> int:
    """Weekly programmes agreed with the arrondissement presidents: every brigade, Monday to
    Saturday, in its arrondissement; the inspections citing a programme are linked to it."""
    pairs = store.query("SELECT u.id, u.district_id FROM [user] u WHERE u.role = 'officer' ORDER BY u.username")
    brigades = [(pairs[k]["id"], pairs[k + 1]["id"], pairs[k]["district_id"]) for k in range(0, len(pairs) - 1, 2)]
    districts = sorted({b[2] for b in brigades if b[2]})
    first = store.scalar("SELECT min(inspected_at) FROM inspection")
    if not first:
        return 0
    origin = date.fromisoformat(first[:10])
    monday = today - timedelta(days=today.weekday())
    prog_rows, brigade_rows = [], []
    for w in range(-weeks + 1, 2):  # the past weeks and next week's plan
        start = monday + timedelta(weeks=w)
        number = (start - origin).days // 7 + 1
        pid = uuid7()
        prog_rows.append((pid, f"PRG-{start.year}-S{number:02d}", "weekly", start.isoformat(),
                          (start + timedelta(days=5)).isoformat(), json.dumps(districts),
                          json.dumps(["hygiene", "public_domain", "urbanism"]), len(brigades) * 6 * 4,
                          "رؤساء المقاطعات المعنية", (start - timedelta(days=3)).isoformat(), ""))
        for d in range(6):
            for lead, second, district in brigades:
                brigade_rows.append((uuid7(), pid, (start + timedelta(days=d)).isoformat(), lead, second, district))
    with store.transaction(admin.id) as tx:
        tx.bulk_insert("programme", ("id", "title", "kind", "starts_on", "ends_on", "districts", "fields", "target_visits",
                                     "agreed_with", "agreed_on", "theme"), prog_rows, "demo programmes")
        tx.bulk_insert("programme_brigade", ("id", "programme_id", "day", "lead_officer_id", "second_officer_id",
                                             "district_id"), brigade_rows, "demo brigades")
        linked = tx.conn.execute("UPDATE inspection SET programme_id = (SELECT p.id FROM programme p WHERE p.title = inspection.origin_ref)"
                                 " WHERE origin_type = 'programme' AND origin_ref IN (SELECT title FROM programme)").rowcount
        tx._journal("inspection", None, "link_programmes", {"rows": linked})
    return len(prog_rows)


def build_complaints(store: Store, admin: User, rng: np.random.Generator, today: date, days: int = 150) -> int:
    since = (today - timedelta(days=days)).isoformat()
    rows = store.conn.execute(
        "SELECT i.id, i.origin_ref, i.origin_type, i.field_code, i.inspected_at, s.lon, s.lat, s.address, s.district_id"
        " FROM inspection i JOIN site s ON s.id = i.site_id WHERE i.origin_type IN ('complaint_citizen', 'complaint_president')"
        " AND i.inspected_at >= ? ORDER BY i.inspected_at", (since,)).fetchall()
    complaints, links, seen = [], [], set()
    for iid, ref, origin, field_code, at, lon, lat, address, district in rows:
        if ref in seen:
            continue
        seen.add(ref)
        received = date.fromisoformat(at[:10]) - timedelta(days=int(rng.integers(1, 10)))
        ar, fr = COMPLAINT_TEXT.get(field_code, ("شكاية من مواطن بخصوص محل", "Plainte d'un habitant au sujet d'un établissement"))
        citizen = origin == "complaint_citizen"
        answered = rng.random() < 0.6
        answered_on = min(today, received + timedelta(days=int(rng.integers(10, 75)))) if answered else None
        status = "answered" if answered else "accepted"
        cid = uuid7()
        complaints.append((cid, ref, "chikaya" if citizen else "district_president", received.isoformat(), field_code,
                           district, lon, lat, address, f"{ar} — {fr}", "citizen" if citizen else "district_president",
                           "", "", status, answer_due(received).isoformat(), answered_on.isoformat() if answered_on else None,
                           ANSWERS[int(rng.integers(len(ANSWERS)))] if answered else ""))
        links.append((uuid7(), cid, iid))
    # Fresh complaints waiting for triage, and a few forwarded or rejected ones.
    sites = store.conn.execute("SELECT lon, lat, address, district_id FROM site ORDER BY random() LIMIT 60").fetchall()
    for n, (lon, lat, address, district) in enumerate(sites):
        received = today - timedelta(days=int(rng.integers(0, 90)))
        status = ("received", "received", "received", "forwarded", "rejected")[n % 5]
        channel = ("chikaya", "phone", "desk", "letter", "chikaya")[n % 5]
        reference = f"CHK-{received.year}-W{n:04d}" if channel == "chikaya" else f"PL-{received.year}-{n + 1:05d}"
        complaints.append((uuid7(), reference, channel,
                           received.isoformat(), ("hygiene", "public_domain", "urbanism")[n % 3], district, lon, lat, address,
                           "ضجيج ليلي صادر عن محل — Bruit nocturne d'un établissement", "anonymous" if n % 4 == 0 else "citizen",
                           "", "", status, answer_due(received).isoformat(), None, ""))
    with store.transaction(admin.id) as tx:
        tx.bulk_insert("complaint", ("id", "reference", "channel", "received_on", "field_code", "district_id", "lon", "lat",
                                     "location_text", "description", "complainant_kind", "complainant_name",
                                     "complainant_contact", "status", "answer_due", "answered_on", "answer_text"),
                       complaints, "demo complaints")
        tx.bulk_insert("complaint_inspection", ("id", "complaint_id", "inspection_id"), links, "demo complaint links")
        tx.conn.executemany("UPDATE inspection SET complaint_id = ? WHERE id = ?", [(c, i) for _, c, i in links])
        tx.reseal("inspection")
        tx.conn.execute("UPDATE complaint SET forwarded_to = 'ONSSA' WHERE status = 'forwarded'")
        tx.conn.execute("UPDATE complaint SET reason = 'Hors des compétences de police du président (ordre public, art. 110)'"
                        " WHERE status = 'rejected'")
        tx._journal("complaint", None, "demo_triage", {"complaints": len(complaints), "links": len(links)})
    return len(complaints)
