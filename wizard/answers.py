"""Answers for attest steps when no person is at the keyboard: a TOML file keyed by step id."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from wizard.errors import WizardError
from wizard.runbook.model import Step
from wizard.steps.base import StepFailure


def load_answers(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        raw = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise WizardError(f"Answers file not found: {path}", "Check the --answers path.") from None
    except tomllib.TOMLDecodeError as exc:
        raise WizardError(f"{path}: not valid TOML: {exc}", "Fix the file; answers look like \"1.4.backup\" = \"2026-11-24 21:30\".") from None
    table = raw.get("answers", raw)
    if not isinstance(table, dict):
        raise WizardError(f"{path}: [answers] must be a table of step id = answer.", "See the README's headless section.")
    return {str(k): v for k, v in table.items()}


def file_asker(answers: dict[str, Any], source: str = "answers file"):
    async def ask(step: Step) -> tuple[Any, str]:
        if step.id not in answers:
            raise StepFailure(
                f"no answer for attest step {step.id} ({step.params['question']}); in headless mode add "
                f'"{step.id}" = "…" under [answers] in the --answers file',
                {"answer_missing": True},
            )
        return answers[step.id], source

    return ask
