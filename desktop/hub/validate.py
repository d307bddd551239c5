"""The domain rules re-checked at the hub: an op is refused (``invalid``) when the application
would not have written the row it carries, whatever the device says (issue 12: the hub trusts no
device). ``rules.check`` has already checked the op's table, columns, actor, role and scope.

The rules are the application's own, called here on the op's row (the hub's row with the op's
values over it): ``desktop.domain.validation`` (inspections, findings, sites),
``desktop.domain.complaints`` (complaints and their triage), ``desktop.domain.text`` (no hidden
character in a text), ``desktop.domain.ids.is_sha256`` (attachments), and the audit columns the
store writes (``desktop.store.db.Transaction``). The catalogue is the one the commune's
application uses: the shipped one with the commune's extensions, kept at ``hub init``
(``hub_meta.catalogue``).

Fast: no SQL per op. What the rules need of the hub (the catalogue, the officers, the
arrondissements and their shapes) is read once per bundle in one query, the catalogue and the
district locator kept per process by version; parent rows come from the bundle's view
(``BundleRows.get``: rows of the bundle, or read once per bundle).
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable
from weakref import WeakKeyDictionary

from desktop.domain import complaints
from desktop.domain.catalogue import Catalogue, catalogue_from_files
from desktop.domain.ids import LOCAL_TZ, is_sha256
from desktop.domain.model import SiteInput
from desktop.domain.sync import AUDIT
from desktop.domain.text import any_hidden_characters, has_hidden_characters
from desktop.domain.validation import (Context, Problem, check_coordinates, check_finding, inspection_row_problems,
                                       site_problems, site_text_refusal)
from desktop.hub.base import HubSchema
from desktop.hub.commands import is_erase
from desktop.hub.state import BundleRows
from desktop.services.visits import FIELD_ROLES
from desktop.store.attachments import MAX_PHOTO_BYTES

REASON = "invalid"  # the refusal's reason (``sync.reason.invalid``)
Found = tuple[str, dict]  # (reason, detail) of a refused op

# The owners an attachment belongs to, and the table each is a row of (the application's
# writers: an inspection's photos, a complaint's documents, a decision's signed PDF).
OWNERS = {"inspection": "inspection", "complaint": "complaint", "decision": "decision"}
# An inspection's columns, by the form field a problem names (an amendment is refused only for
# the columns it changes: a visit made when an officer was still active stays amendable).
_INSPECTION_FIELDS = {
    "field_code": {"field_code"}, "site": {"site_id"}, "inspected_at": {"inspected_at"},
    "officers": {"lead_officer_id", "second_officer_id"}, "location": {"lon", "lat"},
    "district": {"district_id", "lon", "lat"}, "checklist": {"checklist", "field_code"},
    "outcome": {"outcome", "finding_count"}, "origin": {"origin_type"},
    "origin_reason": {"origin_type", "origin_reason"}, "origin_ref": {"origin_type", "origin_ref", "followup_of"}}


@dataclass
class _Bundle:
    """What one bundle's ops are checked against, read once."""
    catalogue: Catalogue
    officers: frozenset[str]
    districts: frozenset[str]
    locator: Any  # maps.districts.DistrictLocator, or None without district shapes
    bounds: tuple[float, float, float, float] | None  # the commune's box (its districts')
    now: datetime
    inside: set = field(default_factory=set)  # (district, lon, lat) known inside that district (``prime``)
    # complaint references (``_reference``): the ids holding each at the hub (tombstoned ones too, as
    # a device's UNIQUE does), read once per reference; the ids of this bundle's inserts taking it
    references: dict[str, set[str]] = field(default_factory=dict)
    taken: dict[str, set[str]] = field(default_factory=dict)


_bundles: "WeakKeyDictionary[BundleRows, _Bundle]" = WeakKeyDictionary()

_CONTEXT_SQL = """
SELECT (SELECT value FROM hub_meta WHERE key = 'catalogue') AS catalogue,
       (SELECT value FROM hub_meta WHERE key = 'hub_id') AS hub_id,
       (SELECT coalesce(array_agg(id), '{}') FROM "user"
         WHERE deleted_at IS NULL AND active = 1 AND role = ANY(%s)) AS officers,
       (SELECT coalesce(array_agg(id), '{}') FROM district WHERE deleted_at IS NULL) AS districts,
       (SELECT count(*) FROM district) AS district_rows,
       (SELECT max(hub_seq) FROM district) AS district_seq
"""


