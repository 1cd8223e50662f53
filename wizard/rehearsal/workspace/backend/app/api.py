"""The RaptorFlow API as a plain ASGI application (served by uvicorn).

Configuration comes from the environment:
  DATABASE_URL   libpq URI of the database (required)
  REDIS_URL      redis://host:port/db, checked by /health
  JWT_SECRET     HS256 secret that signs the Bearer tokens (Supabase's JWT secret)
  RAPTORFLOW_WATCH_PARENT=1   exit when the process that started us goes away

Routes:
  GET  /health                          database + redis probe (200 healthy, 503 otherwise)
  GET  /api/v1/campaigns | cohorts | moves | assets     rows of the caller's workspaces
  POST /api/v1/campaigns | moves | assets               201 with the stored row
  GET | DELETE /api/v1/campaigns | moves | assets/<id>  one row (200) / remove it (204)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import signal
import time
import uuid
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

import psycopg
from psycopg import errors as pg_errors

from app import repository
from app.db import Pool, describe_url
from app.health import describe_db_error, health_payload, redis_ping
from app.raptor_bus import RaptorBus
from app.tokens import InvalidToken, verify

log = logging.getLogger("uvicorn.error")  # uvicorn's own format: "ERROR:    message"

MAX_BODY = 1 << 20
MEMBERSHIP_TTL_S = 5.0
Handler = Callable[["Request"], Awaitable["Response"]]


class HTTPError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (uuid.UUID,)):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class Request:
    def __init__(self, scope: dict[str, Any], body: bytes) -> None:
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
        self.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        self.body = body

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            raise HTTPError(400, "the body is not valid JSON") from None


class Response:
    def __init__(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = b"" if status == 204 else json.dumps(payload, default=_jsonable, separators=(",", ":")).encode()
        self.headers = {"content-type": "application/json", **(headers or {})}


class Api:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.database_url = env.get("DATABASE_URL", "")
        self.redis_url = env.get("REDIS_URL", "")
        self.jwt_secret = env.get("JWT_SECRET", "")
        self.watch_parent = env.get("RAPTORFLOW_WATCH_PARENT") == "1"
        self.pool = Pool(self.database_url) if self.database_url else None
        self.bus = RaptorBus()
        self._members: dict[str, tuple[float, list[str]]] = {}
        self._watchdog: asyncio.Task[None] | None = None
        self.routes: dict[str, dict[str, Handler]] = {
            "/health": {"GET": self.health},
            "/api/v1/campaigns": {"GET": self.lister("campaigns"), "POST": self.creator("campaigns")},
            "/api/v1/cohorts": {"GET": self.lister("cohorts")},
            "/api/v1/moves": {"GET": self.lister("moves"), "POST": self.creator("moves")},
            "/api/v1/assets": {"GET": self.lister("assets"), "POST": self.creator("assets")},
        }
        self.item_routes: dict[str, dict[str, Callable[[Request, str], Awaitable[Response]]]] = {
            table: {"GET": self.getter(table), "DELETE": self.deleter(table)} for table in ("campaigns", "moves", "assets")
        }

    # --- ASGI -------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http":
            await self.http(scope, receive, send)

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._watchdog:
                    self._watchdog.cancel()
                if self.pool:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def startup(self) -> None:
        if not self.database_url:
            log.warning("DATABASE_URL is not set: every database call will fail")
        else:
            log.info("RaptorFlow backend: database %s", describe_url(self.database_url))
        log.info("RaptorFlow backend: redis %s", self.redis_url.split("@")[-1] if self.redis_url else "(REDIS_URL not set)")
        if not self.jwt_secret:
            log.warning("JWT_SECRET is not set: authenticated routes will answer 401")
        if self.watch_parent:
            self._watchdog = asyncio.get_running_loop().create_task(self._watch_parent(os.getppid()))

    async def _watch_parent(self, parent: int) -> None:
        while True:
            await asyncio.sleep(1)
            if os.getppid() != parent:
                log.warning("the process that started the backend is gone: shutting down")
                os.kill(os.getpid(), signal.SIGTERM)
                return

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= MAX_BODY:
                chunks.append(chunk)
            more = message.get("more_body", False)
        request = Request(scope, b"".join(chunks))
        response = await self.dispatch(request, too_large=size > MAX_BODY)
        await send({"type": "http.response.start", "status": response.status,
                    "headers": [(k.encode(), v.encode()) for k, v in
                                {**response.headers, "content-length": str(len(response.body))}.items()]})
        await send({"type": "http.response.body", "body": response.body})

    async def dispatch(self, request: Request, too_large: bool = False) -> Response:
        try:
            if too_large:
                raise HTTPError(413, "the body is larger than 1 MB")
            path = request.path.rstrip("/") or "/"
            methods = self.routes.get(path)
            if methods is not None:
                handler = methods.get(request.method)
                if handler is None:
                    raise HTTPError(405, f"{request.method} is not allowed here", {"allow": ", ".join(sorted(methods))})
                return await handler(request)
            parts = path.split("/")
            if len(parts) == 5 and parts[:3] == ["", "api", "v1"] and parts[3] in self.item_routes:
                item_methods = self.item_routes[parts[3]]
                item_handler = item_methods.get(request.method)
                if item_handler is None:
                    raise HTTPError(405, f"{request.method} is not allowed here",
                                    {"allow": ", ".join(sorted(item_methods))})
                try:
                    row_id = repository.check_uuid(parts[4], "id")
                except repository.Invalid:
                    raise HTTPError(404, f"no {parts[3][:-1]} {parts[4]}") from None
                return await item_handler(request, row_id)
            raise HTTPError(404, f"no route {request.path}")
        except HTTPError as exc:
            return Response(exc.status, {"error": str(exc)}, exc.headers)
        except psycopg.OperationalError as exc:
            log.error("%s %s: database connection failed: %s", request.method, request.path, describe_db_error(exc))
            return Response(503, {"error": describe_db_error(exc)})
        except psycopg.Error as exc:
            message = (exc.diag.message_primary or str(exc)).strip()
            log.error("%s %s failed: %s: %s", request.method, request.path, exc.sqlstate, message)
            return Response(500, {"error": message, "sqlstate": exc.sqlstate})
        except Exception as exc:  # noqa: BLE001 - answer 500 and leave the traceback in the log
            log.exception("%s %s failed: %s", request.method, request.path, exc)
            return Response(500, {"error": "internal error"})

    # --- auth -------------------------------------------------------------------------------
    def claims(self, request: Request) -> dict[str, Any]:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPError(401, "missing Bearer token", {"www-authenticate": "Bearer"})
        try:
            return verify(token.strip(), self.jwt_secret)
        except InvalidToken as exc:
            raise HTTPError(401, str(exc), {"www-authenticate": 'Bearer error="invalid_token"'}) from None

    async def workspaces(self, conn: Any, claims: dict[str, Any]) -> list[str]:
        sub = claims["sub"]
        cached = self._members.get(sub)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        try:
            found = await repository.member_workspaces(conn, sub)
        except repository.Invalid:
            raise HTTPError(403, "the token's subject is not a user id") from None
        self._members[sub] = (now + MEMBERSHIP_TTL_S, found)
        return found

    def _need_pool(self) -> Pool:
        if self.pool is None:
            raise HTTPError(503, "error: DATABASE_URL is not set")
        return self.pool

    # --- handlers ---------------------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        database = "error: DATABASE_URL is not set"
        if self.pool is not None:
            try:
                await self.pool.ping()
                database = "connected"
            except psycopg.Error as exc:
                database = describe_db_error(exc)
                log.error("health check: database connection failed: %s", database[len("error: "):])
        redis = await redis_ping(self.redis_url)
        if redis != "connected":
            log.error("health check: redis connection failed: %s", redis[len("error: "):])
        status, body = health_payload(database, redis)
        return Response(status, body)

    def lister(self, table: str) -> Handler:
        async def handle(request: Request) -> Response:
            claims = self.claims(request)
            try:
                limit = max(1, min(int(request.query.get("limit", "100")), 1000))
            except ValueError:
                raise HTTPError(422, "limit must be an integer") from None
            async with self._need_pool().connection() as conn:
                spaces = await self.workspaces(conn, claims)
                wanted = request.query.get("workspace_id")
                if wanted:
                    spaces = [w for w in spaces if w == wanted]
                rows = await repository.list_rows(conn, table, spaces, limit) if spaces else []
            return Response(200, {"items": rows, "count": len(rows)})

        return handle

    def creator(self, table: str) -> Handler:
        async def handle(request: Request) -> Response:
            claims = self.claims(request)
            body = request.json()
            try:
                values = repository.clean_body(table, body)
            except repository.Invalid as exc:
                raise HTTPError(422, str(exc)) from None
            async with self._need_pool().connection() as conn:
                spaces = await self.workspaces(conn, claims)
                wanted = body.get("workspace_id") or claims.get("workspace_id")
                if wanted:
                    try:
                        workspace = repository.check_uuid(wanted, "workspace_id")
                    except repository.Invalid as exc:
                        raise HTTPError(422, str(exc)) from None
                    if workspace not in spaces:
                        raise HTTPError(403, "not a member of that workspace")
                elif spaces:
                    workspace = spaces[0]
                else:
                    raise HTTPError(403, "the token's user belongs to no workspace")
                try:
                    row = await repository.insert_row(conn, table, workspace, values)
                except (pg_errors.ForeignKeyViolation, pg_errors.CheckViolation, pg_errors.NotNullViolation,
                        pg_errors.DataError) as exc:
                    detail = exc.diag.message_detail or exc.diag.message_primary or str(exc)
                    raise HTTPError(422, detail.strip()) from None
            self.bus.publish(f"{table[:-1]}.created", {"id": str(row["id"]), "workspace_id": workspace})
            return Response(201, row, {"location": f"/api/v1/{table}/{row['id']}"})

        return handle


    def getter(self, table: str) -> Callable[[Request, str], Awaitable[Response]]:
        async def handle(request: Request, row_id: str) -> Response:
            claims = self.claims(request)
            async with self._need_pool().connection() as conn:
                row = await repository.get_row(conn, table, row_id, await self.workspaces(conn, claims))
            if row is None:
                raise HTTPError(404, f"no {table[:-1]} {row_id}")
            return Response(200, row)

        return handle

    def deleter(self, table: str) -> Callable[[Request, str], Awaitable[Response]]:
        async def handle(request: Request, row_id: str) -> Response:
            claims = self.claims(request)
            async with self._need_pool().connection() as conn:
                removed = await repository.delete_row(conn, table, row_id, await self.workspaces(conn, claims))
            if not removed:
                raise HTTPError(404, f"no {table[:-1]} {row_id}")
            self.bus.publish(f"{table[:-1]}.deleted", {"id": row_id})
            return Response(204, None)

        return handle


def create_app() -> Api:
    return Api()
