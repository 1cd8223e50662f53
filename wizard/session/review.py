"""What the offline review shows, read from a saved journal with no database and no engine.

Three stages, so the first screen never waits for a large journal:
  1. the line index (one read of the file, in the load thread, whose lines the fold then reads):
     then the event log shows any part of the journal;
  2. the fold (the same thread): every line fed to a Fold (Fold.feed_lines), the SQL texts and
     results' data left on disk until a step is opened; gives the week overview, steps,
     verdicts, timings, results;
  3. the chain check: its fast check runs in a second process (wizard/journal/chain.py, started
     with the app, on the other core), then `wizard.journal.verify` for the integrity status;
     a chain that does not hold is read again in full, which names the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from wizard.journal.fold import ATTESTED, FAILED, PASSED, SKIPPED, STOPPED, Attempt
from wizard.journal.index import JournalIndex

if TYPE_CHECKING:  # the replay's modules load in the worker thread, not before the first frame
    from wizard.exports.context import ExportContext
    from wizard.journal import ReadOutcome, Verification
    from wizard.results import StepResult
    from wizard.runbook.model import Step, Task

__all__ = ["ATTESTED", "FAILED", "NOT_RUN", "PASSED", "SKIPPED", "STOPPED", "Attempt", "JournalIndex", "ReviewData",
           "export_documents", "fmt_duration", "fmt_ts", "overall_verdict", "verdict_word"]

NOT_RUN = "not run yet"

PROGRESS_EVERY = 5000
PROGRESS_SECONDS = 0.5  # at most two progress updates a second, the first after half a second: each repaints


@dataclass
class ReviewData:
    path: Path
    index: JournalIndex
    context: ExportContext | None = None
    verification: Verification | None = None
    problem_lines: dict[int, str] = field(default_factory=dict)  # 0-based line -> problem kind
    load_error: str | None = None
    runbook_path: Path | None = None  # default: the runbook the journal names, else the shipped one
    sql_dir: Path | None = None
    _chain: Any = None  # the chain's fast check, running in a second process while loading (ChainCheckProcess)

    @classmethod
    def open(cls, path: Path, *, runbook_path: Path | None = None, sql_dir: Path | None = None,
             index_now: bool = True) -> "ReviewData":
        """index_now=False: the line index is built by load() (in its thread), not before the first frame."""
        return cls(Path(path), JournalIndex(Path(path), build=index_now), runbook_path=runbook_path, sql_dir=sql_dir)

    # --- stage 2: the replay ------------------------------------------------------------------
    def load(self, progress: Callable[[int, int], None] | None = None) -> ExportContext:
        import gc
        import time

        from wizard.exports.context import ExportContext
        from wizard.journal.fold import Fold
        from wizard.journal.store import ChainCheckProcess

        lines = self.index.refresh_lines(keepends=True)  # stage 1 (when open() left it to this thread) and every line, from one read
        if self._chain is None:  # the chain is checked in a second process, on the other core, while this one folds
            self._chain = ChainCheckProcess(self.path, self.index.end)
        fold = Fold(load=self.index.event)
        total = len(self.index)
        next_progress = time.monotonic() + PROGRESS_SECONDS  # a journal read in less says nothing until it is done

        def tick(i: int) -> None:
            nonlocal next_progress
            if (now := time.monotonic()) >= next_progress:
                next_progress = now + PROGRESS_SECONDS  # each update repaints the screen, on the thread the fold shares
                progress(i, total)  # type: ignore[misc]

        collecting = gc.isenabled()
        gc.disable()  # the fold makes ~10 objects an event and frees none: the collector would only walk them
        try:
            # Most events are fed off their heads (no dict made, SQL texts and results' data skipped).
            fold.feed_lines(lines, tick if progress is not None else None, PROGRESS_EVERY)
        finally:
            if collecting:
                # Made with the collector off, the fold's objects (about ten an event, alive as long as
                # the review) sit in its youngest generation, whose next pass would walk them all (~0.1 s
                # before the week is shown). freeze + unfreeze moves them to the oldest one, unwalked;
                # a later full collection still sees them.
                gc.freeze()
                gc.unfreeze()
                gc.enable()
        if progress is not None:
            progress(total, total)
        self.context = ExportContext(self.path, fold=fold, runbook_path=self.runbook_path, sql_dir=self.sql_dir)
        return self.context

    def start_check(self) -> None:
        """Start the chain's check (a second process) now, over the file as it is: a saved journal's
        integrity is then known about when its fold is; a journal that grew meanwhile is checked
        again here, in full, by check()."""
        from wizard.journal.store import ChainCheckProcess

        if self._chain is None:
            try:
                size = self.path.stat().st_size
            except OSError:
                return
            self._chain = ChainCheckProcess(self.path, size)

    def _by_seq(self, seq: int) -> dict[str, Any] | None:
        return self.index.event(seq) if isinstance(seq, int) and 0 <= seq < len(self.index) else None

    def _fast_check(self) -> ReadOutcome | None:
        """The chain's fast check: the second process's answer, else (it failed) made here."""
        from wizard.journal.store import FastChain, chain_outcome

        chain, self._chain = self._chain, None
        found = chain.result() if chain is not None else None
        if found is None:
            scan = FastChain()
            for _, line in self.index.lines():
                scan.feed(line)
            found = (scan.held, scan.count, scan.flagged)
        held, count, flagged = found
        if not held or not count or count != len(self.index):
            return None
        return chain_outcome(held, count, flagged, self.index.line(count - 1), self.index.torn, self._by_seq)

    # --- stage 3: the chain -------------------------------------------------------------------
    def check_done(self) -> bool:
        """Whether check() has its answer already (the second process finished): it returns at once."""
        return self._chain is not None and self._chain.done()

    def check(self) -> Verification:
        from wizard.journal import verify

        # The fast check ran beside the fold; only a chain that did not hold is read again (in full).
        checked = self._fast_check()
        result = verify(self.path, fast=False, checked=checked)
        self.verification = result
        self.problem_lines = {p.line - 1: p.kind for p in result.problems if p.line}
        if self.context is not None:
            self.context.verification = result
        return result

    def close(self) -> None:
        """Stop the chain's check if it still runs (the review was closed before it finished)."""
        if self._chain is not None:
            self._chain.cancel()
            self._chain = None

    # --- reading a step -------------------------------------------------------------------------
    def sql_of(self, attempt: Attempt) -> list[str]:
        """The SQL an attempt ran, read from the journal the first time it is asked for."""
        if attempt.sql_lines:
            texts = []
            for line in attempt.sql_lines:
                event = self.index.event(line) if line >= 0 else None
                texts.append(str((event or {}).get("text", "")))
            attempt.sql = texts + attempt.sql
            attempt.sql_lines = []
        return attempt.sql

    def ordered_result(self, attempt: Attempt) -> StepResult | None:
        """The attempt's result with a multi-query step's results in the order they ran."""
        result = attempt.result
        if result is None or self.context is None or "queries" not in result.data:
            return result
        from wizard.journal.fold import plain_result

        self.sql_of(attempt)
        ordered = {name: table for name, _d, _s, table, _sql in self.context.named_queries(attempt)}
        return plain_result(result, data={**result.data, "queries": ordered})

    def what_ran(self, step: Step, attempt: Attempt | None) -> dict[str, str]:
        """The text shown where the live wizard shows a preview: what this attempt actually ran."""
        if attempt is None:
            return {"language": "text", "text": f"{NOT_RUN}: this step has no run in the journal."}
        data = attempt.data
        from wizard.steps import needs_database

        if needs_database(attempt.kind):
            sql = self.sql_of(attempt)
            if sql:
                return {"language": "sql", "text": "\n\n".join(s.strip() for s in sql)}
            return {"language": "text", "text": "(no SQL was sent: the step stopped before it)"}
        if attempt.kind == "command":
            return {"language": "bash", "text": f"cd {data.get('cwd', '')}\n{' '.join(map(str, data.get('argv') or []))}"}
        if attempt.kind == "attest":
            answers = ", ".join(f"{a.get('value')} ({a.get('source')})" for a in attempt.answers) or "(none recorded)"
            return {"language": "text", "text": f"{step.params.get('question', step.title)}\n\nanswer: {answers}"}
        if attempt.kind == "file_check":
            return {"language": "text", "text": f"read and parsed {data.get('path', step.params.get('path', ''))}"}
        if attempt.kind == "code_search":
            return {"language": "text", "text": f"searched {data.get('root', '')} for {', '.join(data.get('tables') or [])}"}
        return {"language": "text", "text": json.dumps(step.params, indent=2, default=str)}

    # --- rows for the screens ---------------------------------------------------------------------
    def task_attempts(self, task: Task) -> list[Attempt]:
        return self.context.task_time(task).attempts if self.context else []

    def envs_of(self, task: Task) -> str:
        envs: list[str] = []
        for attempt in self.task_attempts(task):
            if attempt.env not in envs:
                envs.append(attempt.env)
        return ", ".join(envs)

    def actual(self, task: Task) -> str:
        from wizard.exports.context import fmt_duration

        if self.context is None:
            return ""
        timing = self.context.task_time(task)
        return fmt_duration(timing.active_s) if timing.attempts else NOT_RUN


# --- what the review screens use besides ReviewData (read lazily: the first paint needs none of it)

def verdict_word(state: str) -> str:
    """The fold's task or day state as the review marks and colours it: attested and skipped tasks
    count as passed (as the documents word them), a day stopped at a task as failed."""
    if state in (ATTESTED, SKIPPED):
        return PASSED
    if state.startswith(STOPPED):
        return FAILED
    return state


def fmt_ts(value: str | None, **kw: bool) -> str:
    from wizard.exports.context import fmt_ts as fmt

    return fmt(value, **kw)


def fmt_duration(seconds: float | None) -> str:
    from wizard.exports.context import fmt_duration as fmt

    return fmt(seconds)


def export_documents(data: ReviewData, out_dir: Path) -> list[Path]:
    """The week's documents from the reviewed journal, as `migration-wizard export` writes them."""
    from wizard.exports import export_all

    return export_all(data.path, out_dir, runbook_path=data.runbook_path, sql_dir=data.sql_dir)


def overall_verdict(data: ReviewData) -> str:
    """The run's one-line verdict, as the final report states it."""
    from wizard.exports.final_report import overall

    status, _ = overall(data.context)  # type: ignore[arg-type]
    return status
