"""Filtering the list on 1,000,000 inspections (district + field + one month).

Time from applying the filter to the first page in the real list widget, as a ratio to the bare
SQL query returning the same page on the same file (target ≤ 1.5x): measured both to the page
ready in the model (what the application adds to the query) and to the page painted, the latter
beside a bare Qt baseline (the bare query's rows put in a QStandardItemModel and painted by an
identical QTableView). Also the peak memory of the process with the database open, the list shown
and scrolled (target < 300 MB).
"""
import os
import resource
import sqlite3
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QDate  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from common import ensure_big_db, median, record  # noqa: E402
from desktop.services.commune import open_commune  # noqa: E402
from desktop.store.engine import ENCRYPTED_CACHE_KIB  # noqa: E402
from desktop.i18n import Translator  # noqa: E402
from desktop.settings import Settings  # noqa: E402

BARE_SQL = """SELECT i.id, i.inspected_at, i.field_code, s.name, i.district_id, i.outcome,
 i.lead_officer_id, i.second_officer_id, i.origin_type, i.finding_count
 FROM inspection i JOIN site s ON s.id = i.site_id
 WHERE i.district_id = ? AND i.field_code = ? AND i.inspected_at >= ? AND i.inspected_at < ?
 ORDER BY i.inspected_at DESC LIMIT 200"""


def bare_connection(db):
    """The baseline's connection: the standard sqlite3 module on a clear database; on an encrypted
    one the store's engine (SQLCipher) given the same key, as bare as it can be."""
    from desktop.store import keys
    key = keys.remembered(db)
    if key is None:
        return sqlite3.connect(db)
    from desktop.store.engine import sqlite3 as engine
    conn = engine.connect(str(db))
    conn.execute(f"PRAGMA key = {keys.sqlcipher_key(key)}")
    return conn


def filter_cases(store) -> list[tuple]:
    """District + field + one calendar month: 16 filters over the last year."""
    districts = [r["id"] for r in store.query("SELECT id FROM district ORDER BY code")]
    last = store.scalar("SELECT max(inspected_at) FROM inspection")
    year, month = int(last[:4]), int(last[5:7])
    cases = []
    for n, d in enumerate(districts):
        m = (month - 1 - n % 10) % 12 + 1
        y = year if m <= month else year - 1
        cases.append((d, ("hygiene", "public_domain", "urbanism")[n % 3], QDate(y, m, 1)))
    return cases


def set_filters(page, case) -> None:
    district, field, first = case
    widgets = (page.district, page.field, page.date_from, page.date_to, page.text)
    for w in widgets:
        w.blockSignals(True)
    page.district.setCurrentIndex(page.district.findData(district))
    page.field.setCurrentIndex(page.field.findData(field))
    page.date_from.setDate(first)
    page.date_to.setDate(first.addMonths(1).addDays(-1))
    for w in widgets:
        w.blockSignals(False)


def paired(app, dbs: dict, rounds: int = 5) -> dict:
    """The list on each database side by side in one process, every filter applied to one then
    the other (the order swapped each round): the machine's load changes between seconds, not
    between the two measures of a pair. The first round (cold) is left out of the medians."""
    from PySide6.QtCore import QThreadPool

    from desktop.services.commune import unlock
    from desktop.ui.inspections_page import InspectionsPage
    from desktop.ui.session import Session
    pool = QThreadPool.globalInstance()
    sides = {}
    for name, db in dbs.items():
        proof = unlock(db, "agent001", "agent-demo")
        commune = open_commune(db)
        assert commune.login("agent001", "agent-demo", proof) is not None
        if name == "encrypted_same_cache":  # the cipher's cost alone: the clear store's page cache
            size = sides["clear"][0].store.scalar("PRAGMA cache_size")
            commune.store.conn.execute(f"PRAGMA cache_size = {int(size)}")
        if name == "clear_big_cache":  # the clear store given the encrypted one's page cache
            commune.store.conn.execute(f"PRAGMA cache_size = -{ENCRYPTED_CACHE_KIB}")
        page = InspectionsPage(Session(commune, Translator("fr"), Settings()))
        page.resize(1280, 760)
        page.show()
        sides[name] = (commune, page)
    app.processEvents()
    cases = filter_cases(sides["clear"][0].store)
    ready = {name: [] for name in dbs}
    painted = {name: [] for name in dbs}
    names = list(dbs)
    for r in range(rounds):
        for case in cases:
            for name in (names if r % 2 == 0 else names[::-1]):  # every side, in turn
                page = sides[name][1]
                set_filters(page, case)
                t = time.perf_counter()
                page.apply_filters()
                took = time.perf_counter() - t
                page.view.viewport().repaint()
                total = time.perf_counter() - t
                if r:
                    ready[name].append(took)
                    painted[name].append(total)
                app.processEvents()
                pool.waitForDone()  # the background count of this filter ends before the next measure
    assert len({page.model.rowCount() for _c, page in sides.values()}) == 1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"rounds": rounds, "queries_per_round": len(cases)}
    for name in dbs:
        out[f"{name}_page_ready_ms"] = round(median(ready[name]) * 1000, 2)
        out[f"{name}_page_painted_ms"] = round(median(painted[name]) * 1000, 2)
    for name in names[1:]:
        out[f"ratio_page_ready_{name}"] = round(median(ready[name]) / median(ready["clear"]), 2)
        out[f"ratio_page_painted_{name}"] = round(median(painted[name]) / median(painted["clear"]), 2)
        out[f"median_of_paired_ratios_ready_{name}"] = round(
            median([e / c for e, c in zip(ready[name], ready["clear"])]), 2)
    out["peak_rss_mb_both_open"] = round(rss, 1)
    for commune, page in sides.values():
        page.close()
        commune.close()
    return out


