"""The report's staff totals count each officer once per arrondissement."""
from datetime import date

from desktop.store.indicators import Scope
from desktop.store.oversight import brigades
from tests.builders import admin_of, default_district, make_user


def test_an_officer_who_led_and_seconded_is_counted_once(empty_commune):
    store = empty_commune
    district = default_district(store)
    a, b, c = (make_user(store, "officer", district_id=district) for _ in range(3))
    with store.transaction(admin_of(store).id) as tx:
        programme = tx.insert("programme", {"title": "p", "kind": "weekly", "starts_on": "2026-03-01", "ends_on": "2026-03-31",
                                             "districts": "[]", "fields": "[]"})
        for day, lead, second in (("2026-03-02", a, b), ("2026-03-03", b, c), ("2026-03-04", a, None)):
            tx.insert("programme_brigade", {"programme_id": programme, "day": day, "district_id": district,
                                            "lead_officer_id": lead.id,
                                            "second_officer_id": second.id if second else None})
    [row] = brigades(store, Scope(date(2026, 3, 1), date(2026, 4, 1)))
    assert row["brigade_days"] == 3 and row["officers"] == 3  # a, b, c: b led once and seconded once
