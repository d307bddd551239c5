"""A pull's JSON is written by orjson when a device reads it back to the very values ``canonical``
writes (``pull.body_text``), else by ``canonical`` itself: a float that is not finite (orjson
would write null), an integer past 64 bits, a value of another type. The bundle's outer JSON is
then written as UTF-8 and read by the device to the same body and signature."""
import datetime
import json
import math

import psycopg

from desktop.domain import bundle
from desktop.domain.sync import FORMAT, canonical
from desktop.hub import enroll, init_hub, pull
from desktop.hub.base import connect, settings
from desktop.hub.pull import body_text, pull_body
from desktop.services import sync
from tests.builders import PASSWORD
from tests.desktop.hub.helpers import assert_check_ok, device, make_team


def _enrolled(tmp_path, pg_url, username, password=PASSWORD) -> tuple:
    path = tmp_path / f"{username}.sqlite"
    private, public = sync.generate_device_key()
    enrolment = enroll(pg_url, username, password, public)
    sync.enroll_local(path, {**enrolment, "device_key": private})
    return path, enrolment["device_id"]


def _body_and_schema(pg_url, device_id) -> tuple:
    with connect(pg_url) as conn:
        hub = settings(conn)
        return pull_body(conn, device_id, 0, hub), hub.schema


def _same(a, b) -> bool:
    """Equal values, of the same types (1 is not 1.0), NaN equal to NaN."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


def test_the_demo_replica_reads_back_as_canonical_writes_it(tmp_path, demo_path, pg_url):
    init_hub(pg_url, demo_path)
    tablet, device_id = _enrolled(tmp_path, pg_url, "agent001", "agent-demo")
    body, schema = _body_and_schema(pg_url, device_id)
    floats = [v for t in body["tables"].values() for r in t["rows"] for v in r if isinstance(v, float)]
    assert len(floats) > 100  # the demo's coordinates and measures
    text = body_text(body, schema)
    assert _same(json.loads(text), json.loads(canonical({"format": FORMAT, **body})))
    data = pull(pg_url, device_id, 0)
    assert not data.isascii()  # the body's accents and Arabic as UTF-8 in the outer JSON
    outer, read = bundle.unpack(data)
    assert outer == json.loads(data) and _same(read, json.loads(outer["body"]))
    with device(tablet) as c:
        assert sync.apply_pull(c, data)["rows"] == sum(len(t["rows"]) for t in body["tables"].values())
    assert_check_ok(tablet)


def test_a_float_that_is_not_finite_is_written_by_canonical(tmp_path, empty_commune_path, pg_url):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet, device_id = _enrolled(tmp_path, pg_url, "agent1")
    with psycopg.connect(pg_url) as hub:
        assert hub.execute("UPDATE site SET lat = 'NaN', lon = '-Infinity' WHERE id = %s",
                           (team.sites[0],)).rowcount == 1
    body, schema = _body_and_schema(pg_url, device_id)
    text = body_text(body, schema)
    assert text == canonical({"format": FORMAT, **body})  # orjson would have written null for both
    assert "NaN" in text and "-Infinity" in text
    site = json.loads(text)["tables"]["site"]
    row = next(r for r in site["rows"] if r[site["columns"].index("id")] == team.sites[0])
    assert math.isnan(row[site["columns"].index("lat")]) and row[site["columns"].index("lon")] == -math.inf
    with device(tablet) as c:  # read as the hub wrote them (SQLite then stores NULL for NaN)
        sync.apply_pull(c, pull(pg_url, device_id, 0))
        assert c.store.scalar("SELECT lon FROM site WHERE id = ?", (team.sites[0],)) == -math.inf


def test_other_values_orjson_would_write_its_own_way_are_written_by_canonical(tmp_path, empty_commune_path,
                                                                               pg_url):
    make_team(tmp_path, empty_commune_path, pg_url)
    _tablet, device_id = _enrolled(tmp_path, pg_url, "agent1")
    body, schema = _body_and_schema(pg_url, device_id)
    assert body_text(body, schema) == canonical({"format": FORMAT, **body})  # the plain case: byte for byte
    for odd in (float("inf"), [1.5, float("nan")], {"n": 2 ** 64}, -2 ** 63 - 1,
                datetime.datetime(2026, 12, 2, 9, 30), datetime.date(2026, 12, 2)):
        changed = {**body, "extra": odd}
        assert body_text(changed, schema) == canonical({"format": FORMAT, **changed}), odd
    site = body["tables"]["site"]
    at = site["columns"].index("lat")
    for odd in (float("nan"), float("inf"), 2 ** 70):
        rows = [list(r) for r in site["rows"]]
        rows[0][at] = odd
        changed = {**body, "tables": {**body["tables"], "site": {**site, "rows": rows}}}
        assert body_text(changed, schema) == canonical({"format": FORMAT, **changed}), odd
