"""One step in full: what it runs (read-only, syntax-highlighted), what it expects and the verdict
with its evidence, the troubleshooting advice when it failed, and its results as tables."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from screens.display import Display
from screens.model import MARKS, RUNNING, css_state
from screens.present import Evidence, present, readable_evidence
from screens.widgets.live import LivePanel, LiveStep
from screens.widgets.results_table import ResultsTable
from wizard.results import StepResult
from wizard.runbook.model import Step, Task

HIGHLIGHTED = ("sql", "bash")


def evidence_table(evidence: Evidence) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_header=any(evidence.columns or ()), show_edge=False, padding=(0, 1), pad_edge=False,
                  header_style="dim bold")
    for index, column in enumerate(evidence.columns or []):
        table.add_column(column, justify="left" if index == 0 else "right", style="dim" if index == 0 else "")
    for row in evidence.rows or []:
        table.add_row(*row)
    if evidence.more:
        table.add_row(f"+{evidence.more} more", *[""] * (len(evidence.columns or [""]) - 1), style="dim italic")
    return table


def checks_text(step: Step, result: StepResult | None) -> Group:
    """Each expectation in words first (its `describe`), then the evidence said briefly, with a
    small table when the values compared were a dict or a list."""
    parts: list[Any] = []
    pending = list(result.checks) if result else []
    if not step.expect:
        parts.append(Text("(no expectation: the step passes when it runs without error)", style="dim"))
    for expectation in step.expect:
        found = next((c for c in pending if c.check == expectation.check), None)
        line = Text()
        if found is not None:
            pending.remove(found)
            mark, style = ("✓", "green") if found.ok else ("✗", "bold red")
            evidence = readable_evidence(found)
            line.append(f"{mark} ", style=style)
            line.append(expectation.describe)
            line.append(f"\n  {evidence.text}", style="dim" if found.ok else "red")
            parts.append(line)
            if evidence.rows:
                parts.append(Padding(evidence_table(evidence), (0, 0, 0, 2)))
        else:
            line.append("· ", style="dim")
            line.append(expectation.describe, style="dim")
            line.append("\n  not judged: the step stopped before its checks" if result is not None
                        else "\n  not judged yet", style="dim italic")
            parts.append(line)
    return Group(*parts)


def watch_seconds(step: Step, env_kind: str | None) -> float | None:
    params = step.params
    if env_kind == "sandbox" and params.get("rehearsal_duration_s") is not None:
        return float(params["rehearsal_duration_s"])
    return float(params.get("duration_s", 1800))


class StepView(VerticalScroll):
    """Shows one step; `show()` refreshes it, rebuilding result tables only when the result changed."""

    def __init__(self, *, show_preview: bool = True, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.show_preview = show_preview
        self._key: Any = None
        self._preview_key: Any = None
        self.step: Step | None = None
        self._live_panel: LivePanel | None = None

    def allow_focus(self) -> bool:
        # Tab stops here only when there is something to scroll: a stop where the arrows move
        # nothing reads as a broken key.
        return super().allow_focus() and (self.max_scroll_y > 0 or self.max_scroll_x > 0)

    def compose(self) -> ComposeResult:
        yield Static("Select a step.", classes="sv-head", markup=False)
        if self.show_preview:
            from textual.widgets import TextArea  # only the task screen shows previews

            from screens.widgets.drop_preview import MigrationPreview

            panel = MigrationPreview(classes="sv-migration")
            panel.display = False  # only a migration not yet passed here has one (the task screen fills it)
            yield panel
            yield TextArea("", read_only=True, show_line_numbers=True, soft_wrap=True, classes="sv-preview",
                           tab_behavior="focus")
        yield Static("Expectations", classes="sv-label")
        yield Static("", classes="sv-checks")
        yield Static("", classes="sv-error", markup=False)
        yield Static("", classes="sv-advice")
        self._blocks = Vertical(classes="sv-blocks")
        yield self._blocks

    def show(self, task: Task, step: Step, result: StepResult | None, word: str, display: Display,
             preview: dict[str, str] | None = None, live: LiveStep | None = None) -> None:
        self.step = step
        head = self.query_one(".sv-head", Static)
        mark = MARKS.get(word, "?")
        extra = f" · {display.duration(result.duration_s)}" if result is not None and word != RUNNING else ""
        optional = " · optional" if step.optional else ""
        head.update(f"{mark} {word.upper()} · {step.id} · {step.kind} · for {step.target}{optional}{extra}\n{step.title}")
        for cls in list(head.classes):
            if cls.startswith("state-"):
                head.remove_class(cls)
        head.add_class(css_state(word))
        if self.show_preview and preview is not None:
            self.set_preview(preview, display)
        self.query_one(".sv-label", Static).display = True
        self.query_one(".sv-checks", Static).update(checks_text(step, result))
        error = self.query_one(".sv-error", Static)
        error.update(f"✗ {display.path(result.error)}" if result is not None and result.error else "")
        error.display = bool(result is not None and result.error)
        advice = self.query_one(".sv-advice", Static)
        items = result.advice if result is not None else []
        advice_text = Text()
        for item in items:
            advice_text.append("Runbook troubleshooting — ", style="bold")
            advice_text.append(f"{item.get('problem', '')}\n")
            advice_text.append(f"→ {item.get('advice', '')}\n")
        advice.update(advice_text)
        advice.display = bool(items)
        key = (task.id, step.id, result.started_at if result else None, result.status if result else None, word == RUNNING)
        if key != self._key:
            self._key = key
            self._rebuild_blocks(step, result, word, display, live)
        else:
            self.show_live(live)

    def show_live(self, live: LiveStep | None) -> None:
        """The running step reported progress: its panel updated in place (nothing rebuilt)."""
        if self._live_panel is not None and (live is None or self.step is None or live.step_id == self.step.id):
            self._live_panel.show(live)

    def show_note(self, text: str) -> None:
        """No step to show yet: a note (the day's summary) in the same panel, so the layout stays put."""
        if self._key == ("note", text):
            return
        self._key = ("note", text)
        self.step = None
        self._live_panel = None
        self.query_one(".sv-head", Static).update(text)
        self.query_one(".sv-checks", Static).update("")
        for selector in (".sv-error", ".sv-advice"):
            self.query_one(selector, Static).display = False
        self.query_one(".sv-label", Static).display = False
        self._swap_blocks([])

    def set_preview(self, preview: dict[str, str], display: Display) -> None:
        key = (self.step.id if self.step else None, preview.get("text"))
        if key == self._preview_key:
            return
        self._preview_key = key
        from textual.widgets import TextArea

        area = self.query_one(".sv-preview", TextArea)
        language = preview.get("language")
        area.language = language if language in HIGHLIGHTED else None
        area.load_text(display.path(preview.get("text", "")))

    def _rebuild_blocks(self, step: Step, result: StepResult | None, word: str, display: Display,
                        live: LiveStep | None = None) -> None:
        widgets: list[Any] = []
        self._live_panel = None
        if result is None:
            if word == RUNNING:
                widgets.append(Static("Running… Ctrl+K cancels it (on the server, for SQL).", classes="sv-running"))
                if step.kind == "monitor":
                    seconds = watch_seconds(step, getattr(getattr(self.app, "env", None), "kind", None))
                    widgets.append(Static(f"watching for {display.duration(seconds)}", classes="sv-text"))
                self._live_panel = LivePanel(live if live is not None and live.step_id == step.id else None)
                widgets.append(self._live_panel)
        else:
            for block in present(step, result, display.path):
                if block.kind == "table" and block.data is not None:
                    widgets.append(ResultsTable(block.data, title=block.title))
                elif block.kind == "histogram" and block.data is not None:
                    from screens.widgets.latency import latency_plot

                    widgets.append(latency_plot(block.data["histogram"], block.title or "latency histogram"))
                elif block.kind == "output":
                    if block.title:
                        widgets.append(Static(block.title, classes="sv-output-title", markup=False))
                    widgets.append(Static(block.text, classes="sv-output", markup=False))
                else:
                    widgets.append(Static(block.text, classes="sv-text", markup=False))
            if widgets:
                widgets.insert(0, Static("Result", classes="sv-label"))
        self._swap_blocks(widgets)

    def _swap_blocks(self, widgets: list[Any]) -> None:
        """Replace the whole holder at once: results arriving in quick succession (a day's steps)
        can never leave an earlier step's widgets behind, as removing children then mounting
        new ones into the same holder could."""
        if not self.is_attached or self._closing:
            return  # the app is closing: nothing to show any more
        old, self._blocks = self._blocks, Vertical(*widgets, classes="sv-blocks")
        old.remove()
        self.mount(self._blocks)
