"""One task: the runbook's instructions, its steps, and the selected step in full (its SQL or
command, expectations and verdict, advice on failure, results)."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from screens.actions import bindings
from screens.base import WizardScreen
from screens.model import CHANGED, MARKS, PASSED, shown_state, step_result, step_state, task_seconds, task_state
from screens.widgets.drop_preview import MigrationPreview
from screens.widgets.step_view import StepView
from screens.widgets.task_layout import compose_task_layout
from wizard.errors import WizardError
from wizard.redact import redact
from wizard.runbook.model import Step, Task
from wizard.session import StepResult


class TaskScreen(WizardScreen):
    BINDINGS = bindings("task")
    palette_scope = "task"
    AUTO_FOCUS = "#steps"

    def __init__(self, task: Task) -> None:
        super().__init__(classes="task-screen")
        self.the_task = task
        self.step_index = 0
        self.previews: dict[str, dict[str, str]] = {}
        # Live previews of migrations, per (environment, step): a preview dict, or a WizardError
        # saying why there is none; a key present with None is being read.
        self.migration_previews: dict[tuple[str, str], dict[str, Any] | WizardError | None] = {}
        self._followed: str | None = None  # the running step last moved to: the operator may browse meanwhile

    def compose_body(self) -> ComposeResult:
        yield from compose_task_layout(self.the_task.instructions)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#instructions-box").border_title = "Instructions"
        self.query_one("#steps", OptionList).border_title = "Steps  (s runs the selected one)"
        self.refresh_view()
        self.load_previews()
        self.wizard.result_hooks.append(self._step_finished)

    def on_unmount(self) -> None:
        if self._step_finished in self.wizard.result_hooks:
            self.wizard.result_hooks.remove(self._step_finished)

    def _step_finished(self, task: Task, step: Step, result: StepResult) -> None:
        """A migration ran: the catalogue may have changed, read it again when shown."""
        if step.kind == "migration":
            self.migration_previews.clear()

    @property
    def step(self) -> Step:
        return self.the_task.steps[self.step_index]

    @work(thread=True, exclusive=True, group="previews")
    def load_previews(self) -> None:
        """Previews read SQL files from disk: done in a thread, never on the event loop."""
        for step in self.the_task.steps:
            preview = self.wizard.preview(step)
            self.app.call_from_thread(self._preview_ready, step.id, preview)

    def _preview_ready(self, step_id: str, preview: dict[str, str]) -> None:
        self.previews[step_id] = preview
        if step_id == self.step.id:
            self.refresh_view()

    @work(thread=True, group="migration-preview", exit_on_error=False)
    async def load_migration_preview(self, key: tuple[str, str], step: Step) -> None:
        """The migration's live preview, read off the UI thread on a connection of its own."""
        try:
            found: dict[str, Any] | WizardError = await self.wizard.migration_preview(step)
        except WizardError as exc:
            found = exc
        except Exception as exc:  # noqa: BLE001 - a preview never takes the screen down, nor stops a run
            found = WizardError(f"{type(exc).__name__}: {exc}")
        self.app.call_from_thread(self._migration_preview_ready, key, found)

    def _migration_preview_ready(self, key: tuple[str, str], found: dict[str, Any] | WizardError) -> None:
        if key in self.migration_previews:  # not cleared meanwhile by a step that finished
            self.migration_previews[key] = found
        self.refresh_view()

    def _show_migration_preview(self, step: Step, word: str) -> None:
        """A migration not yet passed on this environment: its panel, read once and kept."""
        panel = self.query_one(MigrationPreview)
        app = self.wizard
        panel.display = step.kind == "migration" and word != PASSED and app.journal is not None
        if not panel.display:
            return
        key = (app.env.name, step.id)
        if key not in self.migration_previews:
            if app.run_active:  # not while a run may hold the locks a preview's counts would wait on
                panel.note("Preview · read when the run ends.")
                return
            self.migration_previews[key] = None
            self.load_migration_preview(key, step)
        found = self.migration_previews[key]
        if found is None:
            panel.loading(app.env.name)
        elif isinstance(found, WizardError):
            panel.failed(app.env.name, redact(app.fmt.path(found.what)))
        else:
            panel.show_preview(found, app.fmt.size)

    def refresh_view(self) -> None:
        app = self.wizard
        task, env = self.the_task, app.env.name
        running_step = app.running[1].id if app.running else None
        self._follow(running_step)
        changes = [c for c in app.file_changes.values() if c.task == task.id]
        word = shown_state(task_state(app.state, env, task, running_step), bool(changes))
        day = task.day_id.capitalize() if task.day_id else ""
        # The one line that says why: which file, its sha256 then and now (re-checked on resume).
        why = "".join(f"\n{MARKS[CHANGED]} {c.step}: {c.reason}; re-checked on resume." for c in changes)
        self.query_one("#task-title", Static).update(
            f"{MARKS.get(word, '?')} Task {task.id} · {task.title} · {day} · estimate "
            f"{app.fmt.estimate(task.estimate_minutes)} · actual {app.fmt.duration(task_seconds(app.state, task, app.env.name))}"
            f" · {word}{why}")
        steps = self.query_one("#steps", OptionList)
        options = []
        for step in task.steps:
            s_word = shown_state(step_state(app.state, env, step.id, running_step), step.id in app.file_changes)
            optional = " (optional)" if step.optional else ""
            options.append(Option(f"{MARKS.get(s_word, '?')} {step.id}  {step.kind}{optional}\n   {s_word} · {step.title}",
                                  id=step.id))
        steps.set_options(options)
        steps.highlighted = self.step_index
        steps.scroll_to_highlight()
        step = self.step
        preview = self.previews.get(step.id)
        self.query_one("#step-view", StepView).show(
            task, step, step_result(app.state, env, step.id), step_state(app.state, env, step.id, running_step),
            app.fmt, preview or {"language": "text", "text": "(loading…)"}, live=app.live)
        self._show_migration_preview(step, step_state(app.state, env, step.id, running_step))

    def _follow(self, running_step: str | None) -> None:
        """A step of this task has started: select it, once, so it is on screen while it runs."""
        if running_step is None or running_step == self._followed:
            return
        self._followed = running_step
        for index, step in enumerate(self.the_task.steps):
            if step.id == running_step:
                self.step_index = index

    @on(OptionList.OptionHighlighted, "#steps")
    def step_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index is not None and event.option_index != self.step_index:
            self.step_index = event.option_index
            self.refresh_view()

    @on(OptionList.OptionSelected, "#steps")
    def step_selected(self, event: OptionList.OptionSelected) -> None:
        self.step_index = event.option_index
        self.refresh_view()

    def show_step(self, step_id: str) -> None:
        for index, step in enumerate(self.the_task.steps):
            if step.id == step_id:
                self.step_index = index
                self.refresh_view()

    # A run started here is followed: when it moves on to the next task, that task's screen opens
    # (WizardApp.on_wizard_app_step_started); leaving or changing task by hand stops following.
    def action_run_step(self) -> None:
        self.wizard.follow_run = True
        self.wizard.start_run(self.the_task.day_id, step=(self.the_task, self.step))

    def action_run_task(self) -> None:
        self.wizard.follow_run = True
        self.wizard.start_run(self.the_task.day_id, task_ids=[self.the_task.id])

    def action_run_day(self) -> None:
        self.wizard.follow_run = True
        self.wizard.start_run(self.the_task.day_id)

    def action_back(self) -> None:
        self.wizard.follow_run = False
        self.dismiss()

    def action_next_task(self) -> None:
        self.wizard.follow_run = False
        self.wizard.open_neighbour(self.the_task.id, +1)

    def action_prev_task(self) -> None:
        self.wizard.follow_run = False
        self.wizard.open_neighbour(self.the_task.id, -1)
