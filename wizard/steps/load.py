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

Its parameters and result fields are declared in KIND below (docs/RUNBOOKS.md lists them).
"""

from __future__ import annotations

import asyncio
import math
import ssl
import time
from typing import TYPE_CHECKING, Annotated, Any

from wizard.appcheck.histogram import buckets
from wizard.appcheck.loadclient import LoadClient, RequestFailed
from wizard.redact import redact
from wizard.steps.base import ResultField, StepCancelled, StepContext, StepFailure, StepKind, param
from wizard.steps.http import RequestParams, _expand_json, _headers, check_target, preview_url, target_url

if TYPE_CHECKING:
    from wizard.runbook.model import Step

MAX_ERRORS_KEPT = 5
DEFAULT_KEEPALIVE = False


class LoadParams(RequestParams):
    requests: Annotated[int, param("how many requests in all (ab -n)", gt=0)] = 100
    concurrency: Annotated[int, param("how many at a time (ab -c)", gt=0)] = 10
    timeout_s: Annotated[float, param("seconds to wait for each answer", gt=0)] = 30
    keepalive: Annotated[bool, param(
        "reuse each worker's connection (false: a new connection per request, as ab)")] = DEFAULT_KEEPALIVE


KIND = StepKind(
    name="load",
    rank=90,
    description="Sends N requests C at a time (like `ab -n N -c C`) and measures throughput and latency.",
    params=LoadParams,
    check=check_target,
    results=(
        ResultField("url", "string", "the URL loaded (redacted)"),
        ResultField("method", "string", "the method sent"),
        ResultField("requests", "integer", "requests to send"),
        ResultField("concurrency", "integer", "requests at a time"),
        ResultField("completed", "integer", "requests with a complete HTTP answer"),
        ResultField("failed", "integer", "requests without one (refused, reset, timeout, malformed)"),
        ResultField("non_2xx", "integer", "answers whose status is not 2xx"),
        ResultField("status_counts", "table", "answers per status code"),
        ResultField("requests_per_s", "number", "completed requests per second"),
        ResultField("total_s", "number", "seconds for the whole load"),
        ResultField("mean_ms", "number", "mean latency"),
        ResultField("min_ms", "number", "fastest answer"),
        ResultField("p50_ms", "number", "median latency (nearest rank, as ab)"),
        ResultField("p95_ms", "number", "95th percentile latency"),
        ResultField("p99_ms", "number", "99th percentile latency"),
        ResultField("max_ms", "number", "slowest answer"),
        ResultField("histogram", "list of tables", "latency buckets: upper_ms, count"),
        ResultField("errors", "list of strings", f"the first {MAX_ERRORS_KEPT} failure messages"),
    ),
)


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
    p = KIND.read(step)
    n, c = p.requests, p.concurrency
    url = preview_url(step, ctx)
    auth = " \\\n  -H 'Authorization: Bearer <token>'" if p.auth == "bearer" else ""
    return {"language": "bash", "text": f"# measured by the wizard's async client, the same shape as:\nab -n {n} -c {c} {url}{auth}"}


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    p = KIND.read(step)
    requests = p.requests
    concurrency = p.concurrency
    if requests < 1 or concurrency < 1:
        raise StepFailure("requests and concurrency must be at least 1")
    concurrency = min(concurrency, requests)
    url = target_url(step, ctx)
    headers = _headers(step, ctx, with_secret=True)
    body = _expand_json(p.json, ctx)
    result = await hammer(
        url, requests=requests, concurrency=concurrency, method=p.method.upper(),
        headers=headers, body=body, timeout_s=p.timeout_s, keepalive=p.keepalive, cancelled=ctx.cancelled)
    if ctx.cancelled.is_set():
        raise StepCancelled(f"cancelled by the operator after {result['completed'] + result['failed']} requests")
    result["url"] = redact(url)
    result["method"] = p.method.upper()
    if result["completed"] == 0:
        first = result["errors"][0] if result["errors"] else "no answer"
        raise StepFailure(f"none of the {requests} requests to {result['url']} got an answer: {first}", result)
    return result
