"""load: N requests at concurrency C, like `ab -n 100 -c 10`, measured from an async client.

The client is wizard.appcheck.loadclient, a lean HTTP/1.1 client on asyncio streams: C worker
coroutines take request numbers from a shared counter, each with its own connection. The
runbook's expectations (task 5.3) are stated for ab, so by default the step loads the way the
runbook's `ab -n -c` does: a new connection per request (ab speaks HTTP/1.0, which uvicorn closes
after every answer), the step sending `Connection: close`; `keepalive = true` reuses each worker's
connection instead (what `ab -k` would do against a server keeping HTTP/1.0 connections alive).
The client and the server share this machine's CPUs, so the client's own cost per request lowers
what it measures; `benchmarks/bench_load.py` measures the step against ab, with this client and
with aiohttp (the step's client before: ~30-40% more CPU per request here, so further from ab on a
fast endpoint), each with and without keep-alive, and prints the figures and the targets.
aiohttp stays available as client="aiohttp" of `hammer`, for that comparison only.

Params (free-form):
  url | service + path   what to load (as in the http step)
  method         GET (default)
  requests       how many requests in all (ab -n), default 100
  concurrency    how many at a time (ab -c), default 10
  auth           "bearer": send the API token (see the http step)
  headers        extra request headers
  json           a body for every request (POST loads)
  timeout_s      per request, default 30
  keepalive      reuse each worker's connection (default false: a new connection per request, as ab)

Result: requests, concurrency, completed, failed (no complete HTTP answer: refused, reset, timeout, malformed),
non_2xx, status_counts, requests_per_s, total_s, mean_ms, min_ms, p50_ms, p95_ms, p99_ms,
max_ms, histogram ([{"upper_ms", "count"}], drawn by wizard.appcheck.histogram.render),
errors (the first few failure messages).
"""

from __future__ import annotations

import asyncio
import math
import ssl
import time
from typing import Any

from wizard.appcheck.histogram import buckets
from wizard.appcheck.loadclient import LoadClient, RequestFailed
from wizard.redact import redact
from wizard.runbook.model import Step
from wizard.steps.base import StepContext, StepFailure
from wizard.steps.http import _expand_json, _headers, preview_url, target_url
from wizard.steps.sqlrun import StepCancelled

MAX_ERRORS_KEPT = 5
DEFAULT_KEEPALIVE = False


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (as ab's "Percentage of the requests served within" table)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values) - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(latencies_ms: list[float], total_s: float, requests: int, concurrency: int, failed: int,
              status_counts: dict[int, int], errors: list[str]) -> dict[str, Any]:
    ordered = sorted(latencies_ms)
    completed = len(ordered)
    non_2xx = sum(n for code, n in status_counts.items() if not 200 <= code < 300)
    return {
        "requests": requests,
        "concurrency": concurrency,
        "completed": completed,
        "failed": failed,
        "non_2xx": non_2xx,
        "status_counts": {str(code): n for code, n in sorted(status_counts.items())},
        "total_s": round(total_s, 4),
        "requests_per_s": round(completed / total_s, 2) if total_s > 0 else 0.0,
        "mean_ms": round(sum(ordered) / completed, 3) if completed else 0.0,
        "min_ms": round(ordered[0], 3) if ordered else 0.0,
        "p50_ms": round(percentile(ordered, 0.50), 3),
        "p95_ms": round(percentile(ordered, 0.95), 3),
        "p99_ms": round(percentile(ordered, 0.99), 3),
        "max_ms": round(ordered[-1], 3) if ordered else 0.0,
        "histogram": buckets(ordered),
        "errors": errors,
    }


