"""One bundle format for both transports (USB file, HTTPS): signed canonical JSON.

``bytes`` = UTF-8 JSON ``{"body": "<canonical JSON text>", "sig": "<hex Ed25519 signature>"}``.
The body always holds ``format``, ``kind`` (push | receipt | pull | export) and ``schema``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
from typing import Iterator

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from desktop.domain.errors import Refusal
from desktop.domain.sync import FORMAT, canonical


def new_key() -> tuple[bytes, bytes]:
    """(private PEM, public PEM) of a new Ed25519 key."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return private, public_pem(private)


def public_pem(private_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(private_pem, password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def seal(body: dict, private_pem: bytes) -> bytes:
    """The signed bundle of ``body``."""
    return seal_text(canonical({"format": FORMAT, **body}), private_pem)


def seal_text(text: str, private_pem: bytes, *, utf8: bool = False) -> bytes:
    """The signed bundle of a body already written as JSON text (``seal`` writes it canonical;
    ``desktop.services.sync.make_bundle`` splices in the outbox's stored JSON of each op's values).
    The signature covers the text as sent; readers parse it, they never re-serialise it.

    ``utf8``: the outer JSON written by orjson, the body's non-ASCII characters as UTF-8 instead
    of ``\\u`` escapes (what a reader parses is the same string): 3x faster, and 5 % fewer bytes,
    for a new tablet's 4 MB pull."""
    outer = {"body": text, "sig": signature(text, private_pem)}  # (a text UTF-8 cannot hold fails here)
    return orjson.dumps(outer) if utf8 else json.dumps(outer).encode("utf-8")


def signature(text: str, private_pem: bytes | Ed25519PrivateKey) -> str:
    """The hex Ed25519 signature of ``text`` (UTF-8) by a private key (PEM, or loaded once by the caller)."""
    key = private_pem if isinstance(private_pem, Ed25519PrivateKey) else private_key(private_pem)
    return key.sign(text.encode("utf-8")).hex()


def private_key(private_pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def signed(text: str, sig: object, public_key_pem: str | bytes) -> bool:
    """Whether ``sig`` (hex) is the signature of ``text`` by the key ``public_key_pem``."""
    pem = public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
    try:
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey) or not isinstance(sig, str):
            return False
        key.verify(bytes.fromhex(sig), text.encode("utf-8"))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def join(bundles: list[bytes]) -> bytes:
    """Several bundles in one file (a device's backlog, their receipts): one a line."""
    return b"\n".join(bundles)


def split(data: bytes) -> list[bytes]:
    """The bundles of a file ``join`` wrote (a file of one bundle: that bundle)."""
    return [line for line in data.split(b"\n") if line.strip()] or [data]


class Unpacked(tuple):
    """(outer, body) of a bundle; ``finite``: no float in its body is NaN or infinite (known only
    when ``unpack`` was asked to look at the floats)."""

    finite = False


def unpack(data: bytes, floats: bool = False) -> Unpacked:
    """(outer, body) of a bundle, its signature not checked yet (to find who signed it);
    ``floats``: each float looked at as it is read (``Unpacked.finite``; ~0.2 µs a float, which a
    pull of a whole commune need not pay)."""
    try:
        outer = _outer(data)
        body, finite = _body(outer["body"]) if floats else (json.loads(outer["body"]), False)
        if not isinstance(body, dict) or body.get("format") != FORMAT or not isinstance(outer.get("sig"), str):
            raise ValueError("not a sync bundle")
        unpacked = Unpacked((outer, body))
        unpacked.finite = finite
        return unpacked
    except (ValueError, KeyError, TypeError):
        raise Refusal("sync.not_a_bundle") from None


def _body(text) -> tuple[object, bool]:
    """``json.loads(text)``, and whether no float in it is NaN or infinite (none written so, no
    number too large for a float): the floats are read as ``json.loads`` reads them, each looked at."""
    finite = [True]

    def number(token: str) -> float:
        value = float(token)
        if not math.isfinite(value):
            finite[0] = False
        return value

    def constant(name: str) -> float:  # NaN, Infinity, -Infinity
        finite[0] = False
        return float(name)
    return json.loads(text, parse_float=number, parse_constant=constant), finite[0]


def _outer(data):
    """``json.loads(data)`` of the wrapper, by orjson (~2x faster on a 13 MB body's text) when its
    answer is json's: bytes or text that orjson reads as an object of texts (it refuses what json
    accepts beyond that: NaN, lone surrogates, a byte-order mark, other encodings; it reads an
    integer beyond 64 bits as a float): anything else goes to ``json.loads`` as before."""
    if type(data) is bytes or type(data) is str:
        try:
            outer = orjson.loads(data)
        except orjson.JSONDecodeError:
            return json.loads(data)
        if type(outer) is dict and all(type(v) is str for v in outer.values()):
            return outer
    return json.loads(data)


def peek(data: bytes) -> dict:
    """The body of a bundle, its signature not checked yet."""
    return unpack(data)[1]


def open_sealed(data: bytes | tuple[dict, dict], public_key_pem: str | bytes, *, kind: str, schema: int,
                here: str | None = None) -> dict:
    """The body of a bundle (or of what ``unpack`` made of it) whose signature verifies with
    ``public_key_pem``, of ``kind`` and of ``schema``; every other case is a refusal. ``here``
    (``"hub"`` or ``"device"``: who opens it): another schema is refused naming the side to update
    (``sync.device_older``, ``sync.hub_older``)."""
    outer, body = unpack(data) if isinstance(data, bytes) else data
    if not signed(outer["body"], outer["sig"], public_key_pem):
        raise Refusal("sync.bad_signature")
    if body.get("kind") != kind:
        raise Refusal("sync.wrong_kind", expected=kind, found=str(body.get("kind")))
    found = body.get("schema")
    if found != schema:
        if here not in ("hub", "device") or type(found) is not int:
            raise Refusal("sync.schema_mismatch", found=str(found), expected=schema)
        hub, device = (schema, found) if here == "hub" else (found, schema)
        raise Refusal("sync.device_older" if device < hub else "sync.hub_older", device=device, hub=hub)
    return body


def checked_blobs(blobs: dict) -> Iterator[tuple[str, bytes]]:
    """Each file a bundle carries (base64, by its SHA-256), decoded and checked against its hash:
    (hash, bytes); one that does not match is a refusal."""
    for sha, text in blobs.items():
        data = base64.b64decode(text)
        if hashlib.sha256(data).hexdigest() != sha:
            raise Refusal("sync.blob_corrupt", sha=sha[:12])
        yield sha, data
