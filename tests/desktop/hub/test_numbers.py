"""Register numbers at the hub: unique and gap-free under concurrent reservations (threads and
processes on real PostgreSQL connections), idempotent for a document asking again."""
import multiprocessing
import threading

import psycopg
from hypothesis import given, settings, strategies as st, HealthCheck

from desktop.hub import numbers


def _connect(url):
    return psycopg.connect(url, autocommit=True)


def test_a_document_keeps_its_number_and_series_are_separate(pg_url):
    with _connect(pg_url) as conn:
        numbers.ensure_schema(conn)
        assert numbers.reserve(conn, "arrete", 2026, "d1", "dev1", "president") == 1
        assert numbers.reserve(conn, "arrete", 2026, "d2", "dev2", "president") == 2
        assert numbers.reserve(conn, "arrete", 2026, "d1", "dev1", "president") == 1   # asked again
        assert numbers.reserve(conn, "notice", 2026, "n1", "dev1", "president") == 1   # its own series
        assert numbers.reserve(conn, "arrete", 2027, "d3", "dev1", "president") == 1   # a new year
        assert numbers.numbers(conn, "arrete", 2026) == [(1, "d1"), (2, "d2")]


def _reserve_many(url, worker, count, out):
    with _connect(url) as conn:
        for i in range(count):
            out.append(numbers.reserve(conn, "arrete", 2026, f"w{worker}-d{i}", f"dev{worker}", "president"))


def test_concurrent_threads_get_unique_gap_free_numbers(pg_url):
    with _connect(pg_url) as conn:
        numbers.ensure_schema(conn)
    got: list[int] = []
    threads = [threading.Thread(target=_reserve_many, args=(pg_url, w, 25, got)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 201))
    with _connect(pg_url) as conn:
        assert [n for n, _ in numbers.numbers(conn, "arrete", 2026)] == list(range(1, 201))


def _process(url, worker, queue):
    out: list[int] = []
    # the same documents asked by two processes at once (a signing station retrying): one number each
    _reserve_many(url, worker % 3, 20, out)
    queue.put((worker, out))


def test_concurrent_processes_and_retries_of_the_same_documents(pg_url):
    with _connect(pg_url) as conn:
        numbers.ensure_schema(conn)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process, args=(pg_url, w, queue)) for w in range(6)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    with _connect(pg_url) as conn:
        held = numbers.numbers(conn, "arrete", 2026)
    assert [n for n, _ in held] == list(range(1, 61))          # 3 distinct workers x 20 documents
    by_doc = dict((d, n) for n, d in held)
    assert sorted(w for w, _ in results) == list(range(6))
    for w, out in results:                         # each asker saw its document's number
        assert out == [by_doc[f"w{w % 3}-d{i}"] for i in range(20)]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["arrete", "notice", "letter"]), st.integers(0, 9)), max_size=30))
def test_any_sequence_of_requests_numbers_each_series_densely(pg_url, requests):
    with _connect(pg_url) as conn:
        numbers.ensure_schema(conn)
        conn.execute("TRUNCATE register_number, register_counter")
        seen: dict[tuple[str, int], int] = {}
        for series, doc in requests:
            n = numbers.reserve(conn, series, 2026, f"doc{doc}", "dev", "u")
            assert seen.setdefault((series, doc), n) == n
        for series in ("arrete", "notice", "letter"):
            held = [n for n, _ in numbers.numbers(conn, series, 2026)]
            assert held == list(range(1, len({d for s, d in requests if s == series}) + 1))
