"""Command-line verbs of the geo engine: import districts, render the map, export inspections."""
from __future__ import annotations

import os
import sys

from desktop.cli_common import login
from desktop.i18n import Translator
from desktop.store.inspections import InspectionFilter

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def _filter(args) -> InspectionFilter:
    filt = InspectionFilter(field_code=getattr(args, "field", None))
    if getattr(args, "year", None):
        filt.date_from, filt.date_to = f"{args.year}-01-01T00:00:00Z", f"{args.year + 1}-01-01T00:00:00Z"
    return filt


def districts_command(args, tr: Translator) -> int:
    from desktop.store.db import open_store
    from desktop.store.districts import current_bounds, replace_district_layer
    from maps.layers import LayerError, load_district_layer
    with open_store(args.db) as store:
        try:
            layer = load_district_layer(args.file, args.name_ar, args.name_fr, args.population,
                                        reference_bounds=current_bounds(store))
        except LayerError as exc:
            print(f"{tr('layer.refused')} {tr('layer.' + exc.code, **exc.params)}", file=sys.stderr)
            if exc.detail:
                print(f"  ({exc.detail})", file=sys.stderr)
            return EXIT_ERROR
        for code, params in layer.warnings:
            print(f"! {tr('layer.' + code, **params)}", file=sys.stderr)
        if any(code == "far_from_commune" for code, _ in layer.warnings) and not args.force:
            print(tr("cli.use_force"), file=sys.stderr)
            return EXIT_ERROR
        user = login(store, args.user, tr)
        if user is None:
            return EXIT_ERROR
        report = replace_district_layer(store, user, layer.features)
    print(tr("layer.replaced", n=report.total, outside=report.outside))
    return EXIT_OK


def map_command(args, tr: Translator) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"--size: WIDTHxHEIGHT, e.g. 1600x1100 (got {args.size!r})", file=sys.stderr)
        return EXIT_ERROR
    if args.out.suffix.lower() not in (".png", ".pdf"):
        print("--out: a .png or .pdf file", file=sys.stderr)
        return EXIT_ERROR
    from desktop.ui.map_export import render_map_file  # Qt from here on (offscreen)
    count = render_map_file(args.db, args.out, (width, height), _filter(args), tr, mode=args.mode,
                            color_by=args.color_by, measure=args.measure)
    print(f"{args.out} ({count:,} inspections)")
    return EXIT_OK


def inspections_command(args, tr: Translator) -> int:
    from desktop.store.db import open_store
    from desktop.store.geo import export_inspections
    tty = sys.stderr.isatty()

    def progress(n: int) -> None:
        if tty:
            print(f"\r{n:,}", end="", file=sys.stderr, flush=True)

    with open_store(args.db, readonly=True) as store:
        count = export_inspections(store, args.out, args.format, _filter(args), progress)
    if tty:
        print(file=sys.stderr)
    print(f"{args.out}: {count:,} inspections")
    return EXIT_OK
