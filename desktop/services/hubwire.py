"""What the hub and its devices agree on over HTTP: paths, signed requests, errors as JSON.

Every request but enrolment is signed with the device's Ed25519 key: the signature covers the
method, the path with its query, a timestamp and the body's SHA-256 (headers ``X-CP-Device``,
``X-CP-Time``, ``X-CP-Signature``). The hub refuses a timestamp more than ``SKEW`` seconds away
from its clock; a replay inside that window is harmless (a push is idempotent, a pull only reads,
a number reservation returns the document's number again). A refusal travels as
``{"code": key, "params": {...}}`` and becomes the same ``Refusal`` on the device, shown in the
user's language by ``message_for``."""
from __future__ import annotations

import hashlib
import ipaddress
import time
from typing import Any, Mapping
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from desktop.domain.errors import Refusal

API = "/v1"
SKEW = 300  # seconds
H_DEVICE, H_TIME, H_SIG = "x-cp-device", "x-cp-time", "x-cp-signature"
RESOLVERS = frozenset({"coordinator", "administrator"})  # the roles that work the hub's Conflits queue


def message(method: str, target: str, stamp: str, body: bytes) -> bytes:
    """The signed text of a request: method, path?query, time, body hash."""
    return f"{method.upper()}\n{target}\n{stamp}\n{hashlib.sha256(body).hexdigest()}".encode()


def sign_request(private_pem: bytes, device_id: str, method: str, target: str, body: bytes,
                 now: float | None = None) -> dict[str, str]:
    key = load_pem_private_key(private_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise Refusal("net.bad_device_key")
    stamp = str(int(now if now is not None else time.time()))
    return {H_DEVICE: device_id, H_TIME: stamp, H_SIG: key.sign(message(method, target, stamp, body)).hex()}


def verify_request(public_pem: bytes, headers: Mapping[str, str], method: str, target: str, body: bytes,
                   now: float | None = None) -> None:
    """Refuse (``net.bad_signature`` / ``net.clock_skew``) a request not signed by this key now."""
    stamp = headers.get(H_TIME, "")
    try:
        when = int(stamp)
        sig = bytes.fromhex(headers.get(H_SIG, ""))
    except ValueError:
        raise Refusal("net.bad_signature") from None
    if abs((now if now is not None else time.time()) - when) > SKEW:
        raise Refusal("net.clock_skew", seconds=SKEW)
    key = load_pem_public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise Refusal("net.bad_signature")
    try:
        key.verify(sig, message(method, target, stamp, body))
    except InvalidSignature:
        raise Refusal("net.bad_signature") from None


def error_body(exc: Refusal) -> dict[str, Any]:
    """A refusal as JSON (parameters as text, so that any of them travels)."""
    return {"code": exc.key, "params": {k: v if isinstance(v, (int, float)) else str(v) for k, v in exc.params.items()}}


def refusal_from(payload: Any) -> Refusal:
    """The refusal a hub's JSON error stands for (a malformed one: ``net.hub_error``)."""
    if isinstance(payload, dict) and isinstance(payload.get("code"), str):
        params = payload.get("params")
        return Refusal(payload["code"], **(params if isinstance(params, dict) else {}))
    return Refusal("net.hub_error", detail=str(payload)[:200])


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a hub URL; plain HTTP only on the loopback."""
    try:  # (a port past 65535 or not a number, an unclosed IPv6 bracket: ValueError)
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refusal("net.bad_url", url=url) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refusal("net.bad_url", url=url)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise Refusal("net.plain_http", url=url)
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)
