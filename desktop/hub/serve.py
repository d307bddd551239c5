"""``hub serve``: the hub's app on uvicorn, HTTPS with the commune's certificate; plain HTTP only
when listening on the loopback (tests, a hub and its only client on one machine)."""
from __future__ import annotations

import os

from desktop.domain.errors import Refusal
from desktop.services.hubwire import is_loopback

DEFAULT_LISTEN = "127.0.0.1:8443"


def parse_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise Refusal("net.bad_listen", listen=listen)
    return host.strip("[]"), int(port)


def check_listen(listen: str, tls_cert: str | None, tls_key: str | None) -> tuple[str, int]:
    """(host, port) to listen on; plain HTTP off the loopback, or half a TLS pair, refused."""
    host, port = parse_listen(listen)
    if bool(tls_cert) != bool(tls_key):
        raise Refusal("net.tls_pair")
    if not tls_cert and not is_loopback(host):
        raise Refusal("net.plain_http_listen", host=host)
    return host, port


def default_workers() -> int:
    """One worker process per CPU (the hub's Python work runs on all of them), at least one."""
    return max(1, os.cpu_count() or 1)


def serve(pg_url: str, listen: str = DEFAULT_LISTEN, tls_cert: str | None = None, tls_key: str | None = None,
          workers: int | None = None) -> None:
    """Serve the hub until interrupted, in ``workers`` processes (default: one per CPU) sharing
    the listening socket; each opens its own PostgreSQL connection pool."""
    import uvicorn

    from desktop.hub.app import PG_ENV
    host, port = check_listen(listen, tls_cert, tls_key)
    n = workers if workers is not None else default_workers()
    if n < 1:
        raise Refusal("net.bad_workers", workers=n)
    os.environ[PG_ENV] = pg_url  # read by each worker's app factory (they are spawned, not forked)
    uvicorn.run("desktop.hub.app:app_from_env", factory=True, workers=n, host=host, port=port,
                ssl_certfile=tls_cert, ssl_keyfile=tls_key, log_level="warning", access_log=False,
                timeout_graceful_shutdown=5)
