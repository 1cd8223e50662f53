"""What a face supplies to a run: the questions only a person can answer.

The session and the engine never talk to a terminal or a screen themselves. A face (the CLI,
the TUI) passes a Dialogue: it answers attest questions, types the production name, gives a
password, and hears progress. Headless runs use `AnswersDialogue`, fed from an answers file or
the rehearsal's own answers.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Protocol

from wizard.environments import Environment
from wizard.errors import WizardError
from wizard.runbook.model import Step
from wizard.steps.base import StepFailure


class Dialogue(Protocol):
    # How the production gate's confirmation was given (journaled), and whether nobody is at
    # the keyboard (a refusal then says which flag confirms).
    confirm_source: str
    headless: bool

    async def ask(self, step: Step) -> tuple[Any, str]:
        """An attest step's answer and where it came from ("operator", "answers file", ...)."""

    async def confirm_production(self, env: Environment, step: Step, evidence: dict[str, Any] | None = None) -> str | None:
        """The environment's name as typed (None: not confirmed). `evidence` is what the gate
        checked, to show with the question: file and sha256, staging_pass {env, step, ts}, backup
        {time, how, age_hours}, and for a migration its preview (drops with rows and dependents, lint)."""

    async def confirm_destructive(self, env: Environment, step: Step, preview: dict[str, Any]) -> bool:
        """Off production, before a migration drops tables for good: the preview (the
        `preview --json` dict: drops with rows, bytes, dependents; lint) shown, and a yes or no."""

    async def password(self, prompt: str) -> str | None:
        """A database password, asked once and never echoed (None: none given)."""

    def say(self, text: str) -> None:
        """A line of progress for the operator."""


def load_answers(path: Path | None) -> dict[str, Any]:
    """An answers file: `[answers]` "step id" = answer."""
    if path is None:
        return {}
    path = Path(path).expanduser()
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise WizardError(f"Answers file not found: {path}", "Check the --answers path.") from None
    except IsADirectoryError:
        raise WizardError(f"The answers file {path} is a directory.", "Give the path of a .toml file.") from None
    except PermissionError:
        raise WizardError(f"The answers file {path} cannot be read (permission denied).",
                          "Make it readable by your user (chmod u+r).") from None
    except UnicodeDecodeError:
        raise WizardError(f"The answers file {path} is not UTF-8 text.", "Save it as UTF-8.") from None
    except OSError as exc:
        raise WizardError(f"The answers file {path} cannot be read: {exc.strerror or exc}.", "Check the path.") from None
    except tomllib.TOMLDecodeError as exc:
        raise WizardError(f"{path}: not valid TOML: {exc}",
                          "Fix the file; answers look like \"1.4.backup\" = \"2026-11-24 21:30\".") from None
    table = raw.get("answers", raw)
    if not isinstance(table, dict):
        raise WizardError(f"{path}: [answers] must be a table of step id = answer.", "See the README's headless section.")
    return {str(k): v for k, v in table.items()}


class AnswersDialogue:
    """Nobody at the keyboard: attest answers from a table, the production name from a flag."""

    headless = True

    def __init__(self, answers: dict[str, Any], *, source: str = "answers file", confirm: str | None = None,
                 confirm_source: str = "--confirm-production", password: str | None = None,
                 say: Any = None, confirm_drops: bool = False) -> None:
        self.answers = answers
        self.confirm_drops = confirm_drops  # --confirm-drops, or the rehearsal confirming its own sandboxes
        self.source = source
        self.confirm = confirm
        self.confirm_source = confirm_source
        self._password = password
        self._say = say

    async def ask(self, step: Step) -> tuple[Any, str]:
        if step.id not in self.answers:
            raise StepFailure(
                f"no answer for attest step {step.id} ({step.params['question']}); in headless mode add "
                f'"{step.id}" = "…" under [answers] in the --answers file',
                {"answer_missing": True},
            )
        return self.answers[step.id], self.source

    async def confirm_production(self, env: Environment, step: Step, evidence: dict[str, Any] | None = None) -> str | None:
        return self.confirm

    @property
    def drops_source(self) -> str:
        """How a drop was confirmed (journaled in drops_confirmed)."""
        if self.confirm_source == "rehearsal":
            return "rehearsal"
        return "--confirm-drops" if self.confirm_drops else self.source

    async def confirm_destructive(self, env: Environment, step: Step, preview: dict[str, Any]) -> bool:
        """The flag, or the migration step's id answered yes in the answers file."""
        answer = self.answers.get(step.id)
        return self.confirm_drops or answer is True or str(answer).strip().lower() in ("yes", "y", "drop")

    async def password(self, prompt: str) -> str | None:
        return self._password

    def say(self, text: str) -> None:
        if self._say is not None:
            self._say(text)


class RehearsalDialogue(AnswersDialogue):
    """The rehearsal answers its own questions, confirms its own drops, and types the name of its
    own sandbox-production: never of anything else, whatever that is called."""

    def __init__(self, answers: dict[str, Any], *, say: Any = None) -> None:
        super().__init__(answers, source="rehearsal answers", confirm_source="rehearsal", say=say, confirm_drops=True)

    async def confirm_production(self, env: Environment, step: Step, evidence: dict[str, Any] | None = None) -> str | None:
        from wizard.environments import SANDBOX_ROLES

        own = env.kind == "sandbox" and SANDBOX_ROLES.get(env.name) == "production"
        return env.name if own else None
