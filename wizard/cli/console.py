"""Plain-terminal rendering of results (rich), for the headless mode and `status`."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from wizard.appcheck import histogram
from wizard.results import StepProgress, StepResult
from wizard.runbook.model import Step, Task

MARKS = {
    "passed": ("✓", "green"),
    "attested": ("✓", "cyan"),
    "failed": ("✗", "red"),
    "error": ("!", "red"),
    "cancelled": ("■", "yellow"),
    "skipped": ("-", "dim"),
}


def table_of(data: dict[str, Any], title: str | None = None, limit: int = 20) -> Table | None:
    columns = data.get("columns")
    rows = data.get("rows")
    if not columns or rows is None:
        return None
    table = Table(title=title, title_justify="left", show_lines=False, pad_edge=False)
    types = data.get("column_types") or [""] * len(columns)
    numeric = {"int2", "int4", "int8", "numeric", "float4", "float8", "oid"}
    for name, typ in zip(columns, types):
        table.add_column(f"{name}\n[dim]{typ}[/]", justify="right" if typ in numeric else "left")
    for row in rows[:limit]:
        table.add_row(*[Text("NULL", style="dim italic") if row.get(c) is None else Text(str(row.get(c))) for c in columns])
    shown = min(limit, len(rows))
    total = data.get("row_count", len(rows))
    if total > shown:
        table.caption = f"showing {shown:,} of {total:,} rows"
    return table


def print_step_start(console: Console, task: Task, step: Step) -> None:
    console.print(f"[dim]… {step.id:<22}[/] {step.title}", end="\r" if console.is_terminal else "\n")


class ProgressLine:
    """A running step's progress on one line, rewritten in place: only on a terminal, so a
    headless run's log holds the same lines from run to run."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.step_id: str | None = None
        self.fraction: float | None = None
        self.text = ""
        self.line = ""  # its newest output line
        self.shown = False

    def __call__(self, task: Task, step: Step, update: StepProgress) -> None:
        if not self.console.is_terminal:
            return
        if step.id != self.step_id:
            self.step_id, self.fraction, self.text, self.line = step.id, None, "", ""
        if update.fraction is not None:
            self.fraction = update.fraction
        if update.text is not None:
            self.text = update.text
        if update.lines:
            self.line = update.lines[-1].strip()
        parts = [f"… {step.id:<22}"]
        if self.fraction is not None:
            parts.append(f"{self.fraction:4.0%}")
        parts += [part for part in (self.text, self.line and f"│ {self.line}") if part]
        self._write(Text(" ".join(parts), style="dim"))
        self.shown = True

    def clear(self) -> None:
        """Before the step's result is printed over it."""
        if self.shown:
            self._write(Text(""))
            self.shown = False

    def _write(self, text: Text) -> None:
        text.truncate(max(1, self.console.width - 1), pad=True)  # one line, longer ones fully covered
        self.console.print(text, end="\r", highlight=False, soft_wrap=True)


