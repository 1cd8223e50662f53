"""What every export reads: the journal's fold (its step attempts and states) with the runbook.

Numbers come only from the journal. The runbook supplies words (titles, estimates, the day plan);
the shipped SQL files supply query names and descriptions for multi-query steps. Nothing here
looks at the clock: the exports are dated by the journal's last event, so the same journal
always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard import paths
from wizard.journal import Verification, verify
from wizard.journal.fold import (ATTESTED, NOT_STARTED, OPTIONAL_FAILED, PARTLY_DONE, PASSED, SKIPPED, STOPPED, Attempt,
                                 DayState, Fold, replay)
from wizard.journal.status import recorded_runbook
from wizard.runbook.model import Day, Runbook, Task

NOT_RUN = "not run yet"
# The documents' words for the fold's states (the fold decides; the documents only word it).
WORDS = {NOT_STARTED: NOT_RUN, PARTLY_DONE: "partly run", ATTESTED: PASSED, SKIPPED: PASSED}
MARKS = {"passed": "✅", "attested": "✅", "skipped": "⏭", "failed": "❌", "error": "❌", "cancelled": "⏹",
         "interrupted": "⚠", "running": "⏳", NOT_RUN: "⏳", NOT_STARTED: "⏳", OPTIONAL_FAILED: "✅"}


def word(state: str) -> str:
    return WORDS.get(state, state)


@dataclass
class TaskTime:
    task: Task
    attempts: list[Attempt]
    state: str  # decided by the fold

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


class ExportContext:
    def __init__(self, journal_path: Path, *, runbook_path: Path | None = None, sql_dir: Path | None = None,
                 week2_path: Path | None = None, fold: Fold | None = None) -> None:
        """Reads and verifies the journal; given a `fold` (already fed), verification is left to
        the caller (`self.verification` stays None until it is set), as the review screen does."""
        self.journal_path = Path(journal_path)
        self.verification: Verification | None = None
        if fold is None:
            self.verification = verify(self.journal_path)
            fold = replay(self.verification.outcome.events)
        self.state: Fold = fold
        self.runbook, self.runbook_note = recorded_runbook(fold, runbook_path)
        self.sql_dir = sql_dir
        self.report = self.runbook.report
        self.week = self.report.week or week_number(self.runbook.title) or 1
        named = str(self.runbook.next_week.get("runbook") or "")
        # The next week's runbook is the one this runbook names, beside it (or the one given).
        self.week2_path: Path | None = week2_path or (Path(self.runbook.path).parent / named if named else None)
        self.attempts = fold.attempts
        self.envs = fold.envs
        self.notes = fold.notes
        self.left_out = fold.left_out
        self.answer_sources = fold.answer_sources

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

    def next_week_runbook(self) -> tuple[Runbook | None, str]:
        """The next week's runbook and a problem text (empty when it loaded; both empty when none is named)."""
        from wizard.errors import WizardError
        from wizard.runbook import load_runbook

        if self.week2_path is None:
            return None, ""
        try:
            return load_runbook(self.week2_path), ""
        except WizardError as exc:
            return None, str(exc)

    def fact(self, name: str) -> dict[str, Any] | None:
        value = self.state.facts.get(name)
        return value if isinstance(value, dict) else None

    def pick(self, fact: str, path: str = "") -> Any:
        """A saved result, or the value at a dotted path inside it ("queries.table_count.scalar"); None when absent."""
        value: Any = self.state.facts.get(fact)
        for part in filter(None, path.split(".")):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def first_measured(self, sources: Any) -> tuple[Any, str]:
        """The first of the runbook's sources (in its order of preference) that was measured, and where."""
        for source in sources:
            value = self.pick(source.fact, source.path)
            if value is not None:
                return value, source.where
        return None, NOT_RUN

    def counts(self, fact: str, path: str = "") -> dict[str, Any]:
        """Row counts by table, from a saved {table: n} map or a query's table_name/row_count rows."""
        value = self.pick(fact, path)
        if isinstance(value, dict) and "rows" in value:
            return rows_as_map(value, "table_name", "row_count")
        return value if isinstance(value, dict) else {}

    def task_of(self, step_id: str) -> str:
        task = self.runbook.task_of(step_id)
        return task.id if task else "?"

    def file(self, key: str) -> str:
        return self.report.file(key, self.week)

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
        return TaskTime(task, list(self.state.task_attempts(task.id)), self.state.task_state(task))

    def task_status_text(self, task: Task) -> str:
        state = self.state.task_state(task)
        if state == NOT_STARTED and task.id in self.left_out:
            return f"{NOT_RUN} (left out of the rehearsal: it needs the application checks)"
        if state == OPTIONAL_FAILED:
            failed = ", ".join(f"{step} {how}" for step, how in self.state.optional_failures(task))
            return f"{PASSED} (optional step {failed})"
        return word(state)

    def day_state(self, day: Day) -> DayState:
        return self.state.day_state(day)

    def day_status_text(self, day: Day) -> str:
        decided = self.state.day_state(day)
        if decided.verdict == PARTLY_DONE:
            return f"partly run ({decided.done} of {decided.total} tasks passed)"
        if decided.verdict.startswith(STOPPED):
            return "stopped"
        return word(decided.verdict)

    def integrity_text(self) -> str:
        v = self.verification
        count = self.state.event_count
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

def week_number(title: str) -> int | None:
    """"Week 2: Codex Schema Creation — …" → 2; None for a runbook not named after a week."""
    found = re.match(r"\s*Week\s+(\d+)\b", title)
    return int(found.group(1)) if found else None


def week_name(title: str) -> str:
    """"Week 2: Codex Schema Creation — Day-by-Day …" → "Codex Schema Creation"."""
    return re.sub(r"^\s*Week\s+\d+\s*:\s*", "", title.split(" — ")[0])


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
