"""The `load` step against ab (apache2-utils), on the same endpoints in the same run.

    python benchmarks/bench_load.py [--requests 5000] [--concurrency 10] [--rounds 3]

Starts, on 127.0.0.1 only:
  * a trivial ASGI endpoint under uvicorn (answers "ok"), and
  * the rehearsal backend (uvicorn main:app, through the `service` step) on a sandbox-staging
    cluster in a throwaway data dir (or MIGRATION_WIZARD_DATA if set),
then loads each with the load step's measurement (`wizard.steps.load.hammer`) and with `ab`,
alternating, several rounds, and prints the median requests/s of each and their ratio. The load
step is measured with both of its clients, each with and without keep-alive:
  * streams: wizard.appcheck.loadclient, the lean HTTP/1.1 client on asyncio streams;
  * aiohttp: the aiohttp client the step used before (its worker loop lives here now, `aiohttp_load`).
Targets: on the backend's /api/v1/campaigns the load step and ab agree within 20%; on the trivial
endpoint the load step reaches at least 0.7x ab.

Two comparisons are judged for each endpoint, both for the client the step uses:
  * as the runbook runs them: `ab -n N -c C` against the load step with its defaults (its client
    and its default connection handling, load.DEFAULT_KEEPALIVE);
  * with the same connection handling: both open a new connection per request (`ab` speaks
    HTTP/1.0, and uvicorn's h11 server closes HTTP/1.0 connections even with `ab -k`, as the
    "kept alive" column shows), the load step with keepalive = false.
The ratio of every load row to ab is printed as well, for the record. Besides requests/s, the
client's own CPU time per request (user + system, of this process, which runs nothing else during
a measurement; ab's from its rusage) is shown: the server shares the machine's CPUs with the
client, so the client's cost per request lowers what it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STEP_CLIENT = "streams"  # the load step's client, wizard.appcheck.loadclient
sys.path.insert(0, str(ROOT))

TRIVIAL_APP = textwrap.dedent('''
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})
''')


def ab_available() -> str | None:
    return shutil.which("ab")


def run_ab(url: str, requests: int, concurrency: int, keepalive: bool, token: str | None) -> dict[str, Any]:
    argv = ["ab", "-q", "-n", str(requests), "-c", str(concurrency)]
    if keepalive:
        argv.append("-k")
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    before = os.times()
    done = subprocess.run(argv + [url], capture_output=True, text=True, timeout=600)
    after = os.times()
    text = done.stdout
    if done.returncode != 0:
        raise RuntimeError(f"ab failed ({done.returncode}): {done.stderr.strip()[-300:]}")

    def number(label: str) -> float:
        found = re.search(rf"^{re.escape(label)}:\s+([\d.]+)", text, re.MULTILINE)
        return float(found.group(1)) if found else float("nan")

    non_2xx = re.search(r"^Non-2xx responses:\s+(\d+)", text, re.MULTILINE)
    kept = re.search(r"^Keep-Alive requests:\s+(\d+)", text, re.MULTILINE)
    return {"requests_per_s": number("Requests per second"), "failed": int(number("Failed requests")),
            "mean_ms": number("Time per request"), "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "kept_alive": int(kept.group(1)) if kept else 0,
            "cpu_us": 1e6 * ((after.children_user - before.children_user)
                             + (after.children_system - before.children_system)) / requests}


def context(env: Any, workspace: Path, resources: dict[str, Any]):
    from wizard.environments import connect
    from wizard.steps.base import StepContext, default_placeholders

    cleanups: list = []
    held: dict[str, Any] = {}

    async def connection():
        if held.get("conn") is None:
            held["conn"] = await connect(env)
        return held["conn"]

    async def ask(step):
        raise RuntimeError("no questions in a benchmark")

    ctx = StepContext(env=env, facts={}, saved={}, placeholders=default_placeholders(env, workspace),
                      connection=connection, ask=ask, resources=resources, add_cleanup=cleanups.append)

    async def close():
        while cleanups:
            await cleanups.pop()()
        if held.get("conn") is not None:
            await held["conn"].close()

    return ctx, close


async def run_step(ctx: Any, url: str, requests: int, concurrency: int, auth: bool) -> dict[str, Any]:
    """The load step itself (its params, its defaults)."""
    from wizard.runbook.model import Step
    from wizard.steps import load

    params: dict[str, Any] = {"url": url, "requests": requests, "concurrency": concurrency}
    if auth:
        params["auth"] = "bearer"
    return await load.run(Step("bench", "load", "bench", "any", params), ctx)


async def aiohttp_load(url: str, *, requests: int, concurrency: int, headers: dict[str, str] | None,
                       keepalive: bool, timeout_s: float = 30) -> dict[str, Any]:
    """The load step's measurement (workers, counting, summary) with aiohttp as the client: the
    step's client before wizard.appcheck.loadclient, kept for comparison."""
    import aiohttp

    from wizard.steps import load

    tally = load.Tally(requests)
    clock = time.perf_counter
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=not keepalive)
    began = clock()
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout_s),
                                     headers=headers or {}) as session:
        async def worker() -> None:
            while tally.issued < tally.requests:
                tally.issued += 1
                started = clock()
                try:
                    async with session.get(url) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    tally.fail(f"{type(exc).__name__}: {exc}")
                    continue
                tally.latencies.append((clock() - started) * 1000)
                tally.status_counts[status] = tally.status_counts.get(status, 0) + 1

        await load.run_workers([worker() for _ in range(concurrency)], None)
    total = clock() - began
    return load.summarise(tally.latencies, total, requests, concurrency, tally.failed, tally.status_counts, tally.errors)


