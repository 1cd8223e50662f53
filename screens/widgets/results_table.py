"""A query result as a table: names and types in the header, numbers right-aligned, NULL as a dim
NULL, and an honest line saying how many rows the server returned versus how many are shown.

It reads `TableResult.to_data()` (columns, column_types, rows as dicts, row_count, shown_rows,
truncated). The grid is textual-fastdatatable on an Arrow table: measured on this machine with
100,000 rows, Textual's DataTable took 18-28 s to paint its first rows (it measures every cell
as it is added), the Arrow-backed table 0.3-0.7 s; both scroll alike once painted. A big result
shows its first rows at once and the whole table when its Arrow table is built (in a thread).
See benchmarks/bench_tui.py.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

BIG = 5_000  # above this many rows the Arrow table is built in a thread, off the event loop
FIRST = 500  # meanwhile, the first rows are shown at once


def truncation_line(data: dict[str, Any]) -> str:
    rows = data.get("rows") or []
    shown = int(data.get("shown_rows", len(rows)))
    total = int(data.get("row_count", shown) or 0)
    if data.get("columns"):
        if total > shown or data.get("truncated"):
            return f"showing {shown:,} of {total:,} rows"
        return f"{shown:,} row" + ("" if shown == 1 else "s")
    status = data.get("status") or ""
    return f"{status} ({total:,} rows affected)" if total else status or "no rows"


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def build_arrow(data: dict[str, Any]) -> tuple[Any, list[str]]:
    """An Arrow table of the rows, one column per result column; a column Arrow cannot type as
    one kind (mixed values) is shown as text rather than refused."""
    import pyarrow as pa

    names = list(data.get("columns") or [])
    rows = data.get("rows") or []
    labels: list[str] = []
    seen: dict[str, int] = {}
    arrays = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
        values = [row.get(name) for row in rows]
        if any(type(v) in (dict, list) for v in values):
            values = [_cell(v) for v in values]
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            arrays.append(pa.array([None if v is None else str(v) for v in values], type=pa.string()))
    return pa.Table.from_arrays(arrays, names=labels), labels


def header_labels(data: dict[str, Any]) -> list[Text]:
    names = list(data.get("columns") or [])
    types = list(data.get("column_types") or [])
    types += [""] * (len(names) - len(types))
    return [Text.assemble((name, "bold"), (f" {typ}" if typ else "", "dim italic")) for name, typ in zip(names, types)]


def warm_up() -> None:
    """Import and exercise the Arrow table once (pyarrow.compute, the UDFs fastdatatable registers):
    ~0.1 s the first time. Called from a thread worker so the first real result appears at once."""
    from textual_fastdatatable import ArrowBackend
    from textual_fastdatatable.data_table import DataTable  # noqa: F401

    data = {"columns": ["n", "s"], "rows": [{"n": 1, "s": "x"}, {"n": None, "s": None}]}
    backend = ArrowBackend(build_arrow(data)[0])
    backend.column_content_widths  # noqa: B018 - measuring is the part that costs


class ResultsTable(Vertical):
    """One result set. `load(data)` replaces what it shows."""

    DEFAULT_CSS = """
    ResultsTable { height: auto; max-height: 24; }
    ResultsTable > .results-title { text-style: bold; }
    ResultsTable > .results-grid { height: auto; max-height: 20; }
    ResultsTable > .results-count { color: $text-muted; }
    """

    def __init__(self, data: dict[str, Any] | None = None, *, title: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._data = data
        self._title = title
        self.generation = 0
        self.grid: Any = None
        self.loaded = False  # every row of the current result is in the grid

    def compose(self) -> ComposeResult:
        yield Static(self._title or "", classes="results-title", markup=False)
        yield Static("", classes="results-count", markup=False)

    def on_mount(self) -> None:
        self.query_one(".results-title", Static).display = bool(self._title)
        if self._data is not None:
            self.load(self._data, self._title)

    def load(self, data: dict[str, Any], title: str | None = None) -> None:
        self._data = data
        if title is not None:
            self._title = title
            title_widget = self.query_one(".results-title", Static)
            title_widget.update(title)
            title_widget.display = bool(title)
        self.generation += 1
        self.loaded = False
        self.query_one(".results-count", Static).update(truncation_line(data))
        if not data.get("columns"):
            self._replace(None)
            return
        if len(data.get("rows") or []) > BIG:
            # The first rows at once; the whole result replaces them when its table is built.
            head = {**data, "rows": data["rows"][:FIRST]}
            self._replace(self._make_grid(build_arrow(head)[0], data))
            self.query_one(".results-count", Static).update(
                f"{truncation_line(data)} · loading all {len(data['rows']):,} into the table…")
            self._build_in_thread(data, self.generation)
        else:
            self._replace(self._make_grid(build_arrow(data)[0], data))
            self.loaded = True

    # A description, or Textual would repr() the arguments: 100,000 rows of them (~0.2 s).
    @work(thread=True, exclusive=True, group="results-build", description="build the result's Arrow table")
    def _build_in_thread(self, data: dict[str, Any], generation: int) -> None:
        table, _ = build_arrow(data)
        self.app.call_from_thread(self._finish_build, table, data, generation)

    def _finish_build(self, table: Any, data: dict[str, Any], generation: int) -> None:
        if generation == self.generation:  # a newer result replaced this one meanwhile
            self._replace(self._make_grid(table, data))
            self.query_one(".results-count", Static).update(truncation_line(data))
            self.loaded = True

    def _make_grid(self, table: Any, data: dict[str, Any]) -> Any:
        from textual_fastdatatable import ArrowBackend, DataTable

        return DataTable(
            backend=ArrowBackend(table),
            column_labels=header_labels(data),
            show_row_labels=False,
            null_rep="[dim italic]NULL[/]",
            render_markup=False,
            max_column_content_width=60,
            cursor_type="row",
            classes="results-grid",
        )

    def _replace(self, grid: Any) -> None:
        if self.grid is not None:
            self.grid.remove()
        self.grid = grid
        if grid is not None:
            self.mount(grid, before=self.query_one(".results-count"))
            self.call_after_refresh(self._sideways_hint)

    def on_resize(self) -> None:
        self.call_after_refresh(self._sideways_hint)

    def _sideways_hint(self) -> None:
        """Say so when the grid is wider than the panel: its last columns are only a scroll away."""
        if self._data is None or not self.is_attached:
            return
        grid = self.grid
        wider = grid is not None and grid.is_attached and grid.virtual_size.width > grid.scrollable_content_region.width
        line = truncation_line(self._data) + (" · → more columns (scroll sideways)" if wider else "")
        counts = self.query(".results-count")
        # Deferred until after a refresh: by then the table may be on its way out (its children pruned first).
        if (wider or self.loaded) and counts:
            counts.first(Static).update(line)
