"""A device's HTTP client to its commune hub (httpx), with the hub's certificate pinned.

At enrolment the device takes the certificate the hub presents (its SHA-256 fingerprint is shown
to the user to compare with the one the town hall gives) and keeps it beside the database
(``HubConfig``); from then on it talks only to a hub presenting that very certificate.

Failures of the network are refusals the user reads (``net.unreachable``, ``net.timeout``,
``net.certificate_changed``); nothing is lost, since ops stay pending until a receipt arrives."""
from __future__ import annotations

import hashlib
import json
import ssl
from typing import Any
from urllib.parse import quote

import httpx

from desktop.domain.errors import Refusal
from desktop.services.hubwire import API, check_url, refusal_from, sign_request

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def fetch_certificate(url: str) -> str:
    """The PEM certificate an HTTPS hub presents (trust on first use, fingerprint shown)."""
    _scheme, host, port = check_url(url)
    try:
        return ssl.get_server_certificate((host, port), timeout=5)
    except (OSError, ssl.SSLError) as exc:
        raise Refusal("net.unreachable", url=url, detail=str(exc)) from None


def fingerprint(pem: str) -> str:
    der = ssl.PEM_cert_to_DER_cert(pem)
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def pinned_context(pem: str) -> ssl.SSLContext:
    """A TLS context that trusts exactly this certificate (host name not checked: the pin is stronger)."""
    ctx = ssl.create_default_context(cadata=pem)
    ctx.check_hostname = False
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # a CA-issued leaf pinned as its own anchor
    return ctx


class HubClient:
    """Calls to one hub; ``key_pem``/``device_id`` sign every call but enrolment."""

    def __init__(self, url: str, certificate: str | None = None, device_id: str = "", key_pem: bytes = b"",
                 timeout: httpx.Timeout = TIMEOUT):
        scheme, _host, _port = check_url(url)
        self.url = url.rstrip("/")
        if scheme == "https" and not certificate:
            raise Refusal("net.no_certificate")
        # plain HTTP (loopback only): no TLS context to build (the default one loads ~150 CA certificates)
        verify: Any = pinned_context(certificate) if scheme == "https" and certificate else False
        self.device_id, self.key_pem = device_id, key_pem
        self._http = httpx.Client(verify=verify, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: bytes = b"", signed: bool = True,
              params: dict[str, Any] | None = None) -> httpx.Response:
        target = API + path
        if params:
            target += "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
        headers = {"content-type": "application/octet-stream"}
        if signed:
            headers.update(sign_request(self.key_pem, self.device_id, method, target, body))
        try:
            response = self._http.request(method, self.url + target, content=body, headers=headers)
        except httpx.TimeoutException:
            raise Refusal("net.timeout", url=self.url) from None
        except httpx.ConnectError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc) or isinstance(exc.__cause__, ssl.SSLError):
                raise Refusal("net.certificate_changed", url=self.url) from None
            raise Refusal("net.unreachable", url=self.url, detail=str(exc)) from None
        except httpx.TransportError as exc:  # the connection dropped mid-way (hub stopped, network lost)
            raise Refusal("net.interrupted", url=self.url, detail=type(exc).__name__) from None
        if response.status_code >= 400:
            try:
                payload = response.json()
            except ValueError:
                payload = response.text
            raise refusal_from(payload)
        return response

    def status(self) -> dict:
        return self._call("GET", "/status", signed=False).json()

    def enroll(self, username: str, password: str, public_pem: bytes, district: str | None) -> dict:
        body = json.dumps({"username": username, "password": password,
                           "device_public_key": public_pem.decode(), "district": district}).encode()
        return self._call("POST", "/enroll", body, signed=False).json()

    def push(self, bundle: bytes) -> bytes:
        return self._call("POST", "/push", bundle).content

    def pull(self, cursor: int, page: dict | None = None) -> bytes:
        """The hub's pull from ``cursor``: a station's large one in pages, ``page`` the next one's
        place (``hub.pull.Page``, as the last page gave it)."""
        params: dict[str, Any] = {"cursor": int(cursor), "paged": 1}
        if page is not None:
            params.update(bound=int(page["bound"]), table=str(page["table"]),
                          **({"after": str(page["after"])} if page.get("after") is not None else {}))
        return self._call("GET", "/pull", params=params).content

    def missing_blobs(self, hashes: list[str]) -> list[str]:
        if not hashes:
            return []
        return list(self._call("POST", "/blobs/want", json.dumps({"sha256": hashes}).encode()).json()["missing"])

    def put_blob(self, sha256: str, data: bytes) -> None:
        self._call("PUT", f"/blobs/{sha256}", data)

    def get_blob(self, sha256: str) -> bytes:
        return self._call("GET", f"/blobs/{sha256}").content

    def reserve_number(self, series: str, year: int, document_id: str) -> int:
        body = json.dumps({"series": series, "year": int(year), "document_id": document_id}).encode()
        return int(self._call("POST", "/numbers", body).json()["number"])

    def conflicts(self, status: str = "open") -> list[dict]:
        return list(self._call("GET", "/conflicts", params={"status": status}).json()["conflicts"])

    def resolve(self, conflict_id: str, choice: str) -> None:
        self._call("POST", f"/conflicts/{conflict_id}/resolve", json.dumps({"choice": choice}).encode())

    def devices(self) -> list[dict]:
        return list(self._call("GET", "/devices").json()["devices"])

    def revoke_device(self, device_id: str) -> None:
        self._call("POST", f"/devices/{device_id}/revoke")
