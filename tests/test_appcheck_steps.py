"""The service, http, load and monitor step kinds against the real rehearsal backend (uvicorn on
127.0.0.1) and the real embedded sandbox-staging cluster. No mocked HTTP, no mocked database."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from wizard.environments import connect
from wizard.appcheck.histogram import render
from wizard.runbook.model import Step
from wizard.steps import http, load, monitor, service
from wizard.steps.base import StepContext, StepFailure, default_placeholders
from wizard.steps.base import StepCancelled

UVICORN = ["{python}", "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", "{port}"]


@pytest.fixture(scope="module")
def staging(clusters):
    """sandbox-staging, pointed at a database of its own copied from the pristine seed, so the
    rows the API creates and the probe tables never reach the databases other tests count."""
    import uuid

    from wizard.rehearsal import clusters as sandbox
    from wizard.environments import sandbox_environment

    name = "appcheck_" + uuid.uuid4().hex[:8]
    admin = {**sandbox.conninfo("sandbox-staging"), "dbname": "template1"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f"create database {name} template pristine")
    env = sandbox_environment("sandbox-staging")
    env.conninfo = {**env.conninfo, "dbname": name}
    yield env, sandbox.ensure_workspace()
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


def make_ctx(env, workspace: Path, resources: dict[str, Any] | None = None, saved: dict[str, Any] | None = None):
    cleanups: list = []
    held: dict[str, Any] = {}

    async def connection():
        if held.get("conn") is None or held["conn"].closed:
            held["conn"] = await connect(env)
        return held["conn"]

    async def ask(step):
        raise AssertionError("no attest step here")

    ctx = StepContext(env=env, facts={}, saved=dict(saved or {}), placeholders=default_placeholders(env, workspace),
                      connection=connection, ask=ask, resources=resources if resources is not None else {},
                      add_cleanup=cleanups.append)

    async def close():
        while cleanups:
            await cleanups.pop()()
        if held.get("conn") is not None:
            await held["conn"].close()
            held["conn"] = None

    return ctx, close


def start_step(**params) -> Step:
    return Step("3.2.start_backend", "service", "Start the backend", "staging",
                {"argv": UVICORN, "redis": "rehearsal", "wait_for": "/health", "ready_status": "any",
                 "expect_output": ["Application startup complete"], **params})


@pytest.fixture(scope="module")
def backend(staging):
    """One rehearsal backend for the module, started by the service step itself."""
    env, workspace = staging
    resources: dict[str, Any] = {}
    ctx, close = make_ctx(env, workspace, resources)
    result = asyncio.run(service.run(start_step(), ctx))
    yield {"result": result, "resources": resources, "env": env, "workspace": workspace}
    asyncio.run(close())
    handle = resources["service:backend"]
    assert not handle.process.running and handle.process.stopped_how == "SIGTERM"


def run_in_ctx(backend, module, step: Step, saved: dict[str, Any] | None = None):
    async def go():
        ctx, close = make_ctx(backend["env"], backend["workspace"], backend["resources"], saved)
        try:
            return await module.run(step, ctx)
        finally:
            await close()

    return asyncio.run(go())


def test_service_starts_uvicorn_and_records_startup(backend):
    result = backend["result"]
    assert result["startup_s"] < 10
    assert result["missing_output"] == []
    assert result["base_url"] == f"http://127.0.0.1:{result['port']}"
    assert any(f"Uvicorn running on http://127.0.0.1:{result['port']}" in line for line in result["first_lines"])
    assert set(result["env_set"]) == {"DATABASE_URL", "REDIS_URL", "JWT_SECRET"}
    assert "JWT_SECRET=" not in repr(result)  # names only, never values
    assert result["redis"].startswith("redis://127.0.0.1:")


def test_health_is_healthy(backend):
    step = Step("3.3.health", "http", "GET /health", "staging", {"service": "backend", "path": "/health"})
    result = run_in_ctx(backend, http, step)
    assert result["status"] == 200
    assert result["json"] == {"status": "healthy", "database": "connected", "redis": "connected"}
    assert result["elapsed_ms"] > 0 and result["headers"]["content-type"] == "application/json"


def test_create_a_move_with_ids_from_an_earlier_result(backend):
    with psycopg.connect(**backend["env"].conninfo) as conn:
        row = conn.execute(
            "select c.workspace_id::text, c.id::text, s.id::text, mt.id::text from cohorts c "
            "join sprints s on s.workspace_id = c.workspace_id cross join maneuver_types mt "
            "order by c.created_at, c.id, s.starts_on, mt.code limit 1").fetchone()
    refs = {"rows": [dict(zip(("workspace_id", "cohort_id", "sprint_id", "maneuver_type_id"), row))]}
    step = Step("3.4.create_move", "http", "POST /api/v1/moves", "staging", {
        "service": "backend", "path": "/api/v1/moves", "method": "POST", "auth": "bearer",
        "json": {"name": "Test Move"},
        "json_from": {k: f"move_refs.rows[0].{k}" for k in refs["rows"][0]},
    })
    result = run_in_ctx(backend, http, step, saved={"move_refs": refs})
    assert result["status"] == 201, result["body_text"]
    assert result["json"]["name"] == "Test Move" and result["json"]["cohort_id"] == row[1]
    assert "Bearer" not in repr(result)
    with psycopg.connect(**backend["env"].conninfo) as conn:
        stored = conn.execute("select name, sprint_id::text from moves where id = %s", (result["json"]["id"],)).fetchone()
    assert stored == ("Test Move", row[2])


def test_lists_answer_200_with_the_callers_rows(backend):
    with psycopg.connect(**backend["env"].conninfo) as conn:
        expected = {t: conn.execute(f"select count(*) from {t} where workspace_id in (select workspace_id from "
                                    f"workspace_members where user_id = md5('user-1')::uuid)").fetchone()[0]
                    for t in ("campaigns", "cohorts")}
    for table in ("campaigns", "cohorts"):
        step = Step(f"x.{table}", "http", table, "staging", {"service": "backend", "path": f"/api/v1/{table}", "auth": "bearer"})
        result = run_in_ctx(backend, http, step)
        assert result["status"] == 200
        assert result["json"]["count"] == len(result["json"]["items"]) == expected[table]


def test_campaign_then_asset_chain(backend):
    campaign = run_in_ctx(backend, http, Step("5.2.c", "http", "c", "staging", {
        "service": "backend", "path": "/api/v1/campaigns", "method": "POST", "auth": "bearer",
        "json": {"name": "Test Campaign", "objective": "rehearse {env.name}"}}))
    assert campaign["status"] == 201 and campaign["json"]["objective"] == "rehearse sandbox-staging"
    move = run_in_ctx(backend, http, Step("5.2.m", "http", "m", "staging", {
        "service": "backend", "path": "/api/v1/moves", "method": "POST", "auth": "bearer",
        "json": {"name": "Friday move"}, "json_from": {"campaign_id": "c.json.id"}}), saved={"c": campaign})
    assert move["status"] == 201 and move["json"]["campaign_id"] == campaign["json"]["id"]
    asset = run_in_ctx(backend, http, Step("5.2.a", "http", "a", "staging", {
        "service": "backend", "path": "/api/v1/assets", "method": "POST", "auth": "bearer",
        "json": {"title": "Launch copy"}, "json_from": {"move_id": "m.json.id"}}), saved={"m": move})
    assert asset["status"] == 201 and asset["json"]["move_id"] == move["json"]["id"] and asset["json"]["kind"] == "copy"
    listed = run_in_ctx(backend, http, Step("5.2.l", "http", "l", "staging", {
        "service": "backend", "path": "/api/v1/assets", "auth": "bearer"}))
    assert asset["json"]["id"] in [a["id"] for a in listed["json"]["items"]]
    saved = {"a": asset, "m": move, "c": campaign}
    for name, table in (("a", "assets"), ("m", "moves"), ("c", "campaigns")):
        gone = run_in_ctx(backend, http, Step(f"5.2.del_{name}", "http", "d", "staging", {
            "service": "backend", "method": "DELETE", "auth": "bearer",
            "path_from": f"'/api/v1/{table}/' + {name}.json.id"}), saved=saved)
        assert gone["status"] == 204 and gone["json"] is None, gone
    again = run_in_ctx(backend, http, Step("x", "http", "d", "staging", {
        "service": "backend", "auth": "bearer", "path_from": "'/api/v1/moves/' + m.json.id"}), saved=saved)
    assert again["status"] == 404


def test_bad_requests_are_answers_not_crashes(backend):
    no_token = run_in_ctx(backend, http, Step("x", "http", "x", "staging", {"service": "backend", "path": "/api/v1/campaigns"}))
    assert no_token["status"] == 401 and no_token["headers"]["www-authenticate"].startswith("Bearer")
    forged = run_in_ctx(backend, http, Step("x", "http", "x", "staging", {
        "service": "backend", "path": "/api/v1/cohorts",
        "headers": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.AAAA"}}))
    assert forged["status"] == 401
    bad_fk = run_in_ctx(backend, http, Step("x", "http", "x", "staging", {
        "service": "backend", "path": "/api/v1/assets", "method": "POST", "auth": "bearer",
        "json": {"title": "orphan", "move_id": "00000000-0000-0000-0000-000000000000"}}))
    assert bad_fk["status"] == 422 and "move_id" in bad_fk["json"]["error"]


def test_missing_earlier_result_names_it(backend):
    step = Step("x", "http", "x", "staging", {"service": "backend", "path": "/api/v1/moves", "method": "POST",
                                              "auth": "bearer", "json_from": {"campaign_id": "nowhere.json.id"}})
    with pytest.raises(StepFailure, match="nowhere"):
        run_in_ctx(backend, http, step)


def test_unknown_service_is_a_clear_failure(backend):
    with pytest.raises(StepFailure, match="no running service named 'frontend'"):
        run_in_ctx(backend, http, Step("x", "http", "x", "staging", {"service": "frontend", "path": "/"}))


def test_load_against_campaigns(backend):
    step = Step("5.3.load", "load", "ab -n 200 -c 10", "staging", {
        "service": "backend", "path": "/api/v1/campaigns", "auth": "bearer", "requests": 200, "concurrency": 10})
    result = run_in_ctx(backend, load, step)
    assert result["completed"] == 200 and result["failed"] == 0 and result["non_2xx"] == 0
    assert result["status_counts"] == {"200": 200}
    assert result["requests_per_s"] > 10 and result["mean_ms"] < 500
    assert result["min_ms"] <= result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert sum(b["count"] for b in result["histogram"]) == 200
    assert render(result["histogram"]).count("\n") == len(result["histogram"]) - 1
    assert "<token>" in load.preview(step, make_ctx(backend["env"], backend["workspace"], backend["resources"])[0])["text"]


def test_load_counts_refused_connections_as_failed(backend):
    from wizard.rehearsal.clusters import free_port

    step = Step("x", "load", "x", "staging", {"url": f"http://127.0.0.1:{free_port()}/", "requests": 5, "concurrency": 2})
    with pytest.raises(StepFailure) as caught:
        run_in_ctx(backend, load, step)
    assert caught.value.data["failed"] == 5 and caught.value.data["completed"] == 0


def test_monitor_follows_the_service_output_clean(backend):
    progress: list[tuple[float, str]] = []
    resources = {**backend["resources"], "progress": lambda f, t: progress.append((f, t))}

    async def go():
        ctx, close = make_ctx(backend["env"], backend["workspace"], resources)
        step = Step("4.6.logs", "monitor", "watch", "staging", {"service": "backend", "duration_s": 1800,
                                                                 "rehearsal_duration_s": 1.5, "sample_every_s": 0.3})
        try:
            watch = asyncio.ensure_future(monitor.run(step, ctx))
            await asyncio.sleep(0.3)
            await http.run(Step("x", "http", "x", "staging", {"service": "backend", "path": "/health"}), ctx)
            return await watch
        finally:
            await close()

    result = asyncio.run(go())
    assert result["duration_s"] == 1.5  # the sandbox uses rehearsal_duration_s
    assert result["counts"] == {"ERROR": 0, "connection failed": 0, "deadlock detected": 0}
    assert result["lines_seen"] >= 1 and result["samples"] >= 3 and result["deadlocks"] == 0
    assert progress and progress[-1][0] == 1.0 and "s left" in progress[0][1]


def test_monitor_fails_on_a_deadlock_line_and_shows_it(staging, tmp_path):
    env, workspace = staging
    log = tmp_path / "app.log"
    log.write_text("INFO: old line with ERROR before the watch\n")
    line = '2026-11-25 09:00:01 UTC [4242] ERROR:  deadlock detected'

    def writer():
        time.sleep(0.3)
        with log.open("a") as handle:
            handle.write("INFO: request ok\n" + line + "\n")

    async def go():
        ctx, close = make_ctx(env, workspace)
        threading.Thread(target=writer).start()
        try:
            return await monitor.run(Step("4.6.logs", "monitor", "watch", "production",
                                          {"file": str(log), "duration_s": 1.0, "sample_db": False}), ctx)
        finally:
            await close()

    with pytest.raises(StepFailure) as caught:
        asyncio.run(go())
    assert line in str(caught.value)
    data = caught.value.data
    assert data["counts"] == {"ERROR": 1, "connection failed": 0, "deadlock detected": 1}  # the old line is not counted
    assert data["matches"][0]["line"] == line and data["lines_seen"] == 2


def test_monitor_detects_a_real_deadlock(staging):
    """Two sessions lock two rows in opposite order: PostgreSQL kills one; the monitor sees it in
    pg_stat_database.deadlocks and in the cluster's own server log."""
    env, workspace = staging
    info = env.conninfo
    with psycopg.connect(**info, autocommit=True) as setup:
        setup.execute("create table if not exists mw_deadlock_probe (id int primary key, n int)")
        setup.execute("insert into mw_deadlock_probe values (1, 0), (2, 0) on conflict do nothing")

    def provoke() -> str:
        time.sleep(0.4)
        a, b = psycopg.connect(**info), psycopg.connect(**info)
        outcome = "no deadlock"
        try:
            for conn in (a, b):
                conn.execute("set deadlock_timeout = '100ms'")
            a.execute("update mw_deadlock_probe set n = n + 1 where id = 1")
            b.execute("update mw_deadlock_probe set n = n + 1 where id = 2")
            errors: list[Exception] = []

            def second(conn, row):
                try:
                    conn.execute("update mw_deadlock_probe set n = n + 1 where id = %s", (row,))
                    conn.commit()
                except psycopg.errors.DeadlockDetected as exc:
                    errors.append(exc)
                    conn.rollback()

            t = threading.Thread(target=second, args=(a, 2))
            t.start()
            time.sleep(0.2)
            second(b, 1)
            t.join(5)
            if errors:
                outcome = "deadlock"
        finally:
            a.close()
            b.close()  # backend exit flushes its statistics, deadlock counter included
        return outcome

    async def go():
        ctx, close = make_ctx(env, workspace)
        step = Step("4.6.logs", "monitor", "watch", "production",
                    {"source": "database_log", "duration_s": 1800, "rehearsal_duration_s": 3, "sample_every_s": 0.5})
        try:
            watch = asyncio.ensure_future(monitor.run(step, ctx))
            outcome = await asyncio.get_running_loop().run_in_executor(None, provoke)
            try:
                await watch
            except StepFailure as failure:
                return outcome, failure
            return outcome, None
        finally:
            await close()

    outcome, failure = asyncio.run(go())
    assert outcome == "deadlock"
    assert failure is not None, "the monitor did not notice the deadlock"
    assert failure.data["deadlocks"] >= 1
    assert failure.data["counts"]["deadlock detected"] >= 1
    assert "deadlock detected" in str(failure) and "pg_stat_database.deadlocks" in str(failure)


