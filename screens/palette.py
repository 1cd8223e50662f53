"""The command palette (Ctrl+P): every action of the actions table, plus each day and task by name."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from screens.actions import ACTIONS
from wizard.session.views import other_role

if TYPE_CHECKING:
    from screens.app import WizardApp


class WizardCommands(Provider):
    def entries(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app: "WizardApp" = self.app  # type: ignore[assignment]
        screen = self.screen
        scope = getattr(screen, "palette_scope", "app")
        for act in ACTIONS:
            if act.scope == "app":
                yield act.title, act.help, partial(app.run_action, f"app.{act.action}")
            elif act.scope == scope:
                yield act.title, act.help, partial(screen.run_action, act.action)
        for day in app.runbook.days:
            name = day.id.capitalize()
            yield f"Open {name}", f"Show {name}'s tasks in the week overview: {day.title}", partial(app.open_day, day.id)
            # A day whose steps need the other role would only be refused here: not offered.
            if other_role(day, app.env.role) is None:
                yield f"Run {name}", f"Run {name} on {app.env.name}: {day.title}", partial(app.start_run, day.id)
        for task in app.runbook.tasks():
            yield (f"Open task {task.id} {task.title}", "Instructions, steps, verdicts and results",
                   partial(app.open_task, task.id))
            needs = {s.target for s in task.steps if s.target in ("staging", "production") and s.target != app.env.role}
            if needs:
                continue
            count = len(task.steps)
            yield (f"Run task {task.id} {task.title}", f"Run its {count} step{'' if count == 1 else 's'} on {app.env.name}",
                   partial(app.start_run, app.day_of(task.id), [task.id]))

    async def discover(self) -> Hits:
        for title, help_text, callback in self.entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self.entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
