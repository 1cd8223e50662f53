"""The task screen's layout, shared by the live wizard and the offline review: the title line,
the runbook's instructions over the list of steps on the left, the step's view on the right."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Markdown, OptionList, Static

from screens.widgets.step_view import StepView


def compose_task_layout(instructions: str) -> ComposeResult:
    yield Static("", id="task-title", markup=False)
    with Horizontal(id="task-body"):
        with Vertical(id="task-left"):
            with VerticalScroll(id="instructions-box"):
                yield Markdown(instructions, id="instructions")
            yield OptionList(id="steps")
        yield StepView(show_preview=True, id="step-view")