def test_monitor_sees_a_blocked_session(staging, tmp_path):
    env, workspace = staging
    quiet = tmp_path / "quiet.log"
    quiet.write_text("")
    with psycopg.connect(**env.conninfo, autocommit=True) as setup:
        setup.execute("create table if not exists mw_block_probe (id int)")

    def hold():
        time.sleep(0.2)
        with psycopg.connect(**env.conninfo) as holder, psycopg.connect(**env.conninfo) as waiter:
            holder.execute("lock table mw_block_probe in access exclusive mode")
            t = threading.Thread(target=lambda: waiter.execute("select count(*) from mw_block_probe"))
            t.start()
            time.sleep(1.2)
            holder.rollback()
            t.join(5)

    async def go():
        ctx, close = make_ctx(env, workspace)
        step = Step("x", "monitor", "x", "staging", {"file": str(quiet), "duration_s": 2, "sample_every_s": 0.2})
        try:
            watch = asyncio.ensure_future(monitor.run(step, ctx))
            await asyncio.get_running_loop().run_in_executor(None, hold)
            return await watch
        finally:
            await close()

    result = asyncio.run(go())
    assert result["blocked_max"] >= 1 and result["match_count"] == 0
    assert result["blocked_examples"][0]["blocked_by"]
    assert "mw_block_probe" in result["blocked_examples"][0]["query"]


