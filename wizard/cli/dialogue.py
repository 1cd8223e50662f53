"""The terminal's side of a run: answers from a file, the production name typed or given as a flag."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from rich.console import Console

from wizard.session import (AnswersDialogue, Environment, Step, backup_line, drop_lines, dry_run_line,
                            prompt_for_production)


class ConsoleDialogue(AnswersDialogue):
    """Headless attest answers (a file); the production name typed at a terminal, or --confirm-production."""

    def __init__(self, console: Console, answers: dict[str, Any], *, confirm_flag: str | None,
                 source: str = "answers file", confirm_drops: bool = False) -> None:
        typed = confirm_flag is None and sys.stdin.isatty()
        super().__init__(answers, source=source, confirm=confirm_flag,
                         confirm_source="typed" if typed else "--confirm-production",
                         say=lambda text: console.print(f"[dim]{text}[/]", highlight=False),
                         confirm_drops=confirm_drops)
        self.headless = not typed
        self.console = console

    async def confirm_production(self, env: Environment, step: Step, evidence: dict[str, Any] | None = None) -> str | None:
        if not self.headless:
            self._show(evidence or {})
            try:
                return await asyncio.to_thread(input, prompt_for_production(env, step))
            except (EOFError, KeyboardInterrupt):
                return None
        return self.confirm

    async def confirm_destructive(self, env: Environment, step: Step, preview: dict[str, Any]) -> bool:
        """The flag or the answers file; at a terminal (no flag), the list is printed and a yes asked."""
        if await super().confirm_destructive(env, step, preview):
            return True
        if not sys.stdin.isatty():
            return False
        if not self.headless:  # headless, the gate has printed the list already
            self._show({"preview": preview})
        try:
            answer = await asyncio.to_thread(
                input, f"{step.title}\nThis takes what is listed above on {env.name.upper()} ({env.kind}). "
                       "Type yes to go on: ")
        except (EOFError, KeyboardInterrupt):
            return False
        return answer.strip().lower() == "yes"

    def _show(self, evidence: dict[str, Any]) -> None:
        """What the gate checked, before a question at the terminal: the drops, the staging match, the backup."""
        lines = drop_lines(evidence["preview"]) if evidence.get("preview") else []
        if evidence.get("staging_pass"):
            passed = evidence["staging_pass"]
            lines.append(f"Staging match: sha256 {str(evidence.get('sha256'))[:12]}… passed on {passed['env']} "
                         f"(step {passed['step']}, {passed['ts']})")
        if evidence.get("backup"):
            lines.append(backup_line(evidence["backup"]))
        if evidence.get("dry_run"):
            lines.append(dry_run_line(evidence["dry_run"]))
        for line in lines:
            self.console.print(line, highlight=False, markup=False)

    async def password(self, prompt: str) -> str | None:
        from wizard.session.environments import ask_password  # keyring and psycopg: only when a password is asked

        return await ask_password(prompt)