def print_result(console: Console, task: Task, step: Step, result: StepResult) -> None:
    mark, colour = MARKS.get(result.status, ("?", "white"))
    console.print(f"[{colour}]{mark} {step.id:<22}[/] {step.title} [dim]({result.status}, {result.duration_s:.2f}s)[/]")
    data = result.data
    if step.kind in ("query",):
        if "queries" in data:
            for name, sub in data["queries"].items():
                tbl = table_of(sub, title=name, limit=10)
                if tbl is not None:
                    console.print(tbl)
        else:
            tbl = table_of(data, limit=20)
            if tbl is not None:
                console.print(tbl)
    elif step.kind == "migration" and "before" in data and "after" in data:
        b, a = data["before"], data["after"]
        console.print(f"    {data['file']}  sha256 {data['sha256'][:12]}  {data['statements']} statements, one transaction"
                      f"{' (dry run, rolled back)' if data.get('mode') == 'dry_run' else ''}")
        console.print(f"    tables {b['table_count']} → {a['table_count']}; removed: {', '.join(data['tables_removed']) or 'none'}")
        console.print(f"    core rows before {b['core_counts']}  after {a['core_counts']}")
        print_proof(console, data)
    elif step.kind == "code_search" and "match_count" in data:
        console.print(f"    {data.get('match_count')} references to {len(data.get('tables', []))} tables"
                      f"{' and ' + str(len(data['columns'])) + ' columns' if data.get('columns') else ''} "
                      f"parsed from {data.get('tables_source', '').split('/')[-1]} in {data.get('files_scanned')} files"
                      f"{' (' + ' '.join(data['languages']) + ')' if data.get('languages') else ''}")
        found = {**(data.get("by_table") or {}), **(data.get("by_column") or {})}
        if any(found.values()):
            console.print("    " + ", ".join(f"{name}: {n}" for name, n in found.items() if n), markup=False, highlight=False)
        shown = data.get("matches", [])[:10]
        for m in shown:
            console.print(f"    [red]{m['file']}:{m['line']}[/] ", end="")
            console.print(m["text"], markup=False, highlight=False)
        if data.get("match_count", 0) > len(shown):
            console.print(f"    [dim]+{data['match_count'] - len(shown)} more[/]")
    elif step.kind == "command" and "exit_code" in data:
        if "summary" in data:
            console.print(f"    pytest: {data['summary']}  new failures: {len(data.get('new_failures', []))}")
        else:
            console.print(f"    exit code {data.get('exit_code')}")
    elif step.kind == "file_check":
        if data.get("exists"):
            extra = f", drops {len(data['dropped_tables'])} tables" if data.get("dropped_tables") else ""
            console.print(f"    {data['path']}: {data['lines']} lines, {data.get('statements', '-')} statements{extra}")
        else:
            console.print(f"    [red]missing:[/] {data.get('path')}")
    elif step.kind == "attest" and "answer" in data:
        console.print(f"    answer: {data['answer']} [dim]({data.get('answer_source')})[/]")
    elif step.kind == "service" and "base_url" in data:
        console.print(f"    {data['base_url']} (pid {data.get('pid')}) answered {data.get('ready_status_code')} "
                      f"after {data.get('startup_s')} s")
    elif step.kind == "http" and "status" in data:
        console.print(f"    {data.get('method')} {data.get('url')} → {data['status']} {data.get('reason', '')} "
                      f"in {data.get('elapsed_ms')} ms")
        if data.get("json") is not None:
            console.print(f"    {json.dumps(data['json'], sort_keys=True)[:300]}", markup=False, highlight=False)
    elif step.kind == "load" and "requests_per_s" in data:
        console.print(f"    {data['requests_per_s']} requests/s · {data['failed']} failed · {data['non_2xx']} not 2xx · "
                      f"mean {data['mean_ms']} ms · p50 {data['p50_ms']} · p95 {data['p95_ms']} · p99 {data['p99_ms']} · "
                      f"max {data['max_ms']} ms")
        if data.get("histogram"):
            console.print(histogram.render(data["histogram"], 40, "    "), markup=False, highlight=False)
    elif step.kind == "monitor" and "counts" in data:
        counts = ", ".join(f"{p}: {n}" for p, n in data["counts"].items())
        console.print(f"    {data.get('lines_seen')} lines in {data.get('elapsed_s')} s ({counts}); "
                      f"blocked sessions max {data.get('blocked_max')}, deadlocks {data.get('deadlocks')}")
        for match in data.get("matches", [])[:5]:
            console.print(f"    [red]{match['pattern']}[/]: ", end="")
            console.print(match["line"], markup=False, highlight=False)
    for check in result.checks:
        c_mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        console.print(f"    {c_mark} {check.describe}  [dim]{check.evidence}[/]")
    if result.error:
        console.print(f"    [red]{result.error}[/]")
    for item in result.advice:
        console.print(f"    [yellow]Runbook troubleshooting[/] — {item['problem']}\n      → {item['advice']}")


def print_proof(console: Console, data: dict[str, Any]) -> None:
    """The catalogue difference, the slowest statements and the data-loss verdict of a migration."""
    from rich.markup import escape

    from wizard.session import locks_line

    if "catalog_diff" in data:
        diff = data["catalog_diff"]
        console.print(f"    catalogue: {diff['summary']}")
        for change in ("removed", "added", "changed"):
            for kind, names in diff[change].items():
                shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
                console.print(f"      {change} {kind}: {escape(shown)}")
    times = sorted(data.get("statement_times", []), key=lambda t: -t["seconds"])[:3]
    if times:
        console.print("    slowest: " + "; ".join(f"#{t['index']} line {t['line']} {t['kind']} {t['seconds']:.3f}s" for t in times))
    locks = locks_line(data)
    if locks:
        console.print(f"    {escape(locks)}")
    verdict = data.get("data_loss")
    if verdict:
        if verdict["ok"] and not verdict["changed_since_last_migration"]:
            console.print(f"    [green]no data lost[/]: {verdict['tables_checked']} tables kept their rows and content "
                          f"({verdict['proved_untouched']} untouched by the transaction)")
        for c in verdict["changes"]:
            console.print(f"    [red]changed[/] {escape(c['table'])}: {c['what']} ({c['rows_before']} → {c['rows_after']})")
        if verdict["changed_since_last_migration"]:
            console.print("    [red]changed since the last migration[/]: " + escape(", ".join(verdict["changed_since_last_migration"])))
