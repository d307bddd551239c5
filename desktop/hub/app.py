"""The hub's HTTP face: a Starlette app over the hub's PostgreSQL database (``hub serve``).

Endpoints (under ``/v1``), every one but ``status`` and ``enroll`` signed by the device's key
(``desktop.services.hubwire``), and a revoked or unknown device refused:

- ``GET  /status``                  the hub's id, schema and version (no authentication: a ping)
- ``POST /enroll``                  a user's login and the device's public key -> the enrolment
- ``POST /push``                    a signed bundle -> the hub's signed receipt
- ``GET  /pull?cursor=N``           what changed in the device's scope since ``cursor``
- ``POST /blobs/want``              ``{"sha256": [...]}`` -> the ones the hub lacks
- ``PUT  /blobs/{sha256}``          a photo or PDF, checked against its hash on arrival
- ``GET  /blobs/{sha256}``          a stored one
- ``POST /numbers``                 ``{"series", "year", "document_id"}`` -> the register number
- ``GET  /conflicts?status=open``   the Conflits queue (coordinator)
- ``POST /conflicts/{id}/resolve``  ``{"choice": "hub"|"device"}`` (coordinator)
- ``GET  /devices``                 the enrolled devices (coordinator)
- ``POST /devices/{id}/revoke``     a lost or stolen device revoked (coordinator; not his own)

A refusal answers ``{"code", "params"}`` (HTTP 4xx), which the device shows in its user's language.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Callable

import psycopg
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import desktop.hub as hubapi
from desktop.domain.errors import Refusal
from desktop.hub import blobs, callers, numbers
from desktop.services.hubwire import API, H_DEVICE, error_body, verify_request

log = logging.getLogger("commune_police.hub")
MAX_BODY = 256 * 1024 * 1024
# HTTP status by refusal: authentication, revoked device, everything else a rule.
STATUS = {"net.bad_signature": 401, "net.clock_skew": 401, "net.unknown_device": 401,
          "net.device_revoked": 403, "sync.device_revoked": 403, "net.blob_mismatch": 422}


def create_app(pg_url: str) -> Starlette:
    """The ASGI app for the hub whose database is ``pg_url``."""
    hub = _Hub(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        numbers.ensure_schema(conn)  # the register numbers' tables, beside the sync core's
    routes = [
        Route(f"{API}/status", hub.status, methods=["GET"]),
        Route(f"{API}/enroll", hub.enroll, methods=["POST"]),
        Route(f"{API}/push", hub.push, methods=["POST"]),
        Route(f"{API}/pull", hub.pull, methods=["GET"]),
        Route(f"{API}/blobs/want", hub.want, methods=["POST"]),
        Route(API + "/blobs/{sha256:str}", hub.put_blob, methods=["PUT"]),
        Route(API + "/blobs/{sha256:str}", hub.get_blob, methods=["GET"]),
        Route(f"{API}/numbers", hub.reserve, methods=["POST"]),
        Route(f"{API}/conflicts", hub.conflicts, methods=["GET"]),
        Route(API + "/conflicts/{conflict_id:str}/resolve", hub.resolve, methods=["POST"]),
        Route(f"{API}/devices", hub.devices, methods=["GET"]),
        Route(API + "/devices/{device_id:str}/revoke", hub.revoke, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def _refused(exc: Refusal) -> JSONResponse:
    return JSONResponse(error_body(exc), status_code=STATUS.get(exc.key, 400))


async def _guard(call: Callable[[], Any]) -> Response:
    """Run ``call`` in the thread pool; a refusal becomes JSON, a bug a 500 with its traceback logged."""
    try:
        result = await run_in_threadpool(call)
    except Refusal as exc:
        return _refused(exc)
    except psycopg.OperationalError:
        log.exception("hub database unreachable")
        return JSONResponse({"code": "net.hub_database", "params": {}}, status_code=503)
    except Exception:
        log.exception("hub error")
        return JSONResponse({"code": "net.hub_error", "params": {"detail": "internal"}}, status_code=500)
    if isinstance(result, Response):
        return result
    if isinstance(result, (bytes, bytearray)):
        return Response(bytes(result), media_type="application/octet-stream")
    return JSONResponse(result)


class _Hub:
    def __init__(self, pg_url: str):
        self.pg_url = pg_url

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.pg_url, autocommit=True)

    async def _signed(self, request: Request, revoked_too: bool = False) -> tuple[str, bytes]:
        """(device id, body) of a request signed by an enrolled, unrevoked device (or a revoked one
        when ``revoked_too``: its push goes to ``ingest``, which quarantines it and refuses)."""
        body = await request.body()
        if len(body) > MAX_BODY:
            raise Refusal("net.too_large")
        device_id = request.headers.get(H_DEVICE, "")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")

        def check() -> None:
            with self._connect() as conn:
                key = callers.public_key(conn, device_id, revoked_too)
            verify_request(key, request.headers, request.method, target, body)
        await run_in_threadpool(check)
        return device_id, body

    async def status(self, request: Request) -> Response:
        return await _guard(lambda: callers.hub_status(self.pg_url))

    async def enroll(self, request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
            args = (str(payload["username"]), str(payload["password"]), str(payload["device_public_key"]))
        except (ValueError, KeyError, TypeError):
            return _refused(Refusal("net.bad_request"))
        district = payload.get("district")
        return await _guard(lambda: hubapi.enroll(self.pg_url, *args, district=district))

    async def push(self, request: Request) -> Response:
        try:
            device_id, body = await self._signed(request, revoked_too=True)
        except Refusal as exc:
            return _refused(exc)
        return await _guard(lambda: hubapi.ingest(self.pg_url, body))

    async def pull(self, request: Request) -> Response:
        try:
            device_id, _ = await self._signed(request)
            cursor = int(request.query_params.get("cursor", "0"))
        except Refusal as exc:
            return _refused(exc)
        except ValueError:
            return _refused(Refusal("net.bad_request"))
        return await _guard(lambda: hubapi.pull(self.pg_url, device_id, cursor))

    async def want(self, request: Request) -> Response:
        try:
            _, body = await self._signed(request)
            hashes = [str(h) for h in json.loads(body)["sha256"]]
        except Refusal as exc:
            return _refused(exc)
        except (ValueError, KeyError, TypeError):
            return _refused(Refusal("net.bad_request"))

        def missing() -> dict:
            with self._connect() as conn:
                return {"missing": blobs.missing(conn, hashes)}
        return await _guard(missing)

    async def put_blob(self, request: Request) -> Response:
        sha = request.path_params["sha256"]
        try:
            device_id, body = await self._signed(request)
        except Refusal as exc:
            return _refused(exc)
        if hashlib.sha256(body).hexdigest() != sha:
            return _refused(Refusal("net.blob_mismatch", sha256=sha))

        def store() -> dict:
            with self._connect() as conn:
                blobs.put(conn, sha, body)
            return {"stored": sha}
        return await _guard(store)

    async def get_blob(self, request: Request) -> Response:
        sha = request.path_params["sha256"]
        try:
            await self._signed(request)
        except Refusal as exc:
            return _refused(exc)

        def read() -> Any:
            with self._connect() as conn:
                data = blobs.get(conn, sha)
            if data is None:
                return JSONResponse({"code": "net.blob_unknown", "params": {"sha256": sha}}, status_code=404)
            return data
        return await _guard(read)

    async def reserve(self, request: Request) -> Response:
        try:
            device_id, body = await self._signed(request)
            payload = json.loads(body)
            series, year, document = str(payload["series"]), int(payload["year"]), str(payload["document_id"])
        except Refusal as exc:
            return _refused(exc)
        except (ValueError, KeyError, TypeError):
            return _refused(Refusal("net.bad_request"))

        def take() -> dict:
            with self._connect() as conn:
                user = callers.signing_user(conn, device_id)
                return {"number": numbers.reserve(conn, series, year, document, device_id, user)}
        return await _guard(take)

    async def conflicts(self, request: Request) -> Response:
        try:
            device_id, _ = await self._signed(request)
        except Refusal as exc:
            return _refused(exc)
        status = request.query_params.get("status", "open")

        def listed() -> dict:
            with self._connect() as conn:
                callers.coordinator(conn, device_id)
            rows = hubapi.list_conflicts(self.pg_url, status=None if status == "all" else status)
            return {"conflicts": [{k: _plain(v) for k, v in dict(r).items()} for r in rows]}
        return await _guard(listed)

    async def resolve(self, request: Request) -> Response:
        conflict_id = request.path_params["conflict_id"]
        try:
            device_id, body = await self._signed(request)
            choice = str(json.loads(body)["choice"])
        except Refusal as exc:
            return _refused(exc)
        except (ValueError, KeyError, TypeError):
            return _refused(Refusal("net.bad_request"))

        def resolved() -> dict:
            with self._connect() as conn:
                actor = callers.coordinator(conn, device_id)
            hubapi.resolve_conflict(self.pg_url, conflict_id, choice, actor)
            return {"resolved": conflict_id, "choice": choice}
        return await _guard(resolved)

    async def devices(self, request: Request) -> Response:
        try:
            device_id, _ = await self._signed(request)
        except Refusal as exc:
            return _refused(exc)

        def listed() -> dict:
            with self._connect() as conn:
                callers.coordinator(conn, device_id)
            return {"devices": [{k: _plain(v) for k, v in dict(r).items()} for r in hubapi.list_devices(self.pg_url)]}
        return await _guard(listed)

    async def revoke(self, request: Request) -> Response:
        target = request.path_params["device_id"]
        try:
            device_id, _ = await self._signed(request)
        except Refusal as exc:
            return _refused(exc)

        def revoked() -> dict:
            with self._connect() as conn:
                actor = callers.coordinator(conn, device_id)
            if target == device_id:  # his own station: he would lock himself out of the hub
                raise Refusal("net.revoke_own_device")
            hubapi.revoke(self.pg_url, target, actor)
            return {"revoked": target}
        return await _guard(revoked)


def _plain(value: Any) -> Any:
    """A value as JSON carries it (timestamps as ISO text)."""
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
