"""Small builders for store and domain tests: each adds a few rows through the real store
functions to an empty commune (the ``empty_commune`` fixture), so that a test states the data it
relies on instead of depending on the demo's seeded content."""
from __future__ import annotations

from functools import lru_cache
from itertools import count
from pathlib import Path
from typing import Sequence

from desktop.domain.auth import hash_password
from desktop.domain.catalogue import Catalogue
from desktop.domain.model import FindingInput, InspectionInput, SiteInput
from desktop.store.commune import add_district, create_commune
from desktop.store.db import Store, open_store
from desktop.store.inspections import submit_inspection
from desktop.store.sites import create_site
from desktop.store.users import User, create_user, get_user

ADMIN = "admin"
PASSWORD = "test-password"  # every account made here has it
# A point in Casablanca (Anfa), and the default time of an inspection.
LON, LAT = -7.63, 33.59
INSPECTED_AT = "2026-06-01T10:30:00Z"

_serial = count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """Hashed once: Argon2 takes tens of milliseconds, and every test account shares the password."""
    return hash_password(PASSWORD)


def new_commune(path: Path) -> None:
    """Create an empty commune database: the schema, the commune, its administrator (no district,
    no other account, no site)."""
    with open_store(path, create=True) as store:
        admin = create_user(store, None, ADMIN, "", "administrator", full_name_ar="مدير النظام",
                            full_name_fr="Administrateur", password_hash=_password_hash())
        with store.transaction(admin.id) as tx:
            create_commune(tx, name_ar="جماعة الاختبار", name_fr="Commune de test", wilaya_ar="ولاية الاختبار",
                           wilaya_fr="Wilaya de test", president_ar="رئيس الاختبار", president_fr="Président de test")


def admin_of(store: Store) -> User:
    return get_user(store, store.scalar("SELECT id FROM [user] WHERE username = ?", (ADMIN,)))


def make_user(store: Store, role: str, *, username: str | None = None, district_id: str | None = None,
              full_name_fr: str = "") -> User:
    """An account with ``role``, created by the administrator; its password is ``PASSWORD``."""
    n = next(_serial)
    username = username or f"{role}{n:03d}"
    return create_user(store, admin_of(store), username, "", role, full_name_fr=full_name_fr or f"{role} {n}",
                       full_name_ar=f"مستخدم {n}", district_id=district_id, password_hash=_password_hash())


def make_district(store: Store, code: str | None = None, *, name_fr: str = "", population: int | None = 10_000,
                  geometry: dict | None = None) -> str:
    n = next(_serial)
    code = code or f"D{n:03d}"
    with store.transaction(admin_of(store).id) as tx:
        return add_district(tx, code, f"مقاطعة {n}", name_fr or f"Arrondissement {n}", population, None, None,
                            geometry)


def default_district(store: Store) -> str:
    """The commune's first district (made if it has none)."""
    return store.scalar("SELECT id FROM district WHERE deleted_at IS NULL ORDER BY rowid LIMIT 1") or make_district(store)


def make_site(store: Store, *, name: str | None = None, kind: str = "establishment", address: str = "1 rue du Test",
              owner_name: str = "", owner_id_kind: str = "none", owner_id_number: str = "",
              authorisation_ref: str = "", district_id: str | None = None, lon: float = LON,
              lat: float = LAT) -> str:
    """A site created by the administrator, in ``district_id`` (default: the first district)."""
    site = SiteInput(kind=kind, name=name or f"Site {next(_serial)}", address=address, owner_name=owner_name,
                     owner_id_kind=owner_id_kind, owner_id_number=owner_id_number,
                     authorisation_ref=authorisation_ref)
    district_id = district_id or default_district(store)
    with store.transaction(admin_of(store).id) as tx:
        return create_site(tx, site, district_id, lon, lat)


def inspection_input(store: Store, officers: list[User], site_id: str, *, field_code: str = "public_domain",
                     findings: Sequence[FindingInput | str] = (), outcome: str | None = None,
                     inspected_at: str = INSPECTED_AT, checklist: dict[str, str] | None = None,
                     notes: str = "", origin_type: str = "programme", origin_ref: str = "PRG-TEST") -> InspectionInput:
    """An inspection of an existing site that passes validation (findings given as codes or
    FindingInput; the outcome follows from them unless given)."""
    site = store.query("SELECT district_id, lon, lat FROM site WHERE id = ?", (site_id,))[0]
    found = [f if isinstance(f, FindingInput) else FindingInput(f) for f in findings]
    return InspectionInput(
        field_code=field_code, site_id=site_id, inspected_at=inspected_at, officer_ids=[u.id for u in officers],
        lon=site["lon"], lat=site["lat"], district_id=site["district_id"], checklist=dict(checklist or {}),
        findings=found, notes=notes, outcome=outcome or ("violations" if found else "compliant"),
        origin_type=origin_type, origin_ref=origin_ref)


def make_inspection(store: Store, officer: User, catalogue: Catalogue, site_id: str | None = None, *,
                    second_officer: User | None = None, **fields) -> str:
    """Submit an inspection through ``submit_inspection`` (on a new site unless ``site_id``);
    ``fields`` are those of ``inspection_input``. A finding given as a code whose violation
    requires a measure gets a measure of 1."""
    site_id = site_id or make_site(store)
    if "findings" in fields:
        fields["findings"] = [_finding(catalogue, f) for f in fields["findings"]]
    officers = [officer] + ([second_officer] if second_officer else [])
    return submit_inspection(store, officer, inspection_input(store, officers, site_id, **fields), catalogue)


def _finding(catalogue: Catalogue, finding: FindingInput | str) -> FindingInput:
    if isinstance(finding, FindingInput):
        return finding
    v = catalogue.violation(finding) if catalogue.has_violation(finding) else None
    return FindingInput(finding, 1.0 if v and v.measure and v.measure.required else None)


def case_of(store: Store, inspection_id: str) -> str | None:
    """The case an inspection's findings joined."""
    return store.scalar("SELECT cf.case_id FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
                        " WHERE f.inspection_id = ?", (inspection_id,))


def make_case(store: Store, officer: User, catalogue: Catalogue, codes: list[str], *, field_code: str | None = None,
              site_id: str | None = None, **fields) -> str:
    """A case opened the real way: an inspection finding ``codes`` (all of one field) on a site."""
    field_code = field_code or catalogue.violation(codes[0]).field
    inspection_id = make_inspection(store, officer, catalogue, site_id, field_code=field_code, findings=codes, **fields)
    return case_of(store, inspection_id)


def signable_draft(store, coordinator, catalogue, field: str, kind: str = "formal_notice") -> str:
    """A draft that can be signed on the demo: a notice (it rests on no earlier event) on an open case
    of ``field`` whose violations cite only confirmed legal bases (a "(?)" basis cannot be signed)."""
    from desktop.services.commune import Commune
    from desktop.services.paperwork import draft_decision
    doubtful = [v.code for f in catalogue.fields for v in f.violations
                if any(not b.confirmed or not catalogue.texts[b.text].confirmed for b in v.basis)]
    marks = ",".join("?" * len(doubtful))
    case_id = store.scalar("SELECT c.id FROM case_file c WHERE c.field_code = ? AND c.status = 'open' AND NOT EXISTS"
                           " (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = c.id"
                           f" AND f.violation_code IN ({marks}))"
                           " AND c.id NOT IN (SELECT case_id FROM decision WHERE case_id IS NOT NULL) LIMIT 1",
                           (field, *doubtful))
    assert case_id, field
    return draft_decision(Commune(store.path, store, catalogue, user=coordinator), case_id, kind)
