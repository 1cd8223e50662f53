"""The `load` step against ab (apache2-utils), on the same endpoints in the same run.

    python benchmarks/bench_load.py [--requests 5000] [--concurrency 10] [--rounds 3]

Starts, on 127.0.0.1 only:
  * a trivial ASGI endpoint under uvicorn (answers "ok"), and
  * the rehearsal backend (uvicorn main:app, through the `service` step) on a sandbox-staging
    cluster in a throwaway data dir (or MIGRATION_WIZARD_DATA if set),
then loads each with the `load` step and with `ab`, alternating, several rounds, and prints the
median requests/s of each and their ratio. Targets: on the backend's /api/v1/campaigns the two
agree within 20%; on the trivial endpoint the load step reaches at least 0.7x ab.

Two comparisons are printed for each endpoint:
  * as the runbook runs them: `ab -n N -c C` against the load step with its defaults (keep-alive);
  * with the same connection handling: both open a new connection per request (`ab` speaks
    HTTP/1.0, and uvicorn's h11 server closes HTTP/1.0 connections even with `ab -k`, as the
    "kept alive" column shows), the load step with keepalive = false.
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
    done = subprocess.run(argv + [url], capture_output=True, text=True, timeout=600)
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
            "kept_alive": int(kept.group(1)) if kept else 0}


def context(env: Any, workspace: Path, resources: dict[str, Any]):
    from wizard import db
    from wizard.steps.base import StepContext, default_placeholders

    cleanups: list = []
    held: dict[str, Any] = {}

    async def connection():
        if held.get("conn") is None:
            held["conn"] = await db.connect(env)
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


async def run_load(ctx: Any, url: str, requests: int, concurrency: int, keepalive: bool, auth: bool) -> dict[str, Any]:
    from wizard.runbook.model import Step
    from wizard.steps import load

    params = {"url": url, "requests": requests, "concurrency": concurrency, "keepalive": keepalive}
    if auth:
        params["auth"] = "bearer"
    return await load.run(Step("bench", "load", "bench", "any", params), ctx)


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
    from wizard import sandbox
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
        ctx, close = context(env, workspace, resources)
        try:
            start = Step("bench.backend", "service", "backend", "staging", {
                "argv": ["{python}", "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", "{port}", "--no-access-log"],
                "redis": "rehearsal", "wait_for": "/health"})
            started = await service.run(start, ctx)
            for _ in range(100):  # the trivial server is up when it answers
                try:
                    await run_load(ctx, trivial_url, 1, 1, True, False)
                    break
                except Exception:  # noqa: BLE001 - not listening yet
                    await asyncio.sleep(0.05)
            print(f"ready in {time.monotonic() - t0:.1f} s: trivial {trivial_url}, backend {started['base_url']} "
                  f"(startup {started['startup_s']} s)\n")
            targets = [
                ("trivial /", trivial_url, args.requests, False, 0.7, None),
                ("backend /api/v1/campaigns", started["base_url"] + "/api/v1/campaigns", args.backend_requests, True, None, 0.2),
            ]
            for label, url, n, auth, min_ratio, within in targets:
                goals[label] = (min_ratio, within)
                # Every round measures all four, one after the other, so each comparison is between
                # runs a few seconds apart (this machine is shared: its load moves).
                kinds = [("load", True), ("ab", False), ("load", False), ("ab", True)]
                runs: dict[tuple[str, bool], list[dict[str, Any]]] = {k: [] for k in kinds}
                for client, keepalive in kinds:  # warm-up
                    if client == "load":
                        await run_load(ctx, url, min(200, n), args.concurrency, keepalive, auth)
                    elif ab:
                        run_ab(url, min(200, n), args.concurrency, keepalive, token if auth else None)
                for _ in range(args.rounds):
                    for client, keepalive in kinds:
                        if client == "load":
                            runs[(client, keepalive)].append(await run_load(ctx, url, n, args.concurrency, keepalive, auth))
                        elif ab:
                            runs[(client, keepalive)].append(await asyncio.to_thread(
                                run_ab, url, n, args.concurrency, keepalive, token if auth else None))
                for client, keepalive in kinds:
                    done = runs[(client, keepalive)]
                    if not done:
                        continue
                    rps = statistics.median(r["requests_per_s"] for r in done)
                    measured[(label, client, keepalive)] = rps
                    if client == "load":
                        name, kept = "load step" + ("" if keepalive else " (keepalive = false)"), "yes" if keepalive else "no"
                    else:
                        name, kept = "ab -k" if keepalive else "ab", f"{statistics.median(r['kept_alive'] for r in done):.0f}/{n}"
                    rows.append((label, name, {
                        "requests_per_s": rps, "mean_ms": statistics.median(r["mean_ms"] for r in done),
                        "failed": sum(r["failed"] for r in done), "non_2xx": sum(r["non_2xx"] for r in done),
                        "kept_alive": kept}))
                if label.startswith("backend"):
                    print(f"latency histogram, load step, {label}, last round:\n"
                          f"{render(runs[('load', True)][-1]['histogram'], 40, '  ')}\n")
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

    print(f"{'endpoint':<27} {'client':<27} {'requests/s':>10} {'mean ms':>8} {'failed':>6} {'non-2xx':>7} "
          f"{'kept alive':>10}")
    for label, client, r in rows:
        print(f"{label:<27} {client:<27} {r['requests_per_s']:>10,.0f} {r['mean_ms']:>8.2f} {r['failed']:>6} "
              f"{r['non_2xx']:>7} {r['kept_alive']:>10}")
    print(f"(n = {args.requests} on the trivial endpoint, {args.backend_requests} on the backend, c = {args.concurrency}, "
          f"median of {args.rounds} rounds; ab's mean is its first 'Time per request')\n")
    if not ab:
        return 0
    for title, load_keepalive in (("as the runbook runs them (ab -n -c; the load step's defaults)", True),
                                  ("same connection handling (a new connection per request for both)", False)):
        print(title + ":")
        for label, (min_ratio, within) in goals.items():
            ratio = measured[(label, "load", load_keepalive)] / measured[(label, "ab", False)]
            if min_ratio is not None:
                ok, target = ratio >= min_ratio, f">= {min_ratio:.1f}x ab"
            else:
                ok, target = abs(ratio - 1) <= (within or 0), f"within {within:.0%} of ab"
            print(f"  {label:<27} load/ab = {ratio:4.2f}  (target {target}): {'OK' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
