"""What a migration will take, shown before it runs: the tables it drops (rows, size, dependents),
squawk's findings, and, at the production gate, the evidence the gate checked (the staging pass
of the same SHA-256, the backup's age).

Plain data in, text out: the dict is the session's preview (`preview FILE --env NAME --json`)
and the gate's evidence, so the dialogs that compose these widgets hold no logic of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static


def _size(n: Any) -> str:
    if not isinstance(n, (int, float)):
        return ""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return ""


def _rows(drop: dict[str, Any]) -> str:
    rows = drop.get("rows")
    if rows is None:
        return "?" if drop.get("exists", True) else "absent"
    return f"{'~' if drop.get('rows_estimated') else ''}{rows:,}"


def drops_table(preview: dict[str, Any]) -> Table:
    table = Table(box=None, pad_edge=False, expand=False, show_edge=False, header_style="bold")
    table.add_column("table it drops")
    table.add_column("rows", justify="right")
    table.add_column("size", justify="right")
    table.add_column("dependents", justify="right")
    table.add_column("note")
    for d in preview.get("drops", []):
        deps = d.get("dependents") or []
        beyond = sum(1 for x in deps if x.get("beyond"))
        note = "rebuilt by the file" if d.get("rebuilt") else ("not present" if not d.get("exists", True) else "")
        if beyond:
            note = (note + "; " if note else "") + f"{beyond} beyond them"
        table.add_row(str(d.get("table")), _rows(d), _size(d.get("bytes")), str(len(deps)) if deps else "", note)
    return table


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

        from wizard.session import rewrite_line, rewrites

        parts: list[Any] = [Text(summary_line(self.preview), style="bold")]
        if self.preview.get("drops"):
            parts.append(drops_table(self.preview))
        for r in rewrites(self.preview):
            parts.append(Text(f"rewrites {rewrite_line(r)}"))
        if self.preview.get("error"):
            parts.append(Text(f"note: {self.preview['error']}", style="italic"))
        self.update(Group(*parts))


def _when(value: Any) -> str:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(str(value)).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(value)


def evidence_lines(evidence: dict[str, Any]) -> list[str]:
    """What a gate checked, as sentences: the staging match, the backup's age, the dry run."""
    from wizard.session import dry_run_line

    lines = []
    if evidence.get("staging_pass"):
        passed = evidence["staging_pass"]
        lines.append(f"✓ Passed on {passed.get('env', '?')} ({passed.get('step', '?')}, {_when(passed.get('ts', '?'))}), "
                     f"same sha256 {str(evidence.get('sha256'))[:8]}…")
    backup = evidence.get("backup")
    if backup and backup.get("missing"):
        lines.append(f"✗ Backup: none — {backup['missing']} ({backup.get('attest_steps')} notes one)")
    elif backup:
        age = backup.get("age_hours")
        age_text = f"{age:.1f} h old" if isinstance(age, (int, float)) else "age unknown"
        mark = "✗" if backup.get("too_old") else "✓"
        lines.append(f"{mark} Backup: {_when(backup.get('time'))}, {age_text} ({backup.get('how')})")
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
