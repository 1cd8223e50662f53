"""A running step's live view: its own progress line, a bar when it can tell how far it is (the
monitor's watch) and its newest output lines (a service starting, the log a monitor follows).
The step's result replaces it when the step ends."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Log, ProgressBar, Static

from wizard.session import StepProgress

TAIL_LINES = 8  # what the log box shows: enough to read a traceback's last lines, small beside the panel


@dataclass
class LiveStep:
    """What the running step has reported so far, merged from its progress messages."""

    step_id: str
    fraction: float | None = None
    text: str = ""
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    lines_seen: int = 0  # every line ever reported: tells a log box which ones it has not shown yet

    def apply(self, update: StepProgress) -> None:
        if update.fraction is not None:
            self.fraction = max(0.0, min(1.0, update.fraction))
        if update.text is not None:
            self.text = update.text
        self.lines.extend(update.lines)
        self.lines_seen += len(update.lines)


def merged(older: StepProgress, newer: StepProgress) -> StepProgress:
    """Two updates as one (the newer's news wins; no line of either is lost from the tail)."""
    return StepProgress(newer.fraction if newer.fraction is not None else older.fraction,
                        newer.text if newer.text is not None else older.text,
                        (older.lines + newer.lines)[-TAIL_LINES:] if older.lines else newer.lines)


class LivePanel(Vertical):
    """The running step's progress line, bar and log tail; `show()` updates it in place."""

    def __init__(self, live: LiveStep | None) -> None:
        super().__init__(classes="sv-live")
        self.live = live
        self._written = 0  # lines_seen when the log box was last written

    def compose(self) -> ComposeResult:
        yield Static("", classes="sv-live-text", markup=False)
        # The step's own text says the time left: an ETA guessed by the bar would say it twice.
        yield ProgressBar(total=100, show_eta=False, classes="sv-progress")
        log = Log(max_lines=TAIL_LINES, auto_scroll=True, classes="sv-live-log")
        log.border_title = "output · newest last"
        yield log

    def on_mount(self) -> None:
        self.show(self.live)

    def show(self, live: LiveStep | None) -> None:
        self.live = live
        if not self.is_mounted:
            return  # on_mount shows it
        text = self.query_one(".sv-live-text", Static)
        bar = self.query_one(ProgressBar)
        log = self.query_one(Log)
        text.update(live.text if live else "")
        text.display = bool(live and live.text)
        bar.display = bool(live and live.fraction is not None)
        if live is not None and live.fraction is not None:
            bar.update(progress=round(live.fraction * 100, 1))
        log.display = bool(live and live.lines_seen)
        if live is None:
            return
        new = live.lines_seen - self._written
        if new > 0:
            if new >= len(live.lines) or self._written == 0:
                log.clear()
                log.write_lines(list(live.lines))
            else:
                log.write_lines(list(live.lines)[-new:])
            self._written = live.lines_seen
