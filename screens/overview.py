"""The week overview: Monday to Friday, each task's state on this environment, estimate vs actual,
where the run stands, and the step running now (or the last one) with its results."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from screens.actions import bindings
from screens.base import WizardScreen
from screens.model import (CHANGED, MARKS, STYLES, changed_note, day_summary, latest_step, shown_state, standing, step_result,
                           step_state, task_seconds, task_state)
from screens.widgets.step_view import StepView
from wizard.runbook.model import Task

TASK_COLUMNS = (("", "mark"), ("Task", "id"), ("Title", "title"), ("State", "state"), ("Est.", "estimate"),
                ("Actual", "actual"), ("Steps", "steps"))
MORE_COLUMNS = "→ more columns"  # the table is wider than its pane: it scrolls sideways


class WeekOverview(WizardScreen):
    BINDINGS = bindings("overview")
    palette_scope = "overview"
    AUTO_FOCUS = "#tasks"

    def __init__(self) -> None:
        super().__init__(id="overview")
        self.day_index = 0
        self._rows: list[str] = []
        self._drawn: dict[str, object] = {}  # what each part shows now: unchanged parts are not redrawn

    def _changed(self, part: str, value: object) -> bool:
        if self._drawn.get(part) == value:
            return False
        self._drawn[part] = value
        return True

    def on_resize(self) -> None:
        self.call_after_refresh(self._sideways_hint)

    def _sideways_hint(self) -> None:
        table = self.query_one("#tasks", DataTable)
        wider = table.virtual_size.width > table.scrollable_content_region.width
        table.border_subtitle = MORE_COLUMNS if wider else ""

    def _text(self, selector: str, text: str) -> None:
        if self._changed(selector, text):
            self.query_one(selector, Static).update(text)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="run-title", markup=False)
        yield Static("", id="standing", markup=False)
        with Horizontal(id="week"):
            yield OptionList(id="days")
            with Vertical(id="day-pane"):
                yield DataTable(id="tasks", cursor_type="row", zebra_stripes=True)
        yield StepView(show_preview=False, id="now")

    def on_mount(self) -> None:
        super().on_mount()
        # Fixed widths: the table draws the same way whatever was shown before (deterministic snapshots).
        tasks = self.wizard.runbook.tasks()
        widths = {"mark": 1, "id": max(4, *(len(t.id) for t in tasks)), "title": min(48, max(len(t.title) for t in tasks)),
                  "state": 11, "estimate": 6, "actual": 10, "steps": 5}  # actual: "9 min 59 s"
        table = self.query_one("#tasks", DataTable)
        for label, key in TASK_COLUMNS:
            table.add_column(label, key=key, width=widths[key])
        days = self.query_one("#days", OptionList)
        days.border_title = "Days"
        self.query_one("#now", StepView).border_title = "Now"
        self.refresh_view()

    # --- what is selected ---------------------------------------------------------
    @property
    def day(self):  # noqa: ANN201 - a runbook Day
        return self.wizard.runbook.days[self.day_index]

    def selected_task(self) -> Task | None:
        table = self.query_one("#tasks", DataTable)
        if not self._rows or table.cursor_row is None or table.cursor_row >= len(self._rows):
            return None
        return self.wizard.runbook.task(self._rows[table.cursor_row])

    def select_day(self, index: int) -> None:
        index = max(0, min(index, len(self.wizard.runbook.days) - 1))
        if index != self.day_index:
            self.day_index = index
            self.query_one("#tasks", DataTable).move_cursor(row=0)
        self.refresh_view()

    # --- drawing ------------------------------------------------------------------
    def refresh_view(self) -> None:
        app = self.wizard
        state, env = app.state, app.env
        running_step = app.running[1].id if app.running else None
        journal = app.fmt.path(str(app.journal_path))
        title = f"{app.runbook.title}  ·  journal {journal}"
        if app.archived_journals:
            names = ", ".join(p.name for p in app.archived_journals[:3])
            more = f" and {len(app.archived_journals) - 3} more" if len(app.archived_journals) > 3 else ""
            title += f"\nEarlier weeks (kept beside it; `migration-wizard review` opens one): {names}{more}"
        self._text("#run-title", title)
        if app.journal is None:
            self._text("#standing", app.progress or "Opening the journal…")
        else:
            said = standing(app.runbook, state, env.name, env.role, app.running, live=app.run_active)
            note = changed_note(app.file_changes.values())
            self._text("#standing", f"{said}\n{MARKS[CHANGED]} {note}" if note else said)
        days = self.query_one("#days", OptionList)
        options = []
        for day in app.runbook.days:
            summary = day_summary(state, env.name, env.role, day, running_step, live=app.run_active)
            mark = MARKS.get(summary.verdict, "✗" if summary.verdict.startswith("stopped") else "·")
            # The day's verdict in words is the task table's title (the selected day), so the list
            # stays narrow enough for the table's titles at 80 columns.
            options.append((f"{mark} {summary.label:<10}{summary.done}/{summary.total}", day.id))
        if self._changed("days", options):
            days.set_options([Option(prompt, id=day_id) for prompt, day_id in options])
        if days.highlighted != self.day_index:
            days.highlighted = self.day_index
        day = self.day
        summary = day_summary(state, env.name, env.role, day, running_step, live=app.run_active)
        # Verdict first: at 80 columns the border cuts the end of a long title, not the state.
        title = f"{day.id.capitalize()} {summary.done}/{summary.total} · {summary.verdict}"
        if summary.other_role:
            title += f" · needs {summary.other_role}"
        title += f" — {day.title}"
        table = self.query_one("#tasks", DataTable)
        if self._changed("day-title", title):
            table.border_title = title
        self._fill_tasks(day.tasks, running_step)
        self._show_now()

    def _fill_tasks(self, tasks, running_step: str | None) -> None:  # noqa: ANN001
        app = self.wizard
        table = self.query_one("#tasks", DataTable)
        rows = []
        for task in tasks:
            changed = any(c.task == task.id for c in app.file_changes.values())
            word = shown_state(task_state(app.state, app.env.name, task, running_step), changed)
            passed = sum(step_state(app.state, app.env.name, s.id) in ("passed", "attested", "skipped") for s in task.steps)
            rows.append((word, task.id, task.title, app.fmt.estimate(task.estimate_minutes),
                         app.fmt.duration(task_seconds(app.state, task, app.env.name)), f"{passed}/{len(task.steps)}"))
        if not self._changed("tasks", rows):
            return
        row = table.cursor_row
        table.clear()
        self._rows = []
        for word, task_id, title, estimate, actual, steps in rows:
            style = STYLES.get(word, "")
            table.add_row(Text(MARKS.get(word, "?"), style=style), task_id, title, Text(word, style=style),
                          estimate, actual, steps, key=task_id)
            self._rows.append(task_id)
        if self._rows:
            table.move_cursor(row=min(row or 0, len(self._rows) - 1), animate=False)
        self.call_after_refresh(self._sideways_hint)

    def _show_now(self) -> None:
        """The running step, else the last step that finished on this environment, else nothing."""
        app = self.wizard
        view = self.query_one("#now", StepView)
        if app.running is not None:
            task, step = app.running
        elif app.last_step is not None:
            task, step = app.last_step
        elif (latest := latest_step(app.runbook, app.state, app.env.name)) is not None:
            task, step = latest
        else:
            view.show_note(" ".join(self.day.summary.split()) + "\n\nr runs the day on " + app.env.name +
                           "; Enter opens the highlighted task; ← → change the day; F1 lists every key.")
            view.border_title = f"{self.day.id.capitalize()}: {self.day.title}"
            return
        running_step = app.running[1].id if app.running else None
        view.show(task, step, step_result(app.state, app.env.name, step.id),
                  step_state(app.state, app.env.name, step.id, running_step), app.fmt, live=app.live)
        view.border_title = f"Now: task {task.id} · {task.title}"

    # --- input ----------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#days")
    def day_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index is not None and event.option_index != self.day_index:
            self.select_day(event.option_index)

    @on(OptionList.OptionSelected, "#days")
    def day_selected(self, event: OptionList.OptionSelected) -> None:
        self.select_day(event.option_index)
        self.query_one("#tasks", DataTable).focus()

    @on(DataTable.RowSelected, "#tasks")
    def task_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_task()

    def action_prev_day(self) -> None:
        self.select_day(self.day_index - 1)

    def action_next_day(self) -> None:
        self.select_day(self.day_index + 1)

    def action_run_day(self) -> None:
        self.wizard.start_run(self.day.id)

    def action_run_task(self) -> None:
        task = self.selected_task()
        if task is not None:
            self.wizard.start_run(self.day.id, task_ids=[task.id])

    def action_open_task(self) -> None:
        task = self.selected_task()
        if task is not None:
            self.wizard.open_task(task.id)
