"""A PostgreSQL server with ``wal_level = logical`` for the province replication test.

The shared test server (127.0.0.1:5432) is used when it already runs with ``wal_level = logical``;
otherwise (Debian's default is ``replica``, and changing it needs a restart that would break the
other tests running against it) a private, throw-away cluster is made with ``initdb`` in a temporary
folder on a free loopback port, started with ``wal_level = logical``, and stopped and deleted after.
As root, the private cluster runs as the ``postgres`` system user (PostgreSQL refuses root)."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from typing import Iterator

BASE_URL = os.environ.get("COMMUNE_POLICE_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def shared_wal_level() -> str | None:
    import psycopg
    try:
        with psycopg.connect(f"{BASE_URL}/postgres", connect_timeout=3) as conn:
            return conn.execute("SHOW wal_level").fetchone()[0]
    except psycopg.Error:
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unavailable() -> str | None:
    """None when a logical server can be had, else the precise reason (the skip message)."""
    if shared_wal_level() == "logical":
        return None
    if not (_bin("initdb") and _bin("pg_ctl")):
        return (f"the server at {BASE_URL} runs with wal_level={shared_wal_level()} (logical replication needs"
                " 'logical' and a restart) and no initdb/pg_ctl is installed to start a private cluster")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without runuser: cannot start a private PostgreSQL cluster as 'postgres'"
    return None


@contextmanager
def logical_server() -> Iterator[str]:
    """Yield a base URL (no database) of a server with wal_level=logical."""
    if shared_wal_level() == "logical":
        yield BASE_URL
        return
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    assert initdb and pg_ctl
    root = tempfile.mkdtemp(prefix="cp-pg-logical-")
    data = os.path.join(root, "data")
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        os.chmod(root, 0o700)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    log = os.path.join(root, "server.log")
    try:
        subprocess.run([*as_user, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync"], check=True, capture_output=True)
        opts = (f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root}"
                " -c wal_level=logical -c max_wal_senders=10 -c max_replication_slots=10 -c fsync=off"
                " -c shared_buffers=16MB")
        subprocess.run([*as_user, pg_ctl, "-D", data, "-l", log, "-o", opts, "-w", "start"],
                       check=True, capture_output=True)
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}"
        finally:
            subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
