"""file_check: a file exists, its size and lines; for SQL, what it does (parsed, not guessed)."""

from __future__ import annotations

import hashlib
from typing import Any

from wizard.analysis import analyse_text
from wizard.runbook.model import Step
from wizard.steps.base import StepContext


def preview(step: Step, ctx: StepContext) -> dict[str, str]:
    return {"language": "bash", "text": f"ls -lh {ctx.expand(step.params['path'])}"}


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    path = ctx.path(step.params["path"])
    if not path.is_file():
        return {"path": str(path), "exists": False, "lines": 0}
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    data: dict[str, Any] = {
        "path": str(path),
        "exists": True,
        "bytes": len(raw),
        "lines": len(text.splitlines()),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    if path.suffix == ".sql":
        plan = analyse_text(text, str(path)).to_data()
        plan.pop("path")
        data.update(plan)
    return data
