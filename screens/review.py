"""`migration-wizard review PATH`: a saved journal in the TUI, with no database and nothing to run.

The grey OFFLINE REVIEW banner (wizard.banner.offline_banner) names the journal and its integrity
on every screen. Three tabs: the week (days, tasks, verdicts, estimate vs actual; Enter opens a
task with each step's SQL, checks and results), the events (the journal line by line, drawn only
where visible, so huge journals open at once) and the integrity check. The app has no engine and
no run binding: the only things it writes are the documents, when asked (x).
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path


from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.reactive import reactive
from textual.widgets import DataTable, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from screens.base import MIN_HEIGHT, MIN_WIDTH, WizardScreen
from screens.display import Display
from screens.model import MARKS, NOT_STARTED, STYLES
from wizard.session.review import ReviewData, export_documents, fmt_ts, overall_verdict, verdict_word
from screens.review_events import EventLog, event_detail
from wizard.banner import BannerInfo, offline_banner




HERE = Path(__file__).resolve().parent
DETAIL_RUNS = 40
TASK_COLUMNS = (("", None), ("Task", None), ("Title", 30), ("State", None), ("Estimate", None), ("Actual", None), ("Runs", None))


class ReviewScreen(WizardScreen):
    BINDINGS = [
        Binding("w", "tab('tab-week')", "Week"),
        Binding("l", "tab('tab-events')", "Events"),
        Binding("i", "tab('tab-integrity')", "Integrity"),
        Binding("o", "open_task", "Open task"),
        Binding("left", "day(-1)", "Prev day", show=False),
        Binding("right", "day(1)", "Next day", show=False),
    ]
    AUTO_FOCUS = "#tasks"

    def __init__(self) -> None:
        super().__init__(id="review")
        self.day_index = 0
        self._rows: list[str] = []
        self._detail_line: int | None = None

    @property
    def review(self) -> "ReviewApp":
        return self.app  # type: ignore[return-value]

    def compose_body(self) -> ComposeResult:
        yield Static("", id="run-title", markup=False)
        yield Static("", id="standing", markup=False)
        with TabbedContent(id="review-tabs", initial="tab-week"):
            with TabPane("Week", id="tab-week"):
                yield Static("", id="review-loading", markup=False)
                with Horizontal(id="week"):
                    yield OptionList(id="days")
                    with Vertical(id="day-pane"):
                        yield Static("", id="day-title", markup=False)
                        yield DataTable(id="tasks", cursor_type="row", zebra_stripes=True)
                yield Static("", id="review-detail", markup=False)
            with TabPane("Events", id="tab-events"):
                with Horizontal(id="events-pane"):
                    yield EventLog(self.review.data.index, id="events")
                    with VerticalScroll(id="event-detail-box"):
                        yield Static("Enter shows the selected event in full.", id="event-detail", markup=False)
            with TabPane("Integrity", id="tab-integrity"):
                with VerticalScroll(id="integrity-box"):
                    yield Static("", id="integrity", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#days", OptionList).border_title = "Days"
        self.query_one("#event-detail-box").border_title = "Event (Enter again closes)"
        self.query_one("#event-detail-box").display = False
        self.query_one("#events", EventLog).border_title = "Journal, one event a line (↑↓ PgUp PgDn Home End, Enter: the event in full)"
        self.refresh_view()

    # --- drawing ----------------------------------------------------------------------------
    def refresh_view(self) -> None:
        app = self.review
        data = app.data
        ctx = data.context
        count = len(data.index)
        shown = app.shown_path
        if ctx is None:
            self.query_one("#run-title", Static).update(f"journal {shown}" + (f" · {count:,} events" if count else ""))
            self.query_one("#standing", Static).update(app.progress or "Reading the journal…")
            loading = self.query_one("#review-loading", Static)
            loading.display = True
            loading.update(f"{app.progress or 'Reading the journal…'}\n\nThe Events tab (l) shows the journal already.")
            self.query_one("#week").display = False
            self.query_one("#review-detail").display = False
        else:
            self.query_one("#review-loading").display = False
            self.query_one("#week").display = True
            self.query_one("#review-detail").display = True
            status = overall_verdict(data)
            self.query_one("#run-title", Static).update(
                f"{ctx.runbook.title}  ·  journal {shown}  ·  run {ctx.run_id}  ·  {count:,} events  ·  "
                f"{ctx.state.sessions} session(s)  ·  last event {fmt_ts(ctx.last_event_at)}")
            rehearsal = "REHEARSAL on sandbox clusters · " if ctx.rehearsal else ""
            self.query_one("#standing", Static).update(f"{rehearsal}{status}")
            self._fill_days()
            self._fill_tasks()
            self._fill_detail()
        events = self.query_one("#events", EventLog)
        if events.virtual_size.height != count:  # the index was built (or grew) in the load worker
            events.virtual_size = Size(events.virtual_size.width, count)
        self._fill_integrity()
        if data.problem_lines:
            self.query_one("#events", EventLog).set_problems(data.problem_lines)

    def _fill_days(self) -> None:
        ctx = self.review.data.context
        days = self.query_one("#days", OptionList)
        options = []
        for day in ctx.runbook.days:  # type: ignore[union-attr]
            decided = ctx.day_state(day)  # type: ignore[union-attr]
            status = ctx.day_status_text(day)  # type: ignore[union-attr]
            word = verdict_word(decided.verdict)
            options.append(Option(f"{MARKS.get(word, '◐')} {day.id.capitalize():<10}{decided.done}/{decided.total}  {status.split(' (')[0]}",
                                  id=day.id))
        days.set_options(options)
        days.highlighted = self.day_index

    def _fill_tasks(self) -> None:
        app = self.review
        ctx = app.data.context
        day = ctx.runbook.days[self.day_index]  # type: ignore[union-attr]
        table = self.query_one("#tasks", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        for label, width in TASK_COLUMNS:
            table.add_column(label, width=width)
        self._rows = []
        for task in day.tasks:
            timing = ctx.task_time(task)  # type: ignore[union-attr]
            word = verdict_word(timing.state)
            verdict = ctx.task_status_text(task)  # type: ignore[union-attr]
            if timing.state == NOT_STARTED and task.id in ctx.left_out:  # type: ignore[union-attr]
                verdict = "not run (left out)"
            style = STYLES.get(word, "bold red" if word in ("failed", "error") else "")
            table.add_row(Text(MARKS.get(word, "✗"), style=style), task.id, task.title, Text(verdict, style=style),
                          app.fmt.estimate(task.estimate_minutes), app.data.actual(task),
                          str(len(timing.attempts)), key=task.id)
            self._rows.append(task.id)
        self.query_one("#day-title", Static).update(f"{day.id.capitalize()} — {day.title}")
        if self._rows:
            table.move_cursor(row=min(row or 0, len(self._rows) - 1), animate=False)

    def _fill_detail(self) -> None:
        data = self.review.data
        task = self.selected_task()
        detail = self.query_one("#review-detail", Static)
        if task is None or data.context is None:
            detail.update("")
            return
        attempts = data.task_attempts(task)
        detail.border_title = f"Task {task.id} · {task.title}"
        if not attempts:
            lines = [f"{data.context.task_status_text(task)[:1].upper()}{data.context.task_status_text(task)[1:]}."]
        else:
            lines = []
            if len(attempts) > DETAIL_RUNS:
                lines.append(f"… {len(attempts) - DETAIL_RUNS:,} earlier runs (the task screen lists them all)")
            for a in attempts[-DETAIL_RUNS:]:
                checks = a.result.checks if a.result else []
                held = sum(c.ok for c in checks)
                lines.append(f"{MARKS.get(a.status, '?')} {a.step:<40} {a.status:<9} {a.env:<19} "
                             f"{fmt_ts(a.started_at, date=False)}  {self.review.fmt.duration(a.duration_s):>8}  "
                             f"checks {held}/{len(checks)}" + (f"  · {a.result.error[:60]}" if a.result and a.result.error else ""))
        lines.append("")
        lines.append("Enter opens the task: the SQL each step ran, its checks, verdicts and result tables.")
        detail.update("\n".join(lines))

    def _fill_integrity(self) -> None:
        app = self.review
        data = app.data
        v = data.verification
        out = [f"Journal: {app.shown_path}", f"Lines indexed: {len(data.index):,}"
               + (f" (and a torn last line of {len(data.index.torn)} bytes)" if data.index.torn else "")]
        if v is None:
            out += ["", "Checking the hash chain…"]
        else:
            last = v.last_event
            out += ["", f"Hash chain: {'INTACT' if v.intact else 'BROKEN'}",
                    f"Events: {v.count:,} · run {last.get('run', '?')} · last event {last.get('seq', '?')} "
                    f"at {fmt_ts(last.get('ts'))}",
                    f"Last event's hash: {last.get('hash', '?')}"]
            if v.problems:
                out += ["", "Problems (first one first):"]
                out += [f"  ✗ line {p.line}: {p.what}" for p in sorted(v.problems, key=lambda p: p.line)[:50]]
            if v.warnings:
                out += ["", "Notes:"] + [f"  · {w}" for w in v.warnings]
            out += ["", f"Check it again from a shell: migration-wizard journal verify {app.shown_path}"]
        self.query_one("#integrity", Static).update("\n".join(out))

    # --- selection and input ----------------------------------------------------------------
    def selected_task(self):  # noqa: ANN201 - a runbook Task
        ctx = self.review.data.context
        table = self.query_one("#tasks", DataTable)
        if ctx is None or not self._rows or table.cursor_row is None or table.cursor_row >= len(self._rows):
            return None
        return ctx.runbook.task(self._rows[table.cursor_row])

    def select_day(self, index: int) -> None:
        ctx = self.review.data.context
        if ctx is None:
            return
        index = max(0, min(index, len(ctx.runbook.days) - 1))
        if index != self.day_index:
            self.day_index = index
            self.query_one("#tasks", DataTable).move_cursor(row=0)
            self.refresh_view()

    @on(OptionList.OptionHighlighted, "#days")
    def _day_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index is not None:
            self.select_day(event.option_index)

    @on(OptionList.OptionSelected, "#days")
    def _day_selected(self, event: OptionList.OptionSelected) -> None:
        self.select_day(event.option_index)
        self.query_one("#tasks", DataTable).focus()

    @on(DataTable.RowHighlighted, "#tasks")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._fill_detail()

    @on(DataTable.RowSelected, "#tasks")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_task()

    @on(EventLog.Selected)
    def _event_selected(self, message: EventLog.Selected) -> None:
        box = self.query_one("#event-detail-box")
        if box.display and self._detail_line == message.line:
            box.display = False  # Enter again on the same event closes it
            return
        self._detail_line = message.line
        problem = self.review.data.problem_lines.get(message.line)
        self.query_one("#event-detail", Static).update(event_detail(message.event, message.line, problem))
        box.display = True

    def action_tab(self, tab: str) -> None:
        self.query_one("#review-tabs", TabbedContent).active = tab
        target = {"tab-week": "#tasks", "tab-events": "#events", "tab-integrity": "#integrity-box"}[tab]
        self.query_one(target).focus()

    def action_day(self, delta: int) -> None:
        if self.query_one("#review-tabs", TabbedContent).active == "tab-week":
            self.select_day(self.day_index + delta)

    def action_open_task(self) -> None:
        from screens.review_task import ReviewTaskScreen

        task = self.selected_task()
        if task is not None:
            self.app.push_screen(ReviewTaskScreen(task))


class ReviewApp(App[int]):
    """The TUI on a saved journal: no engine, no database, no run binding."""

    CSS_PATH = [HERE / "wizard.tcss", HERE / "review.tcss"]  # absolute: subclasses may live anywhere
    TITLE = "migration-wizard review"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (MIN_WIDTH, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (MIN_HEIGHT, "-tall")]
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("x", "export", "Export documents"),
    ]

    banner_info: reactive[BannerInfo | None] = reactive(None, always_update=True)
    state_version: reactive[int] = reactive(0, always_update=True)

    def __init__(self, path: Path, *, shown_path: str | None = None, export_dir: Path | None = None,
                 fmt: Display | None = None, runbook_path: Path | None = None, sql_dir: Path | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.shown_path = shown_path or str(path)
        self.export_dir = export_dir or self.path.with_name(f"{self.path.stem}-documents")
        self.fmt = fmt or Display()
        # The line index is built in the load worker: a large journal's first frame does not wait for it.
        self.data = ReviewData.open(self.path, runbook_path=runbook_path, sql_dir=sql_dir, index_now=False)
        self.data.start_check()  # a second process: it checks the chain on the other core while this one paints
        self.progress = ""
        self.first_paint_at: float | None = None
        self.banner_info = offline_banner(self.shown_path, "checking the hash chain…")

    # Hooks for the benchmark and tests; the app itself does nothing on them.
    def on_first_paint(self) -> None:
        pass

    def on_loaded(self) -> None:
        pass

    def on_verified(self) -> None:
        pass

    def on_mount(self) -> None:
        self.push_screen(ReviewScreen())
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        self.first_paint_at = time.perf_counter()
        self.on_first_paint()
        self.load()  # only now: the first frame never waits for (or competes with) the replay

    @work(thread=True, exclusive=True, group="review-load", name="review-load")
    def load(self) -> None:
        data = self.data
        def say(done: int, total: int) -> None:
            if done >= total:
                return  # the week is filled in at once: a repaint saying so would only delay it
            self.call_from_thread(self._set_progress, f"Reading {total:,} events… {100 * done // max(total, 1)}%")

        try:
            data.load(say)
        except Exception as exc:  # noqa: BLE001 - shown on screen, never a traceback over the UI
            self.log.error(traceback.format_exc())
            data.load_error = f"Could not replay the journal: {exc}"
            self.call_from_thread(self._set_progress, data.load_error)
        else:
            if data.check_done():  # the chain's answer is in as well: one update of the screen for both
                checked = self._check()
                self.call_from_thread(self._loaded_and_verified if checked else self._loaded)
                return
            self.call_from_thread(self._loaded)
        if self._check():
            self.call_from_thread(self._verified)

    def _check(self) -> bool:
        try:
            self.data.check()
        except Exception as exc:  # noqa: BLE001
            self.log.error(traceback.format_exc())
            self.call_from_thread(self._set_progress, f"Could not check the chain: {exc}")
            return False
        return True

    def _loaded_and_verified(self) -> None:
        self._loaded()
        self._verified()

    def _set_progress(self, text: str) -> None:
        self.progress = text
        self.state_version += 1

    def _loaded(self) -> None:
        self.progress = ""
        self.state_version += 1
        self.on_loaded()

    def _verified(self) -> None:
        v = self.data.verification
        if v is not None:
            count = v.count
            if v.intact:
                integrity = f"hash chain intact ({count:,} events)"
            elif v.first.line == 1 and v.first.kind in ("damaged", "blank"):  # type: ignore[union-attr]
                integrity = "NOT A MIGRATION-WIZARD JOURNAL (its first line is not a journal event)"
            else:
                integrity = f"HASH CHAIN BROKEN at line {v.first.line}"  # type: ignore[union-attr]
            self.banner_info = offline_banner(self.shown_path, integrity)
        self.state_version += 1
        self.on_verified()

    # --- navigation used by the task screen -------------------------------------------------------
    def open_neighbour(self, task_id: str, delta: int) -> None:
        from screens.review_task import ReviewTaskScreen

        ctx = self.data.context
        if ctx is None:
            return
        ids = [t.id for t in ctx.runbook.tasks()]
        index = ids.index(task_id) + delta
        if 0 <= index < len(ids):
            if isinstance(self.screen, ReviewTaskScreen):
                self.pop_screen()
            self.push_screen(ReviewTaskScreen(ctx.runbook.task(ids[index])))

    # --- the documents ----------------------------------------------------------------------------
    def action_export(self) -> None:
        self.notify(f"Writing the documents to {self.export_dir}…", title="Export")
        self._export()

    @work(thread=True, exclusive=True, group="review-export")
    def _export(self) -> None:
        try:
            written = export_documents(self.data, self.export_dir)
        except Exception as exc:  # noqa: BLE001
            self.call_from_thread(self.notify, f"Export failed: {exc}", severity="error", timeout=15)
            return
        self.call_from_thread(self.notify, "\n".join(p.name for p in written), title=f"Wrote {len(written)} documents to {self.export_dir}",
                              timeout=10)


def run_review(path: Path) -> int:
    app = ReviewApp(Path(path))
    app.run()
    return app.return_code or 0