class Tally:
    """What the workers of one load count, shared between them (and with bench_load.py's aiohttp workers)."""

    __slots__ = ("requests", "issued", "failed", "latencies", "status_counts", "errors")

    def __init__(self, requests: int) -> None:
        self.requests = requests
        self.issued = 0
        self.failed = 0
        self.latencies: list[float] = []
        self.status_counts: dict[int, int] = {}
        self.errors: list[str] = []

    def fail(self, message: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(redact(message))


async def hammer(url: str, *, requests: int, concurrency: int, method: str = "GET",
                 headers: dict[str, str] | None = None, body: Any = None, timeout_s: float = 30,
                 keepalive: bool = DEFAULT_KEEPALIVE, cancelled: asyncio.Event | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> dict[str, Any]:
    """Send `requests` requests, `concurrency` at a time; the measurement behind the step.

    `concurrency` workers take request numbers from a shared counter until all are issued; a
    request without a complete HTTP answer (refused, reset, timeout, malformed) counts as failed.
    Setting `cancelled` stops the load at once: requests in flight are abandoned, not counted."""
    tally = Tally(requests)
    clock = time.perf_counter
    began = clock()
    await run_workers(_streams_workers(url, tally, concurrency, method, headers, body, timeout_s, keepalive,
                                       cancelled, ssl_context), cancelled)
    total = clock() - began
    return summarise(tally.latencies, total, requests, concurrency, tally.failed, tally.status_counts, tally.errors)


async def run_workers(workers: list, cancelled: asyncio.Event | None) -> None:
    """Run the worker coroutines to the end, or until `cancelled` is set (then cancel them)."""
    tasks = [asyncio.ensure_future(w) for w in workers]
    everything = asyncio.gather(*tasks)
    everything.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved: no "never retrieved" log
    waiter = asyncio.ensure_future(cancelled.wait()) if cancelled is not None else None
    try:
        if waiter is None:
            await everything
        else:
            await asyncio.wait({everything, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not everything.done():
                for task in tasks:
                    task.cancel()
            else:
                everything.result()
    finally:
        if waiter is not None:
            waiter.cancel()
        if not everything.done():
            for task in tasks:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _streams_workers(url: str, tally: Tally, concurrency: int, method: str, headers: dict[str, str] | None,
                     body: Any, timeout_s: float, keepalive: bool, cancelled: asyncio.Event | None,
                     ssl_context: ssl.SSLContext | None) -> list:
    lean = LoadClient(url, method=method, headers=headers, json_body=body, keepalive=keepalive, timeout_s=timeout_s,
                      ssl_context=ssl_context)
    clock = time.perf_counter
    latencies, counts = tally.latencies, tally.status_counts

    async def worker() -> None:
        conn = lean.connection()
        try:
            while tally.issued < tally.requests:
                if cancelled is not None and cancelled.is_set():
                    return
                tally.issued += 1
                started = clock()
                try:
                    response = await conn.request()
                except RequestFailed as exc:
                    tally.fail(str(exc))
                    continue
                latencies.append((clock() - started) * 1000)
                counts[response.status] = counts.get(response.status, 0) + 1
        finally:
            conn.close()

    return [worker() for _ in range(concurrency)]


def preview(step: Step, ctx: StepContext) -> dict[str, str]:
    n, c = int(step.params.get("requests", 100)), int(step.params.get("concurrency", 10))
    url = preview_url(step, ctx)
    auth = " \\\n  -H 'Authorization: Bearer <token>'" if step.params.get("auth") == "bearer" else ""
    return {"language": "bash", "text": f"# measured by the wizard's async client, the same shape as:\nab -n {n} -c {c} {url}{auth}"}


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    requests = int(step.params.get("requests", 100))
    concurrency = int(step.params.get("concurrency", 10))
    if requests < 1 or concurrency < 1:
        raise StepFailure("requests and concurrency must be at least 1")
    concurrency = min(concurrency, requests)
    url = target_url(step, ctx)
    headers = _headers(step, ctx, with_secret=True)
    body = _expand_json(step.params["json"], ctx) if "json" in step.params else None
    result = await hammer(
        url, requests=requests, concurrency=concurrency, method=str(step.params.get("method", "GET")).upper(),
        headers=headers, body=body, timeout_s=float(step.params.get("timeout_s", 30)),
        keepalive=bool(step.params.get("keepalive", DEFAULT_KEEPALIVE)), cancelled=ctx.cancelled)
    if ctx.cancelled.is_set():
        raise StepCancelled(f"cancelled by the operator after {result['completed'] + result['failed']} requests")
    result["url"] = redact(url)
    result["method"] = str(step.params.get("method", "GET")).upper()
    if result["completed"] == 0:
        first = result["errors"][0] if result["errors"] else "no answer"
        raise StepFailure(f"none of the {requests} requests to {result['url']} got an answer: {first}", result)
    return result
