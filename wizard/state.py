"""RunState: what a run has done, derived by replaying its journal. Never stored anywhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from wizard.results import OK_STATUSES, StepResult


@dataclass
class StepRecord:
    """The latest outcome of one step on one environment."""

    result: StepResult | None = None
    started_at: str | None = None
    running: bool = False  # started but never finished: the process died or is still going


@dataclass
class TaskTiming:
    first_start: str | None = None
    last_end: str | None = None
    seconds: float = 0.0  # sum of step durations, the honest "actual" time spent running


@dataclass
class DayPass:
    env: str
    day: str
    pass_id: int
    started_at: str
    finished: bool = False
    ok: bool | None = None
    passed_steps: set[str] = field(default_factory=set)


@dataclass
class RunState:
    run_id: str | None = None
    runbook: dict[str, Any] = field(default_factory=dict)
    steps: dict[tuple[str, str], StepRecord] = field(default_factory=dict)  # (env, step_id)
    facts: dict[str, Any] = field(default_factory=dict)  # save_as → result data
    fact_sources: dict[str, tuple[str, str]] = field(default_factory=dict)  # save_as → (env, step)
    tasks: dict[str, TaskTiming] = field(default_factory=dict)
    passes: list[DayPass] = field(default_factory=list)
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    migrations: list[dict[str, Any]] = field(default_factory=list)  # every migration outcome, in order
    notes: list[dict[str, Any]] = field(default_factory=list)
    sessions: int = 0
    event_count: int = 0
    last_event_at: str | None = None

    def latest(self, step_id: str, env: str | None = None) -> StepResult | None:
        """Latest result of a step, on one environment or on any."""
        best: StepRecord | None = None
        for (env_name, sid), record in self.steps.items():
            if sid != step_id or (env is not None and env_name != env) or record.result is None:
                continue
            if best is None or (record.result.started_at > best.result.started_at):  # type: ignore[union-attr]
                best = record
        return best.result if best else None

    def record(self, step_id: str, env: str | None = None) -> StepRecord | None:
        if env is not None:
            return self.steps.get((env, step_id))
        records = [r for (e, s), r in self.steps.items() if s == step_id]
        return max(records, key=lambda r: r.started_at or "", default=None)

    def open_pass(self, env: str, day: str) -> DayPass | None:
        for day_pass in reversed(self.passes):
            if day_pass.env == env and day_pass.day == day:
                return None if day_pass.finished and day_pass.ok else day_pass
        return None

    def interrupted_steps(self) -> list[tuple[str, str]]:
        return [key for key, record in self.steps.items() if record.running]


def replay(events: Iterable[dict[str, Any]]) -> RunState:
    state = RunState()
    for event in events:
        state.event_count += 1
        state.last_event_at = event.get("ts")
        kind = event.get("type")
        env = event.get("env", "")
        if state.run_id is None:
            state.run_id = event.get("run")
        if kind == "run_started":
            state.runbook = {k: event.get(k) for k in ("runbook_path", "runbook_sha256", "runbook_title")}
        elif kind == "session_started":
            state.sessions += 1
        elif kind == "day_started":
            state.passes.append(DayPass(env, event["day"], event["pass_id"], event["ts"]))
        elif kind == "day_finished":
            for day_pass in reversed(state.passes):
                if day_pass.env == env and day_pass.day == event["day"] and day_pass.pass_id == event["pass_id"]:
                    day_pass.finished, day_pass.ok = True, bool(event.get("ok"))
                    break
        elif kind == "day_resumed":  # the same pass carries on: open again until its day_finished
            for day_pass in reversed(state.passes):
                if day_pass.env == env and day_pass.day == event["day"] and day_pass.pass_id == event["pass_id"]:
                    day_pass.finished, day_pass.ok = False, None
                    break
        elif kind == "step_started":
            record = state.steps.setdefault((env, event["step"]), StepRecord())
            record.started_at, record.running = event["ts"], True
            timing = state.tasks.setdefault(event.get("task", ""), TaskTiming())
            timing.first_start = timing.first_start or event["ts"]
        elif kind == "step_finished":
            result = StepResult.from_dict(event["result"])
            record = state.steps.setdefault((env, result.step_id), StepRecord())
            record.result, record.running = result, False
            timing = state.tasks.setdefault(event.get("task", ""), TaskTiming())
            timing.last_end = event["ts"]
            timing.seconds += result.duration_s
            if result.ok and event.get("save_as"):
                state.facts[event["save_as"]] = result.data
                state.fact_sources[event["save_as"]] = (env, result.step_id)
            if result.kind == "migration":
                state.migrations.append(
                    {
                        "env": env,
                        "role": event.get("role"),
                        "step": result.step_id,
                        "sha256": result.data.get("sha256"),
                        "file": result.data.get("file"),
                        "mode": result.data.get("mode"),
                        "status": result.status,
                        "ts": event["ts"],
                    }
                )
            for day_pass in reversed(state.passes):
                if day_pass.env == env and not day_pass.finished:
                    if result.ok:
                        day_pass.passed_steps.add(result.step_id)
                    break
        elif kind == "answer":
            state.answers[event["step"]] = event.get("value")
        elif kind == "env_pinned":
            state.pins[env] = event.get("fingerprint", {})
        elif kind == "env_unpinned":  # `env forget NAME --pin`: the next connection pins again
            state.pins.pop(env, None)
        elif kind == "note":
            state.notes.append(event)
    return state
