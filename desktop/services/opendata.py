"""The open-data export: what the public may see of the police's activity, without anyone's
personal data. Only aggregates: no names, no ID numbers, no addresses; places as cells of about
250 m with their counts, never a point that could single out a dwelling or a person."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from desktop.domain.catalogue import Catalogue
from desktop.domain.spreadsheet import safe_row
from desktop.store.db import Store
from desktop.store.indicators import Scope

CELL_DEG = 0.0025  # about 250 m in Casablanca

DICTIONARY = [
    ("inspections_par_arrondissement.csv", "arrondissement_code", "texte", "Code HCP de l'arrondissement", "رمز المقاطعة"),
    ("inspections_par_arrondissement.csv", "arrondissement", "texte", "Nom de l'arrondissement", "اسم المقاطعة"),
    ("inspections_par_arrondissement.csv", "mois", "AAAA-MM", "Mois du contrôle (heure du Maroc, jour du contrôle)", "شهر المراقبة"),
    ("inspections_par_arrondissement.csv", "domaine", "code", "Domaine de police (catalogue, art. 100 de la loi 113-14)", "مجال الشرطة الإدارية"),
    ("inspections_par_arrondissement.csv", "resultat", "code", "compliant, violations, awareness, closed, refused", "نتيجة المراقبة"),
    ("inspections_par_arrondissement.csv", "motif", "code", "programme, campaign, complaint_citizen, complaint_president, follow_up, own_initiative", "دافع الزيارة"),
    ("inspections_par_arrondissement.csv", "nombre", "entier", "Nombre de contrôles", "عدد المراقبات"),
    ("infractions_par_code.csv", "code", "code", "Code de l'infraction (catalogue)", "رمز المخالفة"),
    ("infractions_par_code.csv", "infraction_fr / infraction_ar", "texte", "Libellé de l'infraction", "المخالفة"),
    ("infractions_par_code.csv", "nombre", "entier", "Nombre d'infractions constatées", "العدد"),
    ("arretes.csv", "annee, numero", "entier", "Numéro au registre de l'année", "رقم القرار"),
    ("arretes.csv", "nature, domaine, arrondissement, signe_le, transmis_le", "texte", "Nature, domaine, arrondissement, dates (sans le nom de l'intéressé ni l'adresse)", "نوع القرار وتواريخه دون اسم المعني أو عنوانه"),
    ("plaintes_par_arrondissement.csv", "etat, nombre", "texte, entier", "Plaintes reçues dans la période par état (sans plaignant)", "الشكايات حسب الحالة دون هوية المشتكي"),
    ("controles_mailles.geojson", "geometry", "polygone", "Maille d'environ 250 m (EPSG:4326) : aucun point exact n'est publié", "خلية من حوالي 250 م"),
    ("controles_mailles.geojson", "nombre, avec_infraction", "entier", "Contrôles et contrôles avec infraction dans la maille", "المراقبات والمخالفات في الخلية"),
]


def _write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(safe_row(header))
        writer.writerows(safe_row(r) for r in rows)


K_MIN = 5  # a count under this is never published: it could point at one establishment or person


def _k_anonymous(rows, label_at: int = 0) -> list:
    """Rows whose last value (a count) is at least K_MIN; the smaller ones are merged into one
    line "(moins de 5 regroupés)" whose total is itself published only when at least K_MIN."""
    kept, hidden = [], 0
    for row in rows:
        if row[-1] >= K_MIN:
            kept.append(row)
        else:
            hidden += row[-1]
    if hidden >= K_MIN and kept:
        width = len(kept[0])
        kept.append(tuple(["(moins de 5 regroupés)" if i == label_at else "" for i in range(width - 1)] + [hidden]))
    return kept


def export_open_data(store: Store, catalogue: Catalogue, scope: Scope, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    w, p = scope.where()
    out = []
    path = folder / "inspections_par_arrondissement.csv"
    _write_csv(path, ["arrondissement_code", "arrondissement", "mois", "domaine", "resultat", "motif", "nombre"],
               _k_anonymous(store.conn.execute(
                   f"SELECT d.code, d.name_fr, substr(i.inspected_at, 1, 7), i.field_code, i.outcome,"
                   f" i.origin_type, count(*) FROM inspection i LEFT JOIN district d ON d.id = i.district_id"
                   f" WHERE {w} GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 3, 1", p), label_at=1))
    out.append(path)
    path = folder / "infractions_par_code.csv"
    rows = [r for r in store.conn.execute(f"SELECT f.violation_code, count(*) FROM finding f JOIN inspection i"
                                          f" ON i.id = f.inspection_id WHERE {w} GROUP BY 1 ORDER BY 2 DESC", p)
            if r[1] >= K_MIN]
    _write_csv(path, ["code", "infraction_fr", "infraction_ar", "nombre"],
               [(c, catalogue.violation(c).fr if catalogue.has_violation(c) else "",
                 catalogue.violation(c).ar if catalogue.has_violation(c) else "", n) for c, n in rows])
    out.append(path)
    path = folder / "arretes.csv"
    _write_csv(path, ["annee", "numero", "nature", "domaine", "arrondissement", "signe_le", "transmis_le"],
               store.conn.execute("SELECT dc.year, dc.number, dc.kind, dc.field_code, d.name_fr, dc.signed_on, dc.transmitted_on"
                                  " FROM decision dc LEFT JOIN case_file c ON c.id = dc.case_id LEFT JOIN site s ON s.id = c.site_id"
                                  " LEFT JOIN district d ON d.id = s.district_id WHERE dc.status = 'signed'"
                                  " AND dc.signed_on >= ? AND dc.signed_on < ? ORDER BY dc.year, dc.number",
                                  (scope.start.isoformat(), scope.end.isoformat())))
    out.append(path)
    path = folder / "plaintes_par_arrondissement.csv"
    _write_csv(path, ["arrondissement", "etat", "nombre"],
               _k_anonymous(store.conn.execute(
                   "SELECT d.name_fr, c.status, count(*) FROM complaint c LEFT JOIN district d ON d.id = c.district_id"
                   " WHERE c.received_on >= ? AND c.received_on < ? GROUP BY 1, 2 ORDER BY 1, 2",
                   (scope.start.isoformat(), scope.end.isoformat()))))
    out.append(path)
    path = folder / "controles_mailles.geojson"
    cells = store.conn.execute(
        f"SELECT CAST(floor(i.lon / {CELL_DEG}) AS INTEGER), CAST(floor(i.lat / {CELL_DEG}) AS INTEGER), count(*),"
        f" sum(i.outcome = 'violations') FROM inspection i WHERE {w} AND i.lon IS NOT NULL GROUP BY 1, 2", p).fetchall()
    features = []
    for a, b, n, v in cells:
        if n < K_MIN:  # a cell with fewer inspections is not published
            continue
        v = v or 0
        if 0 < v < K_MIN:
            v = None  # "fewer than 5" is not told: it could name the one establishment at fault
        x0, y0, x1, y1 = a * CELL_DEG, b * CELL_DEG, (a + 1) * CELL_DEG, (b + 1) * CELL_DEG
        features.append({"type": "Feature", "properties": {"nombre": n, "avec_infraction": v},
                         "geometry": {"type": "Polygon", "coordinates": [[[round(x0, 6), round(y0, 6)], [round(x1, 6), round(y0, 6)],
                                                                           [round(x1, 6), round(y1, 6)], [round(x0, 6), round(y1, 6)],
                                                                           [round(x0, 6), round(y0, 6)]]]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    out.append(path)
    path = folder / "dictionnaire_des_donnees.csv"
    _write_csv(path, ["fichier", "colonne", "type", "description_fr", "description_ar"], DICTIONARY)
    out.append(path)
    return out
