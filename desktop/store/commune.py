"""The commune and its districts (arrondissements)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from desktop.domain.auth import require
from desktop.domain.errors import Refusal
from desktop.store.db import Store, Transaction


@dataclass(frozen=True)
class District:
    id: str
    code: str
    name_ar: str
    name_fr: str
    population: int | None

    def name(self, lang: str) -> str:
        return self.name_ar if lang == "ar" else self.name_fr


@dataclass(frozen=True)
class CommuneInfo:
    """The commune's own record: names, wilaya, president."""

    id: str
    name_ar: str
    name_fr: str
    wilaya_ar: str
    wilaya_fr: str
    president_ar: str
    president_fr: str
    prefecture_ar: str = ""
    prefecture_fr: str = ""
    governor_ar: str = ""
    governor_fr: str = ""


IDENTITY_FIELDS = ("name_ar", "name_fr", "wilaya_ar", "wilaya_fr", "prefecture_ar", "prefecture_fr", "governor_ar",
                   "governor_fr", "president_ar", "president_fr")


def create_commune(tx: Transaction, **fields) -> str:
    return tx.insert("commune", fields)


def get_commune(store: Store) -> CommuneInfo | None:
    rows = store.query(f"SELECT id, {', '.join(IDENTITY_FIELDS)} FROM commune WHERE deleted_at IS NULL LIMIT 1")
    return CommuneInfo(**rows[0]) if rows else None


def set_identity(store: Store, user, **fields: str) -> None:
    """Set what heads the commune's documents: names, wilaya, prefecture, the governor's exact title
    («السيد والي جهة الدار البيضاء-سطات، عامل عمالة الدار البيضاء»), the president's name."""
    require(user.role, "commune.edit")
    unknown = set(fields).difference(IDENTITY_FIELDS)
    if unknown:
        raise Refusal("unknown_commune_field", field=sorted(unknown)[0])
    commune = get_commune(store)
    if commune is None:
        raise Refusal("no_commune")
    with store.transaction(user.id) as tx:
        tx.update("commune", commune.id, {k: v.strip() for k, v in fields.items()})


def add_district(tx: Transaction, code: str, name_ar: str, name_fr: str, population: int | None,
                 households: int | None, area_km2: float | None, geometry: dict | None) -> str:
    return tx.insert("district", {
        "code": code, "name_ar": name_ar, "name_fr": name_fr, "population": population,
        "households": households, "area_km2": area_km2,
        "geometry": json.dumps(geometry, separators=(",", ":")) if geometry else None})


def list_districts(store: Store) -> list[District]:
    rows = store.query("SELECT id, code, name_ar, name_fr, population FROM district"
                       " WHERE deleted_at IS NULL ORDER BY name_fr")
    return [District(**r) for r in rows]


def district_geometries(store: Store) -> list[tuple[str, dict]]:
    """(district id, GeoJSON geometry) of the districts that have one."""
    rows = store.query("SELECT id, geometry FROM district WHERE deleted_at IS NULL AND geometry IS NOT NULL")
    return [(r["id"], json.loads(r["geometry"])) for r in rows]