@lru_cache(maxsize=8)
def _catalogue(text: str | None) -> Catalogue:
    """The shipped catalogue with the commune's extensions (a hub made before they were kept
    has none), parsed once per process and version."""
    return catalogue_from_files([(name, body) for name, body in json.loads(text or "[]")])


_locators: dict[tuple, Any] = {}


def _locator(version: tuple, load: Callable[[], list]) -> Any:
    """The point-in-arrondissement locator of the hub's district shapes, made again only when
    the district table changed (``version``: the hub, its district rows and last change)."""
    if version not in _locators:
        items = load()
        from maps.districts import DistrictLocator  # noqa: PLC0415 - the geo engine, on first use
        if len(_locators) > 8:
            _locators.clear()
        _locators[version] = DistrictLocator(items) if items else None
    return _locators[version]


def _read_context(conn: Any) -> tuple[dict, Any]:
    """The rules' context row (``_CONTEXT_SQL``) and the locator of the hub's district shapes."""
    ctx = conn.execute(_CONTEXT_SQL, (list(FIELD_ROLES),)).fetchone()
    assert ctx is not None  # one row, always

    def shapes() -> list:
        return [(r["id"], json.loads(r["geometry"])) for r in conn.execute(
            "SELECT id, geometry FROM district WHERE deleted_at IS NULL AND geometry IS NOT NULL ORDER BY id")]
    return ctx, _locator((ctx["hub_id"], ctx["district_rows"], ctx["district_seq"]), shapes)


def warm(conn: Any) -> None:
    """Make this process's catalogue and district locator now (the geo engine imported, the
    shapes prepared): a serving process calls it at start-up, else its first bundle makes them
    while it holds the ingest lock (~0.8 s on a 2-core machine, every other ingest waiting). A
    later change of the districts or the catalogue is still seen (both are kept by version)."""
    ctx, _locator_made = _read_context(conn)
    _catalogue(ctx["catalogue"])


def _bundle(rows: BundleRows) -> _Bundle:
    found = _bundles.get(rows)
    if found is None:
        ctx, locator = _read_context(rows.conn)
        found = _bundles[rows] = _Bundle(_catalogue(ctx["catalogue"]), frozenset(ctx["officers"]),
                                         frozenset(ctx["districts"]), locator,
                                         locator.bounds if locator is not None else None, datetime.now(timezone.utc))
    return found


def ready(rows: BundleRows) -> None:
    """Read the rules' context for this bundle now (else on the first rule that needs it)."""
    _bundle(rows)


def prime(rows: BundleRows, new_rows: list[dict]) -> None:
    """The point-in-arrondissement tests of many new rows made at once, one vectorised test per
    arrondissement (a test per point costs ~6 µs of call overhead): each row's point known inside
    the arrondissement it names is remembered for this bundle; any other (outside, not a float,
    not asked here) is tested by ``district_at`` as before."""
    if not new_rows:
        return
    b = _bundle(rows)
    if b.locator is None:
        return
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in new_rows:
        district, lon, lat = row.get("district_id"), row.get("lon"), row.get("lat")
        if type(district) is str and type(lon) is float and type(lat) is float:
            points[district].append((lon, lat))
    for district, xy in points.items():
        inside = b.locator.holds_many(district, [x for x, _ in xy], [y for _, y in xy])
        b.inside.update((district, x, y) for (x, y), hit in zip(xy, inside) if hit)


def problem(rows: BundleRows, schema: HubSchema, op: dict) -> Found | None:
    """Why the application would not have written this op (None: it would have)."""
    try:
        found = _audit(op) or _hidden(op)
        if found is None and op["kind"] != "tombstone" and op["tbl"] in _TABLES and not is_erase(op):
            found = _TABLES[op["tbl"]](rows, op, {**(rows.get(op["tbl"], op["row_id"]) or {}), **op["new"]})
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:  # a malformed value
        found = _refused("malformed", detail=f"{type(exc).__name__}: {exc}"[:200])
    if found is None:
        return None
    return REASON, {**found, "values": {c: v for c, v in op["new"].items() if c not in AUDIT}}


def _refused(rule: str, field: str | None = None, *params, **detail) -> dict:
    return {"rule": rule, "field": field, "params": list(params), **detail}


