"""service: start a long-running process (the backend), wait until it answers, keep its output.

The process is started in a process group of its own with the environment's database URL in
its environment; its output lines go to a ring buffer that the monitor step can follow; it is
stopped (SIGTERM, then SIGKILL after 5 s) when the day ends, is cancelled or fails. Later
steps reach it by name: `service = "backend"` (http, load, monitor).

Its parameters and result fields are declared in KIND below (docs/RUNBOOKS.md lists them).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote, urlencode

from wizard.redact import redact, register_secret
from wizard.steps.base import (OUTPUT, PROGRESS, Params, ResultField, StepCancelled, StepContext, StepFailure,
                               StepKind, param)

# What run() needs is imported there: the declaration is read whenever a runbook is loaded.
if TYPE_CHECKING:
    from wizard.appcheck.process import ManagedProcess
    from wizard.appcheck.redis_server import RehearsalRedis
    from wizard.environments import Environment
    from wizard.runbook.model import Step

DEFAULT_NAME = "backend"
TAIL_LINES = 30
LIVE_EVERY_S = 0.25  # at most four live reports a second: each one repaints the face
LIVE_LINES = 20  # the newest lines of one report; a face shows fewer


class ServiceParams(Params):
    argv: Annotated[list[str], param(
        "the command; {port} is the port chosen for the service", min_length=1,
        examples=[["{python}", "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", "{port}"]])]
    name: Annotated[str, param("the name later steps use to reach it (`service = \"backend\"`)")] = DEFAULT_NAME
    cwd: Annotated[str, param("working folder")] = "{workspace}/backend"
    env: Annotated[dict[str, str], param("extra environment variables (placeholders expanded)",
                                         examples=[{"LOG_LEVEL": "info"}])] = {}
    host: Annotated[str, param("where it listens")] = "127.0.0.1"
    port: Annotated[Annotated[int, param("a port number", gt=0, lt=65536)] | Literal["auto"], param(
        "\"auto\" (a free port) or a port number", examples=["auto"])] = "auto"
    wait_for: Annotated[str, param("URL path polled until the service is ready")] = "/health"
    ready_status: Annotated[Literal["2xx", "any"], param(
        "2xx: a 2xx answer means ready; any: any HTTP answer (the server is up)")] = "2xx"
    start_timeout_s: Annotated[float, param("how long to wait for it to be ready (the runbook: < 10 s)", gt=0,
                                            examples=[10])] = 10
    expect_output: Annotated[list[str], param(
        "substrings the output must show before the service counts as started",
        examples=[["Application startup complete"]])] = []
    database_env: Annotated[str, param(
        "variable that gets the environment's database URL (\"\" for none)")] = "DATABASE_URL"
    redis: Annotated[Literal["rehearsal"] | None, param(
        "rehearsal: in a sandbox, start the rehearsal Redis-protocol server on 127.0.0.1")] = None
    redis_url: Annotated[str | None, param("REDIS_URL for other environments",
                                           examples=["redis://localhost:6379/1"])] = None
    redis_db: Annotated[int, param("database number in the rehearsal server's URL", ge=0)] = 1
    jwt_env: Annotated[str, param("in a sandbox, the variable that gets the rehearsal JWT secret "
                                  "(\"\" for none)")] = "JWT_SECRET"


KIND = StepKind(
    name="service",
    rank=70,
    description="Starts a long-running process (the backend) and measures how long it takes to answer.",
    params=ServiceParams,
    writes=True,
    runtime_imports=("fakeredis", "wizard.appcheck.tokens", "wizard.appcheck.pidfiles", "wizard.appcheck.process", "wizard.appcheck.redis_server",
                     "wizard.appcheck.loadclient", "wizard.rehearsal.clusters"),
    results=(
        ResultField("name", "string", "the service's name"),
        ResultField("pid", "integer", "its process id"),
        ResultField("host", "string", "where it listens"),
        ResultField("port", "integer", "its port"),
        ResultField("base_url", "string", "http://host:port"),
        ResultField("argv", "list of strings", "what was started (redacted)"),
        ResultField("cwd", "string", "where it was started"),
        ResultField("env_set", "list of strings", "the environment variables set (names only, never values)"),
        ResultField("redis", "string or null", "the REDIS_URL given, redacted"),
        ResultField("wait_for", "string", "the path polled"),
        ResultField("startup_s", "number", "seconds from start to ready"),
        ResultField("ready_status_code", "integer", "the status of the answer that counted as ready"),
        ResultField("first_lines", "list of strings", "its first lines of output"),
        ResultField("output_seen", "table", "each expect_output substring → whether it was seen"),
        ResultField("missing_output", "list of strings", "expect_output substrings never seen"),
        ResultField("output_tail", "string", "when it failed to start: its last lines of output"),
        ResultField("leftovers_stopped", "list of strings", "services a killed earlier run left running, stopped first"),
    ),
)


@dataclass(eq=False)
class ServiceHandle:
    """What later steps find in ctx.resources["service:<name>"]."""

    name: str
    process: ManagedProcess
    host: str
    port: int
    base_url: str
    redis: RehearsalRedis | None = None
    startup_s: float | None = None
    stopped: bool = False
    env_name: str = ""

    @property
    def logs(self):  # the LogBuffer the monitor follows
        return self.process.logs

    async def stop(self) -> str:
        if self.stopped:
            return self.process.stopped_how or "stopped"
        self.stopped = True
        how = await self.process.stop()
        from wizard.appcheck import pidfiles

        pidfiles.forget(self.env_name, self.name, self.process.pid)
        if self.redis is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.redis.stop)
        return how


def resource_key(name: str) -> str:
    return f"service:{name}"


def find_service(ctx: StepContext, name: str) -> ServiceHandle:
    handle = ctx.resources.get(resource_key(name))
    if not isinstance(handle, ServiceHandle) or handle.stopped:
        raise StepFailure(f"no running service named {name!r} in this day: run the step that starts it first "
                          f"(a `service` step with name = \"{name}\")")
    if not handle.process.running:
        tail = " | ".join(handle.logs.tail(3))
        raise StepFailure(f"the {name} service has exited (code {handle.process.returncode}): {tail}")
    return handle


def database_url(env: Environment, password: str | None = None) -> str:
    """A libpq URI for the environment; a unix-socket host goes in the query, as libpq expects."""
    info = {k: v for k, v in env.conninfo.items() if k not in ("password", "passfile", "pooler")}
    host = str(info.pop("host", "") or "")
    port = info.pop("port", None)
    dbname = str(info.pop("dbname", "postgres"))
    user = info.pop("user", None)
    netloc = ""
    if user:
        netloc = quote(str(user), safe="")
        if password:
            netloc += ":" + quote(password, safe="")
        netloc += "@"
    query: dict[str, str] = {}
    if host.startswith("/"):
        query["host"] = host
        if port:
            query["port"] = str(port)
    elif host:
        netloc += f"[{host}]" if ":" in host else host
        if port:
            netloc += f":{port}"
    query.update({k: str(v) for k, v in info.items() if k not in ("connect_timeout", "application_name")})
    return f"postgresql://{netloc}/{quote(dbname, safe='')}" + (f"?{urlencode(query, safe='/')}" if query else "")


def _argv(p: ServiceParams, ctx: StepContext, port: str) -> list[str]:
    ctx.placeholders["port"] = port
    try:
        return [ctx.expand(a) for a in p.argv]
    finally:
        ctx.placeholders.pop("port", None)


def preview(step: Step, ctx: StepContext) -> dict[str, str]:
    p = KIND.read(step)
    argv = _argv(p, ctx, str(p.port).replace("auto", "<free port>"))
    cwd = ctx.expand(p.cwd)
    lines = [f"cd {cwd}"]
    if p.database_env:
        lines.append(f"export {p.database_env}=<{ctx.env.name} database URL>")
    if p.redis == "rehearsal" and ctx.env.kind == "sandbox":
        lines.append("export REDIS_URL=<rehearsal Redis-protocol server on 127.0.0.1>")
    elif p.redis_url:
        lines.append(f"export REDIS_URL={p.redis_url}")
    for key, value in p.env.items():
        lines.append(f"export {key}={ctx.expand(value)}")
    lines.append(" ".join(argv))
    lines.append(f"# then wait for GET {p.wait_for} (up to {p.start_timeout_s:g} s)")
    return {"language": "bash", "text": "\n".join(lines)}


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    from wizard.appcheck import pidfiles, tokens
    from wizard.appcheck.process import ManagedProcess
    from wizard.appcheck.redis_server import RehearsalRedis
    from wizard.rehearsal.clusters import free_port

    p = KIND.read(step)
    name = p.name
    host = p.host
    timeout = p.start_timeout_s
    ready_status = p.ready_status
    wait_for = p.wait_for
    if not wait_for.startswith("/"):
        wait_for = "/" + wait_for
    expect_output = list(p.expect_output)

    old = ctx.resources.get(resource_key(name))
    if isinstance(old, ServiceHandle) and not old.stopped:
        await old.stop()  # a restart (Friday 5.1): only the process this wizard started, by its pid

    port = free_port() if p.port == "auto" else p.port
    argv = _argv(p, ctx, str(port))
    cwd = ctx.path(p.cwd)
    if not cwd.is_dir():
        raise StepFailure(f"Working folder not found: {cwd}")

    child_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env_set: list[str] = []
    database_env = p.database_env
    if database_env:
        password = ctx.secret("db_password")
        register_secret(password)
        child_env[database_env] = database_url(ctx.env, password)
        env_set.append(database_env)
    redis: RehearsalRedis | None = None
    redis_shown = None
    if p.redis == "rehearsal" and ctx.env.kind == "sandbox":
        redis = RehearsalRedis().start()
        child_env["REDIS_URL"] = redis.url(p.redis_db)
        redis_shown = child_env["REDIS_URL"] + " (rehearsal Redis: fakeredis)"
        env_set.append("REDIS_URL")
    elif p.redis_url:
        child_env["REDIS_URL"] = ctx.expand(p.redis_url)
        redis_shown = redact(child_env["REDIS_URL"])
        env_set.append("REDIS_URL")
    if ctx.env.kind == "sandbox" and p.jwt_env:
        child_env[p.jwt_env] = tokens.rehearsal_secret()
        env_set.append(p.jwt_env)
    for key, value in p.env.items():
        child_env[key] = ctx.expand(value)
        env_set.append(str(key))

    leftovers = await asyncio.to_thread(pidfiles.stop_leftovers, ctx.env.name)
    process = ManagedProcess(argv, cwd, child_env)
    try:
        process.start()
    except FileNotFoundError:
        if redis:
            redis.stop()
        raise StepFailure(f"Program not found: {argv[0]}") from None
    base_url = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
    handle = ServiceHandle(name, process, host, port, base_url, redis, env_name=ctx.env.name)
    ctx.resources[resource_key(name)] = handle
    ctx.add_cleanup(handle.stop)
    try:
        pidfiles.record(ctx.env.name, name, process.pid, argv, port)  # so a killed wizard's backend is found
    except OSError as exc:
        await handle.stop()
        raise StepFailure(f"cannot record the {name} service's pid file under {pidfiles.run_dir(ctx.env.name)}: "
                          f"{exc.strerror or exc}; it was stopped, since a crash would leave it running unseen") from None

    data: dict[str, Any] = {
        "name": name, "pid": process.pid, "host": host, "port": port, "base_url": base_url,
        "argv": [redact(a) for a in argv], "cwd": str(cwd), "env_set": env_set, "redis": redis_shown,
        "wait_for": wait_for,
    }
    if leftovers:
        data["leftovers_stopped"] = [left.describe() for left in leftovers]
    try:
        status_code = await _wait_ready(ctx, handle, wait_for, ready_status, expect_output, timeout, data)
    except (StepFailure, StepCancelled):
        await handle.stop()
        raise
    handle.startup_s = round(time.monotonic() - process.started_at, 3)
    seen = _seen(handle, expect_output)
    data.update({
        "startup_s": handle.startup_s,
        "ready_status_code": status_code,
        "first_lines": handle.logs.first[:12],
        "output_seen": seen,
        "missing_output": [s for s, ok in seen.items() if not ok],
    })
    return data


class LiveTail:
    """While the service starts: its new output lines and how long it has waited, passed to the
    face's live display (ctx.resources), throttled, each line once."""

    def __init__(self, ctx: StepContext, handle: ServiceHandle, path: str, timeout: float) -> None:
        self.output, self.progress = ctx.resources.get(OUTPUT), ctx.resources.get(PROGRESS)
        self.handle, self.path, self.timeout = handle, path, timeout
        self.position = handle.logs.oldest_position()
        self.next_at = 0.0

    def feed(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            return
        self.next_at = now + LIVE_EVERY_S
        if callable(self.output):
            lines, self.position, _lost = self.handle.logs.since(self.position)
            if lines:
                self.output(lines[-LIVE_LINES:])
        if callable(self.progress):
            waited = now - self.handle.process.started_at
            self.progress(None, f"waiting for GET {self.path} · {waited:.1f} s of {self.timeout:g} s")


def _seen(handle: ServiceHandle, wanted: list[str]) -> dict[str, bool]:
    lines, _, _ = handle.logs.since(handle.logs.oldest_position())
    text = "\n".join(handle.logs.first + lines)
    return {s: s in text for s in wanted}


async def _wait_ready(ctx: StepContext, handle: ServiceHandle, path: str, ready_status: str,
                      expect_output: list[str], timeout: float, data: dict[str, Any]) -> int:
    url = handle.base_url + path
    deadline = handle.process.started_at + timeout
    last = "no answer yet"
    from wizard.appcheck.loadclient import LoadClient, RequestFailed

    client = LoadClient(url, keepalive=False, timeout_s=2)
    live = LiveTail(ctx, handle, path, timeout)
    while True:
        live.feed()
        if ctx.cancelled.is_set():
            raise StepCancelled("cancelled by the operator; the service was stopped")
        if not handle.process.running:
            await asyncio.sleep(0.2)  # let the reader thread collect the last lines
            tail = handle.logs.tail(TAIL_LINES)
            data["output_tail"] = "\n".join(tail)
            last_lines = " | ".join(line.strip() for line in tail[-4:] if line.strip())
            raise StepFailure(f"{Path(handle.process.argv[0]).name} exited with code "
                              f"{handle.process.returncode} before answering: {last_lines}", data)
        conn = client.connection()
        try:
            response = await conn.request()
            ok = ready_status == "any" or 200 <= response.status < 300
            last = f"HTTP {response.status} {response.body[:300].decode(errors='replace')}"
            if ok and all(_seen(handle, expect_output).values()):
                return response.status
        except RequestFailed as exc:
            last = str(exc)
        finally:
            conn.close()
        if time.monotonic() > deadline:
            data["output_tail"] = "\n".join(handle.logs.tail(TAIL_LINES))
            missing = [s for s, ok in _seen(handle, expect_output).items() if not ok]
            extra = f"; output never showed {missing}" if missing else ""
            raise StepFailure(f"{url} was not ready within {timeout:g} s (last: {redact(last)}){extra}", data)
        try:
            await asyncio.wait_for(ctx.cancelled.wait(), 0.1)
        except asyncio.TimeoutError:
            pass
