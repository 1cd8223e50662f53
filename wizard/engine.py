"""The engine: runs a day's steps on one environment, in order, judging each and journaling all.

It stops at the first failure, attaches the runbook's troubleshooting advice, and resumes an
interrupted day from the journal. Screens and the headless CLI drive it the same way.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

import psycopg

from wizard import expect
from wizard.environments import Environment, Fingerprint, compare_pin, connect, fingerprint
from wizard.errors import EnvironmentRefused, WizardError
from wizard.environments.pins import production_owner, production_server_refusal
from wizard.journal import Fold, Journal
from wizard.journal.fold import changed_file
from wizard.journal.pins import known_pins
from wizard.redact import redact, register_secret
from wizard.results import (ATTESTED, CANCELLED, ERROR, FAILED, PASSED, SKIPPED, Check, StepProgress, StepResult,
                            now_iso)
from wizard.runbook.model import Runbook, Step, Task
from wizard.steps import module_for, needs_database
from wizard.steps.base import OUTPUT, PROGRESS, StepCancelled, StepContext, StepFailure, default_placeholders
from wizard.steps.service import DEFAULT_NAME as DEFAULT_SERVICE
from wizard.troubleshoot import advice_for

Asker = Callable[[Step], Awaitable[tuple[Any, str]]]


@dataclass
class DayOutcome:
    day: str
    env: str
    results: list[StepResult] = field(default_factory=list)
    skipped_as_done: list[str] = field(default_factory=list)
    optional_failed: list[str] = field(default_factory=list)  # reported, but they do not stop the day
    stopped_at: str | None = None
    problem: str | None = None  # set when a configuration problem (not a failed check) stopped the day

    @property
    def ok(self) -> bool:
        return self.stopped_at is None and self.problem is None and all(
            r.ok or r.step_id in self.optional_failed for r in self.results)


class Engine:
    def __init__(
        self,
        runbook: Runbook,
        env: Environment,
        journal: Journal,
        *,
        ask: Asker,
        password: str | None = None,
        workspace: Path | None = None,
        on_result: Callable[[Task, Step, StepResult], None] | None = None,
        on_start: Callable[[Task, Step], None] | None = None,
        on_progress: Callable[[Task, Step, StepProgress], None] | None = None,
        guards: list[Callable[[Step, "Engine"], Awaitable[None]]] | None = None,
    ) -> None:
        self.runbook = runbook
        self.env = env
        self.journal = journal
        self.ask = ask
        self.password = password
        register_secret(password)
        self.workspace = workspace or (Path(env.workspace) if env.workspace else None)
        self.on_result = on_result
        self.on_start = on_start
        self.on_progress = on_progress
        self.guards = guards or []
        self._conn: psycopg.AsyncConnection | None = None
        self._cancel = asyncio.Event()
        self.fingerprint: Fingerprint | None = None
        self.resources: dict[str, Any] = {}
        self._cleanups: list[Callable[[], Awaitable[None]]] = []
        self.secret: Callable[[str], str | None] = lambda name: None
        self._files: dict[Path, bytes] = {}  # what the running step's guards and body read, read once

    @property
    def runbook_dir(self) -> Path:
        return Path(self.runbook.path).expanduser().resolve().parent

    # --- state -----------------------------------------------------------------
    def state(self) -> Fold:
        """The journal's fold, kept up to date by every append (never a replay per call)."""
        return self.journal.fold

    def provider_of(self, name: str) -> str:
        for step in self.runbook.steps():
            if step.save_as == name:
                return step.id
        return "?"

    # --- connection and safety ------------------------------------------------
    async def connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed:
            self._conn = await connect(self.env, password=self.password)
            self.fingerprint = await fingerprint(self._conn)
            self._check_pin(self.fingerprint)
        return self._conn

    def _check_pin(self, found: Fingerprint) -> None:
        seen = found.as_dict()
        pin = compare_pin(self.env.name, seen, self.state().pins)
        self.journal.append("env_connected", env=self.env.name, environment=self.env.describe(), fingerprint=seen)
        if pin.status == "different":
            self.journal.append("env_refused", env=self.env.name, pinned=pin.pinned, found=seen)
            raise EnvironmentRefused(
                f"{self.env.name} now points at a different server than the one pinned on first use "
                f"{pin.detail} Nothing was run.",
                "Check the profile's connection settings. If the server really was replaced, re-pin it with "
                f"`migration-wizard env forget {self.env.name} --pin`.",
            )
        owner = production_owner(self.env, seen, known_pins(self.journal.path, self.journal.events))
        if owner is not None:
            self.journal.append("env_refused", env=self.env.name, found=seen, production_pin={
                "env": owner.env, "kind": owner.kind, "role": owner.role, "journal": str(owner.journal)})
            raise production_server_refusal(self.env, owner)
        if pin.status == "not pinned":
            self.journal.append("env_pinned", env=self.env.name, fingerprint=seen)

    async def close(self) -> None:
        while self._cleanups:
            cleanup = self._cleanups.pop()
            try:
                await cleanup()
            except Exception as exc:  # noqa: BLE001 - one failed cleanup must not skip the others
                self.journal.append("note", env=self.env.name, text=f"cleanup failed: {exc}")
        self.resources.clear()
        if self._conn is not None and not self._conn.closed:
            await self._conn.close()  # closing rolls back anything still open on the server
        self._conn = None

    def cancel(self) -> None:
        """Cancel the running step (server-side for SQL, process group for commands)."""
        self._cancel.set()

    def check_targets(self, steps: list[tuple[Task, Step]]) -> None:
        """Refuse up front, before anything runs, a day that holds steps for the other role."""
        wrong = [(t, s) for t, s in steps if s.target in ("staging", "production") and s.target != self.env.role]
        if wrong:
            task, step = wrong[0]
            refused = EnvironmentRefused(
                f"Task {task.id} ({task.title}) is for {step.target}, but {self.env.name} is a "
                f"{self.env.role} environment. Nothing was run.",
                # Said by both faces: names the environment to use, not a flag of one of them.
                f"Switch to a {step.target} environment and run it there.",
            )
            refused.needs_role = step.target
            raise refused

    # --- running ---------------------------------------------------------------
    def _selected(self, day_id: str, task_ids: list[str] | None) -> list[tuple[Task, Step]]:
        day = self.runbook.day(day_id)
        for task_id in task_ids or []:
            if not any(t.id == task_id for t in day.tasks):
                self.runbook.task(task_id)  # raises the "unknown task" message
                raise WizardError(f"Task {task_id} is not on {day.id}.", "It belongs to another day: run that day instead.")
        tasks = [t for t in day.tasks if task_ids is None or t.id in task_ids]
        return [(t, s) for t in tasks for s in t.steps]

    async def run_day(self, day_id: str, task_id: str | list[str] | None = None, *, restart: bool = False) -> DayOutcome:
        """Run a day, or some of its tasks (one id or a list), resuming an interrupted pass."""
        day = self.runbook.day(day_id)
        task_ids = [task_id] if isinstance(task_id, str) else task_id
        selected = self._selected(day.id, task_ids)
        self.check_targets(selected)
        if any(needs_database(s.kind) for _, s in selected):
            # The server is identified and checked against every pin before the first step, so a
            # profile on the wrong server is refused before anything runs, not at its first query.
            try:
                await self.connection()
            except BaseException:
                await self.close()
                raise
        outcome = DayOutcome(day.id, self.env.name)
        await self._stop_leftover_services()
        state = self.state()
        open_pass = None if restart or task_id else state.open_pass(self.env.name, day.id)
        if open_pass is not None:
            done = state.passed_since(open_pass)
            pass_id = open_pass.pass_id
            for env_name, step_id in state.interrupted_steps():
                if env_name == self.env.name:
                    self.journal.append("step_interrupted", env=env_name, step=step_id,
                                        note="the previous session ended during this step; it is run again")
            self.journal.append("day_resumed", env=self.env.name, day=day.id, pass_id=pass_id, already_passed=sorted(done))
            for step_id, service in self._services_to_restart(selected, done):
                done.discard(step_id)
                self.journal.append("note", env=self.env.name, step=step_id,
                                    text=f"{step_id} is run again: it started the {service} service, which ended with "
                                         "the previous session, and a step still to run needs it")
        else:
            done = set()
            pass_id = 1 + max((p.pass_id for p in state.passes if p.env == self.env.name and p.day == day.id), default=0)
            self.journal.append("day_started", env=self.env.name, day=day.id, pass_id=pass_id, tasks=task_ids)
        try:
            for task, step in selected:
                if step.id in done:
                    passed = state.latest(step.id, self.env.name)
                    changed = changed_file(passed.data) if passed is not None else None
                    if changed is None:
                        outcome.skipped_as_done.append(step.id)
                        continue
                    # A file that passed is not proof for a different file: check it again.
                    self.journal.append("note", env=self.env.name, step=step.id, text=f"re-checked: {changed}")
                result = await self.run_step(task, step)
                outcome.results.append(result)
                if not result.ok and step.optional and not result.data.get("answered_no"):
                    outcome.optional_failed.append(step.id)
                elif not result.ok:
                    outcome.stopped_at = step.id
                    break
        except WizardError as exc:
            outcome.problem = str(exc)
            raise
        finally:
            await self.close()
            if outcome.problem is None:
                self.journal.append("day_finished", env=self.env.name, day=day.id, pass_id=pass_id,
                                    ok=outcome.ok, stopped_at=outcome.stopped_at)
        return outcome

    async def _stop_leftover_services(self) -> None:
        """A backend a killed wizard left running (found by its pid file) is stopped and journaled."""
        from wizard.appcheck import pidfiles

        for leftover in await asyncio.to_thread(pidfiles.stop_leftovers, self.env.name):
            self.journal.append("note", env=self.env.name, text=leftover.describe(), pid=leftover.pid)

    @staticmethod
    def _services_to_restart(selected: list[tuple[Task, Step]], done: set[str]) -> list[tuple[str, str]]:
        """(step id, service) of passed `service` steps whose service a step still to run needs:
        a service lives only as long as the session that started it."""
        started: dict[str, str] = {}
        again: dict[str, str] = {}
        for _task, step in selected:
            if step.kind == "service" and step.id in done:
                started[step.params.get("name", DEFAULT_SERVICE)] = step.id
            elif step.id not in done and step.params.get("service") in started:
                again[started[step.params["service"]]] = step.params["service"]
        return list(again.items())

    def context(self) -> StepContext:
        state = self.state()
        return StepContext(
            env=self.env,
            facts=dict(self.runbook.facts),
            saved=dict(state.facts),
            placeholders=default_placeholders(self.env, self.workspace, self.runbook_dir),
            base=self.runbook_dir,
            connection=self.connection,
            ask=self.ask,
            record_sql=lambda text: None,
            cancelled=self._cancel,
            resources=self.resources,
            add_cleanup=self._cleanups.append,
            secret=self.secret,
            files=self._files,
            last_fingerprints=state.last_fingerprints.get(self.env.name, {}),
        )

    async def run_step(self, task: Task, step: Step) -> StepResult:
        self._files = {}
        for guard in self.guards:
            await guard(step, self)
        self._cancel = asyncio.Event()
        ctx = self.context()
        ctx.record_sql = lambda text: self.journal.append("sql", env=self.env.name, step=step.id, text=text)
        if self.on_start:
            self.on_start(task, step)
        started_at = now_iso()
        self.journal.append("step_started", env=self.env.name, task=task.id, step=step.id, kind=step.kind, title=step.title)
        t0 = time.monotonic()
        result = StepResult(step.id, step.kind, PASSED, started_at=started_at, environment=self.env.name)
        module = module_for(step.kind)
        self._report_live(task, step)
        try:
            if module is None:
                raise StepFailure(f"the {step.kind!r} step kind is not available in this version")
            result.data = await module.run(step, ctx)
            if step.kind == "attest":
                self.journal.append("answer", env=self.env.name, step=step.id, value=result.data.get("answer"),
                                    source=result.data.get("answer_source"))
            self._judge(step, ctx, result)
        except StepCancelled as exc:
            result.status, result.error = CANCELLED, str(exc)
        except StepFailure as exc:
            result.status, result.error, result.data = ERROR, str(exc), {**result.data, **exc.data}
        except psycopg.Error as exc:
            result.status, result.error = ERROR, f"{exc.sqlstate or 'ERROR'}: {str(exc).strip()}"
        except WizardError as exc:
            result.status, result.error = ERROR, str(exc)
            result.duration_s = round(time.monotonic() - t0, 4)
            self._finish(task, step, result)
            raise
        finally:
            self.resources.pop(PROGRESS, None)
            self.resources.pop(OUTPUT, None)
        result.duration_s = round(time.monotonic() - t0, 4)
        self._finish(task, step, result)
        return result

    def _report_live(self, task: Task, step: Step) -> None:
        """Give the step its live reporters (ctx.resources), bound to it, when the face watches:
        everything they pass on is redacted here, once for every step kind."""
        hook = self.on_progress
        if hook is None:
            return

        def send(update: StepProgress) -> None:
            try:
                hook(task, step, update)
            except Exception:  # noqa: BLE001 - a display problem must never stop the step
                pass

        self.resources[PROGRESS] = lambda fraction, text: send(StepProgress(fraction, redact(text)))
        self.resources[OUTPUT] = lambda lines: send(StepProgress(lines=tuple(redact(line) for line in lines)))

    def _judge(self, step: Step, ctx: StepContext, result: StepResult) -> None:
        if result.data.get("not_applicable"):
            result.status = SKIPPED  # an optional question that does not apply: nothing to judge
            return
        names: dict[str, Any] = {**ctx.saved, "facts": ctx.facts, **result.data, "result": result.data}
        for expectation in step.expect:
            try:
                verdict = expect.judge(expectation.check, names)
                result.checks.append(Check(expectation.check, expectation.describe, verdict.ok, verdict.evidence))
            except expect.MissingResult as missing:
                provider = self.provider_of(missing.name)
                raise StepFailure(
                    f"this check needs {missing.name!r}, measured by step {provider}, which has not passed "
                    f"in this journal yet: run that step first (its day, on the environment it names)"
                ) from None
            except expect.ExpectationError as exc:
                raise StepFailure(f"cannot judge {expectation.check!r}: {exc}") from None
        if any(not c.ok for c in result.checks):
            result.status = FAILED
        elif step.kind == "attest":
            result.status = ATTESTED

    def _finish(self, task: Task, step: Step, result: StepResult) -> None:
        if not result.ok:
            result.advice = advice_for(self.runbook, task.id, result)
        self.journal.append("step_finished", env=self.env.name, role=self.env.role, task=task.id, step=step.id,
                            save_as=step.save_as, result=result.to_dict())
        if self.on_result:
            self.on_result(task, step, result)


__all__ = ["Engine", "DayOutcome", "SKIPPED"]
