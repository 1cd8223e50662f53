"""A migration's result for the screen: what its transaction changed (counts, catalogue, each
statement's time, the locks it held) and the zero-data-loss proof, table by table. Only lays out
what the step recorded; the verdicts are the step's own."""

from __future__ import annotations

from typing import Any

from screens.blocks import Block, rows_table


def _counts_table(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    rows = [{"measure": "public tables", "before": before.get("table_count"), "after": after.get("table_count")}]
    b_counts, a_counts = before.get("core_counts") or {}, after.get("core_counts") or {}
    for table in list(b_counts) + [t for t in a_counts if t not in b_counts]:
        rows.append({"measure": f"rows in {table}", "before": b_counts.get(table), "after": a_counts.get(table)})
    return rows_table(["measure", "before", "after"], ["text", "int8", "int8"], rows)


def _seconds(value: Any) -> str:
    return f"{value:.3f} s" if isinstance(value, (int, float)) else "-"


def _verdict_line(verdict: dict[str, Any]) -> Block:
    if verdict.get("ok") and not verdict.get("changed_since_last_migration"):
        checked, untouched = verdict.get("tables_checked") or 0, verdict.get("proved_untouched") or 0
        return Block("text", f"✓ No data lost: {checked} tables kept their rows and content ({untouched} untouched "
                             f"by the transaction, {checked - untouched} fingerprinted again after it)")
    parts = [f"✗ {c.get('table')}: {c.get('what')} ({c.get('rows_before')} → {c.get('rows_after')})"
             for c in verdict.get("changes") or []]
    if verdict.get("changed_since_last_migration"):
        parts.append("✗ changed since the last migration on this environment: "
                     + ", ".join(verdict["changed_since_last_migration"]))
    return Block("text", "\n".join(parts))


def _proof_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    before = data.get("fingerprints_before") or {}
    after = data.get("fingerprints_after") or {}
    verdict = data.get("data_loss") or {}
    changes = {c.get("table"): c.get("what") for c in verdict.get("changes") or []}
    since = set(verdict.get("changed_since_last_migration") or [])
    skipped = verdict.get("not_compared") or {}
    excluded = verdict.get("excluded_columns") or {}
    rows = []
    for table in sorted(set(before) | set(after)):
        b, a = before.get(table) or {}, after.get(table) or {}
        if table in changes:
            said = f"✗ {changes[table]}"
        elif table in skipped:
            said = f"not compared: {skipped[table]}"
        elif not b:
            said = "new: the next migration is compared with this"
        elif excluded.get(table):
            said = f"✓ kept, on all but {', '.join(excluded[table])}"
        else:
            said = "✓ kept"
        if table in since:
            said += "; ✗ changed since the last migration"
        rows.append({"table": table, "verdict": said, "rows before": b.get("rows"), "rows after": a.get("rows"),
                     "fingerprint before": str(b.get("hash") or "")[:12], "fingerprint after": str(a.get("hash") or "")[:12]})
    # what went wrong first, then what was not plainly kept, then the rest by name
    rows.sort(key=lambda r: ("✗" not in r["verdict"], r["verdict"] == "✓ kept", r["table"]))
    return rows


def _catalogue_rows(diff: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"change": change, "object": kind, "name": name}
            for change in ("removed", "added", "changed")
            for kind, names in (diff.get(change) or {}).items() for name in names]


def migration_blocks(data: dict[str, Any]) -> list[Block]:
    from wizard.session import locks_line  # the gates' module: not needed before a migration's result is shown

    mode = " · dry run, rolled back" if data.get("mode") == "dry_run" else ""
    blocks = [Block("text", f"{data.get('file')} · sha256 {str(data.get('sha256'))[:12]} · "
                            f"{data.get('statements')} statements in one transaction{mode}"),
              Block("table", title="before → after", data=_counts_table(data["before"], data["after"]))]
    removed = data.get("tables_removed") or []
    blocks.append(Block("text", f"removed {len(removed)}: {', '.join(removed) or 'none'}"))
    if data.get("tables_added"):
        blocks.append(Block("text", f"added: {', '.join(data['tables_added'])}"))
    locks = locks_line(data)
    if locks:
        blocks.append(Block("text", locks))
    if data.get("data_loss"):
        blocks.append(_verdict_line(data["data_loss"]))
        rows = _proof_rows(data)
        if rows:
            blocks.append(Block("table", title="zero-data-loss proof: rows and content fingerprint of every table",
                                data=rows_table(["table", "verdict", "rows before", "rows after", "fingerprint before",
                                                  "fingerprint after"],
                                                 ["text", "text", "int8", "int8", "text", "text"], rows)))
    diff = data.get("catalog_diff")
    if diff:
        rows = _catalogue_rows(diff)
        blocks.append(Block("table", title=f"catalogue difference: {diff.get('summary')}",
                            data=rows_table(["change", "object", "name"], ["text", "text", "text"], rows))
                      if rows else Block("text", f"catalogue difference: {diff.get('summary')}"))
    times = data.get("statement_times") or []
    if times:
        rows = [{"#": t.get("index"), "line": t.get("line"), "what it does": t.get("kind"),
                 "time": _seconds(t.get("seconds"))} for t in times]
        total = sum(t.get("seconds") or 0 for t in times)
        blocks.append(Block("table", title=f"statements: {len(times)}, {total:.3f} s in all",
                            data=rows_table(["#", "line", "what it does", "time"], ["int4", "int4", "text", "text"], rows)))
    for notice in data.get("notices") or []:
        blocks.append(Block("text", f"server said: {notice}"))
    return blocks