def _from_problem(p: Problem) -> dict:
    return _refused(p.code, p.field, *p.params)


# -- every op ----------------------------------------------------------------------------------

def _audit(op: dict) -> dict | None:
    """The audit columns as the store writes them (``Transaction.insert/update/tombstone``): a
    new row created by the op's actor on the op's device at version 1; a change made by its actor,
    one version up, that never rewrites who created the row, when or where."""
    new, actor = op["new"], op["actor"]
    if op["kind"] == "insert":
        for column, expected in (("created_by", actor), ("updated_by", actor), ("device_id", op["device_id"]),
                                 ("version", 1)):
            if new.get(column) != expected:
                return _refused("audit", column, new.get(column))
        if not new.get("created_at") or new.get("updated_at") != new.get("created_at"):
            return _refused("audit", "created_at", new.get("created_at"))
        return None
    for column in ("created_by", "created_at", "device_id"):
        if column in new:
            return _refused("audit", column, new[column])
    if "updated_by" in new and new["updated_by"] != actor:
        return _refused("audit", "updated_by", new["updated_by"])
    if not isinstance(op["base_version"], int) or new.get("version") != op["base_version"] + 1:
        return _refused("audit", "version", new.get("version"))
    if op["kind"] == "tombstone" and not new.get("deleted_at"):
        return _refused("audit", "deleted_at", new.get("deleted_at"))
    return None


def _hidden(op: dict) -> dict | None:
    """No control or bidi-override character in a text (``Transaction._visible_only``)."""
    if not any_hidden_characters([v for v in op["new"].values() if isinstance(v, str)]):  # the usual case: one scan
        return None
    for column, value in op["new"].items():
        if isinstance(value, str) and has_hidden_characters(value):
            return _refused("text_hidden_characters", column)
    return None


# -- by table ----------------------------------------------------------------------------------

def _officer(rows: BundleRows, b: _Bundle, user_id) -> bool:
    """An active officer or coordinator of the hub (or an account made earlier in this bundle)."""
    if user_id in b.officers:
        return True
    row = rows.get("user", user_id)
    return bool(row and row.get("deleted_at") is None and row.get("active") and row.get("role") in FIELD_ROLES)


def _district(rows: BundleRows, b: _Bundle, district_id) -> bool:
    if district_id in b.districts:
        return True
    row = rows.get("district", district_id)
    return bool(row and row.get("deleted_at") is None)


def _context(rows: BundleRows, b: _Bundle, row: dict) -> Context:
    """The form's validation context (``store.inspections.validation_context``) at the hub, for
    this row: the officers and arrondissements of the hub (with those made earlier in this bundle)."""
    officers, districts = b.officers, b.districts
    extra = {i for i in (row.get("lead_officer_id"), row.get("second_officer_id"))
             if i and i not in officers and isinstance(i, str) and _officer(rows, b, i)}
    if extra:
        officers = officers | extra
    district_id = row.get("district_id")
    if district_id and isinstance(district_id, str) and district_id not in districts and _district(rows, b, district_id):
        districts = districts | {district_id}
    locator = b.locator

    def district_at(lon: float, lat: float) -> str | None:  # the row's arrondissement first: the usual answer
        if (district_id, lon, lat) in b.inside or locator.holds(district_id, lon, lat):
            return district_id
        return locator.locate(lon, lat)
    return Context(
        officer_ids=officers, district_ids=districts,  # type: ignore[arg-type]
        # a site or an inspection tombstoned since the device saw it: the visit still happened
        site_exists=lambda sid: rows.get("site", sid) is not None,
        inspection_exists=lambda iid: rows.get("inspection", iid) is not None,
        bounds=b.bounds, district_at=district_at if locator is not None else None, now=b.now)


def _inspection(rows: BundleRows, op: dict, row: dict) -> dict | None:
    b = _bundle(rows)
    problems = inspection_row_problems(row, b.catalogue, _context(rows, b, row))
    if op["kind"] == "update":  # an amendment answers for the columns it changes
        changed = set(op["new"])
        problems = [p for p in problems if _INSPECTION_FIELDS.get(p.field, set()) & changed]
    return _from_problem(problems[0]) if problems else None


