"""Session: one operator, one environment, one journal. The one path from a face to the engine.

Both faces (the CLI, the TUI) open a Session and call it: it resolves the environment, picks and
locks the journal, prepares sandboxes and rehearsals, asks for the password through the face's
dialogue, builds the engine with its guards (pins, role, production gate), runs days, tasks and
steps, cancels, exports and reports status. A guard therefore exists once, for both faces.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from wizard.environments import Environment, resolve_environment
from wizard.errors import WizardError
from wizard.journal import Journal
from wizard.results import StepProgress, StepResult
from wizard.runbook import load_runbook
from wizard.runbook.model import Runbook, Step, Task
from wizard.session.dialogue import Dialogue
from wizard.session.integrity import HistoryGuard, check_journal
from wizard.session.journals import bind_runbook, journal_path, open_journal, writer_lock

StepHook = Callable[[Task, Step], None]
ResultHook = Callable[[Task, Step, StepResult], None]
ProgressHook = Callable[[Task, Step, StepProgress], None]  # on the engine's thread, a few times a second

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class RunOutcome:
    """What one run did: a day (or some of its tasks), or one step."""

    what: str  # "monday", "task 2.3", "step 2.4.apply_012"
    env: str
    day: Any = None  # wizard.engine.DayOutcome for a day or tasks
    step_result: StepResult | None = None
    problem: WizardError | None = None  # a guard or configuration problem that stopped it

    @property
    def ok(self) -> bool:
        if self.problem is not None:
            return False
        if self.step_result is not None:
            return self.step_result.ok
        return bool(self.day is not None and self.day.ok)

    @property
    def stopped_at(self) -> str | None:
        if self.step_result is not None and not self.step_result.ok:
            return self.step_result.step_id
        return self.day.stopped_at if self.day is not None else None

    @property
    def results(self) -> list[StepResult]:
        if self.step_result is not None:
            return [self.step_result]
        return list(self.day.results) if self.day is not None else []

    def exit_code(self) -> int:
        if self.problem is not None:
            return self.problem.exit_code
        if self.ok:
            return EXIT_OK
        if any(r.data.get("answer_missing") and r.step_id == self.stopped_at for r in self.results):
            return EXIT_USAGE
        return EXIT_FAILED


@dataclass
class Session:
    env: Environment
    runbook: Runbook
    journal_path: Path
    rehearsal: bool = False
    runbook_note: str = ""  # the runbook's file moved or changed since the journal began
    new_week: bool = False  # a rehearsal asked to start a new week (`rehearse --new`): used by the next prepare()
    journal: Journal | None = None
    rehearsal_answers: dict[str, Any] = field(default_factory=dict)
    rehearsal_notes: dict[str, str] = field(default_factory=dict)  # why each answer is offered
    _locks: ExitStack = field(default_factory=ExitStack)
    _engine: Any = None
    _engine_loop: asyncio.AbstractEventLoop | None = None
    _cancel_requested: bool = False
    _mutex: threading.Lock = field(default_factory=threading.Lock)
    _preview_engine: Any = None
    _history: HistoryGuard | None = None
    # The password a run (or a preview) got connected with: previews reuse it, never ask for it.
    _password: str | None = None
    _password_known: bool = False

    # --- opening ------------------------------------------------------------------------------
    @classmethod
    def open(cls, env_name: str, *, journal: Path | None = None, runbook: Path | str | Runbook | None = None,
             rehearsal: bool = False, new_week: bool = False) -> "Session":
        """Resolve the environment, pick the journal (one per runbook) and load the runbook the
        journal belongs to. Nothing is written yet; a different runbook is refused (exit 2)."""
        env = resolve_environment(env_name)
        given = runbook.path if isinstance(runbook, Runbook) else runbook
        path = journal_path(journal, env, given)
        # A rehearsal reopens its own runbook's journal, or sets it aside for a new week.
        book, note = (load_runbook(given), "") if rehearsal else bind_runbook(path, given)
        if isinstance(runbook, Runbook):
            book = runbook
        return cls(env, book, path, rehearsal=rehearsal, runbook_note=note, new_week=new_week)

    def lock(self) -> "Session":
        """Take the journal's writer lock for the life of this session (released by close())."""
        self._locks.enter_context(writer_lock(self.journal_path))
        return self

    def close(self) -> None:
        self._locks.close()

    def __enter__(self) -> "Session":
        return self.lock()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def prepare(self, say: Callable[[str], None] = lambda text: None, *, prepare_env: bool = True,
                new_week: bool = False, archive_to: Path | None = None) -> Journal:
        """Sandboxes started, then the journal opened for appending. A rehearsal reopens its week;
        `new_week` keeps the journal aside (as `archive_to`) and rebuilds the clusters."""
        from wizard.rehearsal import preparation as rehearsal_prep

        notes: list[dict[str, Any]] = []
        if not self.rehearsal:  # a rehearsal sets the old journal aside; anything else is refused before a server starts
            check_journal(self.journal_path)
        if self.rehearsal:
            self.journal = None
            book = Path(self.runbook.path)  # which rehearsal: its answers, and whether it continues another
            notes, backup_time = rehearsal_prep.prepare_rehearsal(self.journal_path, say, book,
                                                                  new_week=new_week or self.new_week,
                                                                  archive_to=archive_to)
            self.new_week = False
            self.rehearsal_answers = rehearsal_prep.rehearsal_answers(backup_time, book)
            self.rehearsal_notes = rehearsal_prep.rehearsal_notes(backup_time, book)
        elif prepare_env:
            rehearsal_prep.prepare_environment(self.env, say)
        say("Opening the journal…")
        journal = open_journal(self.journal_path, self.runbook.path, self.runbook.title)
        self._history = HistoryGuard(self.journal_path)
        if self.runbook_note:
            notes.append({"text": self.runbook_note, "runbook_path": str(Path(self.runbook.path).resolve())})
        for note in notes:
            journal.append("note", **note)
        self.journal = journal  # visible to the face only once it holds the preparation's notes
        return journal

    # --- rehearsal weeks ----------------------------------------------------------------------
    def archive_path(self) -> Path:
        """Where a new week would keep this journal (named before asking, so the question can say it)."""
        from wizard.rehearsal.preparation import archive_path

        return archive_path(self.journal_path)

    def archived_journals(self) -> list[Path]:
        """Earlier rehearsal weeks kept beside this journal, newest first (none for real environments)."""
        from wizard.rehearsal.preparation import archived_journals

        return archived_journals(self.journal_path) if self.rehearsal else []

    def switch_to(self, env_name: str) -> None:
        """Another sandbox on the same journal (sandboxes share the rehearsal journal)."""
        env = resolve_environment(env_name)
        if env.kind != "sandbox" or self.env.kind != "sandbox":
            raise WizardError(f"{self.env.name} has a journal of its own; open the wizard with --env {env_name} instead.")
        if self.running:
            raise WizardError("Wait for the running step (or cancel it) before switching.")
        self.env = env
        self._preview_engine = None
        self._password, self._password_known = None, False  # sandboxes have none; never carried to another server

    def ensure_environment(self, say: Callable[[str], None] = lambda text: None) -> None:
        from wizard.rehearsal import preparation as rehearsal_prep

        rehearsal_prep.prepare_environment(self.env, say)

    # --- what a run needs -------------------------------------------------------------------
    def steps_of(self, day_id: str, task_ids: list[str] | None = None, step: tuple[Task, Step] | None = None) -> list[Step]:
        if step is not None:
            return [step[1]]
        return [s for t in self.runbook.day(day_id).tasks if task_ids is None or t.id in task_ids for s in t.steps]

    def needs_database(self, day_id: str, task_ids: list[str] | None = None, step: tuple[Task, Step] | None = None) -> bool:
        from wizard.steps import needs_database

        return any(needs_database(s.kind) for s in self.steps_of(day_id, task_ids, step))

    @property
    def built_in(self) -> bool:
        """One of the wizard's own sandbox clusters (no password; a sandbox-kind profile has one)."""
        from wizard.environments import SANDBOX_ROLES

        return self.env.name in SANDBOX_ROLES

    @property
    def running(self) -> bool:
        return self._engine is not None

    # --- running ------------------------------------------------------------------------------
    async def run(self, day_id: str, task_ids: list[str] | None = None, *, step: tuple[Task, Step] | None = None,
                  restart: bool = False, dialogue: Dialogue, on_start: StepHook | None = None,
                  on_result: ResultHook | None = None, on_progress: ProgressHook | None = None) -> RunOutcome:
        """Run a day, some of its tasks, or one step on this environment, with every guard.
        `on_progress` hears a running step's progress and newest output (redacted), if it reports any."""
        from wizard import guards
        from wizard.engine import Engine
        from wizard.environments import secrets

        if self.journal is None:
            raise WizardError("The journal is not open yet.", "Wait for the environment to be prepared.")
        what = f"step {step[1].id}" if step else (f"task {', '.join(task_ids)}" if task_ids else day_id)
        outcome = RunOutcome(what, self.env.name)
        from wizard.session.inspect import preview_sql

        run_guards = guards.standard(dialogue.confirm_production, confirm_drops=getattr(dialogue, "confirm_destructive", None),
                                     preview=preview_sql, history=self._history, source=dialogue.confirm_source,
                                     drops_source=getattr(dialogue, "drops_source", dialogue.confirm_source),
                                     headless=dialogue.headless, say=dialogue.say, with_evidence=True)
        engine = Engine(self.runbook, self.env, self.journal, ask=dialogue.ask, on_start=on_start,
                        on_result=on_result, on_progress=on_progress,
                        guards=run_guards)
        with self._mutex:
            if self._engine is not None:
                raise WizardError("A step is already running on this session.", "Wait for it, or cancel it.")
            self._engine, self._engine_loop = engine, asyncio.get_running_loop()
            if self._cancel_requested:
                engine.cancel()
        try:
            if not self.built_in and self.needs_database(day_id, task_ids, step):
                engine.password = await secrets.verified_password(self.env, asker=dialogue.password, say=dialogue.say)
                from wizard.redact import register_secret

                register_secret(engine.password)
                self._remember_password(engine.password)
            engine.secret = secrets.provider(self.env.name, prefetch=not self.built_in)
            if step is not None:
                engine.check_targets([step])
                outcome.step_result = await engine.run_step(*step)
            else:
                outcome.day = await engine.run_day(day_id, task_ids, restart=restart)
        except WizardError as exc:
            outcome.problem = exc
        finally:
            try:
                await engine.close()  # closing rolls back anything still open on the server
            finally:
                with self._mutex:
                    self._engine, self._engine_loop, self._cancel_requested = None, None, False
        return outcome

    def cancel(self) -> bool:
        """Cancel the running step on the server; safe from any thread. False when nothing runs."""
        with self._mutex:
            engine, loop = self._engine, self._engine_loop
            if engine is None:
                return False
            self._cancel_requested = True
        try:
            loop.call_soon_threadsafe(engine.cancel)  # type: ignore[union-attr]
        except RuntimeError:  # the engine's loop already closed: nothing left to cancel
            pass
        return True

    def state(self) -> Any:
        """A fold of the journal so far, of the face's own: feed it the events the journal announces
        (`Journal.listeners`) on the face's thread, never the engine's fold, which another thread feeds."""
        from wizard.journal import Fold, replay

        return replay(self.journal.events) if self.journal is not None else Fold()

    # --- reading ------------------------------------------------------------------------------
    def export(self, out_dir: Path) -> list[Path]:
        from wizard.exports import export_all

        check_journal(self.journal_path)
        return export_all(self.journal_path, out_dir, runbook_path=Path(self.runbook.path))

    def default_export_dir(self) -> Path:
        return self.journal_path.with_name(f"{self.journal_path.stem}-documents")

    # --- previews and warm-up ---------------------------------------------------------------------
    def _preview_context(self) -> Any:
        """A step context to read a step's files with (placeholders, runbook folder); runs nothing."""
        from wizard.engine import Engine

        if self._preview_engine is None or self._preview_engine.env is not self.env:
            async def no_answers(step: Step) -> tuple[Any, str]:
                raise WizardError("a preview asks nothing")

            self._preview_engine = Engine(self.runbook, self.env, self.journal, ask=no_answers)
        return self._preview_engine.context()

    def preview(self, step: Step) -> dict[str, str]:
        """What a step will run, as text ({"language", "text"}). Reads files: call it off the UI loop."""
        from wizard.steps import module_for

        module = module_for(step.kind)
        if module is None or not hasattr(module, "preview"):
            return {"language": "text", "text": f"The {step.kind!r} step kind is not available in this version."}
        if self.journal is None:
            return {"language": "text", "text": "(the journal is still opening)"}
        try:
            return module.preview(step, self._preview_context())
        except Exception as exc:  # noqa: BLE001 - a preview must never take the screen down
            return {"language": "text", "text": f"(no preview: {exc})"}

    async def migration_preview(self, step: Step) -> dict[str, Any]:
        """A migration step's file as the live catalogue of this environment sees it, read only:
        each statement's kind and tables, squawk's findings, and what each drop takes (rows, size,
        dependents). Never asks: it reuses the password a run got connected with (or the keyring's,
        or libpq's own); a WizardError says in one line why there is none."""
        from dataclasses import replace

        from wizard.journal import replay
        from wizard.session.inspect import preview_sql, read_only_on
        from wizard.steps import migration
        from wizard.steps.base import StepFailure

        if step.kind != "migration":
            raise WizardError(f"{step.id} is a {step.kind} step, not a migration.")
        if self.journal is None:
            raise WizardError("The journal is still opening.")
        env = self.env
        try:  # the file as it is now (the context's read-once cache would keep the first bytes it saw)
            loaded = migration.load(step, replace(self._preview_context(), files={}))
        except StepFailure as exc:
            raise WizardError(str(exc)) from None
        password = await self._known_password(env)
        # A fold of its own (of a copy of the events): the engine's thread may be feeding the journal's.
        pins = replay(list(self.journal.events)).pins
        data = await read_only_on(env, lambda conn: preview_sql(conn, loaded.path, loaded.text), password=password,
                                  journal=self.journal_path, pins=pins)
        return {**data, "sha256": loaded.sha256, "env": env.name}

    def _remember_password(self, password: str | None) -> None:
        self._password, self._password_known = password, True

    async def _known_password(self, env: Environment) -> str | None:
        if self.built_in:
            return None
        if self._password_known:
            return self._password
        from wizard.environments import secrets
        from wizard.errors import ConnectionFailed
        from wizard.redact import register_secret

        wanted: list[str] = []

        def nobody(prompt: str) -> None:  # a preview never asks: the run does, once
            wanted.append(prompt)

        try:
            password = await secrets.verified_password(env, asker=nobody, say=lambda text: None)
        except ConnectionFailed:
            if wanted:
                raise WizardError(f"{env.name} needs its password: running a step here asks for it once, "
                                  "and the preview then uses it.") from None
            raise
        register_secret(password)
        self._remember_password(password)
        return password

    @staticmethod
    def warm_up() -> None:
        """Import what the first run needs (psycopg, pglast, what each step kind imports when it
        runs) ahead of time, so a face can do it off its event loop."""
        import wizard.engine  # noqa: F401
        from wizard.steps import warm_up as warm_steps

        warm_steps()
