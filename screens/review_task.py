"""One task of a saved journal: its instructions, every run of each step (a failed run and the
run that fixed it both appear), and the selected run in full: what it ran (the SQL as journaled),
its checks and verdict, timings, advice, results. Nothing here can run anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from screens.base import WizardScreen
from screens.model import MARKS, NOT_STARTED
from screens.widgets.step_view import StepView
from screens.widgets.task_layout import compose_task_layout
from wizard.session.review import NOT_RUN, Attempt, fmt_duration, fmt_ts, verdict_word
from wizard.runbook.model import Step, Task

if TYPE_CHECKING:
    from screens.review import ReviewApp


class ReviewTaskScreen(WizardScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("n", "neighbour(1)", "Next task"),
        Binding("p", "neighbour(-1)", "Prev task"),
    ]
    AUTO_FOCUS = "#steps"

    def __init__(self, task: Task) -> None:
        super().__init__(classes="task-screen review-task")
        self.the_task = task
        self.entries: list[tuple[Step, Attempt | None]] = []
        self.selected = 0

    @property
    def review(self) -> "ReviewApp":
        return self.app  # type: ignore[return-value]

    def compose_body(self) -> ComposeResult:
        yield from compose_task_layout(self.the_task.instructions)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#instructions-box").border_title = "Instructions"
        self.query_one("#steps", OptionList).border_title = "Runs of each step (from the journal)"
        self.query_one("#step-view", StepView).border_title = "What it ran · checks · results"
        data = self.review.data
        attempts = data.task_attempts(self.the_task) if data else []
        for step in self.the_task.steps:
            runs = [a for a in attempts if a.step == step.id]
            self.entries += [(step, a) for a in runs] or [(step, None)]
        steps = self.query_one("#steps", OptionList)
        steps.set_options([self._option(step, attempt) for step, attempt in self.entries])
        steps.highlighted = 0
        self.refresh_view()

    def _option(self, step: Step, attempt: Attempt | None) -> Option:
        optional = " (optional)" if step.optional else ""
        if attempt is None:
            return Option(f"{MARKS[NOT_STARTED]} {step.id}  {step.kind}{optional}\n   {NOT_RUN} · {step.title}")
        word = attempt.status
        when = fmt_ts(attempt.started_at, date=False, ms=False).removesuffix(" UTC")
        return Option(f"{MARKS.get(word, '?')} {step.id}  {step.kind}{optional}\n   {word} · {attempt.env} · {when} · "
                      f"{fmt_duration(attempt.duration_s)}")

    def refresh_view(self) -> None:
        app, task = self.review, self.the_task
        data = app.data
        ctx = data.context if data else None
        timing = ctx.task_time(task) if ctx else None
        verdict = ctx.task_status_text(task) if ctx else NOT_RUN
        word = verdict_word(timing.state if timing else NOT_STARTED)
        envs = data.envs_of(task) if data else ""
        span = (f" · {fmt_ts(timing.started, ms=False)[:-4]} → {fmt_ts(timing.ended, date=False, ms=False)}"
                if timing and timing.attempts else "")
        self.query_one("#task-title", Static).update(
            f"{MARKS.get(word, '✗' if word in ('failed', 'error') else '?')} Task {task.id} · {task.title} · "
            f"{task.day_id.capitalize()} · estimate {app.fmt.estimate(task.estimate_minutes)} · actual "
            f"{data.actual(task) if data else NOT_RUN}{span} · {verdict}" + (f" · on {envs}" if envs else ""))
        if not self.entries:
            return
        step, attempt = self.entries[self.selected]
        view = self.query_one("#step-view", StepView)
        result = data.ordered_result(attempt) if (data and attempt) else None
        state = attempt.status if attempt else NOT_STARTED
        preview = data.what_ran(step, attempt) if data else {"language": "text", "text": ""}
        view.show(task, step, result, state, app.fmt, preview)
        where = f" · on {attempt.env}" + (f" (server {attempt.fingerprint.get('system_identifier')}/"
                                           f"{attempt.fingerprint.get('database')})" if attempt.fingerprint else "")
        view.border_title = f"{step.id}{where if attempt else ' · ' + NOT_RUN}"
        if attempt is not None:
            view.border_subtitle = f"started {fmt_ts(attempt.started_at)} · ended {fmt_ts(attempt.finished_at)}"
        else:
            view.border_subtitle = ""

    @on(OptionList.OptionHighlighted, "#steps")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index is not None and event.option_index != self.selected:
            self.selected = event.option_index
            self.refresh_view()

    def action_back(self) -> None:
        self.dismiss()

    def action_neighbour(self, delta: int) -> None:
        self.review.open_neighbour(self.the_task.id, delta)

    def show_run(self, step_id: str, nth: int = 0) -> None:
        """Select the nth run of a step (tests and links from the overview)."""
        matches = [i for i, (s, _a) in enumerate(self.entries) if s.id == step_id]
        if matches:
            self.selected = matches[min(nth, len(matches) - 1)]
            self.query_one("#steps", OptionList).highlighted = self.selected
            self.refresh_view()

