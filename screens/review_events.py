"""The journal itself, one event a line, for journals of any size.

`EventLog` is a Line-API scroll view over a `JournalIndex`: it renders only the rows on screen,
reading and parsing each of those lines when it is drawn (the index caches recent ones), so a
100,000-event journal scrolls as fast as a 100-event one. Lines the chain check found broken are
marked. Enter shows the selected event in full beside the log.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from wizard.session.review import JournalIndex

SUMMARY_WIDTH = 160


def _summary(event: dict[str, Any]) -> str:
    kind = event.get("type")
    if kind == "sql":
        first = next((ln.strip() for ln in str(event.get("text", "")).splitlines() if ln.strip() and not ln.strip().startswith("--")), "")
        return first
    if kind == "step_started":
        return f"{event.get('step', '')} {event.get('title', '')}"
    if kind == "step_finished":
        result = event.get("result") or {}
        return f"{event.get('step', '')} {result.get('status', '?')} in {result.get('duration_s', 0):.2f} s"
    if kind == "answer":
        return f"{event.get('step', '')} = {event.get('value')!r} ({event.get('source', '')})"
    if kind in ("day_started", "day_finished", "day_resumed"):
        ok = "" if "ok" not in event else (" ok" if event.get("ok") else f" stopped at {event.get('stopped_at')}")
        return f"{event.get('day', '')} pass {event.get('pass_id', '')}{ok}"
    if kind in ("env_connected", "env_pinned"):
        fp = event.get("fingerprint") or {}
        return f"{fp.get('system_identifier')}/{fp.get('database')} PostgreSQL {fp.get('server_version', '')}"
    if kind == "note":
        return str(event.get("text", ""))
    if kind == "run_started":
        return str(event.get("runbook_title", ""))
    if kind == "session_started":
        return f"pid {event.get('pid')} {' '.join(map(str, event.get('argv') or []))}"
    return str(event.get("note", "") or event.get("text", ""))


def format_event(event: dict[str, Any] | None, line: int) -> str:
    """One line of the log: seq, time, type, environment, and what happened."""
    if event is None:
        return f"{'?':>7}  line {line + 1} is not a JSON event (damaged)"
    ts = str(event.get("ts", ""))
    summary = " ".join(_summary(event).split())[:SUMMARY_WIDTH]
    return f"{event.get('seq', '?'):>7}  {ts[5:10]} {ts[11:23]}  {str(event.get('type', '?')):<16}{str(event.get('env', '')):<19} {summary}"


class EventLog(ScrollView, can_focus=True):
    """Every line of the journal, drawn on demand."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Show event"),
    ]
    COMPONENT_CLASSES = {"eventlog--cursor", "eventlog--problem", "eventlog--muted"}
    DEFAULT_CSS = """
    EventLog { height: 1fr; }
    EventLog > .eventlog--cursor { background: $accent 40%; text-style: bold; }
    EventLog > .eventlog--problem { color: $error; text-style: bold; }
    EventLog > .eventlog--muted { color: $text-muted; }
    """

    cursor = reactive(0)

    class Selected(Message):
        def __init__(self, line: int, event: dict[str, Any] | None) -> None:
            super().__init__()
            self.line = line
            self.event = event

    def __init__(self, index: JournalIndex, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.index = index
        self.problems: dict[int, str] = {}
        self.virtual_size = Size(SUMMARY_WIDTH + 80, len(index))

    def set_problems(self, problems: dict[int, str]) -> None:
        self.problems = dict(problems)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.size.width
        if row >= len(self.index):
            return Strip.blank(width, self.rich_style)
        text = format_event(self.index.event(row), row)
        if row in self.problems:
            text = f"{text}   ✗ {self.problems[row]}"
            style = self.get_component_rich_style("eventlog--problem")
        else:
            style = self.rich_style
        if row == self.cursor:
            style = style + self.get_component_rich_style("eventlog--cursor")
        segments = list(Text(text, style=style, no_wrap=True).render(self.app.console))
        strip = Strip(segments).extend_cell_length(self.virtual_size.width, style)
        return strip.crop(self.scroll_offset.x, self.scroll_offset.x + width).simplify()

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old - self.scroll_offset.y)
        self.refresh_line(new - self.scroll_offset.y)
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, force=True)

    def _move(self, row: int) -> None:
        if len(self.index):
            self.cursor = max(0, min(row, len(self.index) - 1))

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * max(1, self.size.height - 1))

    def action_jump(self, row: int) -> None:
        self._move(row if row >= 0 else len(self.index) - 1)

    def action_select(self) -> None:
        if len(self.index):
            self.post_message(self.Selected(self.cursor, self.index.event(self.cursor)))

    def on_click(self, event: Any) -> None:
        row = self.scroll_offset.y + event.y
        if 0 <= row < len(self.index):
            self.cursor = row
            self.action_select()

    def grow(self) -> None:
        """The file grew (a wizard is still writing to it): index the new lines."""
        if self.index.refresh():
            self.virtual_size = Size(self.virtual_size.width, len(self.index))
            self.refresh()


def event_detail(event: dict[str, Any] | None, line: int, problem: str | None = None) -> str:
    head = f"line {line + 1}" + (f" · {problem}" if problem else "")
    if event is None:
        return head + "\n\n(not a JSON event)"
    return head + "\n\n" + json.dumps(event, indent=2, sort_keys=True, ensure_ascii=False, default=str)

