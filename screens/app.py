"""WizardApp: the banner on every screen, the week, the tasks, and the engine driven from workers.

The engine is async: it runs in an async worker on the app's own loop, so a 10 s query leaves
the screen painting and the cancel key live. Anything that blocks (preparing the sandbox, reading
files for previews) runs in thread workers. The journal is the truth: every event it records
triggers a replay, and the screens redraw from that Fold.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual import work
from textual.worker import get_current_worker
from textual.app import App
from textual.message import Message
from textual.reactive import reactive
from textual.worker import Worker

from screens.actions import bindings
from screens.base import MIN_HEIGHT, MIN_WIDTH
from screens.display import Display
from screens.overview import WeekOverview
from screens.palette import WizardCommands
from screens.dialogue import ScreenDialogue
from wizard.banner import BannerInfo, banner_for
from wizard.errors import WizardError
from wizard.redact import redact
from wizard.session import (SANDBOX_ROLES, Environment, Fold, Runbook, RunOutcome, Session, Step, StepProgress,
                            StepResult, Task)
from wizard.session.views import FileChange, PassedFile, file_changes, passed_files

if TYPE_CHECKING:
    from screens.dialogs import ConfirmScreen
    from screens.widgets.live import LiveStep

# The task, help and dialog screens (Markdown, TextArea, Input…) are imported where first used:
# the week overview paints without paying for them.

ResultHook = Callable[[Task, Step, StepResult], None]
FILES_EVERY_S = 3.0  # how often the passed steps' files are looked at again (a stat each; hashed when changed)


class WizardApp(App[int]):
    CSS_PATH = Path(__file__).resolve().parent / "wizard.tcss"  # absolute: subclasses elsewhere still find it
    TITLE = "migration-wizard"
    COMMANDS = App.COMMANDS | {WizardCommands}
    BINDINGS = bindings("app")

    banner_info: reactive[BannerInfo | None] = reactive(None, always_update=True)
    state_version: reactive[int] = reactive(0, always_update=True)

    def __init__(self, session: Session, *, prepare: bool = True, fmt: Display | None = None) -> None:
        super().__init__()
        self.session = session
        self.prepare_env = prepare
        self.fmt = fmt or Display()
        self.state = Fold()
        self.progress = ""
        self.problem: WizardError | None = None
        self.run_active = False  # a run of the session is going (a step, or waiting for an answer)
        self.engine_worker: Worker[Any] | None = None
        self.running: tuple[Task, Step] | None = None
        self.live: LiveStep | None = None  # what the running step has reported so far
        self.last_step: tuple[Task, Step] | None = None
        self.follow_run = False  # a run started on a task screen: its screen follows the run from task to task
        self.wizard_keymap: dict[str, str] = {}
        self.archived_journals: list[Path] = []  # earlier rehearsal weeks, listed on the overview
        self.file_changes: dict[str, FileChange] = {}  # step id → why its file changed since it passed
        self.result_hooks: list[ResultHook] = []
        self.first_paint_at: float | None = None
        self.cancel_requested_at: float | None = None
        self._cancel_requested = False
        self._exiting = False
        self._fingerprint: dict[str, Any] | None = None
        self._refresh_pending = False
        self._pending_question: tuple[Any, concurrent.futures.Future[Any]] | None = None
        self.dialogue = ScreenDialogue(self)
        self.last_run: tuple[str, list[str] | None, tuple[Task, Step] | None] | None = None
        self.retry_offer: Any = None  # the Retry dialog offered after a lock give-up, while it is open
        self.banner_info = banner_for(session.env)

    # What the screens read: the session's environment, runbook and journal.
    @property
    def env(self) -> Environment:
        return self.session.env

    @property
    def runbook(self) -> Runbook:
        return self.session.runbook

    @property
    def journal(self) -> Any:
        return self.session.journal

    @property
    def journal_path(self) -> Path:
        return self.session.journal_path

    @property
    def rehearsal(self) -> bool:
        return self.session.rehearsal

    @property
    def rehearsal_answers(self) -> dict[str, Any]:
        return self.session.rehearsal_answers

    def get_system_commands(self, screen: Any) -> Any:
        # The actions table has its own Quit (it asks first while a step runs): not Textual's too.
        return (c for c in super().get_system_commands(screen) if c.title != "Quit")

    # --- life cycle ---------------------------------------------------------------------
    def get_default_screen(self) -> WeekOverview:
        return WeekOverview()  # the first screen itself, not pushed over an empty default one

    def on_mount(self) -> None:
        from screens.keymap import load_keymap

        keymap, problems = load_keymap()
        if keymap:
            self.set_keymap(keymap)
        for problem in problems:
            self.notify(problem, title="keymap.toml", severity="warning", timeout=15)
        self.call_after_refresh(self._painted)
        # Preparing starts after the first paint: its thread would otherwise compete with it for the GIL.
        self.call_after_refresh(self.prepare)

    def _painted(self) -> None:
        self.first_paint_at = time.perf_counter()

    def on_resize(self, event: Any) -> None:
        # One class on the app, set only when the terminal is too small: at usual sizes nothing is
        # restyled (breakpoint classes would restyle every widget on the first resize).
        width, height = event.size
        self.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "-too-small")

    def set_keymap(self, keymap: dict[str, str]) -> None:  # type: ignore[override]
        self.wizard_keymap = dict(keymap)
        super().set_keymap(keymap)

    def _set_progress(self, text: str) -> None:
        self.progress = text
        self.state_version += 1

    @work(thread=True, exclusive=True, group="prepare", name="prepare", description="prepare the environment")
    def prepare(self) -> None:
        """Sandbox clusters, workspace and journal: slow, so in a thread, with visible progress."""
        say = lambda text: self.call_from_thread(self._set_progress, f"⏳ {text}")  # noqa: E731
        try:
            journal = self.session.prepare(say, prepare_env=self.prepare_env)
            self.warm_up()
        except WizardError as exc:
            self.call_from_thread(self._prepare_failed, exc)
        except Exception as exc:  # noqa: BLE001 - shown on screen, never a traceback over the UI
            self.log.error(traceback.format_exc())
            self.call_from_thread(self._prepare_failed, WizardError(f"Preparing {self.env.name} failed: {exc}",
                                                                    "Try `migration-wizard sandbox reset`, then open the wizard again."))
        else:
            self.call_from_thread(self._journal_ready, journal)

    @staticmethod
    def warm_up() -> None:
        """Imports the first run and the first result table need (psycopg, pglast, pyarrow), done
        here in the preparing thread so they never stall the event loop later."""
        from screens.widgets.results_table import warm_up as warm_tables

        Session.warm_up()
        warm_tables()

    def _prepare_failed(self, exc: WizardError) -> None:
        self.problem = exc
        self._set_progress(f"✗ {exc.what}" + (f"  → {exc.fix}" if exc.fix else ""))

    def _journal_ready(self, journal: Any) -> None:
        self.progress = ""
        self.last_step = None
        self.archived_journals = self.session.archived_journals()
        # The screen's own fold: read once here, then fed each appended event on this thread
        # (nothing runs yet, so no event falls between the read and the listener).
        self.state = self.session.state()
        journal.listeners.append(self._on_journal_event)
        self.refresh_state()
        self.refresh_bindings()
        self.call_after_refresh(self._warm_styles)
        # A file may be edited while the wizard is open: looked at again every few seconds.
        self.set_interval(FILES_EVERY_S, self.check_files)

    def _warm_styles(self) -> None:
        """Mount, hidden, one of each widget a result or a question shows, then drop them: Textual
        parses a widget class's CSS on its first mount (~60 ms here), better now than when the
        first result lands or the first question pops up."""
        from textual.containers import Vertical
        from textual.widgets import Button, Input, TextArea

        from screens.widgets.results_table import ResultsTable

        tiny = {"columns": ["n"], "column_types": ["int4"], "rows": [{"n": 1}], "row_count": 1, "shown_rows": 1}
        holder = Vertical(ResultsTable(tiny), Input(), Button("warm"), TextArea(), classes="warm-up")
        self.screen.mount(holder)
        self.set_timer(0.5, holder.remove)

    # --- the journal is the truth -------------------------------------------------------
    def _on_journal_event(self, event: dict[str, Any]) -> None:
        """Called by Journal.append, on whichever thread appended (the engine's, mostly)."""
        self.post_message(self.JournalChanged(event))

    def _schedule_refresh(self) -> None:
        """Many journal events in a row make one redraw."""
        if not self._refresh_pending:
            self._refresh_pending = True
            self.call_later(self.refresh_state)

    def refresh_state(self) -> None:
        self._refresh_pending = False
        self.banner_info = banner_for(self.env, fingerprint=self._fingerprint, pins=self.state.pins)
        self.state_version += 1
        self.check_files()

    def check_files(self) -> None:
        """Which passed steps' files changed since: the fold is read here, the files in a thread."""
        if self.journal is not None:
            self._check_files(passed_files(self.runbook, self.state, self.env.name))

    @work(thread=True, exclusive=True, exit_on_error=False, group="files", name="files",
          description="check the passed files")  # an unexpected error leaves the marks as they were: never ends the wizard
    def _check_files(self, files: tuple[PassedFile, ...]) -> None:
        changes = file_changes(files)
        if not get_current_worker().is_cancelled:  # a later check is under way: its answer is newer
            self.call_from_thread(self._files_checked, changes)

    def _files_checked(self, changes: dict[str, FileChange]) -> None:
        if changes != self.file_changes:
            self.file_changes = changes
            self.state_version += 1

    # --- navigation ---------------------------------------------------------------------
    def day_of(self, task_id: str) -> str:
        for day in self.runbook.days:
            if any(t.id == task_id for t in day.tasks):
                return day.id
        raise WizardError(f"Unknown task {task_id!r}.")

    def _pop_to_overview(self) -> bool:
        """Close task and help screens; never a dialog (a question may be waiting on it)."""
        while len(self.screen_stack) > 1 and getattr(self.screen, "palette_scope", None) in ("task", "help", "environments"):
            self.pop_screen()
        return isinstance(self.screen, WeekOverview)

    def overview(self) -> WeekOverview | None:
        for screen in self.screen_stack:
            if isinstance(screen, WeekOverview):
                return screen
        return None

    def open_task(self, task_id: str) -> None:
        from screens.task import TaskScreen

        task = self.runbook.task(task_id)
        if isinstance(self.screen, TaskScreen):
            self.pop_screen()
        elif not isinstance(self.screen, WeekOverview):
            self._pop_to_overview()
        overview = self.overview()
        if overview is not None:
            overview.select_day(next(i for i, d in enumerate(self.runbook.days) if d.id == self.day_of(task_id)))
        self.push_screen(TaskScreen(task))

    def open_neighbour(self, task_id: str, delta: int) -> None:
        ids = [t.id for t in self.runbook.tasks()]
        index = ids.index(task_id) + delta
        if 0 <= index < len(ids):
            self.open_task(ids[index])

    def open_day(self, day_id: str) -> None:
        self._pop_to_overview()
        overview = self.overview()
        if overview is not None:
            overview.select_day(next(i for i, d in enumerate(self.runbook.days) if d.id == day_id))

    def action_week(self) -> None:
        self._pop_to_overview()

    def action_export(self) -> None:
        """The runbook's documents from this journal, beside it (as `review` writes them)."""
        from screens.dialogs import ExportScreen

        default = str(self.session.default_export_dir())
        # Which documents a week has is the runbook's to say ([report]); their names are listed once written.
        names = f"the documents “{self.runbook.title}” declares"
        self.push_screen(ExportScreen(default, names, self.banner_info or banner_for(self.env)), self._export_to)

    def _export_to(self, folder: str | None) -> None:
        if not folder:
            return
        target = Path(folder).expanduser()
        self.notify(f"Writing the documents to {target}…", title="Export")
        self._export(target)

    @work(thread=True, exclusive=True, group="export", description="write the week's documents")
    def _export(self, target: Path) -> None:
        try:
            written = self.session.export(target)
        except (OSError, WizardError, ValueError) as exc:
            self.call_from_thread(self.notify, redact(f"Export failed: {exc}"), severity="error", timeout=15)
            return
        self.call_from_thread(self.notify, "\n".join(p.name for p in written),
                              title=f"Wrote {len(written)} documents to {target}", timeout=10)

    # --- a new rehearsal week ---------------------------------------------------------------
    def action_new_week(self) -> None:
        if not self.rehearsal:
            self.notify("Only the rehearsal starts a new week here; a real environment's week is its journal "
                        "(--journal PATH).", severity="warning")
            return
        if not self.can_run():
            self.notify("Wait for the running step (or cancel it) before starting a new week.", severity="warning")
            return
        from screens.dialogs import ConfirmScreen

        target = self.session.archive_path()
        message = (f"This week's journal is kept as {self.fmt.path(str(target))} (review it with "
                   f"`migration-wizard review`).\nBoth sandbox clusters are rebuilt from the pre-clean-up schema "
                   "and the week starts again from Monday.")
        self.push_screen(ConfirmScreen("Start a new rehearsal week?", message, self.banner_info or banner_for(self.env),
                                       yes="Start a new week", no="Keep this week"),
                         lambda ok: self._start_new_week(target) if ok else None)

    @work(thread=True, exclusive=True, group="prepare", description="start a new rehearsal week")
    def _start_new_week(self, target: Path) -> None:
        say = lambda text: self.call_from_thread(self._set_progress, f"⏳ {text}")  # noqa: E731
        self.call_from_thread(self._set_progress, "⏳ Starting a new week…")
        try:
            journal = self.session.prepare(say, new_week=True, archive_to=target)
        except WizardError as exc:
            self.call_from_thread(self._prepare_failed, exc)
            return
        self.call_from_thread(self._journal_ready, journal)
        self.call_from_thread(self.notify, f"The previous week's journal is kept as {target}.",
                              title="New week started", timeout=20)

    def action_environments(self) -> None:
        from screens.environments import EnvironmentsScreen

        if not isinstance(self.screen, EnvironmentsScreen):
            self.push_screen(EnvironmentsScreen())

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # --- previews -----------------------------------------------------------------------
    def preview(self, step: Step) -> dict[str, str]:
        """What a step will run, as text. Reads files: call it from a thread worker."""
        return self.session.preview(step)

    async def migration_preview(self, step: Step) -> dict[str, Any]:
        """A migration's live preview on this environment, read only. Call it from a thread worker."""
        return await self.session.migration_preview(step)

    # --- running ------------------------------------------------------------------------
    def can_run(self) -> bool:
        return self.journal is not None and not self.run_active

    def start_run(self, day_id: str, task_ids: list[str] | None = None, step: tuple[Task, Step] | None = None) -> None:
        if self.journal is None:
            self.notify(self.progress or "Still preparing the environment…", title="Not ready yet")
            return
        if self.run_active:
            self.notify("A step is already running. Ctrl+K cancels it.", severity="warning")
            return
        if step is not None:
            what = f"step {step[1].id}"
        elif task_ids:
            what = f"task {', '.join(task_ids)}"
        else:
            what = day_id.capitalize()
        reasons = []
        if step is None and not task_ids:
            from screens.model import PASSED, day_summary

            summary = day_summary(self.state, self.env.name, self.env.role, self.runbook.day(day_id))
            if summary.verdict == PASSED:
                reasons.append(f"{what} already passed on {self.env.name}: running it again starts a new pass "
                               "and runs every step again.")
        if self.env.kind in ("staging", "production"):
            reasons.append(f"This is a real {self.env.kind} environment"
                           f"{' at ' + self.banner_info.host if self.banner_info and self.banner_info.host else ''}."
                           " Each step is journaled.")
        if reasons:
            from screens.dialogs import ConfirmScreen

            applies = [s.id for s in self.session.steps_of(day_id, task_ids, step)
                       if s.kind == "migration" and s.params.get("mode", "apply") == "apply"]
            if applies:
                reasons.append(f"It applies {len(applies)} migration{'s' if len(applies) != 1 else ''} "
                               f"({', '.join(applies)}): the tables each one drops are shown, with their rows, "
                               "and confirmed before it runs.")

            self.push_screen(ConfirmScreen(f"Run {what} on {self.env.name}?", "\n".join(reasons),
                                           self.banner_info or banner_for(self.env), yes=f"Run {what}", no="Don't run"),
                             lambda ok: self._launch(day_id, task_ids, step) if ok else None)
            return
        self._launch(day_id, task_ids, step)

    def _launch(self, day_id: str, task_ids: list[str] | None, step: tuple[Task, Step] | None) -> None:
        self.last_run = (day_id, task_ids, step)  # what Retry runs again
        self.run_active = True
        self._cancel_requested = False
        self.cancel_requested_at = None
        self.engine_worker = self._run_session(day_id, task_ids, step)

    # The session runs on a loop of its own, in a thread: whatever the engine does synchronously
    # (journal fsync and JSON, parsing SQL) never holds up the screen. It talks back through
    # messages (thread-safe) and call_from_thread; the screen talks to it only through cancel().

    class StepStarted(Message):
        def __init__(self, task: Task, step: Step) -> None:
            super().__init__()
            self.task, self.step = task, step

    class StepFinished(Message):
        def __init__(self, task: Task, step: Step, result: StepResult) -> None:
            super().__init__()
            self.task, self.step, self.result = task, step, result

    class StepProgressed(Message):
        """A running step's progress or newest output; a burst of them is handled as one."""

        def __init__(self, task: Task, step: Step, update: StepProgress) -> None:
            super().__init__()
            self.task, self.step, self.update = task, step, update

        def can_replace(self, message: Message) -> bool:
            # Called with the message queued next: it takes this one's news along, so merging
            # loses no output line, only repaints.
            if not isinstance(message, WizardApp.StepProgressed) or message.step.id != self.step.id:
                return False
            from screens.widgets.live import merged

            message.update = merged(self.update, message.update)
            return True

    class JournalChanged(Message):
        def __init__(self, event: dict[str, Any]) -> None:
            super().__init__()
            self.event = event

    class RunEnded(Message):
        def __init__(self, outcome: RunOutcome | None) -> None:
            super().__init__()
            self.outcome = outcome

    @work(thread=True, exclusive=True, group="engine", name="engine", exit_on_error=False, description="the engine")
    async def _run_session(self, day_id: str, task_ids: list[str] | None, step: tuple[Task, Step] | None) -> None:
        outcome = None
        try:
            if self._cancel_requested:
                return
            outcome = await self.session.run(day_id, task_ids, step=step, dialogue=self.dialogue,
                                             on_start=self._engine_step_started, on_result=self._engine_step_finished,
                                             on_progress=self._engine_step_progressed)
        except Exception as exc:  # noqa: BLE001 - shown, journaled by the engine, never a crash of the UI
            self.post_message(self.Notice(traceback.format_exc(), log_only=True))
            outcome = RunOutcome(day_id, self.env.name, problem=WizardError(
                f"Unexpected error: {exc}", "The journal holds everything up to this point."))
        finally:
            self.post_message(self.RunEnded(outcome))

    class Notice(Message):
        def __init__(self, text: str, log_only: bool = False) -> None:
            super().__init__()
            self.text, self.log_only = text, log_only

    def on_wizard_app_notice(self, message: "WizardApp.Notice") -> None:
        if message.log_only:
            self.log.error(message.text)
        else:
            self.notify(message.text)

    # -- called on the engine's thread --
    def _engine_step_started(self, task: Task, step: Step) -> None:
        if self._cancel_requested:
            self.session.cancel()  # a cancel that landed between two steps stops the next one
        self.post_message(self.StepStarted(task, step))

    def _engine_step_finished(self, task: Task, step: Step, result: StepResult) -> None:
        self.post_message(self.StepFinished(task, step, result))

    def _engine_step_progressed(self, task: Task, step: Step, update: StepProgress) -> None:
        self.post_message(self.StepProgressed(task, step, update))

    def ask_on_screen(self, make_screen: Callable[[], Any]) -> Any:
        """From the engine's thread: show a dialog on the UI and return a future of its answer."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def show() -> None:
            screen = make_screen()
            self._pending_question = (screen, future)

            def answered(value: Any) -> None:
                self._pending_question = None
                if not future.done():
                    future.set_result(value)

            self.push_screen(screen, answered)

        self.call_from_thread(show)
        return asyncio.wrap_future(future)

    # -- back on the UI thread --
    def on_wizard_app_step_started(self, message: "WizardApp.StepStarted") -> None:
        from screens.widgets.live import LiveStep

        self.running = (message.task, message.step)
        self.live = LiveStep(message.step.id)
        self.last_step = (message.task, message.step)
        self._follow_to(message.task)
        self._schedule_refresh()

    def _follow_to(self, task: Task) -> None:
        """The run went on to another task: show that task, unless the operator has gone elsewhere
        (another screen, a dialog) since starting it."""
        from screens.task import TaskScreen

        if not self.follow_run or not isinstance(self.screen, TaskScreen):
            return
        if self.screen.the_task.id != task.id:
            self.open_task(task.id)

    def on_wizard_app_step_progressed(self, message: "WizardApp.StepProgressed") -> None:
        if self.live is None or self.live.step_id != message.step.id:
            return  # a late report of a step already finished
        self.live.apply(message.update)
        from screens.widgets.step_view import StepView

        for view in self.screen.query(StepView):  # in place: the screen is not redrawn for it
            view.show_live(self.live)

    def on_wizard_app_step_finished(self, message: "WizardApp.StepFinished") -> None:
        self.running = None
        self.live = None
        self.last_step = (message.task, message.step)
        for hook in list(self.result_hooks):
            hook(message.task, message.step, message.result)
        self._schedule_refresh()

    def on_wizard_app_journal_changed(self, message: "WizardApp.JournalChanged") -> None:
        event = message.event
        self.state.feed(event)
        if event.get("type") == "env_connected" and event.get("env") == self.env.name:
            self._fingerprint = event.get("fingerprint")
        self._schedule_refresh()

    def on_wizard_app_run_ended(self, message: "WizardApp.RunEnded") -> None:
        self.run_active = False
        self.running = None
        self.live = None
        self.follow_run = False
        if not self.is_running or self._exiting:
            return  # quitting: the screens are going away
        self.refresh_state()
        outcome = message.outcome
        if outcome is None:
            return
        if outcome.problem is not None:
            problem = outcome.problem
            fix = problem.fix
            if getattr(problem, "needs_role", None):
                fix += f" Press e to switch (to the environment that plays {problem.needs_role})."
            self.notify(f"{problem.what}\n→ {fix}" if fix else problem.what, title="Nothing more was run",
                        severity="error", timeout=15)
        elif outcome.step_result is not None:
            if not outcome.ok:
                self.notify(f"{outcome.step_result.step_id}: {outcome.step_result.status}", severity="warning")
                self._offer_retry(outcome.step_result)
        elif outcome.ok:
            self.notify(f"{outcome.what.capitalize()} passed on {self.env.name}.", title="Passed")
        else:
            # The overview's own words for the day (the fold decides), then the step that stopped it.
            from screens.model import day_summary

            verdict = day_summary(self.state, self.env.name, self.env.role, self.runbook.day(outcome.day.day)).verdict
            result = next((r for r in outcome.results if r.step_id == outcome.stopped_at), None)
            why = f" (step {outcome.stopped_at} {result.status})" if result else ""
            self.notify(f"{outcome.day.day.capitalize()} {verdict} on {self.env.name}{why}. Open the task to see why; "
                        "running it again resumes there.", title="Stopped", severity="warning", timeout=10)
            if result is not None:
                self._offer_retry(result)

    LOCK_GAVE_UP = "lock wait gave up"

    def _offer_retry(self, result: StepResult) -> None:
        """A migration that gave up on its locks changed nothing: offer to run it again (the day
        resumes at the failed step) once whoever held the locks is done."""
        if self.LOCK_GAVE_UP not in (result.error or "") or self.last_run is None:
            return
        from screens.dialogs import RetryScreen

        day_id, task_ids, step = self.last_run
        self.retry_offer = RetryScreen(result.step_id, result.error or "", self.env.name,
                                       self.banner_info or banner_for(self.env))

        def answered(retry: bool | None) -> None:
            self.retry_offer = None
            if retry and not self.run_active:
                self._launch(day_id, task_ids, step)

        self.push_screen(self.retry_offer, answered)

    def action_cancel_step(self) -> None:
        if not self.run_active:
            self.notify("Nothing is running.")
            return
        self._cancel_requested = True
        self.cancel_requested_at = time.perf_counter()
        self._close_pending_question()
        self.session.cancel()
        what = self.running[1].id if self.running else "the run"
        self.notify(f"Cancelling {what} on {self.env.name}…", title="Cancel")

    def _close_pending_question(self) -> None:
        """The session waits on a question: closing it (no answer) cancels the step."""
        pending, self._pending_question = self._pending_question, None
        if pending is None:
            return
        screen, future = pending
        if not future.done():
            future.set_result(None)
        if screen.is_current:
            screen.dismiss(None)

    async def action_quit(self) -> None:
        if not self.run_active:
            self._exiting = True
            self.exit(0)
            return
        self.push_screen(self.quit_dialog(), self._quit_confirmed)

    def quit_dialog(self) -> ConfirmScreen:
        from screens.dialogs import ConfirmScreen

        what = f"Step {self.running[1].id}" if self.running else "A step"
        return ConfirmScreen(
            f"Quit while a step runs on {self.env.name}?",
            f"{what} is running on {self.env.name.upper()} ({self.env.kind}). Quitting cancels it on the server, "
            "rolls back whatever it had open and closes the connection, then quits. The journal keeps the cancel.",
            self.banner_info or banner_for(self.env), yes="Cancel it and quit", no="Keep running")

    def on_unmount(self) -> None:
        """However the app ends, a running step is cancelled on the server, not left to finish."""
        if self.run_active:
            self._cancel_requested = True
            if self._pending_question is not None and not self._pending_question[1].done():
                self._pending_question[1].set_result(None)
            self.session.cancel()

    def _quit_confirmed(self, yes: bool | None) -> None:
        if yes:
            self.run_worker(self._cancel_and_exit(), group="quit", exclusive=True)

    async def _cancel_and_exit(self) -> None:
        worker = self.engine_worker
        self._exiting = True
        self.action_cancel_step()
        if worker is not None:
            try:
                await worker.wait()
            except Exception:  # noqa: BLE001 - the worker reports its own failure
                pass
        self.exit(0)

    # --- environments -------------------------------------------------------------------
    def action_switch_env(self) -> None:
        if not self.can_run():
            self.notify("Wait for the running step (or cancel it) before switching.", severity="warning")
            return
        if self.env.kind != "sandbox":
            self.notify(f"{self.env.name} has a journal of its own; open the wizard with --env to change.",
                        severity="warning")
            return
        from screens.dialogs import EnvironmentScreen

        choices = [(name, f"sandbox, plays {role}") for name, role in SANDBOX_ROLES.items()]
        self.push_screen(EnvironmentScreen(choices, self.env.name, self.banner_info or banner_for(self.env)),
                         self._switch_to)

    def _switch_to(self, name: str | None) -> None:
        if not name or name == self.env.name:
            return
        try:
            self.session.switch_to(name)
        except WizardError as exc:
            self.notify(exc.what, severity="warning")
            return
        self._fingerprint = None
        self.refresh_state()
        self.notify(f"Now on {name.upper()}. The banner names it on every screen.", title="Environment")
        self._ensure_env()

    @work(thread=True, exclusive=True, group="prepare")
    def _ensure_env(self) -> None:
        try:
            self.session.ensure_environment()
        except WizardError as exc:
            self.call_from_thread(self.notify, f"{exc.what}\n→ {exc.fix}", severity="error")


def run_app(env_name: str = "sandbox-staging", journal: Path | None = None, rehearsal: bool = False,
            runbook: Path | None = None, new_week: bool = False) -> int:
    """`migration-wizard` (and `rehearse`): the TUI, holding the journal's writer lock throughout."""
    with Session.open(env_name, journal=journal, rehearsal=rehearsal, runbook=runbook, new_week=new_week) as session:
        app = WizardApp(session)
        app.run()
    return app.return_code or 0
