"""What every export reads: the journal replayed once, grouped into step attempts, with the runbook.

Numbers come only from the journal. The runbook supplies words (titles, estimates, the day plan);
the shipped SQL files supply query names and descriptions for multi-query steps. Nothing here
looks at the clock: the exports are dated by the journal's last event, so the same journal
always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard import paths
from wizard.journal import Verification, verify
from wizard.results import OK_STATUSES, StepResult
from wizard.runbook import load_runbook
from wizard.runbook.model import Runbook, Task
from wizard.state import RunState, replay

DB_KINDS = ("query", "migration")
NOT_RUN = "not run yet"
MARKS = {"passed": "✅", "attested": "✅", "skipped": "⏭", "failed": "❌", "error": "❌", "cancelled": "⏹",
         "interrupted": "⚠", "running": "⏳", NOT_RUN: "⏳"}


@dataclass
class Attempt:
    """One run of one step on one environment: from step_started to step_finished."""

    env: str
    task: str
    step: str
    kind: str
    title: str
    started_at: str
    started_seq: int
    role: str | None = None
    save_as: str | None = None
    finished_at: str | None = None
    result: StepResult | None = None
    sql: list[str] = field(default_factory=list)
    sql_lines: list[int] = field(default_factory=list)  # journal lines of SQL not read yet (offline review)
    answers: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False
    fingerprint: dict[str, Any] | None = None  # the server this environment was connected to

    @property
    def status(self) -> str:
        if self.result is not None:
            return self.result.status
        return "interrupted" if self.interrupted else "running"

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.status in OK_STATUSES

    @property
    def duration_s(self) -> float:
        return self.result.duration_s if self.result else 0.0

    @property
    def data(self) -> dict[str, Any]:
        return self.result.data if self.result else {}


@dataclass
class EnvInfo:
    name: str
    environment: dict[str, Any]
    fingerprint: dict[str, Any]
    first_connected: str
    connections: int = 1


@dataclass
class TaskTime:
    task: Task
    attempts: list[Attempt]

    @property
    def started(self) -> str | None:
        return min((a.started_at for a in self.attempts), default=None)

    @property
    def ended(self) -> str | None:
        return max((a.finished_at for a in self.attempts if a.finished_at), default=None)

    @property
    def active_s(self) -> float:
        return sum(a.duration_s for a in self.attempts)

    @property
    def span_s(self) -> float | None:
        if not self.started or not self.ended:
            return None
        return (parse_ts(self.ended) - parse_ts(self.started)).total_seconds()

    def verdict(self) -> str:
        """The task's state: each step's latest attempt decides (optional steps may fail)."""
        if not self.attempts:
            return NOT_RUN
        latest: dict[str, Attempt] = {}
        for attempt in self.attempts:
            latest[attempt.step] = attempt
        optional = {s.id for s in self.task.steps if s.optional}
        missing = [s.id for s in self.task.steps if s.id not in latest]
        bad = [a for a in latest.values() if not a.ok and a.step not in optional]
        if any(a.status in ("running", "interrupted") for a in bad):
            return "interrupted"
        if bad:
            return bad[-1].status
        if missing:
            return "partly run"
        return "passed"


class ExportContext:
    def __init__(self, journal_path: Path, *, runbook_path: Path | None = None, sql_dir: Path | None = None,
                 week2_path: Path | None = None, events: list[dict[str, Any]] | None = None) -> None:
        """Reads and verifies the journal; given `events` (already read), verification is left to
        the caller (`self.verification` stays None until it is set), as the review screen does."""
        self.journal_path = Path(journal_path)
        self.verification: Verification | None = None
        if events is None:
            self.verification = verify(self.journal_path)
            events = self.verification.outcome.events
        self.events = events
        self.state: RunState = replay(self.events)
        self.runbook, self.runbook_note = self._runbook(runbook_path)
        self.sql_dir = sql_dir
        self.week2_path = week2_path or Path(__file__).resolve().parent.parent / "rehearsal" / "week2.toml"
        self.attempts: list[Attempt] = []
        self.envs: dict[str, EnvInfo] = {}
        self.notes: list[dict[str, Any]] = []
        self.left_out: list[str] = []
        self.answer_sources: set[str] = set()
        self._by_task: dict[str, list[Attempt]] | None = None
        self._by_task_count = 0
        self._walk()

    # --- reading ---------------------------------------------------------------------------------
    def _runbook(self, explicit: Path | None) -> tuple[Runbook, str]:
        recorded = self.state.runbook
        if explicit is not None:
            return load_runbook(explicit), ""
        path = Path(recorded.get("runbook_path") or "")
        if recorded.get("runbook_path") and path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest == recorded.get("runbook_sha256"):
                return load_runbook(path), ""
            return load_runbook(path), (f"the runbook file has changed since the run (sha256 {digest[:12]} now, "
                                        f"{str(recorded.get('runbook_sha256'))[:12]} during the run): titles and estimates are today's")
        note = "the runbook file of the run is not here; titles and estimates come from the shipped runbook" if recorded else ""
        return load_runbook(), note

    def _walk(self) -> None:
        open_attempts: dict[tuple[str, str], Attempt] = {}
        connected: dict[str, dict[str, Any]] = {}
        for event in self.events:
            kind = event.get("type")
            env = event.get("env", "")
            if kind == "env_connected":
                fp = event.get("fingerprint") or {}
                connected[env] = fp
                if env in self.envs:
                    self.envs[env].connections += 1
                    self.envs[env].fingerprint = fp
                else:
                    self.envs[env] = EnvInfo(env, event.get("environment") or {}, fp, event.get("ts", ""))
            elif kind == "step_started":
                attempt = Attempt(env, event.get("task", ""), event["step"], event.get("kind", ""), event.get("title", ""),
                                  event.get("ts", ""), event.get("seq", -1))
                previous = open_attempts.get((env, attempt.step))
                if previous is not None:
                    previous.interrupted = True
                open_attempts[(env, attempt.step)] = attempt
                self.attempts.append(attempt)
            elif kind == "sql":
                attempt = open_attempts.get((env, event.get("step", "")))
                if attempt is not None:
                    if "text" in event:
                        attempt.sql.append(event["text"])
                    else:  # read lazily by the offline review (see screens/review_data.py)
                        attempt.sql_lines.append(event.get("line", -1))
            elif kind == "answer":
                attempt = open_attempts.get((env, event.get("step", "")))
                if attempt is not None:
                    attempt.answers.append({"value": event.get("value"), "source": event.get("source")})
                if event.get("source"):
                    self.answer_sources.add(str(event["source"]))
            elif kind == "step_interrupted":
                for attempt in reversed(self.attempts):
                    if attempt.env == env and attempt.step == event.get("step") and attempt.result is None:
                        attempt.interrupted = True
                        break
            elif kind == "step_finished":
                result = StepResult.from_dict(event["result"])
                attempt = open_attempts.pop((env, result.step_id), None)
                if attempt is None:  # a finish without its start (an older journal): keep it anyway
                    attempt = Attempt(env, event.get("task", ""), result.step_id, result.kind, "", result.started_at, event.get("seq", -1))
                    self.attempts.append(attempt)
                attempt.result = result
                attempt.finished_at = event.get("ts")
                attempt.role = event.get("role")
                attempt.save_as = event.get("save_as")
                if attempt.kind in DB_KINDS:
                    attempt.fingerprint = connected.get(env)
            elif kind == "note":
                self.notes.append(event)
                if isinstance(event.get("tasks"), list) and "not rehearsed" in str(event.get("text", "")):
                    self.left_out += [t for t in event["tasks"] if t not in self.left_out]

    # --- questions the documents ask ---------------------------------------------------------------
    @property
    def rehearsal(self) -> bool:
        kinds = {info.environment.get("kind") for info in self.envs.values()}
        return "sandbox" in kinds or "rehearsal answers" in self.answer_sources

    @property
    def last_event_at(self) -> str:
        return self.state.last_event_at or ""

    @property
    def run_id(self) -> str:
        return self.state.run_id or "(empty journal)"

    def fact(self, name: str) -> dict[str, Any] | None:
        value = self.state.facts.get(name)
        return value if isinstance(value, dict) else None

    def fact_attempt(self, name: str) -> Attempt | None:
        for attempt in reversed(self.attempts):
            if attempt.save_as == name and attempt.ok:
                return attempt
        return None

    def last(self, step_id: str, *, ok: bool = False) -> Attempt | None:
        for attempt in reversed(self.attempts):
            if attempt.step == step_id and attempt.result is not None and (attempt.ok or not ok):
                return attempt
        return None

    def task_time(self, task: Task) -> TaskTime:
        if self._by_task is None or self._by_task_count != len(self.attempts):
            self._by_task = {}
            for attempt in self.attempts:
                self._by_task.setdefault(attempt.task, []).append(attempt)
            self._by_task_count = len(self.attempts)
        return TaskTime(task, list(self._by_task.get(task.id, [])))

    def task_status_text(self, task: Task) -> str:
        verdict = self.task_time(task).verdict()
        if verdict == NOT_RUN and task.id in self.left_out:
            return f"{NOT_RUN} (left out of the rehearsal: it needs the application checks)"
        return verdict

    def integrity_text(self) -> str:
        v = self.verification
        count = len(self.events)
        if v is None:
            return "not checked yet"
        if v.intact:
            extra = "; the last line was torn by a crash and is ignored" if v.outcome.torn_tail else ""
            return f"intact ({count} events, hash chain unbroken{extra})"
        first = v.first
        return f"BROKEN: {first.what} (line {first.line}); {len(v.problems)} problem(s) in all"  # type: ignore[union-attr]

    def env_line(self, env: str) -> str:
        info = self.envs.get(env)
        if info is None:
            return env
        e = info.environment
        return f"{env} ({e.get('kind', '?')}, plays {e.get('role', '?')})"

    def server_text(self, fp: dict[str, Any] | None) -> str:
        if not fp:
            return ""
        return f"{fp.get('system_identifier')}/{fp.get('database')}"

    def named_queries(self, attempt: Attempt) -> list[tuple[str, str, str, dict[str, Any], str]]:
        """A multi-query step's results in the order they ran: (name, description, section, table, sql).

        The journal keeps each query's SQL in run order and the results by name; the shipped SQL
        file's `-- @query` markers tie the two together and give each query its description.
        """
        queries = dict(attempt.data.get("queries") or {})
        described: dict[str, tuple[str, str, str]] = {}  # sql text -> (name, description, section)
        try:
            step = self.runbook.step(attempt.step)
            sql_file = str(step.params.get("sql_file", ""))
        except KeyError:
            sql_file = ""
        if "{sql}" in sql_file:
            from wizard.analysis import split_queries

            folder = self.sql_dir or paths.sql_dir()
            try:
                text = (Path(folder) / sql_file.replace("{sql}", "").lstrip("/")).read_text()
            except OSError:
                text = ""
            for q in split_queries(text):
                described[q.sql.strip()] = (q.name, q.description, q.section)
        ordered: list[tuple[str, str, str, dict[str, Any], str]] = []
        for sql in attempt.sql:
            name, description, section = described.get(sql.strip(), ("", "", ""))
            if name in queries:
                ordered.append((name, description, section, queries.pop(name), sql))
        for name in sorted(queries):
            ordered.append((name, "", "", queries[name], ""))
        return ordered


# --- formatting shared by the documents ----------------------------------------------------------

def parse_ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def fmt_ts(value: str | None, *, date: bool = True, ms: bool = True) -> str:
    if not value:
        return NOT_RUN
    try:
        moment = parse_ts(value).astimezone(dt.timezone.utc)
    except ValueError:
        return value
    text = moment.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")
    if ms:
        text += f".{moment.microsecond // 1000:03d}"
    return text + " UTC"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return NOT_RUN
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def fmt_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest:02d} min" if rest else "")


def cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def md_cell(value: Any) -> str:
    return cell(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def md_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(md_cell(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in rows]
    return out


def mark(status: str) -> str:
    return MARKS.get(status, "•")


def core_order(ctx: ExportContext, counts: dict[str, Any]) -> list[str]:
    """Core tables in the runbook's order (moves, cohorts, campaigns, assets), then any others."""
    declared = [t for t in ctx.runbook.facts.get("core_tables", []) if t in counts]
    return declared + sorted(t for t in counts if t not in declared)


def counts_text(ctx: ExportContext, counts: dict[str, Any] | None) -> str:
    if not counts:
        return NOT_RUN
    return " · ".join(f"{t} {counts[t]}" for t in core_order(ctx, counts))


def rows_as_map(table: dict[str, Any] | None, key: str, value: str) -> dict[str, Any]:
    return {r.get(key): r.get(value) for r in (table or {}).get("rows", [])}
