"""load: N requests at concurrency C, like `ab -n 100 -c 10`, measured from an async client.

The client is aiohttp (a TCPConnector limited to C connections, C worker coroutines taking
request numbers from a shared counter): measured on this machine against one trivial uvicorn
endpoint it came closest to ab (aiohttp ~11,800 requests/s, httpx's async client 900-1,400,
ab ~16,000); `benchmarks/bench_load.py` runs both side by side.

Params (free-form):
  url | service + path   what to load (as in the http step)
  method         GET (default)
  requests       how many requests in all (ab -n), default 100
  concurrency    how many at a time (ab -c), default 10
  auth           "bearer": send the API token (see the http step)
  headers        extra request headers
  json           a body for every request (POST loads)
  timeout_s      per request, default 30
  keepalive      reuse connections (default true; ab without -k opens one per request)

Result: requests, concurrency, completed, failed (no HTTP answer: refused, reset, timeout),
non_2xx, status_counts, requests_per_s, total_s, mean_ms, min_ms, p50_ms, p95_ms, p99_ms,
max_ms, histogram ([{"upper_ms", "count"}], drawn by wizard.appcheck.histogram.render),
errors (the first few failure messages).
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import aiohttp

from wizard.appcheck.histogram import buckets
from wizard.redact import redact
from wizard.runbook.model import Step
from wizard.steps.base import StepContext, StepFailure
from wizard.steps.http import _expand_json, _headers, preview_url, target_url
from wizard.steps.sqlrun import StepCancelled

MAX_ERRORS_KEPT = 5


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


async def hammer(url: str, *, requests: int, concurrency: int, method: str = "GET",
                 headers: dict[str, str] | None = None, body: Any = None, timeout_s: float = 30,
                 keepalive: bool = True, cancelled: asyncio.Event | None = None) -> dict[str, Any]:
    """Send `requests` requests, `concurrency` at a time; the measurement behind the step."""
    latencies: list[float] = []
    status_counts: dict[int, int] = {}
    errors: list[str] = []
    failed = 0
    issued = 0
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=not keepalive)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    clock = time.perf_counter

    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers or {}) as session:
        async def worker() -> None:
            nonlocal issued, failed
            while issued < requests:
                if cancelled is not None and cancelled.is_set():
                    return
                issued += 1
                started = clock()
                try:
                    async with session.request(method, url, json=body) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    failed += 1
                    if len(errors) < MAX_ERRORS_KEPT:
                        errors.append(redact(f"{type(exc).__name__}: {exc}"))
                    continue
                latencies.append((clock() - started) * 1000)
                status_counts[status] = status_counts.get(status, 0) + 1

        began = clock()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        total = clock() - began
    return summarise(latencies, total, requests, concurrency, failed, status_counts, errors)


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
        keepalive=bool(step.params.get("keepalive", True)), cancelled=ctx.cancelled)
    if ctx.cancelled.is_set():
        raise StepCancelled(f"cancelled by the operator after {result['completed'] + result['failed']} requests")
    result["url"] = redact(url)
    result["method"] = str(step.params.get("method", "GET")).upper()
    if result["completed"] == 0:
        first = result["errors"][0] if result["errors"] else "no answer"
        raise StepFailure(f"none of the {requests} requests to {result['url']} got an answer: {first}", result)
    return result