def measure(app, db, username="agent001", password="agent-demo") -> dict:
    from desktop.ui.inspections_page import InspectionsPage, local_day_to_utc
    from desktop.ui.session import Session
    from desktop.services.commune import unlock
    unlock(db, username, password)  # an encrypted commune: its key, unwrapped as the login does
    commune = open_commune(db)
    store = commune.store
    commune.login(username, password)
    session = Session(commune, Translator("fr"), Settings())
    page = InspectionsPage(session)
    page.resize(1280, 760)
    page.show()
    app.processEvents()
    bare_conn = bare_connection(db)
    cases = filter_cases(store)
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView
    bare_view = QTableView()
    bare_view.resize(page.view.size())
    bare_view.show()
    app_times, ready_times, bare_times, bare_paint_times, rows = [], [], [], [], []
    for district, field, first in cases * 2:  # second pass: warm cache for both
        last_day = first.addMonths(1).addDays(-1)
        params = (district, field, local_day_to_utc(first), local_day_to_utc(last_day.addDays(1)))
        t = time.perf_counter()
        got = bare_conn.execute(BARE_SQL, params).fetchall()
        bare_times.append(time.perf_counter() - t)
        set_filters(page, (district, field, first))
        t = time.perf_counter()
        bare_model = QStandardItemModel()
        for r in got:
            bare_model.appendRow([QStandardItem(str(v)) for v in r[1:9]])
        bare_view.setModel(bare_model)
        bare_view.viewport().repaint()
        bare_paint_times.append(time.perf_counter() - t + bare_times[-1])
        t = time.perf_counter()
        page.apply_filters()
        ready_times.append(time.perf_counter() - t)
        page.view.viewport().repaint()
        app_times.append(time.perf_counter() - t)
        rows.append((page.model.rowCount(), len(got)))
        app.processEvents()
    assert all(a == b for a, b in rows), rows
    for _ in range(10):  # scroll ten pages down in the unfiltered list
        page.model.fetchMore()
    from PySide6.QtCore import QThreadPool
    QThreadPool.globalInstance().waitForDone()
    half = len(cases)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "queries": half, "rows_first_page_median": sorted(r[0] for r in rows)[len(rows) // 2],
        "bare_sql_ms": round(median(bare_times[half:]) * 1000, 2),
        "app_page_ready_ms": round(median(ready_times[half:]) * 1000, 2),
        "ratio_ready_to_sql": round(median(ready_times[half:]) / median(bare_times[half:]), 2), "target_ratio": 1.5,
        "app_page_painted_ms": round(median(app_times[half:]) * 1000, 2),
        "ratio_painted_to_sql": round(median(app_times[half:]) / median(bare_times[half:]), 2),
        "bare_sql_plus_bare_qt_paint_ms": round(median(bare_paint_times[half:]) * 1000, 2),
        "ratio_painted_to_bare_paint": round(median(app_times[half:]) / median(bare_paint_times[half:]), 2),
        "cold_app_first_page_ms": round(median(app_times[:half]) * 1000, 2),
        "cold_bare_sql_ms": round(median(bare_times[:half]) * 1000, 2),
        "peak_rss_mb": round(rss, 1), "target_rss_mb": 300}
    page.close()
    bare_conn.close()
    commune.close()
    return result


def main() -> None:
    """``bench_filter.py``: the clear 1,000,000 demo. ``bench_filter.py --encrypted``: the same
    and its encrypted copy (bench_encryption.py makes it), in this one run, with their ratio."""
    db = ensure_big_db()
    app = QApplication([])
    if "--encrypted" not in sys.argv:
        record("filter", measure(app, db))
        return
    from common import ensure_encrypted_db
    encrypted = ensure_encrypted_db()
    alone = {} if "--paired-only" in sys.argv else {"clear": measure(app, db), "encrypted": measure(app, encrypted)}
    record("filter_encryption", {**alone, "paired": paired(app, {"clear": db, "encrypted": encrypted,
                                                               "encrypted_same_cache": encrypted,
                                                               "clear_big_cache": db}),
                                 "target_ratio": 1.2})


if __name__ == "__main__":
    main()
