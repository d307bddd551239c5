"""Entities of an inspection as the form and the store exchange them, and their enumerations."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

OUTCOMES = ("compliant", "violations", "awareness", "closed", "refused")
ORIGINS = ("programme", "campaign", "complaint_citizen", "complaint_president", "follow_up",
           "own_initiative")
SITE_KINDS = ("establishment", "building", "building_site", "public_spot")
OWNER_ID_KINDS = ("cin", "rc", "none")
ANSWERS = ("yes", "no", "na")


@dataclass
class SiteInput:
    """A site created inline from the inspection form (or by the registry)."""
    kind: str = "establishment"
    name: str = ""
    address: str = ""
    activity: str = ""
    owner_name: str = ""
    owner_id_kind: str = "none"
    owner_id_number: str = ""
    authorisation_ref: str = ""
    authorisation_expires: str = ""  # YYYY-MM-DD, optional


@dataclass
class FindingInput:
    violation_code: str
    measure_value: float | None = None
    note: str = ""


@dataclass
class PhotoRef:
    """A photo already stored content-addressed; the inspection links it by hash."""
    sha256: str
    name: str
    mime: str
    size: int


@dataclass
class InspectionInput:
    field_code: str = ""
    site_id: str | None = None
    new_site: SiteInput | None = None
    inspected_at: str = ""  # UTC, store format
    officer_ids: list[str] = field(default_factory=list)
    lon: float | None = None
    lat: float | None = None
    district_id: str | None = None
    checklist: dict[str, str] = field(default_factory=dict)
    findings: list[FindingInput] = field(default_factory=list)
    photos: list[PhotoRef] = field(default_factory=list)
    notes: str = ""
    outcome: str = ""
    origin_type: str = ""
    origin_ref: str = ""
    origin_reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "InspectionInput":
        data = dict(data)
        site = data.pop("new_site", None)
        findings = [FindingInput(**f) for f in data.pop("findings", [])]
        photos = [PhotoRef(**p) for p in data.pop("photos", [])]
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known, new_site=SiteInput(**site) if site else None, findings=findings,
                   photos=photos)