def _finding(rows: BundleRows, op: dict, row: dict) -> dict | None:
    b = _bundle(rows)
    inspection = rows.get("inspection", row.get("inspection_id") or "")
    if inspection is None:
        return _refused("inspection_unknown", "inspection_id", row.get("inspection_id"))
    if not b.catalogue.has_field(inspection.get("field_code") or ""):
        return _refused("unknown_field", "field_code", inspection.get("field_code"))
    problems: list[Problem] = []
    check_finding("finding", row.get("violation_code") or "", row.get("measure_value"),
                  b.catalogue.field(inspection["field_code"]), b.catalogue,
                  lambda f, code, *params: problems.append(Problem(f, code, params)))
    return _from_problem(problems[0]) if problems else None


def _site(rows: BundleRows, op: dict, row: dict) -> dict | None:
    texts = {c: row.get(c) or "" for c in ("name", "address", "activity", "owner_name", "owner_id_number")}
    refused = site_text_refusal(texts)
    if refused:
        return _refused(refused[0], refused[1].get("field"), *refused[1].values())
    problems = site_problems(SiteInput(kind=row.get("kind") or "", owner_id_kind=row.get("owner_id_kind") or "",
                                       **texts))
    if problems:
        return _from_problem(problems[0])
    if row.get("lon") is not None or row.get("lat") is not None:
        b = _bundle(rows)
        bad = check_coordinates(row.get("lon"), row.get("lat"), b.bounds)
        if bad:
            return _refused(bad, "location")
    if row.get("district_id") and not _district(rows, _bundle(rows), row["district_id"]):
        return _refused("district_unknown", "district")
    return None


def _authorisation(rows: BundleRows, op: dict, row: dict) -> dict | None:
    refused = site_text_refusal({"authorisation_ref": row.get("reference") or ""})
    if refused:
        return _refused(refused[0], "site_authorisation", *refused[1].values())
    if not (row.get("reference") or "").strip():
        return _refused("required", "site_authorisation")
    if row.get("expires_on"):
        try:
            datetime.strptime(row["expires_on"], "%Y-%m-%d")
        except ValueError:
            return _refused("date_invalid", "site_authorisation")
    if rows.get("site", row.get("site_id") or "") is None:
        return _refused("site_unknown", "site")
    return None


def _complaint(rows: BundleRows, op: dict, row: dict) -> dict | None:
    if op["kind"] == "update":
        old = rows.get("complaint", op["row_id"]) or {}
        if "reference" in op["new"] and op["new"]["reference"] != old.get("reference"):
            return _refused("complaint_reference_fixed", "reference", old.get("reference"))
        # triage: the moves the application allows, from the state the hub holds (a state moved
        # on since the device saw it is refused as such, ``stale_state``, by the class rules)
        if "status" in op["new"] and old.get("version") == op["base_version"]:
            if op["new"]["status"] not in complaints.TRIAGE.get(old.get("status") or "", ()):
                return _refused("complaint_triage_invalid", "status", old.get("status"), op["new"]["status"])
        return None
    try:
        received = date.fromisoformat(row.get("received_on") or "")
    except ValueError:
        return _refused("date_invalid", "received_on")
    b = _bundle(rows)
    inp = complaints.ComplaintInput(
        channel=row.get("channel") or "", received_on=received, description=row.get("description") or "",
        complainant_kind=row.get("complainant_kind") or "", reference=row.get("reference") or "",
        field_code=row.get("field_code") or "", district_id=row.get("district_id"), lon=row.get("lon"),
        lat=row.get("lat"), location_text=row.get("location_text") or "",
        complainant_name=row.get("complainant_name") or "", complainant_contact=row.get("complainant_contact") or "")
    # the device's day may be the hub's tomorrow (time zones, a clock a little ahead)
    today = b.now.astimezone(LOCAL_TZ).date() + timedelta(days=1)
    problems = complaints.validate(inp, b.catalogue.has_field, b.bounds, today)
    if problems:
        return _refused(problems[0][1], problems[0][0])
    if (row.get("status") or "received") != "received":
        return _refused("complaint_triage_invalid", "status", None, row.get("status"))
    if row.get("answer_due") != complaints.answer_due(received).isoformat():
        return _refused("date_invalid", "answer_due", row.get("answer_due"))
    return _reference(rows, op, row)


