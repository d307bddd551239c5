"""The hub's HTTP face: a Starlette app over the hub's PostgreSQL database (``hub serve``).

Endpoints (under ``/v1``), every one but ``status`` and ``enroll`` signed by the device's key
(``desktop.services.hubwire``), and a revoked or unknown device refused:

- ``GET  /status``                  the hub's id, schema and version (no authentication: a ping)
- ``POST /enroll``                  a user's login and the device's public key -> the enrolment
- ``POST /push``                    a signed bundle -> the hub's signed receipt
- ``GET  /pull?cursor=N``           what changed in the device's scope since ``cursor``; with
  ``&paged=1`` a station's large one in pages (``&bound=&table=&after=``: the next, ``pull.Page``)
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

import asyncio
import hashlib
import json
import logging
import os
from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterator, Callable, Iterator

import psycopg
from psycopg.rows import tuple_row
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import desktop.hub as hubapi
from desktop.domain.errors import Refusal
from desktop.hub import blobs, callers, numbers, validate
from desktop.hub.base import LOCK, POOL_MAX, close_pools, connect, ensure_safe_seq, open_pool
from desktop.hub.pull import Page, page_of
from desktop.services.hubwire import API, H_DEVICE, error_body, verify_request

log = logging.getLogger("commune_police.hub")
MAX_BODY = 256 * 1024 * 1024
# HTTP status by refusal: authentication, revoked device, everything else a rule.
STATUS = {"net.bad_signature": 401, "net.clock_skew": 401, "net.unknown_device": 401,
          "net.device_revoked": 403, "net.account_inactive": 403, "sync.device_revoked": 403, "net.blob_mismatch": 422}


PG_ENV = "COMMUNE_POLICE_HUB_PG"  # the database of ``hub serve``'s workers (``app_from_env``)


def create_app(pg_url: str) -> Starlette:
    """The ASGI app for the hub whose database is ``pg_url``: each process that serves it opens its
    own connection pool at start-up and closes it at shutdown."""
    hub = _Hub(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))  # workers starting together: one at a time
        ensure_safe_seq(conn)  # a hub made before the pulls' safe bound
        numbers.ensure_schema(conn)  # the register numbers' tables, beside the sync core's

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        open_pool(pg_url)
        await run_in_threadpool(_warm, pg_url)
        try:
            yield
        finally:
            close_pools()
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
    return Starlette(routes=routes, lifespan=lifespan)


def _warm(pg_url: str) -> None:
    """What every ingest needs, made once per worker before the first request (``validate.warm``);
    a hub not initialised yet, or its database down, only leaves it to the first ingest."""
    try:
        with connect(pg_url) as conn:
            validate.warm(conn)
    except (psycopg.Error, Refusal):
        log.warning("hub worker: rules' context not made at start-up", exc_info=True)


def app_from_env() -> Starlette:
    """The app for the database named by ``COMMUNE_POLICE_HUB_PG`` (uvicorn's factory, one call
    per worker process)."""
    return create_app(os.environ[PG_ENV])


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


def _whole(body: bytes) -> bytes:
    return body


@contextmanager
def _tuples(pg_url: str) -> Iterator[Any]:
    """A connection whose rows are tuples (``blobs``, ``numbers``, ``callers``' helpers), given
    back to the pool with dictionary rows again (``base._reset``)."""
    with connect(pg_url) as conn:
        conn.row_factory = tuple_row  # type: ignore[assignment]
        yield conn


# The ingests one worker process runs at once (the others wait here, holding neither a thread nor
# a connection): they take the hub's exclusive lock one at a time anyway, and each one waiting for
# it holds one of the pool's POOL_MAX connections; with every connection held by an ingest waiting
# for the lock, the pulls (and every request's key lookup) would wait for the whole queue of ingests.
INGESTS_AT_ONCE = max(1, POOL_MAX // 2)


class _Hub:
    def __init__(self, pg_url: str):
        self.pg_url = pg_url
        self._ingests: asyncio.Semaphore | None = None  # made in the serving loop, at the first push

    async def _signed(self, request: Request, work: Callable[[str, Any], Any],
                      parse: Callable[[bytes], Any] = _whole, revoked_too: bool = False,
                      gate: asyncio.Semaphore | None = None) -> Response:
        """Answer a request signed by an enrolled, unrevoked device (or a revoked one when
        ``revoked_too``: its push goes to ``ingest``, which quarantines it and refuses) with
        ``work(device id, parse(body))``; a body ``parse`` cannot read is a bad request. The
        device's key and status are read on every request (a revocation holds from the next one)
        on a connection of the pool, given back before ``work`` runs; ``gate``: held while it runs."""
        device_id = request.headers.get(H_DEVICE, "")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > MAX_BODY:  # refused before a byte of it is read
            return _refused(Refusal("net.too_large"))

        def lookup() -> bytes:
            with _tuples(self.pg_url) as conn:
                return callers.public_key(conn, device_id, revoked_too)
        try:  # a stranger's body is not read at all
            key = await run_in_threadpool(lookup)
        except Refusal as exc:
            return _refused(exc)
        except psycopg.OperationalError:
            return JSONResponse({"code": "net.hub_database", "params": {}}, status_code=503)
        body = await request.body()
        if len(body) > MAX_BODY:
            return _refused(Refusal("net.too_large"))

        def call() -> Any:
            verify_request(key, request.headers, request.method, target, body)
            try:
                args = parse(body)
            except (ValueError, KeyError, TypeError):
                raise Refusal("net.bad_request") from None
            return work(device_id, args)
        if gate is None:
            return await _guard(call)
        async with gate:
            return await _guard(call)

    async def status(self, request: Request) -> Response:
        return await _guard(lambda: callers.hub_status(self.pg_url))

    async def enroll(self, request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
            args = (str(payload["username"]), str(payload["password"]), str(payload["device_public_key"]))
        except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: JSON nested without end
            return _refused(Refusal("net.bad_request"))
        district = payload.get("district")
        return await _guard(lambda: hubapi.enroll(self.pg_url, *args, district=district))

    async def push(self, request: Request) -> Response:
        if self._ingests is None:
            self._ingests = asyncio.Semaphore(INGESTS_AT_ONCE)
        return await self._signed(request, lambda _device, body: hubapi.ingest(self.pg_url, body), revoked_too=True,
                                  gate=self._ingests)

    async def pull(self, request: Request) -> Response:
        def parse(_body: bytes) -> tuple[int, bool, Page | None]:
            query = request.query_params
            page = None
            if "bound" in query:  # the next page of a sequence (``pull.Page``)
                page = page_of({"bound": int(query["bound"]), "table": query["table"], "after": query.get("after")})
            return int(query.get("cursor", "0")), query.get("paged") == "1", page
        return await self._signed(request, lambda device, args: hubapi.pull(self.pg_url, device, *args), parse)

    async def want(self, request: Request) -> Response:
        def missing(_device: str, hashes: list[str]) -> dict:
            with _tuples(self.pg_url) as conn:
                return {"missing": blobs.missing(conn, hashes)}
        return await self._signed(request, missing, lambda body: [str(h) for h in json.loads(body)["sha256"]])

    async def put_blob(self, request: Request) -> Response:
        sha = request.path_params["sha256"]

        def store(_device: str, body: bytes) -> dict:
            if hashlib.sha256(body).hexdigest() != sha:
                raise Refusal("net.blob_mismatch", sha256=sha)
            with _tuples(self.pg_url) as conn:
                blobs.put(conn, sha, body)
            return {"stored": sha}
        return await self._signed(request, store)

    async def get_blob(self, request: Request) -> Response:
        sha = request.path_params["sha256"]

        def read(device_id: str, _body: bytes) -> Any:
            with _tuples(self.pg_url) as conn:  # another arrondissement's: as unknown as a missing one
                data = blobs.get(conn, sha) if blobs.visible(conn, sha, device_id) else None
            if data is None:
                return JSONResponse({"code": "net.blob_unknown", "params": {"sha256": sha}}, status_code=404)
            return data
        return await self._signed(request, read)

    async def reserve(self, request: Request) -> Response:
        def take(device_id: str, args: tuple[str, int, str]) -> dict:
            with _tuples(self.pg_url) as conn:
                user = callers.signing_user(conn, device_id)
                numbers.check_request(conn, *args)
                return {"number": numbers.reserve(conn, *args, device_id, user)}

        def parse(body: bytes) -> tuple[str, int, str]:
            payload = json.loads(body)
            return str(payload["series"]), int(payload["year"]), str(payload["document_id"])
        return await self._signed(request, take, parse)

    async def conflicts(self, request: Request) -> Response:
        status = request.query_params.get("status", "open")

        def listed(device_id: str, _body: bytes) -> dict:
            with _tuples(self.pg_url) as conn:
                callers.coordinator(conn, device_id)
            rows = hubapi.list_conflicts(self.pg_url, status=None if status == "all" else status)
            return {"conflicts": [{k: _plain(v) for k, v in dict(r).items()} for r in rows]}
        return await self._signed(request, listed)

    async def resolve(self, request: Request) -> Response:
        conflict_id = request.path_params["conflict_id"]

        def resolved(device_id: str, choice: str) -> dict:
            with _tuples(self.pg_url) as conn:
                actor = callers.coordinator(conn, device_id)
            hubapi.resolve_conflict(self.pg_url, conflict_id, choice, actor)
            return {"resolved": conflict_id, "choice": choice}
        return await self._signed(request, resolved, lambda body: str(json.loads(body)["choice"]))

    async def devices(self, request: Request) -> Response:
        def listed(device_id: str, _body: bytes) -> dict:
            with _tuples(self.pg_url) as conn:
                callers.coordinator(conn, device_id)
            return {"devices": [{k: _plain(v) for k, v in dict(r).items()} for r in hubapi.list_devices(self.pg_url)]}
        return await self._signed(request, listed)

    async def revoke(self, request: Request) -> Response:
        target = request.path_params["device_id"]

        def revoked(device_id: str, _body: bytes) -> dict:
            with _tuples(self.pg_url) as conn:
                actor = callers.coordinator(conn, device_id)
            if target == device_id:  # his own station: he would lock himself out of the hub
                raise Refusal("net.revoke_own_device")
            hubapi.revoke(self.pg_url, target, actor)
            return {"revoked": target}
        return await self._signed(request, revoked)


def _plain(value: Any) -> Any:
    """A value as JSON carries it (timestamps as ISO text)."""
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
