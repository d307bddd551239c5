"""After the retention purge (Law 09-08: the personal fields of old files erased on a station, the
erasure synced to the hub), someone with read access to the hub's database (its administrator, a
backup) must not find the erased data there: not in the mirrored rows, nor in the hub's own records
of the ops it received (``hub_op``), its conflicts, receipts or journal."""
from datetime import date

from desktop.services import privacy
from tests.builders import make_site
from tests.desktop.hub.attacker import hub_rows
from tests.desktop.hub.helpers import device, make_team, new_device, push

CIN = "BK445566"
TRACES = {"hub_op": "op::text", "hub_conflict": "concat(device_value, hub_value, base_value)::text",
          "hub_receipt": "encode(receipt, 'escape')", "hub_journal": "detail"}


def test_a_purged_owners_identity_leaves_no_trace_at_the_hub(tmp_path, empty_commune_path, pg_url):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    station = new_device(team, tmp_path, "admin")
    with device(station, "admin") as c:
        site = make_site(c.store, name="Épicerie B.", owner_name="Fatima Zahra B.", owner_id_kind="cin",
                         owner_id_number=CIN, district_id=team.districts[1])
    push(station, pg_url)
    assert hub_rows(pg_url, "SELECT owner_id_number FROM site WHERE id = %s", (site,)) == [{"owner_id_number": CIN}]
    with device(station, "admin") as c:
        assert privacy.purge(c.store, c.user, date.today()).sites >= 1
    push(station, pg_url)
    assert hub_rows(pg_url, "SELECT owner_id_number, owner_name FROM site WHERE id = %s", (site,)) == \
        [{"owner_id_number": "", "owner_name": ""}]  # the erasure reached the hub's row
    found = {table: hub_rows(pg_url, f"SELECT count(*) AS n FROM {table} WHERE {expr} LIKE %s",
                             (f"%{CIN}%",))[0]["n"] for table, expr in TRACES.items()}
    assert found == {table: 0 for table in TRACES}