def _reference(rows: BundleRows, op: dict, row: dict) -> dict | None:
    """A new complaint's reference: of the sending device's own series (a portal's reference on
    a portal's channel, as given; the standalone numbering of a complaint made before the device
    was updated), and no other complaint's. A reference two complaints already share at the hub
    (imported in the past) stays as it is: only a new insert is refused."""
    reference = row.get("reference") or ""
    if not isinstance(reference, str):
        return _refused("malformed", "reference")
    if complaints.reference_problem(reference, row.get("channel") or "", complaints.device_code(op["device_id"]),
                                    at_hub=True):
        return _refused("complaint_reference_series", "reference", reference)
    b = _bundle(rows)
    if reference not in b.references:
        b.references[reference] = {r["id"] for r in rows.conn.execute("SELECT id FROM complaint WHERE reference = %s",
                                                                      (reference,))}
    # this bundle's earlier inserts of it, each confirmed by its new row (a device transaction
    # refused as a whole took none)
    others = b.references[reference] | {i for i in b.taken.get(reference, ())
                                         if (rows.new.get(("complaint", i)) or {}).get("reference") == reference}
    if others - {op["row_id"]}:
        return _refused("complaint_duplicate_reference", "reference", reference)
    b.taken.setdefault(reference, set()).add(op["row_id"])
    return None


def buried_complaint(rows: BundleRows, op: dict, values: dict) -> dict:
    """The values a refused complaint is kept with (tombstoned, ``rules.bury``): its reference
    marked with its id when it is not the device's to take (every replica's references are
    unique, tombstoned rows' too; a refused row must not take a number from the device whose
    series it is, nor from the complaint that already holds it)."""
    if _reference(rows, op, values) is None:
        return values
    return {**values, "reference": f"{values.get('reference')}~{op['row_id']}"}


def _attachment(rows: BundleRows, op: dict, row: dict) -> dict | None:
    if not is_sha256(row.get("sha256")):
        return _refused("attachment_bad_hash", "sha256", str(row.get("sha256"))[:80])
    size = row.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        return _refused("size_invalid", "size", size)
    mime = row.get("mime") or ""
    if mime.startswith("image/") and size > MAX_PHOTO_BYTES:
        return _refused("photo_too_large", "size", size)
    owner = OWNERS.get(row.get("owner_type") or "")
    if owner is None:
        return _refused("owner_invalid", "owner_type", row.get("owner_type"))
    if rows.get(owner, row.get("owner_id") or "") is None:
        return _refused("owner_unknown", "owner_id", row.get("owner_id"))
    return None


# -- signed documents ------------------------------------------------------------------------

_SIGNING = ("status", "number", "year", "series", "signed_by", "signed_on")


def _decision(rows: BundleRows, op: dict, row: dict) -> dict | None:
    """A document becomes signed only as the president's station signs it: by its signer (the
    president, or a delegate whose delegation is in force), with the register number the hub
    reserved for it in the signing transaction (``hub.numbers``). Anything else is a forged act."""
    if row.get("status") != "signed" or not any(c in op["new"] for c in _SIGNING):
        return None
    conn, actor = rows.conn, op["actor"]
    if row.get("signed_by") != actor or not _may_sign(conn, actor):
        return _refused("not_signer", "signed_by")
    held, exists = None, conn.execute("SELECT to_regclass('register_number') IS NOT NULL AS e").fetchone()
    if exists and exists["e"]:
        held = conn.execute("SELECT number, year FROM register_number WHERE series = %s AND document_id = %s",
                            (row.get("series") or "arrete", op["row_id"])).fetchone()
    if held is None or (held["number"], held["year"]) != (row.get("number"), row.get("year")):
        return _refused("number_not_reserved", "number", row.get("number"))
    return None


def _may_sign(conn, user_id: str) -> bool:
    user = conn.execute('SELECT role, active, deleted_at FROM "user" WHERE id = %s', (user_id,)).fetchone()
    if user is None or not user["active"] or user["deleted_at"] is not None:
        return False
    if user["role"] == "president":
        return True
    return conn.execute(
        "SELECT 1 FROM delegation WHERE delegate_id = %s AND withdrawn_on IS NULL AND deleted_at IS NULL"
        " AND valid_from <= current_date::text AND (valid_to IS NULL OR valid_to >= current_date::text) LIMIT 1",
        (user_id,)).fetchone() is not None


_TABLES: dict[str, Callable[[BundleRows, dict, dict], dict | None]] = {
    "inspection": _inspection, "finding": _finding, "site": _site, "authorisation": _authorisation,
    "complaint": _complaint, "attachment": _attachment, "decision": _decision}
