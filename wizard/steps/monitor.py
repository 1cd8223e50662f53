"""monitor: watch a log for a while, counting the runbook's error patterns, and sample the
database for blocked sessions and deadlocks.

The runbook keeps production logs open for 30 minutes watching for `ERROR`, `connection failed`
and `deadlock detected`. This step follows the log live (new lines only, like `tail -f`),
counts each pattern, and every `sample_every_s` asks the database how many sessions are blocked
(pg_stat_activity + pg_blocking_pids, pg_locks not granted); the deadlock count is the change in
pg_stat_database.deadlocks for the current database over the whole watch. Any match, deadlock
or failed sample fails the step with the first matching lines shown (unless fail_on_match =
false: then the expectations judge the counts).

Params (free-form):
  service          follow the output of a service started earlier in the day (e.g. "backend"), or
  file             follow a log file (placeholders allowed), or
  source           "database_log": the sandbox cluster's server log (other environments: no log
                   is read unless `file` is given; the database is still sampled)
  duration_s       how long to watch, default 1800 (the runbook's 30 minutes)
  rehearsal_duration_s  used instead of duration_s when the environment is a sandbox
  patterns         default ["ERROR", "connection failed", "deadlock detected"]; case-sensitive
                   substrings, or regular expressions written "re:<expression>"
  sample_every_s   default 10 (never more than a fifth of the duration)
  sample_db        default true
  from_start       also read what the service printed (or the file held) before the watch began
  fail_on_match    default true

Progress: if ctx.resources["progress"] is a callable(fraction, text), it is called about four
times a second with the time left and the counts so far.

Result: source, duration_s, elapsed_s, patterns, lines_seen, lines_lost, counts (per pattern),
match_count, matches (first 50 {"pattern", "line"}), blocked_max, blocked_examples,
waiting_locks_max, deadlocks (delta), samples, sample_errors, database.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path
from typing import Any, Callable

import psycopg

from wizard.errors import WizardError
from wizard.redact import redact
from wizard.runbook.model import Step
from wizard.steps.base import StepContext, StepFailure
from wizard.steps.sqlrun import StepCancelled

DEFAULT_PATTERNS = ["ERROR", "connection failed", "deadlock detected"]
MAX_MATCHES = 50
MAX_READ = 8 << 20
TICK_S = 0.25

SAMPLE_SQL = """
select
  (select count(*) from pg_stat_activity where cardinality(pg_blocking_pids(pid)) > 0) as blocked,
  (select count(*) from pg_locks where not granted) as waiting_locks,
  (select deadlocks from pg_stat_database where datname = current_database()) as deadlocks,
  current_database() as database
"""
BLOCKED_SQL = """
select pid, pg_blocking_pids(pid) as blocked_by, wait_event_type, wait_event, state,
       left(query, 200) as query, extract(epoch from now() - query_start)::float8 as waiting_s
