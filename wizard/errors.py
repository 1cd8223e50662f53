"""Errors an operator can act on: each says what is wrong and what to do."""


class WizardError(Exception):
    """A problem with input or configuration; shown as one message, never a traceback."""

    exit_code = 2

    def __init__(self, what: str, fix: str = "") -> None:
        self.what = what
        self.fix = fix
        super().__init__(what if not fix else f"{what}\n  → {fix}")


class RunbookError(WizardError):
    """The runbook file is malformed."""


class ConnectionFailed(WizardError):
    """The database could not be reached or refused us."""


class EnvironmentRefused(WizardError):
    """A guard refused to run a step on this environment."""

    # The role the step needs, when the fix is to switch environments: a face names its own way to.
    needs_role: str | None = None
