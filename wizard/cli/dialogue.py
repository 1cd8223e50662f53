"""The terminal's side of a run: answers from a file, the production name typed or given as a flag."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from rich.console import Console

from wizard.session import AnswersDialogue, Environment, Step, prompt_for_production


class ConsoleDialogue(AnswersDialogue):
    """Headless attest answers (a file); the production name typed at a terminal, or --confirm-production."""

    def __init__(self, console: Console, answers: dict[str, Any], *, confirm_flag: str | None,
                 source: str = "answers file") -> None:
        typed = confirm_flag is None and sys.stdin.isatty()
        super().__init__(answers, source=source, confirm=confirm_flag,
                         confirm_source="typed" if typed else "--confirm-production",
                         say=lambda text: console.print(f"[dim]{text}[/]", highlight=False))
        self.headless = not typed
        self.console = console

    async def confirm_production(self, env: Environment, step: Step) -> str | None:
        if not self.headless:
            try:
                return await asyncio.to_thread(input, prompt_for_production(env, step))
            except (EOFError, KeyboardInterrupt):
                return None
        return self.confirm

    async def password(self, prompt: str) -> str | None:
        from wizard.session.environments import ask_password  # keyring and psycopg: only when a password is asked

        return await ask_password(prompt)
