"""What a migration will take, shown before it runs: its statements (kind, tables), squawk's
findings and why each matters, the tables it drops (rows, size, dependents) and what the cascade
reaches beyond them, and, at the production gate, the evidence the gate checked (the staging pass
of the same SHA-256, the backup's age).

Plain data in, text out: the dict is the session's preview (`preview FILE --env NAME --json`)
and the gate's evidence, so the task screen's panel and the dialogs that compose these widgets
draw the same tables and hold no logic of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from screens.display import Display


_size = Display().size  # the one way a size is written (unmasked: dialogs show real sizes)


def _rows(drop: dict[str, Any]) -> str:
    rows = drop.get("rows")
    if rows is None:
        return "?" if drop.get("exists", True) else "absent"
    return f"{'~' if drop.get('rows_estimated') else ''}{rows:,}"


def _table() -> Table:
    return Table(box=None, pad_edge=False, expand=False, show_edge=False, header_style="bold")


def _local(name: Any) -> str:
    """public is the schema every name resolves to unless it says otherwise: left out, for width."""
    text = str(name)
    return text[len("public."):] if text.startswith("public.") else text


def drops_table(preview: dict[str, Any], size: Callable[[Any], str] = _size) -> Table:
    table = _table()
    table.add_column("table it drops", no_wrap=True)  # a name cut short would name another table
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("dependents", justify="right", no_wrap=True, min_width=10)  # a narrow panel squeezes the note, not this
    table.add_column("note")
    for d in preview.get("drops", []):
        deps = d.get("dependents") or []
        beyond = sum(1 for x in deps if x.get("beyond"))
        note = "rebuilt by the file" if d.get("rebuilt") else ("not present" if not d.get("exists", True) else "")
        if beyond:
            note = (note + "; " if note else "") + f"{beyond} beyond them"
        table.add_row(str(d.get("table")), _rows(d), size(d.get("bytes")), str(len(deps)) if deps else "", note)
    return table


def statements_table(preview: dict[str, Any]) -> Table:
    """One row a statement: the line it starts on, what it does, the tables it touches."""
    table = _table()
    table.add_column("line", justify="right")
    table.add_column("does", ratio=2)
    table.add_column("tables", ratio=3)
    for s in preview.get("statements", []):
        table.add_row(str(s.get("line", "")), str(s.get("kind", "")), ", ".join(_local(t) for t in s.get("tables", [])))
    return table


def findings_table(preview: dict[str, Any]) -> Table:
    """squawk's findings, one row a rule (its lines together), with why it matters for this file."""
    groups: dict[tuple[str, bool, str], list[Any]] = {}
    for f in preview.get("lint") or []:
        key = (str(f.get("rule")), bool(f.get("covered")), str(f.get("why") or f.get("message") or ""))
        groups.setdefault(key, []).append(f.get("line"))
    table = _table()
    table.add_column("lines", no_wrap=True)
    table.add_column("squawk: why it matters here", ratio=1)
    for (rule, covered, why), lines in groups.items():
        shown = ", ".join(str(n) for n in lines[:3]) + (f" +{len(lines) - 3}" if len(lines) > 3 else "")
        finding = Text(f"{rule}" + (f" ×{len(lines)}" if len(lines) > 1 else ""), style="dim" if covered else "yellow")
        finding.append(f": {'(covered) ' if covered else ''}{why}", style="dim" if covered else "")
        table.add_row(shown, finding)
    return table