async def run_load(url: str, requests: int, concurrency: int, client: str, keepalive: bool,
                   token: str | None) -> dict[str, Any]:
    """The measurement with a given client ("streams": the step's; "aiohttp") and connection
    handling, and its CPU cost."""
    from wizard.steps import load

    headers = {"Authorization": f"Bearer {token}"} if token else None
    before = os.times()
    if client == STEP_CLIENT:
        result = await load.hammer(url, requests=requests, concurrency=concurrency, headers=headers,
                                   keepalive=keepalive)
    else:
        result = await aiohttp_load(url, requests=requests, concurrency=concurrency, headers=headers,
                                    keepalive=keepalive)
    after = os.times()
    result["cpu_us"] = 1e6 * ((after.user - before.user) + (after.system - before.system)) / requests
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="requests per measurement (ab -n)")
    parser.add_argument("--backend-requests", type=int, default=2000, help="requests per measurement on the backend")
    parser.add_argument("--concurrency", type=int, default=10, help="ab -c")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each; the median is reported")
    args = parser.parse_args()

    own_data = "MIGRATION_WIZARD_DATA" not in os.environ
    if own_data:
        os.environ["MIGRATION_WIZARD_DATA"] = tempfile.mkdtemp(prefix="mw-bench-load-")
    from wizard.rehearsal import clusters as sandbox
    from wizard.appcheck import tokens
    from wizard.appcheck.histogram import render
    from wizard.appcheck.process import ManagedProcess
    from wizard.environments import sandbox_environment
    from wizard.runbook.model import Step
    from wizard.steps import service

    ab = ab_available()
    if not ab:
        print("ab not installed: apt-get install apache2-utils; skipping the ab line")

    print("preparing: sandbox-staging cluster, rehearsal workspace, two uvicorn servers on 127.0.0.1 …")
    t0 = time.monotonic()
    sandbox.ensure("sandbox-staging")
    workspace = sandbox.ensure_workspace()
    env = sandbox_environment("sandbox-staging")
    token = tokens.rehearsal_token(env)

    trivial_dir = Path(tempfile.mkdtemp(prefix="mw-trivial-"))
    (trivial_dir / "trivial.py").write_text(TRIVIAL_APP)
    port = sandbox.free_port()
    trivial = ManagedProcess([sys.executable, "-m", "uvicorn", "trivial:app", "--host", "127.0.0.1", "--port", str(port),
                              "--no-access-log", "--log-level", "warning"], trivial_dir, {**os.environ}).start()
    trivial_url = f"http://127.0.0.1:{port}/"

    resources: dict[str, Any] = {}
    rows: list[tuple[str, str, dict[str, Any]]] = []
    measured: dict[tuple[str, str, bool], float] = {}
    goals: dict[str, tuple[float | None, float | None]] = {}

    async def bench() -> None:
        from wizard.steps import load

        ctx, close = context(env, workspace, resources)
        try:
            start = Step("bench.backend", "service", "backend", "staging", {
                "argv": ["{python}", "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", "{port}", "--no-access-log"],
                "redis": "rehearsal", "wait_for": "/health"})
            started = await service.run(start, ctx)
            for _ in range(100):  # the trivial server is up when it answers
                try:
                    await run_step(ctx, trivial_url, 1, 1, False)
                    break
                except Exception:  # noqa: BLE001 - not listening yet
                    await asyncio.sleep(0.05)
            backend_url = started["base_url"] + "/api/v1/campaigns"
            checked = await run_step(ctx, backend_url, 20, 5, True)  # the step itself, with its defaults
            assert checked["failed"] == 0 and checked["status_counts"] == {"200": 20}, checked
            print(f"ready in {time.monotonic() - t0:.1f} s: trivial {trivial_url}, backend {started['base_url']} "
                  f"(startup {started['startup_s']} s); the step uses client {STEP_CLIENT!r}, "
                  f"keepalive = {str(load.DEFAULT_KEEPALIVE).lower()} by default\n")
            targets = [
                ("trivial /", trivial_url, args.requests, False, 0.7, None),
                ("backend /api/v1/campaigns", backend_url, args.backend_requests, True, None, 0.2),
            ]
            for label, url, n, auth, min_ratio, within in targets:
                goals[label] = (min_ratio, within)
                # Every round measures all six, one after the other, so each comparison is between
                # runs a few seconds apart (this machine is shared: its load moves).
                kinds = [("streams", True), ("ab", False), ("streams", False), ("aiohttp", True),
                         ("ab", True), ("aiohttp", False)]
                runs: dict[tuple[str, bool], list[dict[str, Any]]] = {k: [] for k in kinds}
                bearer = token if auth else None

                async def measure(client: str, keepalive: bool, count: int) -> dict[str, Any] | None:
                    if client == "ab":
                        return await asyncio.to_thread(run_ab, url, count, args.concurrency, keepalive, bearer) if ab else None
                    return await run_load(url, count, args.concurrency, client, keepalive, bearer)

                for client, keepalive in kinds:  # warm-up
                    await measure(client, keepalive, min(200, n))
                for _ in range(args.rounds):
                    for client, keepalive in kinds:
                        done = await measure(client, keepalive, n)
                        if done is not None:
                            runs[(client, keepalive)].append(done)
                for client, keepalive in kinds:
                    done = runs[(client, keepalive)]
                    if not done:
                        continue
                    rps = statistics.median(r["requests_per_s"] for r in done)
                    measured[(label, client, keepalive)] = rps
                    if client == "ab":
                        name, kept = "ab -k" if keepalive else "ab", f"{statistics.median(r['kept_alive'] for r in done):.0f}/{n}"
                    else:
                        name, kept = f"load {client}" + ("" if keepalive else " (keepalive=false)"), "yes" if keepalive else "no"
                        if client == STEP_CLIENT and keepalive == load.DEFAULT_KEEPALIVE:
                            name += " *"
                    rows.append((label, name, {
                        "requests_per_s": rps, "mean_ms": statistics.median(r["mean_ms"] for r in done),
                        "failed": sum(r["failed"] for r in done), "non_2xx": sum(r["non_2xx"] for r in done),
                        "cpu_us": statistics.median(r["cpu_us"] for r in done),
                        "all_rps": "/".join(f"{r['requests_per_s']:.0f}" for r in done), "kept_alive": kept}))
                if label.startswith("backend"):
                    print(f"latency histogram, load step ({STEP_CLIENT}, keepalive = "
                          f"{str(load.DEFAULT_KEEPALIVE).lower()}), {label}, last round:\n"
                          f"{render(runs[(STEP_CLIENT, load.DEFAULT_KEEPALIVE)][-1]['histogram'], 40, '  ')}\n")
        finally:
            await close()

    try:
        asyncio.run(bench())
    finally:
        asyncio.run(trivial.stop())
        if own_data:
            sandbox.stop("sandbox-staging")
            shutil.rmtree(os.environ["MIGRATION_WIZARD_DATA"], ignore_errors=True)
        shutil.rmtree(trivial_dir, ignore_errors=True)

    from wizard.steps import load

    print(f"{'endpoint':<27} {'client':<33} {'requests/s':>10} {'mean ms':>8} {'failed':>6} {'non-2xx':>7} "
          f"{'kept alive':>10} {'cpu us/req':>10}  rounds")
    for label, client, r in rows:
        print(f"{label:<27} {client:<33} {r['requests_per_s']:>10,.0f} {r['mean_ms']:>8.2f} {r['failed']:>6} "
              f"{r['non_2xx']:>7} {r['kept_alive']:>10} {r['cpu_us']:>10.0f}  {r['all_rps']}")
    print(f"(n = {args.requests} on the trivial endpoint, {args.backend_requests} on the backend, c = {args.concurrency}, "
          f"median of {args.rounds} rounds; ab's mean is its first 'Time per request'; * = the step's defaults; "
          f"cpu us/req = the client's own CPU time per request)\n")
    if not ab:
        return 0
    print("load/ab requests/s, every load row against ab as the runbook runs it (no -k):")
    for label in goals:
        cells = [f"{client}{'' if keepalive else ' new-conn'} {measured[(label, client, keepalive)] / measured[(label, 'ab', False)]:4.2f}"
                 for client in ("streams", "aiohttp") for keepalive in (True, False) if (label, client, keepalive) in measured]
        print(f"  {label:<27} " + ", ".join(cells))
    print()
    verdicts = []
    for title, load_keepalive in ((f"as the runbook runs them (ab -n -c; the load step's defaults, keepalive = "
                                   f"{str(load.DEFAULT_KEEPALIVE).lower()})", load.DEFAULT_KEEPALIVE),
                                  ("same connection handling (a new connection per request for both)", False)):
        print(title + ":")
        for label, (min_ratio, within) in goals.items():
            client = STEP_CLIENT
            ratio = measured[(label, client, load_keepalive)] / measured[(label, "ab", False)]
            if min_ratio is not None:
                ok, target = ratio >= min_ratio, f">= {min_ratio:.1f}x ab"
            else:
                ok, target = abs(ratio - 1) <= (within or 0), f"within {within:.0%} of ab"
            verdicts.append(ok)
            print(f"  {label:<27} load ({client})/ab = {ratio:4.2f}  (target {target}): {'OK' if ok else 'MISSED'}")
    print(f"\ntargets met: {sum(verdicts)} of {len(verdicts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
