"""The TUI's side of a run: each question the session asks becomes a dialog on screen.

Called on the session's thread; `WizardApp.ask_on_screen` shows the dialog on the UI thread and
hands back a future of the answer. A dialog closed without an answer cancels the step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wizard.banner import banner_for
from wizard.session import Environment, Step, StepCancelled, prompt_for_production

if TYPE_CHECKING:
    from screens.app import WizardApp


class ScreenDialogue:
    confirm_source = "typed in the wizard"
    drops_source = "confirmed in the wizard"
    headless = False

    def __init__(self, app: "WizardApp") -> None:
        self.app = app

    async def ask(self, step: Step) -> tuple[Any, str]:
        """An attest step's form, validated by the step kind's own rules."""
        from screens.dialogs import AttestScreen

        app = self.app
        if app._cancel_requested:
            raise StepCancelled("cancelled by the operator before the question was asked")
        task = app.runbook.task_of(step.id)
        task_id = task.id if task else "?"
        suggestion = app.rehearsal_answers.get(step.id)
        note = app.session.rehearsal_notes.get(step.id)
        info = app.banner_info or banner_for(app.env)
        shown: list[AttestScreen] = []

        def form() -> AttestScreen:
            shown.append(AttestScreen(task_id, step, info, suggestion, note))
            return shown[-1]

        answer = await app.ask_on_screen(form)
        if answer is None:
            raise StepCancelled("cancelled by the operator: the question was closed without an answer")
        source = "operator"
        # Accepted only when Ctrl+S put it there and it went in unchanged; typed, it is the operator's own.
        if shown and shown[-1].took_suggestion and str(answer).strip() == str(suggestion):
            source = "operator (accepted the rehearsal's suggestion)"
        return answer, source

    async def confirm_production(self, env: Environment, step: Step, evidence: dict[str, Any] | None = None) -> str | None:
        """The production gate's typed confirmation: the operator types the environment's name,
        seeing what the gate checked (staging match, backup age) and what the migration drops."""
        from screens.dialogs import TypedConfirmScreen

        info = self.app.banner_info or banner_for(env)
        return await self.app.ask_on_screen(
            lambda: TypedConfirmScreen(prompt_for_production(env, step), env.name, info, evidence))

    async def confirm_destructive(self, env: Environment, step: Step, preview: dict[str, Any]) -> bool:
        """Before a migration drops tables: the list with row counts, and Yes/No (closed: No)."""
        from screens.dialogs import DropConfirmScreen

        if self.app._cancel_requested:
            return False  # a cancel is not a yes: the gate refuses, nothing runs
        info = self.app.banner_info or banner_for(env)
        return bool(await self.app.ask_on_screen(lambda: DropConfirmScreen(step, preview, info)))

    async def password(self, prompt: str) -> str | None:
        from screens.dialogs import PasswordScreen

        info = self.app.banner_info or banner_for(self.app.env)
        return await self.app.ask_on_screen(lambda: PasswordScreen(prompt, info))

    def say(self, text: str) -> None:
        self.app.post_message(self.app.Notice(text))
