"""monitor: watch a log for a while, counting the runbook's error patterns, and sample the
database for blocked sessions and deadlocks.

The runbook keeps production logs open for 30 minutes watching for `ERROR`, `connection failed`
and `deadlock detected`. This step follows the log live (new lines only, like `tail -f`),
counts each pattern, and every `sample_every_s` asks the database how many sessions are blocked
(pg_stat_activity + pg_blocking_pids, pg_locks not granted); the deadlock count is the change in
pg_stat_database.deadlocks for the current database over the whole watch. Any match, deadlock
or failed sample fails the step with the first matching lines shown (unless fail_on_match =
false: then the expectations judge the counts).

Its parameters and result fields are declared in KIND below (docs/RUNBOOKS.md lists them).

Progress: if ctx.resources[PROGRESS] is a callable(fraction, text), it is called about four
times a second with the time left and the counts so far; ctx.resources[OUTPUT], if callable,
gets the newest lines read at each of those ticks.
"""


import asyncio
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Literal

from msgspec import Meta

from wizard.errors import WizardError
from wizard.redact import redact
from wizard.steps.base import (OUTPUT, PROGRESS, ParamProblem, Params, ResultField, StepCancelled, StepContext, StepFailure,
                               StepKind, param)

if TYPE_CHECKING:
    from wizard.runbook.model import Step

DEFAULT_PATTERNS = ("ERROR", "connection failed", "deadlock detected")
MAX_MATCHES = 50
LIVE_LINES = 20  # the newest lines of one tick passed to the live display


class MonitorParams(Params):
    service: Annotated[str | None, param("follow the output of a service started earlier in the day",
                                         examples=["backend"])] = None
    file: Annotated[str | None, param("or follow a log file (placeholders expanded)")] = None
    source: Annotated[Literal["database_log"] | None, param(
        "or database_log: the sandbox cluster's server log (elsewhere the database is only sampled)")] = None
    duration_s: Annotated[float, param("how long to watch (the runbook's 30 minutes)", ge=0)] = 1800
    rehearsal_duration_s: Annotated[Annotated[float, Meta(ge=0)] | None, param(
        "used instead of duration_s when the environment is a sandbox")] = None
    patterns: Annotated[tuple[str, ...], param(
        "case-sensitive substrings, or regular expressions written \"re:<expression>\"")] = DEFAULT_PATTERNS
    sample_every_s: Annotated[float, param(
        "seconds between database samples (never more than a fifth of the duration)", gt=0)] = 10
    sample_db: Annotated[bool, param("sample the database for blocked sessions and deadlocks")] = True
    from_start: Annotated[bool, param("also read what the service printed (or the file held) before the watch")] = False
    fail_on_match: Annotated[bool, param("a match, deadlock or failed sample fails the step "
                                         "(false: the expectations judge the counts)")] = True


def _check(p: MonitorParams) -> None:
    """One of service, file or source; every "re:" pattern is a regular expression."""
    if p.service is None and p.file is None and p.source is None:
        raise ParamProblem("service", "a monitor step needs service, file or source = \"database_log\"",
                           'Add service = "backend", file = "…", or source = "database_log".')
    for i, pattern in enumerate(p.patterns):
        if pattern.startswith("re:"):
            try:
                re.compile(pattern[3:])
            except re.error as exc:
                raise ParamProblem(f"patterns[{i}]", f"pattern {pattern!r} is not a valid regular expression "
                                   f"({exc})", "Write a Python regular expression after re:.") from None


