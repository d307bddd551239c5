"""Command-line verbs of the geo engine: import districts, render the map, export inspections."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from desktop.cli.common import EXIT_ERROR, EXIT_OK, acting_as, db_arg
from desktop.domain.errors import Refusal
from desktop.i18n import Translator


def register(sub) -> None:
    sp = sub.add_parser("districts", help="the commune's district layer")
    dsub = sp.add_subparsers(dest="districts_command", required=True)
    imp = dsub.add_parser("import", help="replace the district layer (GeoJSON, GeoPackage, Shapefile)")
    imp.add_argument("file", type=Path)
    db_arg(imp)
    imp.add_argument("--name-ar", help="field holding the Arabic name")
    imp.add_argument("--name-fr", help="field holding the French name")
    imp.add_argument("--population", help="field holding the population")
    imp.add_argument("--user", default="admin", help="administrator account (password asked, or from"
                     " COMMUNE_POLICE_PASSWORD)")
    imp.add_argument("--force", action="store_true", help="import even a layer far from the commune's data")
    imp.set_defaults(run=districts_import)

    sp = sub.add_parser("map", help="render the map to a PNG or PDF file, without the GUI")
    db_arg(sp)
    sp.add_argument("--out", type=Path, required=True)
    sp.add_argument("--mode", choices=("points", "choropleth"), default="points")
    sp.add_argument("--color-by", choices=("field", "outcome"), default="field")
    sp.add_argument("--measure", choices=("inspections", "violations"), default="inspections")
    sp.add_argument("--field", help="only this police field (catalogue code)")
    sp.add_argument("--year", type=int, help="only this calendar year")
    sp.add_argument("--size", default="1600x1100", help="image size in pixels, WIDTHxHEIGHT")
    sp.set_defaults(run=map_file)

    sp = sub.add_parser("inspections", help="inspections")
    isub = sp.add_subparsers(dest="inspections_command", required=True)
    exp = isub.add_parser("export", help="inspections with district and findings, for QGIS")
    db_arg(exp)
    exp.add_argument("--format", choices=("gpkg", "geojson", "csv"), required=True)
    exp.add_argument("--out", type=Path, required=True)
    exp.add_argument("--field", help="only this police field (catalogue code)")
    exp.add_argument("--year", type=int, help="only this calendar year")
    exp.set_defaults(run=inspections_export)


def _filter(args: argparse.Namespace):
    from desktop.store.inspections import InspectionFilter
    filt = InspectionFilter(field_code=getattr(args, "field", None))
    if getattr(args, "year", None):
        filt.date_from, filt.date_to = f"{args.year}-01-01T00:00:00Z", f"{args.year + 1}-01-01T00:00:00Z"
    return filt


def districts_import(args, tr: Translator) -> int:
    from desktop.services.commune import open_commune
    from desktop.store.districts import current_bounds, replace_district_layer
    from maps.layers import load_district_layer
    with open_commune(args.db) as commune:
        layer = load_district_layer(args.file, args.name_ar, args.name_fr, args.population,
                                    reference_bounds=current_bounds(commune.store))
    for code, params in layer.warnings:
        print(f"! {tr('layer.' + code, **params)}", file=sys.stderr)
    if any(code == "far_from_commune" for code, _ in layer.warnings) and not args.force:
        print(tr("cli.use_force"), file=sys.stderr)
        return EXIT_ERROR
    with acting_as(args, args.user, tr) as commune:
        report = replace_district_layer(commune.store, commune.actor, layer.features)
    print(tr("layer.replaced", n=report.total, outside=report.outside))
    return EXIT_OK


MIN_SIDE, MAX_SIDE = 200, 10_000  # pixels: a readable map, and at most 400 MB of image in memory


def map_file(args, tr: Translator) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise Refusal("bad_size", value=args.size) from None
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):  # 60000x60000 is 14 GB of pixels
        raise Refusal("map_size_range", value=args.size, low=MIN_SIDE, high=MAX_SIDE)
    if args.out.suffix.lower() not in (".png", ".pdf"):
        raise Refusal("bad_map_file")
    from desktop.ui.map_export import render_map_file  # Qt from here on (offscreen): the allowed exception
    count = render_map_file(args.db, args.out, (width, height), _filter(args), tr, mode=args.mode,
                            color_by=args.color_by, measure=args.measure)
    print(tr("cli.inspections_written", path=str(args.out), n=f"{count:,}"))
    return EXIT_OK


def inspections_export(args, tr: Translator) -> int:
    from desktop.store.db import open_store
    from desktop.store.geo import export_inspections
    tty = sys.stderr.isatty()

    def progress(n: int, _total: int | None) -> None:
        if tty:
            print(f"\r{n:,}", end="", file=sys.stderr, flush=True)

    with open_store(args.db, readonly=True) as store:
        count = export_inspections(store, args.out, args.format, _filter(args), progress)
    if tty:
        print(file=sys.stderr)
    print(tr("cli.inspections_written", path=str(args.out), n=f"{count:,}"))
    return EXIT_OK