def beyond_rows(preview: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """What a drop takes beyond the tables the file names (a foreign key from a surviving table, a
    view, a policy), and functions whose bodies name a dropped table (kept, and broken)."""
    rows = []
    for d in preview.get("drops", []):
        via = _local(d.get("table"))
        for dep in d.get("dependents") or []:
            if not dep.get("beyond"):
                continue
            on = dep.get("table")
            name = str(dep.get("name", "")).removesuffix(f" on {on}") if on else str(dep.get("name", ""))
            # A constraint on a table that survives, depending on a dropped one, is a foreign key.
            what = "foreign key" if dep.get("type") == "constraint" and on else str(dep.get("type", ""))
            rows.append((what, _local(name), _local(on) if on else "", via))
        for fn in d.get("breaks") or []:
            rows.append(("function (breaks)", str(fn), "", via))
    return rows


def beyond_table(preview: dict[str, Any]) -> Table:
    table = _table()
    table.add_column("also goes")
    table.add_column("name")
    table.add_column("on table")
    table.add_column("with")
    for row in beyond_rows(preview):
        table.add_row(*row)
    return table


def preview_parts(preview: dict[str, Any], *, full: bool = False, size: Callable[[Any], str] = _size) -> list[Any]:
    """The preview as renderables: the summary line and the drops (what a confirmation shows);
    `full` adds the statements, squawk's findings and what the cascade reaches beyond the drops."""
    parts: list[Any] = [Text(summary_line(preview), style="bold")]
    if preview.get("drops"):
        parts.append(drops_table(preview, size))
    from wizard.session import rewrite_line, rewrites

    for r in rewrites(preview):  # the data it rewrites: what a confirmation confirms, beside the drops
        parts.append(Text(f"rewrites {rewrite_line(r)}"))
    if full and beyond_rows(preview):
        parts += [Text(""), Text("Beyond the dropped tables", style="bold yellow"), beyond_table(preview)]
    if full and preview.get("lint"):
        parts += [Text(""), findings_table(preview)]
    if full and preview.get("statements"):
        parts += [Text(""), statements_table(preview)]
    if preview.get("error"):
        parts.append(Text(f"note: {preview['error']}", style="italic"))
    return parts


def summary_line(preview: dict[str, Any]) -> str:
    drops = preview.get("drops", [])
    name = Path(str(preview.get("file", "?"))).name
    rows = sum(d.get("rows") or 0 for d in drops)
    line = (f"{name} drops {len(drops)} table{'s' if len(drops) != 1 else ''} ({rows:,} rows)"
            if drops else f"{name} drops no table")
    lint = preview.get("lint") or []
    if lint:
        line += f" · squawk: {len(lint)} finding{'s' if len(lint) != 1 else ''}"
    return line


class DropPreview(Static):
    """The drop list of a migration preview, as a table."""

    DEFAULT_CSS = """
    DropPreview { height: auto; margin: 0 0 1 0; }
    """

    def __init__(self, preview: dict[str, Any], *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.preview = preview

    def on_mount(self) -> None:
        from rich.console import Group

        self.update(Group(*preview_parts(self.preview)))


class MigrationPreview(Static):
    """The task screen's panel for a migration step not yet passed here: loading, then the whole
    preview as tables, or one line saying why there is none (the step can still be run)."""

    DEFAULT_CSS = """
    MigrationPreview { height: auto; margin: 1 0 0 0; border-left: thick $primary; padding: 0 1; }
    MigrationPreview.-failed { border-left: thick $warning; }
    MigrationPreview.-line { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__("", classes=classes)
        self.shown: Any = None  # what is on screen: ("note", text) or the preview

    def loading(self, env: str) -> None:
        self.note(f"Preview · reading {env}'s catalogue, read only…")

    def failed(self, env: str, why: str) -> None:
        self.note(f"No preview on {env} (the step can still be run): {why}", failed=True)

    def note(self, text: str, *, failed: bool = False) -> None:
        # One line whatever its length: the panel never pushes the rest of the step's view about.
        self._set(("note", text), Text(text, style="" if failed else "italic"), failed=failed, line=True)

    def show_preview(self, preview: dict[str, Any], size: Callable[[Any], str] = _size) -> None:
        from rich.console import Group

        head = Text(f"Preview · read only on {preview.get('env', '?')}, nothing run", style="bold")
        self._set(preview, Group(head, *preview_parts(preview, full=True, size=size)))

    def _set(self, key: Any, renderable: Any, *, failed: bool = False, line: bool = False) -> None:
        if key == self.shown:
            return
        self.shown = key
        self.set_class(failed, "-failed")
        self.set_class(line, "-line")
        self.update(renderable)


def evidence_lines(evidence: dict[str, Any]) -> list[str]:
    """What a gate checked, as sentences: the staging match, the backup's age, the dry run."""
    from wizard.session import backup_line, dry_run_line, utc_minute

    lines = []
    if evidence.get("staging_pass"):
        passed = evidence["staging_pass"]
        lines.append(f"✓ Passed on {passed.get('env', '?')} ({passed.get('step', '?')}, {utc_minute(passed.get('ts', '?'))}), "
                     f"same sha256 {str(evidence.get('sha256'))[:8]}…")
    backup = evidence.get("backup")
    if backup:
        mark = "✗" if backup.get("missing") or backup.get("too_old") else "✓"
        lines.append(f"{mark} {backup_line(backup)}")
    dry = evidence.get("dry_run")
    if dry:
        mark = "·" if dry.get("none") else ("✓" if dry.get("status") == "passed" else "✗")
        lines.append(f"{mark} {dry_run_line(dry)}")
    return lines


class GateEvidence(Static):
    """What the production gate checked before asking for the name."""

    DEFAULT_CSS = """
    GateEvidence { height: auto; margin: 0 0 1 0; }
    """

    def __init__(self, evidence: dict[str, Any], *, id: str | None = None) -> None:
        super().__init__("\n".join(evidence_lines(evidence)), id=id, markup=False)
