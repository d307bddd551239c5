"""The legal catalogue: police fields, checklists, violations and their legal bases.

The catalogue is data (``resources/catalogue/catalogue.json``), validated against a JSON schema
when loaded. A commune extends it without code by dropping more JSON files of the same schema in
an extension folder: new fields are added, and an existing field receives extra checklist items
and violations (an item with an existing code replaces the shipped one).

Each violation names the decision a case ends in when its formal notice is not complied with
(``decision_kind``; ``desktop.domain.ladder.decision_kind`` chooses among several). An extension
may leave it out; the violation then takes, in this order: the kind of the violation it replaces
(same code), the ``decision_kind`` its field sets for its violations, or ``injunction`` (the general
police measure, ``DEFAULT_DECISION_KIND``). The shipped catalogue names it on every violation.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import platformdirs

import resources

SHIPPED = resources.path("catalogue", "catalogue.json")
SCHEMA = resources.path("catalogue", "schema.json")
# The decision of a violation that names none, in a field that sets no default either.
DEFAULT_DECISION_KIND = "injunction"


class CatalogueError(ValueError):
    """A catalogue file is unreadable or does not follow the schema; ``source`` names the file."""

    def __init__(self, source: str, problem: str):
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


@dataclass(frozen=True)
class Basis:
    text: str
    article: str | None = None
    confirmed: bool = True


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    ar: str
    fr: str
    violation: str | None = None


@dataclass(frozen=True)
class Measure:
    unit: str
    required: bool = False


@dataclass(frozen=True)
class Violation:
    code: str
    field: str
    ar: str
    fr: str
    basis: tuple[Basis, ...]
    severity: str
    deadline_days: int
    next_step: str
    referral_to: str | None = None
    fine_min: float | None = None
    fine_max: float | None = None
    fee_multiplier: float | None = None
    measure: Measure | None = None
    decision_kind: str = DEFAULT_DECISION_KIND

    def label(self, lang: str) -> str:
        return self.ar if lang == "ar" else self.fr


@dataclass
class Field:
    code: str
    ar: str
    fr: str
    worked: bool = False
    basis: tuple[Basis, ...] = ()
    site_kinds: tuple[str, ...] = ()
    decision_kind: str | None = None  # default for the field's violations that name none
    checklist: list[ChecklistItem] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    def label(self, lang: str) -> str:
        return self.ar if lang == "ar" else self.fr


@dataclass(frozen=True)
class LegalText:
    code: str
    ar: str
    fr: str
    reference: str = ""
    confirmed: bool = True
    rank: int = 3             # order among the visas: 0 organic law, 1 law, 2 decree, 3 regulation
    visa_ar: str = ""         # the visa as printed (promulgating dahir, number, title); else ``ar``
    visa_fr: str = ""
    reference_ar: str = ""    # the reference in Arabic, where it is words (a regulation to complete)

    def reference_in(self, ar: bool) -> str:
        return (self.reference_ar or self.reference) if ar else self.reference


class Catalogue:
    """Fields in catalogue order, with lookups by code."""

    def __init__(self, fields: list[Field], texts: dict[str, LegalText], sources: list[str]):
        self.fields = fields
        self.texts = texts
        self.sources = sources
        self._fields = {f.code: f for f in fields}
        self._violations = {v.code: v for f in fields for v in f.violations}

    def field(self, code: str) -> Field:
        try:
            return self._fields[code]
        except KeyError:
            raise KeyError(f"unknown police field code {code!r}") from None

    def has_field(self, code: str) -> bool:
        return code in self._fields

    def violation(self, code: str) -> Violation:
        try:
            return self._violations[code]
        except KeyError:
            raise KeyError(f"unknown violation code {code!r}") from None

    def has_violation(self, code: str, field_code: str | None = None) -> bool:
        v = self._violations.get(code)
        return v is not None and (field_code is None or v.field == field_code)

    def basis_label(self, basis: Basis, lang: str) -> str:
        text = self.texts.get(basis.text)
        name = (text.ar if lang == "ar" else text.fr) if text else basis.text
        if basis.article:
            name += (" - المادة " if lang == "ar" else ", art. ") + basis.article
        if not basis.confirmed or (text is not None and not text.confirmed):
            name += " (?)"
        return name

    def bases_label(self, bases: Iterable[Basis], lang: str) -> str:
        """Several bases on one line, with the Arabic semicolon in Arabic."""
        return ("؛ " if lang == "ar" else "; ").join(self.basis_label(b, lang) for b in bases)


def _basis(items: Iterable[dict]) -> tuple[Basis, ...]:
    return tuple(Basis(b["text"], b.get("article"), b.get("confirmed", True)) for b in items)


class _SchemaCheck:
    """Validates catalogue files against the schema, remembering the files already found valid.

    jsonschema takes a twentieth of a second to import, on every start; a file whose content (and
    the schema's) has been validated before is recognised by its digest in the user's cache.
    """

    def __init__(self) -> None:
        schema_bytes = SCHEMA.read_bytes()
        self.schema_bytes = schema_bytes
        self.schema_digest = hashlib.sha256(schema_bytes).hexdigest()
        self.cache = Path(platformdirs.user_cache_dir("commune-police", appauthor=False)) / "catalogue-valid.json"
        try:
            self.known = set(json.loads(self.cache.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            self.known = set()
        self.validator = None
        self.added = False

    def check(self, path: Path, raw: bytes, data) -> None:
        digest = hashlib.sha256(self.schema_digest.encode() + raw).hexdigest()
        if digest in self.known:
            return
        if self.validator is None:
            import jsonschema
            self.validator = jsonschema.Draft202012Validator(json.loads(self.schema_bytes))
        assert self.validator is not None
        errors = sorted(self.validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            err = errors[0]
            where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
            raise CatalogueError(str(path), f"at {where}: {err.message}")
        self.known.add(digest)
        self.added = True

    def save(self) -> None:
        if not self.added:
            return
        try:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            self.cache.write_text(json.dumps(sorted(self.known)[-200:]), encoding="utf-8")
        except OSError:
            pass  # only a cache


def _read(path: Path, schema: _SchemaCheck) -> dict:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogueError(str(path), f"cannot read the file ({exc.strerror})") from exc
    return _parse(path, raw, schema)


def _parse(path: Path, raw: bytes, schema: _SchemaCheck) -> dict:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogueError(str(path), f"not valid JSON ({exc})") from exc
    schema.check(path, raw, data)
    return data


def _merge(fields: dict[str, Field], texts: dict[str, LegalText], data: dict, source: str) -> None:
    for code, t in data.get("legal_texts", {}).items():
        texts[code] = LegalText(code, t["ar"], t["fr"], t.get("reference", ""), t.get("confirmed", True),
                                t.get("rank", 3), t.get("visa_ar", ""), t.get("visa_fr", ""),
                                t.get("reference_ar", ""))
    for raw in data.get("fields", []):
        code = raw["code"]
        current = fields.get(code)
        if current is None:
            if "ar" not in raw or "fr" not in raw:
                raise CatalogueError(source, f"new field {code!r} needs its 'ar' and 'fr' labels")
            current = fields[code] = Field(code, raw["ar"], raw["fr"])
        current.ar = raw.get("ar", current.ar)
        current.fr = raw.get("fr", current.fr)
        current.worked = raw.get("worked", current.worked)
        if "basis" in raw:
            current.basis = _basis(raw["basis"])
        if "site_kinds" in raw:
            current.site_kinds = tuple(raw["site_kinds"])
        current.decision_kind = raw.get("decision_kind", current.decision_kind)
        items = {i.code: i for i in current.checklist}
        for i in raw.get("checklist", []):
            items[i["code"]] = ChecklistItem(i["code"], i["ar"], i["fr"], i.get("violation"))
        current.checklist = list(items.values())
        viols = {v.code: v for v in current.violations}
        for v in raw.get("violations", []):
            m = v.get("measure")
            replaced = viols.get(v["code"])
            kind = (v.get("decision_kind") or (replaced.decision_kind if replaced else None)
                    or current.decision_kind or DEFAULT_DECISION_KIND)
            viols[v["code"]] = Violation(
                code=v["code"], field=code, ar=v["ar"], fr=v["fr"], basis=_basis(v["basis"]),
                severity=v["severity"], deadline_days=v["deadline_days"], next_step=v["next_step"],
                referral_to=v.get("referral_to"), fine_min=v.get("fine_min"), fine_max=v.get("fine_max"),
                fee_multiplier=v.get("fee_multiplier"),
                measure=Measure(m["unit"], m.get("required", False)) if m else None, decision_kind=kind)
        current.violations = list(viols.values())


def _check_references(fields: dict[str, Field], texts: dict[str, LegalText], source: str) -> None:
    seen: dict[str, str] = {}
    for f in fields.values():
        codes = {v.code for v in f.violations}
        for v in f.violations:
            if v.code in seen and seen[v.code] != f.code:
                raise CatalogueError(source, f"violation {v.code} is in two fields ({seen[v.code]}, {f.code})")
            seen[v.code] = f.code
            for b in v.basis:
                if b.text not in texts:
                    raise CatalogueError(source, f"violation {v.code} cites unknown legal text {b.text!r}")
        for item in f.checklist:
            if item.violation and item.violation not in codes:
                raise CatalogueError(source, f"checklist item {item.code} points to unknown violation {item.violation!r}")


def load_catalogue(extension_dir: Path | None = None, shipped: Path = SHIPPED) -> Catalogue:
    """Load the shipped catalogue, then every ``*.json`` of ``extension_dir`` in name order."""
    paths = sorted(extension_dir.glob("*.json")) if extension_dir is not None and extension_dir.is_dir() else []
    return _load(shipped, [(path, None) for path in paths])


def extension_files(extension_dir: Path) -> list[tuple[str, str]]:
    """(file name, text) of a commune's catalogue extensions, in the order they apply: what the
    hub keeps of them (``hub init``), so that it checks the devices' ops against the catalogue
    the commune's application uses."""
    if not extension_dir.is_dir():
        return []
    try:
        return [(path.name, path.read_bytes().decode("utf-8")) for path in sorted(extension_dir.glob("*.json"))]
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(str(extension_dir), f"cannot read the extensions ({exc})") from exc


def catalogue_from_files(files: list[tuple[str, str]], shipped: Path = SHIPPED) -> Catalogue:
    """The shipped catalogue with extensions given as (file name, text), in that order; the same
    result as ``load_catalogue`` on a folder holding those files."""
    return _load(shipped, [(Path(name), text.encode("utf-8")) for name, text in files])


def _load(shipped: Path, extensions: list[tuple[Path, bytes | None]]) -> Catalogue:
    schema = _SchemaCheck()
    fields: dict[str, Field] = {}
    texts: dict[str, LegalText] = {}
    sources = [str(shipped)]
    _merge(fields, texts, _read(shipped, schema), str(shipped))
    for path, raw in extensions:
        data = _read(path, schema) if raw is None else _parse(path, raw, schema)
        _merge(fields, texts, data, str(path))
        sources.append(str(path))
    _check_references(fields, texts, sources[-1])
    schema.save()
    return Catalogue(list(fields.values()), texts, sources)
