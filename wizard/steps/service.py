"""service: start a long-running process (the backend), wait until it answers, keep its output.

The process is started in a process group of its own with the environment's database URL in
its environment; its output lines go to a ring buffer that the monitor step can follow; it is
stopped (SIGTERM, then SIGKILL after 5 s) when the day ends, is cancelled or fails. Later
steps reach it by name: `service = "backend"` (http, load, monitor).

Params (free-form; placeholders are expanded, and `{port}` is the port chosen for the service):
  name             resource name, default "backend"
  argv             the command, e.g. ["{python}", "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", "{port}"]
  cwd              working folder, default "{workspace}/backend"
  env              extra environment variables, e.g. { LOG_LEVEL = "info" }
  host             where it listens, default "127.0.0.1"
  port             "auto" (a free port, the default) or a number
  wait_for         URL path polled until the service is ready, default "/health"
  ready_status     "2xx" (default: a 2xx answer means ready) or "any" (any HTTP answer: the server is up)
  start_timeout_s  how long to wait, default 10 (the runbook: startup should take < 10 seconds)
  expect_output    substrings the output must show before the service counts as started,
                   e.g. ["Application startup complete"]
  database_env     variable that gets the environment's database URL, default "DATABASE_URL" ("" for none)
  redis            "rehearsal": in a sandbox, start the rehearsal Redis-protocol server on 127.0.0.1
  redis_url        REDIS_URL for other environments, e.g. "redis://localhost:6379/1"
  redis_db         database number in the rehearsal server's URL, default 1
  jwt_env          in a sandbox, the variable that gets the rehearsal JWT secret, default "JWT_SECRET"

Result: name, pid, host, port, base_url, startup_s, argv, cwd, env_set (names only, never
values), redis, first_lines, output_seen, missing_output, ready_status_code.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from wizard.appcheck import tokens
from wizard.appcheck.loadclient import LoadClient, RequestFailed
from wizard.appcheck.process import ManagedProcess
from wizard.appcheck.redis_server import RehearsalRedis
from wizard.environments import Environment
from wizard.redact import redact, register_secret
from wizard.runbook.model import Step
from wizard.rehearsal.clusters import free_port
from wizard.steps.base import StepContext, StepFailure
from wizard.steps.sqlrun import StepCancelled

DEFAULT_NAME = "backend"
TAIL_LINES = 30


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

    @property
    def logs(self):  # the LogBuffer the monitor follows
        return self.process.logs

    async def stop(self) -> str:
        if self.stopped:
            return self.process.stopped_how or "stopped"
        self.stopped = True
        how = await self.process.stop()
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


def _port(step: Step) -> int | None:
    value = step.params.get("port", "auto")
    if value == "auto":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StepFailure(f"port must be \"auto\" or a number, not {value!r}") from None


def _argv(step: Step, ctx: StepContext, port: str) -> list[str]:
    if not step.params.get("argv"):
        raise StepFailure("a service step needs argv (the command that starts it)")
    ctx.placeholders["port"] = port
    try:
        return [ctx.expand(str(a)) for a in step.params["argv"]]
    finally:
        ctx.placeholders.pop("port", None)


def preview(step: Step, ctx: StepContext) -> dict[str, str]:
    argv = _argv(step, ctx, str(step.params.get("port", "auto")).replace("auto", "<free port>"))
    cwd = ctx.expand(step.params.get("cwd", "{workspace}/backend"))
    lines = [f"cd {cwd}"]
    if step.params.get("database_env", "DATABASE_URL"):
        lines.append(f"export {step.params.get('database_env', 'DATABASE_URL')}=<{ctx.env.name} database URL>")
    if step.params.get("redis") == "rehearsal" and ctx.env.kind == "sandbox":
        lines.append("export REDIS_URL=<rehearsal Redis-protocol server on 127.0.0.1>")
    elif step.params.get("redis_url"):
        lines.append(f"export REDIS_URL={step.params['redis_url']}")
    for key, value in step.params.get("env", {}).items():
        lines.append(f"export {key}={ctx.expand(str(value))}")
    lines.append(" ".join(argv))
    lines.append(f"# then wait for GET {step.params.get('wait_for', '/health')} "
                 f"(up to {step.params.get('start_timeout_s', 10)} s)")
    return {"language": "bash", "text": "\n".join(lines)}


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    name = str(step.params.get("name", DEFAULT_NAME))
    host = str(step.params.get("host", "127.0.0.1"))
    timeout = float(step.params.get("start_timeout_s", 10))
    ready_status = str(step.params.get("ready_status", "2xx"))
    wait_for = str(step.params.get("wait_for", "/health"))
    if not wait_for.startswith("/"):
        wait_for = "/" + wait_for
    expect_output = [str(s) for s in step.params.get("expect_output", [])]

    old = ctx.resources.get(resource_key(name))
    if isinstance(old, ServiceHandle) and not old.stopped:
        await old.stop()  # a restart (Friday 5.1): only the process this wizard started, by its pid

    port = _port(step) or free_port()
    argv = _argv(step, ctx, str(port))
    cwd = ctx.path(step.params.get("cwd", "{workspace}/backend"))
    if not cwd.is_dir():
        raise StepFailure(f"Working folder not found: {cwd}")

    child_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env_set: list[str] = []
    database_env = step.params.get("database_env", "DATABASE_URL")
    if database_env:
        password = ctx.secret("db_password")
        register_secret(password)
        child_env[database_env] = database_url(ctx.env, password)
        env_set.append(database_env)
    redis: RehearsalRedis | None = None
    redis_shown = None
    if step.params.get("redis") == "rehearsal" and ctx.env.kind == "sandbox":
        redis = RehearsalRedis().start()
        child_env["REDIS_URL"] = redis.url(int(step.params.get("redis_db", 1)))
        redis_shown = child_env["REDIS_URL"] + " (rehearsal Redis: fakeredis)"
        env_set.append("REDIS_URL")
    elif step.params.get("redis_url"):
        child_env["REDIS_URL"] = ctx.expand(str(step.params["redis_url"]))
        redis_shown = redact(child_env["REDIS_URL"])
        env_set.append("REDIS_URL")
    if ctx.env.kind == "sandbox" and step.params.get("jwt_env", "JWT_SECRET"):
        child_env[str(step.params.get("jwt_env", "JWT_SECRET"))] = tokens.rehearsal_secret()
        env_set.append(str(step.params.get("jwt_env", "JWT_SECRET")))
    for key, value in step.params.get("env", {}).items():
        child_env[str(key)] = ctx.expand(str(value))
        env_set.append(str(key))

    process = ManagedProcess(argv, cwd, child_env)
    try:
        process.start()
    except FileNotFoundError:
        if redis:
            redis.stop()
        raise StepFailure(f"Program not found: {argv[0]}") from None
    base_url = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
    handle = ServiceHandle(name, process, host, port, base_url, redis)
    ctx.resources[resource_key(name)] = handle
    ctx.add_cleanup(handle.stop)

    data: dict[str, Any] = {
        "name": name, "pid": process.pid, "host": host, "port": port, "base_url": base_url,
        "argv": [redact(a) for a in argv], "cwd": str(cwd), "env_set": env_set, "redis": redis_shown,
        "wait_for": wait_for,
    }
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


def _seen(handle: ServiceHandle, wanted: list[str]) -> dict[str, bool]:
    lines, _, _ = handle.logs.since(handle.logs.oldest_position())
    text = "\n".join(handle.logs.first + lines)
    return {s: s in text for s in wanted}


async def _wait_ready(ctx: StepContext, handle: ServiceHandle, path: str, ready_status: str,
                      expect_output: list[str], timeout: float, data: dict[str, Any]) -> int:
    url = handle.base_url + path
    deadline = handle.process.started_at + timeout
    last = "no answer yet"
    client = LoadClient(url, keepalive=False, timeout_s=2)
    while True:
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