def test_monitor_can_be_cancelled(staging, tmp_path):
    env, workspace = staging
    quiet = tmp_path / "quiet.log"
    quiet.write_text("")

    async def go():
        ctx, close = make_ctx(env, workspace)
        step = Step("x", "monitor", "x", "staging", {"file": str(quiet), "duration_s": 60, "sample_db": False})
        try:
            asyncio.get_running_loop().call_later(0.3, ctx.cancelled.set)
            started = time.monotonic()
            with pytest.raises(StepCancelled):
                await monitor.run(step, ctx)
            return time.monotonic() - started
        finally:
            await close()

    assert asyncio.run(go()) < 2


def test_a_service_that_dies_at_startup_shows_why(staging):
    env, workspace = staging

    async def go():
        ctx, close = make_ctx(env, workspace)
        step = start_step(argv=["{python}", "-m", "uvicorn", "no_such_module:app", "--port", "{port}"], redis=None)
        try:
            await service.run(step, ctx)
        finally:
            await close()

    with pytest.raises(StepFailure, match="exited with code .*no_such_module"):
        asyncio.run(go())


def test_service_step_can_be_cancelled_while_waiting(staging):
    env, workspace = staging

    async def go():
        ctx, close = make_ctx(env, workspace)
        step = start_step(argv=["{python}", "-c", "import time; time.sleep(60)"], start_timeout_s=30)
        try:
            asyncio.get_running_loop().call_later(0.5, ctx.cancelled.set)
            with pytest.raises(StepCancelled):
                await service.run(step, ctx)
            handle = ctx.resources["service:backend"]
            assert not handle.process.running
        finally:
            await close()

    asyncio.run(go())