from pg_stat_activity where cardinality(pg_blocking_pids(pid)) > 0 order by pid limit 5
"""


class FileFollower:
    """New lines of a file, surviving truncation and rotation (a new inode starts over)."""

    def __init__(self, path: Path, from_start: bool) -> None:
        self.path = path
        self.partial = ""
        try:
            st = path.stat()
        except FileNotFoundError:
            raise StepFailure(f"log file not found: {path}") from None
        except PermissionError:
            raise StepFailure(f"cannot read the log file {path}: permission denied") from None
        self.inode = st.st_ino
        self.pos = 0 if from_start else st.st_size
        self.lost = 0

    def read_new(self) -> list[str]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return []
        if st.st_ino != self.inode or st.st_size < self.pos:
            self.inode, self.pos, self.partial = st.st_ino, 0, ""
        if st.st_size <= self.pos:
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self.pos)
            chunk = handle.read(min(st.st_size - self.pos, MAX_READ))
        self.pos += len(chunk)
        lines = (self.partial + chunk.decode(errors="replace")).split("\n")
        self.partial = lines.pop()
        return [line.rstrip("\r") for line in lines]

    def flush(self) -> list[str]:
        rest, self.partial = self.partial, ""
        return [rest] if rest else []


class ServiceFollower:
    def __init__(self, handle: Any, from_start: bool) -> None:
        self.handle = handle
        self.pos = handle.logs.oldest_position() if from_start else handle.logs.total
        self.lost = 0

    def read_new(self) -> list[str]:
        lines, self.pos, lost = self.handle.logs.since(self.pos)
        self.lost += lost
        return lines

    def flush(self) -> list[str]:
        return []


class NoLog:
    lost = 0

    def read_new(self) -> list[str]:
        return []

    def flush(self) -> list[str]:
        return []


def _matchers(patterns: list[str]) -> list[tuple[str, Callable[[str], bool]]]:
    found = []
    for pattern in patterns:
        if pattern.startswith("re:"):
            try:
                rx = re.compile(pattern[3:])
            except re.error as exc:
                raise StepFailure(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
            found.append((pattern, lambda line, rx=rx: rx.search(line) is not None))
        else:
            found.append((pattern, lambda line, p=pattern: p in line))
    return found


def duration_for(step: Step, ctx: StepContext) -> float:
    if ctx.env.kind == "sandbox" and "rehearsal_duration_s" in step.params:
        return float(step.params["rehearsal_duration_s"])
    return float(step.params.get("duration_s", 1800))


def _source(step: Step, ctx: StepContext) -> tuple[Any, str]:
    from_start = bool(step.params.get("from_start", False))
    if step.params.get("service"):
        from wizard.steps.service import find_service

        name = str(step.params["service"])
        return ServiceFollower(find_service(ctx, name), from_start), f"output of the {name} service"
    if step.params.get("file"):
        path = ctx.path(str(step.params["file"]))
        return FileFollower(path, from_start), str(path)
    if step.params.get("source") == "database_log":
        if ctx.env.kind == "sandbox":
            from wizard.rehearsal import clusters

            path = clusters.cluster_dir(ctx.env.name) / "server.log"
            return FileFollower(path, from_start), f"{ctx.env.name} server log ({path})"
        return NoLog(), f"no log file for {ctx.env.name} (database sampled only; set `file` to follow one)"
    raise StepFailure("a monitor step needs service, file or source = \"database_log\"")


def preview(step: Step, ctx: StepContext) -> dict[str, str]:
    patterns = step.params.get("patterns", DEFAULT_PATTERNS)
    duration = duration_for(step, ctx)
    grep = "\\|".join(p[3:] if p.startswith("re:") else p for p in patterns)
    if step.params.get("service"):
        follow = f"timeout {duration:g} <output of the {step.params['service']} service> | grep '{grep}'\n"
    elif step.params.get("file"):
        follow = f"timeout {duration:g} tail -F {ctx.expand(str(step.params['file']))} | grep --line-buffered '{grep}'\n"
    elif ctx.env.kind == "sandbox":
        follow = f"timeout {duration:g} tail -F <{ctx.env.name} server log> | grep --line-buffered '{grep}'\n"
    else:
        follow = f"# no log file for {ctx.env.name} (set `file` to follow one): the database is sampled for {duration:g} s\n"
    text = (follow + f"# and every {step.params.get('sample_every_s', 10)} s:\n"
            "select count(*) from pg_stat_activity where cardinality(pg_blocking_pids(pid)) > 0;\n"
            "select deadlocks from pg_stat_database where datname = current_database();")
    return {"language": "bash", "text": text}


async def _sample(ctx: StepContext) -> dict[str, Any]:
    conn = await ctx.connection()
    cur = await conn.execute(SAMPLE_SQL)
    blocked, waiting, deadlocks, database = await cur.fetchone()
    sample = {"blocked": int(blocked), "waiting_locks": int(waiting), "deadlocks": int(deadlocks or 0),
              "database": database}
    if blocked:
        cur = await conn.execute(BLOCKED_SQL)
        names = [d.name for d in cur.description]
        sample["examples"] = [{k: (list(v) if isinstance(v, list) else v) for k, v in zip(names, row)}
                              for row in await cur.fetchall()]
    return sample


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    duration = max(0.0, duration_for(step, ctx))
    patterns = [str(p) for p in step.params.get("patterns", DEFAULT_PATTERNS)]
    matchers = _matchers(patterns)
    sample_db = bool(step.params.get("sample_db", True))
    every = float(step.params.get("sample_every_s", 10))
    if duration > 0:
        every = min(every, max(0.2, duration / 5))
    fail_on_match = bool(step.params.get("fail_on_match", True))
    progress = ctx.resources.get("progress")
    follower, source = _source(step, ctx)

    counts = {p: 0 for p in patterns}
    matches: list[dict[str, str]] = []
    data: dict[str, Any] = {"source": source, "duration_s": duration, "patterns": patterns}
    lines_seen = 0
    samples = 0
    sample_errors: list[str] = []
    blocked_max = 0
    waiting_max = 0
    blocked_examples: list[dict[str, Any]] = []
    deadlocks_start: int | None = None
    deadlocks_end: int | None = None
    database = None

    def scan(lines: list[str]) -> None:
        nonlocal lines_seen
        for line in lines:
            lines_seen += 1
            for pattern, hit in matchers:
                if hit(line):
                    counts[pattern] += 1
                    if len(matches) < MAX_MATCHES:
                        matches.append({"pattern": pattern, "line": redact(line[:500])})

    async def take_sample() -> None:
        nonlocal samples, blocked_max, waiting_max, deadlocks_start, deadlocks_end, database, blocked_examples
        try:
            sample = await _sample(ctx)
        except (psycopg.Error, WizardError, OSError) as exc:
            text = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            if len(sample_errors) < 5:
                sample_errors.append(text)
            return
        samples += 1
        database = sample["database"]
        if deadlocks_start is None:
            deadlocks_start = sample["deadlocks"]
        deadlocks_end = sample["deadlocks"]
        waiting_max = max(waiting_max, sample["waiting_locks"])
        if sample["blocked"] > blocked_max:
            blocked_max = sample["blocked"]
            blocked_examples = sample.get("examples", [])

    def report(elapsed: float) -> None:
        if callable(progress):
            left = max(0.0, duration - elapsed)
            found = sum(counts.values())
            text = (f"{left:,.0f} s left · {lines_seen} lines · {found} matches · blocked max {blocked_max}")
            try:
                progress(min(1.0, elapsed / duration) if duration else 1.0, text)
            except Exception:  # noqa: BLE001 - a display problem must not stop the watch
                pass

    started = time.monotonic()
    if sample_db:
        await take_sample()
    next_sample = started + every
    exited: int | None = None
    while True:
        scan(follower.read_new())
        now = time.monotonic()
        elapsed = now - started
        report(elapsed)
        if isinstance(follower, ServiceFollower) and not follower.handle.process.running:
            exited = follower.handle.process.returncode
            await asyncio.sleep(0.1)
            scan(follower.read_new())
            break
        if elapsed >= duration:
            break
        if sample_db and now >= next_sample:
            await take_sample()
            next_sample = now + every
        wait = min(TICK_S, max(0.0, duration - (time.monotonic() - started)))
        try:
            await asyncio.wait_for(ctx.cancelled.wait(), wait)
        except asyncio.TimeoutError:
            pass
        if ctx.cancelled.is_set():
            raise StepCancelled(f"monitoring cancelled by the operator after {time.monotonic() - started:,.0f} s "
                                f"({lines_seen} lines, {sum(counts.values())} matches)")
    scan(follower.read_new() + follower.flush())
    if sample_db:
        await take_sample()
    report(duration)

    data.update({
        "elapsed_s": round(time.monotonic() - started, 3),
        "lines_seen": lines_seen,
        "lines_lost": follower.lost,
        "counts": counts,
        "match_count": sum(counts.values()),
        "matches": matches,
        "blocked_max": blocked_max,
        "blocked_examples": blocked_examples,
        "waiting_locks_max": waiting_max,
        "deadlocks": (deadlocks_end - deadlocks_start) if deadlocks_start is not None and deadlocks_end is not None else 0,
        "samples": samples,
        "sample_errors": sample_errors,
        "database": database,
    })
    if exited is not None:
        data["service_exit_code"] = exited
    problems = []
    if exited is not None:
        problems.append(f"the {step.params['service']} service exited (code {exited}) during monitoring")
    if data["match_count"]:
        tally = ", ".join(f"{p} ×{n}" for p, n in counts.items() if n)
        shown = "\n".join(f"  {m['line']}" for m in matches[:3])
        problems.append(f"{tally} in {source}; first matching lines:\n{shown}")
    if data["deadlocks"]:
        problems.append(f"{data['deadlocks']} deadlock(s) on database {database} while watching "
                        f"(pg_stat_database.deadlocks went {deadlocks_start} → {deadlocks_end})")
    if sample_db and sample_errors:
        problems.append(f"database sampling: connection failed ({sample_errors[0]})")
    if problems and fail_on_match:
        raise StepFailure("; ".join(problems), data)
    return data
