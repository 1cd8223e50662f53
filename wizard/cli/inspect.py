"""Rich rendering of `preview` and `fingerprint`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return ""


def print_preview(console: Console, data: dict[str, Any], env: str) -> None:
    console.rule(f"[bold]{escape(data['file'])}[/] against [bold]{env.upper()}[/] (read only)")
    table = Table("#", "line", "does", "tables", "lint")
    for s in data["statements"]:
        table.add_row(str(s["index"]), str(s["line"]), s["kind"], escape(", ".join(s["tables"])),
                      escape(", ".join(f["rule"] for f in s["lint"])))
    console.print(table)
    if data["lint"]:
        console.print("[bold]squawk[/]")
        for f in data["lint"]:
            mark = "[dim]covered[/]" if f["covered"] else f"[yellow]{f['level']}[/]"
            console.print(f"  line {f['line']} (statement {f['statement']}) {mark} {f['rule']}: {escape(f['message'])}")
            console.print(f"    [dim]why here:[/] {escape(f['why'])}")
    for d in data["drops"]:
        if not d["exists"]:
            console.print(f"[dim]{escape(d['table'])}: {d['note']}[/]")
            continue
        rows = f"{d['rows']:,}" + (" (estimate)" if d["rows_estimated"] else "")
        console.print(f"[bold red]drop[/] {escape(d['table'])}: {rows} rows, {_size(d['bytes'])}"
                      + (" [bold]CASCADE[/]" if d["cascade"] else ""))
        for dep in d["dependents"]:
            where = "[bold yellow]beyond the dropped tables[/]" if dep["beyond"] else "[dim]its own[/]"
            console.print(f"    {dep['type']}: {escape(dep['name'])} · {where}")
        for fn in d["breaks"]:
            console.print(f"    [bold yellow]breaks[/] function {escape(fn)}: its body names the table (kept; fails when called)")
        if d["note"]:
            console.print(f"    [yellow]{escape(d['note'])}[/]")


def print_fingerprints(console: Console, data: dict[str, Any], env: str) -> None:
    table = Table("table", "rows", "fingerprint", title=f"{env.upper()} (read only)")
    for name, fp in data["tables"].items():
        table.add_row(escape(name), f"{fp['rows']:,}", fp["hash"])
    console.print(table)
    console.print(f"[dim]{len(data['tables'])} tables in {data['elapsed_s']:.3f} s[/]")
