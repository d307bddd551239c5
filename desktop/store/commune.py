"""The commune and its districts (arrondissements)."""
from __future__ import annotations

import json
from dataclasses import dataclass

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


def create_commune(tx: Transaction, **fields) -> str:
    return tx.insert("commune", fields)


def get_commune(store: Store) -> CommuneInfo | None:
    rows = store.query("SELECT id, name_ar, name_fr, wilaya_ar, wilaya_fr, president_ar, president_fr"
                       " FROM commune WHERE deleted_at IS NULL LIMIT 1")
    return CommuneInfo(**rows[0]) if rows else None


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
