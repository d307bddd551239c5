"""``hub serve``: the hub's app on uvicorn, HTTPS with the commune's certificate; plain HTTP only
when listening on the loopback (tests, a hub and its only client on one machine)."""
from __future__ import annotations

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


def serve(pg_url: str, listen: str = DEFAULT_LISTEN, tls_cert: str | None = None, tls_key: str | None = None) -> None:
    """Serve the hub until interrupted."""
    import uvicorn

    from desktop.hub.app import create_app
    host, port = check_listen(listen, tls_cert, tls_key)
    uvicorn.run(create_app(pg_url), host=host, port=port, ssl_certfile=tls_cert, ssl_keyfile=tls_key,
                log_level="warning", access_log=False, timeout_graceful_shutdown=5)
