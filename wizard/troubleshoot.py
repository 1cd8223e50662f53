"""Match a failure against the runbook's troubleshooting table."""

from __future__ import annotations

import re

from wizard.runbook.model import Runbook
from wizard.results import StepResult


def failure_text(result: StepResult) -> str:
    parts = [result.error or ""]
    parts += [f"{c.describe}: {c.evidence}" for c in result.checks if not c.ok]
    return "\n".join(p for p in parts if p)


def advice_for(runbook: Runbook, task_id: str, result: StepResult) -> list[dict[str, str]]:
    text = failure_text(result)
    found = []
    for trouble in runbook.troubleshooting:
        if trouble.applies_to and task_id not in trouble.applies_to:
            continue
        if re.search(trouble.pattern, text, re.IGNORECASE):
            found.append({"problem": trouble.problem, "advice": trouble.advice, "pattern": trouble.pattern})
    return found