KIND = StepKind(
    name="monitor",
    rank=100,
    description="Watches a log for the runbook's error patterns and samples the database for blocked sessions "
                "and deadlocks.",
    params=MonitorParams,
    check=_check,
    runtime_imports=("psycopg", "wizard.db", "wizard.rehearsal.clusters"),
    results=(
        ResultField("source", "string", "what was followed"),
        ResultField("duration_s", "number", "how long the watch was to last"),
        ResultField("elapsed_s", "number", "how long it lasted"),
        ResultField("patterns", "list of strings", "the patterns counted"),
        ResultField("lines_seen", "integer", "log lines read"),
        ResultField("lines_lost", "integer", "lines the service's ring buffer dropped before they were read"),
        ResultField("counts", "table", "matching lines per pattern"),
        ResultField("match_count", "integer", "matching lines in all"),
        ResultField("matches", "list of tables", f"the first {MAX_MATCHES} matches: pattern, line"),
        ResultField("blocked_max", "integer", "most sessions blocked at one sample"),
        ResultField("blocked_examples", "list of tables", "the blocked sessions at that sample"),
        ResultField("waiting_locks_max", "integer", "most ungranted locks at one sample"),
        ResultField("deadlocks", "integer", "deadlocks on the database during the watch"),
        ResultField("samples", "integer", "database samples taken"),
        ResultField("sample_errors", "list of strings", "why samples failed (the first 5)"),
        ResultField("database", "string or null", "the database sampled"),
        ResultField("service_exit_code", "integer", "when the followed service exited during the watch"),
    ),
)
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


def duration_for(p: MonitorParams, ctx: StepContext) -> float:
    if ctx.env.kind == "sandbox" and p.rehearsal_duration_s is not None:
        return p.rehearsal_duration_s
    return p.duration_s


def _source(p: MonitorParams, ctx: StepContext) -> tuple[Any, str]:
    from_start = p.from_start
    if p.service:
        from wizard.steps.service import find_service

        name = p.service
        return ServiceFollower(find_service(ctx, name), from_start), f"output of the {name} service"
    if p.file:
        path = ctx.path(p.file)
        return FileFollower(path, from_start), str(path)
    if p.source == "database_log":
        if ctx.env.kind == "sandbox":
            from wizard.rehearsal import clusters

            path = clusters.cluster_dir(ctx.env.name) / "server.log"
            return FileFollower(path, from_start), f"{ctx.env.name} server log ({path})"
        return NoLog(), f"no log file for {ctx.env.name} (database sampled only; set `file` to follow one)"
    raise StepFailure("a monitor step needs service, file or source = \"database_log\"")


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    p = KIND.read(step)
    duration = duration_for(p, ctx)
    grep = "\\|".join(pattern[3:] if pattern.startswith("re:") else pattern for pattern in p.patterns)
    if p.service:
        follow = f"timeout {duration:g} <output of the {p.service} service> | grep '{grep}'\n"
    elif p.file:
        follow = f"timeout {duration:g} tail -F {ctx.expand(p.file)} | grep --line-buffered '{grep}'\n"
    elif ctx.env.kind == "sandbox":
        follow = f"timeout {duration:g} tail -F <{ctx.env.name} server log> | grep --line-buffered '{grep}'\n"
    else:
        follow = f"# no log file for {ctx.env.name} (set `file` to follow one): the database is sampled for {duration:g} s\n"
    text = (follow + f"# and every {p.sample_every_s:g} s:\n"
            "select count(*) from pg_stat_activity where cardinality(pg_blocking_pids(pid)) > 0;\n"
            "select deadlocks from pg_stat_database where datname = current_database();")
    return {"language": "bash", "text": text}


async def _sample(ctx: StepContext) -> dict[str, Any]:
    from wizard import db

    conn = await ctx.connection()
    async with db.read_only(conn):
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


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    import psycopg

    p = KIND.read(step)
    duration = max(0.0, duration_for(p, ctx))
    patterns = list(p.patterns)
    matchers = _matchers(patterns)
    sample_db = p.sample_db
    every = p.sample_every_s
    if duration > 0:
        every = min(every, max(0.2, duration / 5))
    fail_on_match = p.fail_on_match
    progress, output = ctx.resources.get(PROGRESS), ctx.resources.get(OUTPUT)
    follower, source = _source(p, ctx)

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
        if lines and callable(output):
            output(lines[-LIVE_LINES:])
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
        problems.append(f"the {p.service} service exited (code {exited}) during monitoring")
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
