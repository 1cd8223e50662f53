"""The one read model of a journal: a Fold fed its events one at a time.

Everything a view shows is read off a Fold (live screens, the engine and its guards, `status`,
the exports, the offline review), and only the functions here decide the state of a step, a task
or a day, so no two views can disagree about the same journal.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from wizard.results import ATTESTED, CANCELLED, ERROR, FAILED, OK_STATUSES, PASSED, SKIPPED, StepResult

if TYPE_CHECKING:
    from wizard.runbook.model import Day, Task

# --- the states, one set for every view -----------------------------------------------------------
NOT_STARTED = "not started"
RUNNING = "running"  # only when the caller knows the step runs now (a live engine)
INTERRUPTED = "interrupted"  # started, never finished, and not running now
PARTLY_DONE = "partly done"
OPTIONAL_FAILED = "optional failed"  # task: required steps passed, an optional one did not (reported, not a failure)
STOPPED = "stopped at"  # day: "stopped at 2.4" names the first task that did not pass

OK_TASK_STATES = (PASSED, ATTESTED, SKIPPED, OPTIONAL_FAILED)
BAD_TASK_STATES = (FAILED, ERROR, CANCELLED, INTERRUPTED)
_BAD_STEP_STATES = BAD_TASK_STATES

INCIDENT_TYPES = ("journal_repaired", "journal_problem_found", "step_interrupted", "env_refused")



_DATABASE_KINDS: dict[str, bool] = {}


def _needs_database(kind: str) -> bool:
    """The kind's own declaration (wizard.steps), read once per kind: the fold runs per event."""
    if kind not in _DATABASE_KINDS:
        from wizard.steps import needs_database

        _DATABASE_KINDS[kind] = needs_database(kind)
    return _DATABASE_KINDS[kind]

class LazyStepResult(StepResult):
    """A step result read without its data, checks and advice (JournalIndex.iter_events(lazy=True)):
    they are read from the journal line the first time something asks for them."""

    _LAZY = ("data", "checks", "advice")

    def __init__(self, summary: dict[str, Any], load: Callable[[], dict[str, Any] | None]) -> None:
        # Set directly, not through the dataclass __init__: tens of thousands are made per review.
        self.__dict__.update(_SUMMARY_DEFAULTS, **summary)
        self._load = load

    def __getattr__(self, name: str) -> Any:
        if name not in LazyStepResult._LAZY:
            raise AttributeError(name)
        full = StepResult.from_dict((self._load() or {}).get("result") or {"step_id": self.step_id, "kind": self.kind,
                                                                            "status": self.status})
        for lazy in LazyStepResult._LAZY:
            setattr(self, lazy, getattr(full, lazy))
        return getattr(self, name)


_SUMMARY_DEFAULTS = {f.name: f.default for f in fields(StepResult) if f.name not in LazyStepResult._LAZY}


def plain_result(result: StepResult, **changes: Any) -> StepResult:
    """A StepResult (never lazy) with the same fields, some changed."""
    return StepResult(**{**{f.name: getattr(result, f.name) for f in fields(StepResult)}, **changes})


class Facts(Mapping):
    """save_as → the data of the step result that saved it, read only when asked for (lazy results)."""

    def __init__(self) -> None:
        self._results: dict[str, StepResult] = {}

    def __getitem__(self, name: str) -> Any:
        return self._results[name].data

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def save(self, name: str, result: StepResult) -> None:
        self._results[name] = result


@dataclass
class Attempt:
    """One run of one step on one environment: from step_started to step_finished."""

    env: str
    task: str
    step: str
    kind: str
    title: str
    started_at: str
    started_seq: int
    role: str | None = None
    save_as: str | None = None
    finished_at: str | None = None
    result: StepResult | None = None
    sql: list[str] = field(default_factory=list)
    sql_lines: list[int] = field(default_factory=list)  # journal lines of SQL not read yet (offline review)
    answers: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False
    fingerprint: dict[str, Any] | None = None  # the server this environment was connected to

    @property
    def status(self) -> str:
        if self.result is not None:
            return self.result.status
        return INTERRUPTED if self.interrupted else RUNNING

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.status in OK_STATUSES

    @property
    def duration_s(self) -> float:
        return self.result.duration_s if self.result else 0.0

    @property
    def data(self) -> dict[str, Any]:
        return self.result.data if self.result else {}


@dataclass
class StepRecord:
    """The latest outcome of one step on one environment."""

    result: StepResult | None = None
    started_at: str | None = None
    started_seq: int = -1
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
    finished_at: str | None = None
    passed_steps: set[str] = field(default_factory=set)
    tasks: list[str] | None = None  # a pass of some tasks only: its "ok" says nothing about the whole day

    @property
    def whole_day(self) -> bool:
        return not self.tasks


@dataclass
class EnvInfo:
    name: str
    environment: dict[str, Any]
    fingerprint: dict[str, Any]
    first_connected: str
    connections: int = 1


@dataclass
class DayState:
    done: int  # tasks in OK_TASK_STATES
    total: int
    verdict: str  # not started | passed | stopped at 2.4 | interrupted | partly done | running


@dataclass
class Fold:
    run_id: str | None = None
    runbook: dict[str, Any] = field(default_factory=dict)
    steps: dict[tuple[str, str], StepRecord] = field(default_factory=dict)  # (env, step_id)
    facts: Facts = field(default_factory=Facts)  # save_as → result data
    fact_sources: dict[str, tuple[str, str]] = field(default_factory=dict)  # save_as → (env, step)
    tasks: dict[str, TaskTiming] = field(default_factory=dict)
    passes: list[DayPass] = field(default_factory=list)
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    migrations: list[dict[str, Any]] = field(default_factory=list)  # every migration outcome, in order
    last_fingerprints: dict[str, dict[str, Any]] = field(default_factory=dict)  # env → last applied migration's after
    notes: list[dict[str, Any]] = field(default_factory=list)
    sessions: int = 0
    event_count: int = 0
    last_event_at: str | None = None
    last_event: dict[str, Any] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    attempts_by_task: dict[str, list[Attempt]] = field(default_factory=dict)
    envs: dict[str, EnvInfo] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)  # tasks a note says the rehearsal left out
    answer_sources: set[str] = field(default_factory=set)
    incidents: list[dict[str, Any]] = field(default_factory=list)  # the events of INCIDENT_TYPES, in order
    load: Callable[[int], dict[str, Any] | None] | None = None  # journal line → event, for lazily read events
    _open: dict[tuple[str, str], Attempt] = field(default_factory=dict)  # (env, step) → attempt not finished yet
    _connected: dict[str, dict[str, Any]] = field(default_factory=dict)  # env → fingerprint of its last connection
    _unfinished: dict[str, dict[int, DayPass]] = field(default_factory=dict)  # env → {place in passes: pass not finished}

    # --- feeding ----------------------------------------------------------------------------------
    def feed(self, event: dict[str, Any]) -> None:
        self.event_count += 1
        self.last_event_at = event.get("ts") or self.last_event_at
        self.last_event = event
        kind = event.get("type")
        env = event.get("env", "")
        if self.run_id is None:
            self.run_id = event.get("run")
        handler = _HANDLERS.get(kind)  # type: ignore[arg-type]
        if handler is not None:
            handler(self, event, env)

    def feed_lines(self, lines: Iterable[bytes], tick: Callable[[int], None] | None = None, every: int = 5000) -> None:
        """Every line of a saved journal fed in order, as feed(parse_line(line, i, lazy=True)) would,
        without building a dict for the most common events: an SQL event, a step_started and a
        step_finished (but a migration's) are read off their head (index.head_decoder) and go to the
        same handlers as feed()'s; any other line, or one parse_line would read whole (a key missing,
        its type not where the canonical line has it), is parsed and fed whole. The last event is
        read whole (self.load) when it was fed by its head. tick(i) is called every `every` lines."""
        import msgspec

        from wizard.journal.index import _FINISHED_TYPE as finished_type
        from wizard.journal.index import _SQL_TYPE as sql_type
        from wizard.journal.index import _TAIL as tail
        from wizard.journal.index import head_decoder, parse_line

        unset = msgspec.UNSET
        to_builtins = msgspec.to_builtins
        decode = head_decoder()
        load = self.load
        feed, opened, started, finished = self.feed, self._open, self._started, self._finished
        head_line = -1  # the line of the last event fed by its head, while it is the last fed
        for i, line in enumerate(lines):
            if tick is not None and i % every == 0:
                tick(i)
            try:
                head = decode(line)
            except ValueError:
                head = None
            else:
                kind, env, ts, step = head.type, head.env, head.ts, head.step
                if env is unset:
                    env = ""
                if kind == "sql":  # fed by its head when parse_line's lazy SQL head would be
                    seq = head.seq
                    if step is unset:
                        step = ""
                    if not (type(seq) is int and seq >= 0 and type(ts) is str and ts and type(env) is str
                            and type(step) is str and load is not None and line.find(sql_type, len(line) - tail) >= 0):
                        head = None
                    else:
                        attempt = opened.get((env, step))
                        if attempt is not None:
                            attempt.sql_lines.append(i)
                elif kind == "step_started":
                    if step is unset or ts is unset:
                        head = None
                    else:
                        seq, task, step_kind, title = head.seq, head.task, head.kind, head.title
                        started(env, step, -1 if seq is unset else seq, ts, "" if task is unset else task,
                                "" if step_kind is unset else step_kind, "" if title is unset else title)
                elif kind == "step_finished":
                    summary, role = head.result, head.role
                    if (summary is unset or role is unset or ts is unset or load is None or summary.duration_s is unset
                            or summary.kind == "migration" or line.find(finished_type, len(line) - tail) < 0):
                        head = None  # a migration's result is read whole: the fold reads its data
                    else:
                        result = LazyStepResult(to_builtins(summary), lambda line=i: load(line))
                        task, save_as, seq = head.task, head.save_as, head.seq
                        finished(env, result, ts, "" if task is unset else task, None if save_as is unset else save_as,
                                 role, -1 if seq is unset else seq)
                else:
                    head = None
            if head is None:
                event = parse_line(line, i, lazy=True)
                if event is not None:
                    feed(event)
                    head_line = -1
                continue
            self.event_count += 1
            self.last_event_at = ts or self.last_event_at
            if self.run_id is None:
                run = head.run
                self.run_id = None if run is unset else run
            head_line = i
        if head_line >= 0 and load is not None:
            self.last_event = load(head_line) or {}

    def _run_started(self, event: dict[str, Any], env: str) -> None:
        self.runbook = {k: event.get(k) for k in ("runbook_path", "runbook_sha256", "runbook_title")}

    def _session_started(self, event: dict[str, Any], env: str) -> None:
        self.sessions += 1

    def _day_started(self, event: dict[str, Any], env: str) -> None:
        day_pass = DayPass(env, event["day"], event["pass_id"], event["ts"], tasks=event.get("tasks") or None)
        self.passes.append(day_pass)
        self._unfinished.setdefault(env, {})[len(self.passes) - 1] = day_pass

    def _day_finished(self, event: dict[str, Any], env: str) -> None:
        found = self._pass(env, event)
        if found is not None:
            place, day_pass = found
            day_pass.finished, day_pass.ok, day_pass.finished_at = True, bool(event.get("ok")), event.get("ts")
            self._unfinished.get(env, {}).pop(place, None)

    def _day_resumed(self, event: dict[str, Any], env: str) -> None:  # the same pass carries on until its day_finished
        found = self._pass(env, event)
        if found is not None:
            place, day_pass = found
            day_pass.finished, day_pass.ok = False, None
            self._unfinished.setdefault(env, {})[place] = day_pass

    def _pass(self, env: str, event: dict[str, Any]) -> tuple[int, DayPass] | None:
        for place in range(len(self.passes) - 1, -1, -1):
            day_pass = self.passes[place]
            if day_pass.env == env and day_pass.day == event["day"] and day_pass.pass_id == event["pass_id"]:
                return place, day_pass
        return None

    def _open_pass_of(self, env: str) -> DayPass | None:
        """The last pass on `env` not finished (the same as scanning `passes` backwards, without the scan)."""
        unfinished = self._unfinished.get(env)
        return unfinished[max(unfinished)] if unfinished else None

    def _env_connected(self, event: dict[str, Any], env: str) -> None:
        fp = event.get("fingerprint") or {}
        self._connected[env] = fp
        info = self.envs.get(env)
        if info is not None:
            info.connections += 1
            info.fingerprint = fp
        else:
            self.envs[env] = EnvInfo(env, event.get("environment") or {}, fp, event.get("ts", ""))

    def _step_started(self, event: dict[str, Any], env: str) -> None:
        self._started(env, event["step"], event.get("seq", -1), event["ts"], event.get("task", ""), event.get("kind", ""),
                      event.get("title", ""))

    def _started(self, env: str, step: str, seq: int, ts: str, task: str, kind: str, title: str) -> None:
        record = self._record(env, step)
        record.started_at, record.started_seq, record.running = ts, seq, True
        timing = self._timing(task)
        timing.first_start = timing.first_start or ts
        attempt = Attempt(env, task, step, kind, title, ts, seq)
        previous = self._open.get((env, step))
        if previous is not None:
            previous.interrupted = True
        self._open[(env, step)] = attempt
        self._add_attempt(attempt)

    # Found before made: setdefault would build a record for every event, to throw it away.
    def _record(self, env: str, step: str) -> StepRecord:
        record = self.steps.get((env, step))
        if record is None:
            record = self.steps[(env, step)] = StepRecord()
        return record

    def _timing(self, task: str) -> TaskTiming:
        timing = self.tasks.get(task)
        if timing is None:
            timing = self.tasks[task] = TaskTiming()
        return timing

    def _add_attempt(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)
        self.attempts_by_task.setdefault(attempt.task, []).append(attempt)

    def _sql(self, event: dict[str, Any], env: str) -> None:
        attempt = self._open.get((env, event.get("step", "")))
        if attempt is not None:
            if "text" in event:
                attempt.sql.append(event["text"])
            else:  # read when the step is opened (JournalIndex.iter_events(skip_sql_text=True))
                attempt.sql_lines.append(event.get("line", -1))

    def _answer(self, event: dict[str, Any], env: str) -> None:
        self.answers[event["step"]] = event.get("value")
        attempt = self._open.get((env, event.get("step", "")))
        if attempt is not None:
            attempt.answers.append({"value": event.get("value"), "source": event.get("source")})
        if event.get("source"):
            self.answer_sources.add(str(event["source"]))

    def _incident(self, event: dict[str, Any], env: str) -> None:
        self.incidents.append(event)

    def _step_interrupted(self, event: dict[str, Any], env: str) -> None:
        self.incidents.append(event)
        for attempt in reversed(self.attempts):
            if attempt.env == env and attempt.step == event.get("step") and attempt.result is None:
                attempt.interrupted = True
                break

    def _step_finished(self, event: dict[str, Any], env: str) -> None:
        line = event.get("line")
        if line is not None and self.load is not None:
            load = self.load
            result: StepResult = LazyStepResult(event["result"], lambda: load(line))
        else:
            result = StepResult.from_dict(event["result"])
        self._finished(env, result, event["ts"], event.get("task", ""), event.get("save_as"), event.get("role"),
                       event.get("seq", -1))

    def _finished(self, env: str, result: StepResult, ts: str, task: str, save_as: str | None, role: str | None,
                  seq: int) -> None:
        record = self._record(env, result.step_id)
        record.result, record.running = result, False
        timing = self._timing(task)
        timing.last_end = ts
        timing.seconds += result.duration_s
        ok = result.status in OK_STATUSES
        if ok and save_as:
            self.facts.save(save_as, result)
            self.fact_sources[save_as] = (env, result.step_id)
        if result.kind == "migration":
            self.migrations.append({"env": env, "role": role, "step": result.step_id, "sha256": result.data.get("sha256"),
                                    "file": result.data.get("file"), "mode": result.data.get("mode"), "status": result.status,
                                    "ts": ts})
            if ok and not result.data.get("rolled_back") and result.data.get("fingerprints_after"):
                self.last_fingerprints[env] = result.data["fingerprints_after"]
        day_pass = self._open_pass_of(env)
        if day_pass is not None and ok:
            day_pass.passed_steps.add(result.step_id)
        attempt = self._open.pop((env, result.step_id), None)
        if attempt is None:  # a finish without its start (an older journal): keep it anyway
            attempt = Attempt(env, task, result.step_id, result.kind, "", result.started_at, seq)
            self._add_attempt(attempt)
        attempt.result = result
        attempt.finished_at = ts
        attempt.role = role
        attempt.save_as = save_as
        if _needs_database(attempt.kind):
            attempt.fingerprint = self._connected.get(env)

    def _env_pinned(self, event: dict[str, Any], env: str) -> None:
        self.pins[env] = event.get("fingerprint", {})

    def _env_unpinned(self, event: dict[str, Any], env: str) -> None:  # `env forget NAME --pin`: the next connection pins again
        self.pins.pop(env, None)

    def _note(self, event: dict[str, Any], env: str) -> None:
        self.notes.append(event)
        if isinstance(event.get("tasks"), list) and "not rehearsed" in str(event.get("text", "")):
            self.left_out += [t for t in event["tasks"] if t not in self.left_out]

    # --- questions the engine asks ------------------------------------------------------------
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
        """The step's record on one environment, or the one started last on any."""
        if env is not None:
            return self.steps.get((env, step_id))
        records = [r for (e, s), r in self.steps.items() if s == step_id]
        return max(records, key=lambda r: r.started_seq, default=None)

    def open_pass(self, env: str, day: str) -> DayPass | None:
        """The whole-day pass a day run resumes: passes of some tasks only are not resumed."""
        for day_pass in reversed(self.passes):
            if day_pass.env == env and day_pass.day == day and day_pass.whole_day:
                return None if day_pass.finished and day_pass.ok else day_pass
        return None

    def passed_since(self, day_pass: DayPass) -> set[str]:
        """Steps passed on the pass's environment and day by it or by any later pass (e.g. `--task`)."""
        later = self.passes[next(i for i, p in enumerate(self.passes) if p is day_pass):]
        return set().union(*(p.passed_steps for p in later if p.env == day_pass.env and p.day == day_pass.day))

    def passed_file(self, step_id: str, env: str | None = None) -> tuple[str, str] | None:
        """(path, sha256) of the file a passed step hashed (a migration, a checked file), or None."""
        result = self.latest(step_id, env)
        if result is None or result.status not in OK_STATUSES:
            return None
        return hashed_file(result.data)

    def file_changed(self, step_id: str, env: str | None = None) -> str | None:
        """Why a passed step's file (a migration, a checked file) is not the one it passed with, or None."""
        passed = self.passed_file(step_id, env)
        return file_change(*passed) if passed else None

    def interrupted_steps(self) -> list[tuple[str, str]]:
        return [key for key, record in self.steps.items() if record.running]

    def task_attempts(self, task_id: str) -> list[Attempt]:
        return self.attempts_by_task.get(task_id, [])

    # --- the states: the only place that decides them -----------------------------------------
    def step_state(self, step_id: str, env: str | None = None, running: str | None = None) -> str:
        """A step's state on one environment, or (env None) its latest run on any."""
        if running == step_id:
            return RUNNING
        record = self.record(step_id, env)
        if record is None:
            return NOT_STARTED
        if record.running:
            return INTERRUPTED
        return record.result.status if record.result else NOT_STARTED

    def task_state(self, task: Task, env: str | None = None, running: str | None = None) -> str:
        """The first required step (in runbook order) that failed, erred, was cancelled or
        interrupted decides; an optional one that did gives OPTIONAL_FAILED, which counts as done."""
        states = [(step, self.step_state(step.id, env, running)) for step in task.steps]
        if any(s == RUNNING for _, s in states):
            return RUNNING
        if all(s == NOT_STARTED for _, s in states):
            return NOT_STARTED
        required = [s for step, s in states if not step.optional]
        bad = next((s for s in required if s in _BAD_STEP_STATES), None)
        if bad is not None:
            return bad
        if NOT_STARTED in required:
            return PARTLY_DONE
        if any(s in _BAD_STEP_STATES for step, s in states if step.optional):
            return OPTIONAL_FAILED
        done = [s for _, s in states if s != NOT_STARTED]
        if all(s == SKIPPED for s in done):
            return SKIPPED
        if all(s == ATTESTED for s in done):
            return ATTESTED
        return PASSED

    def optional_failures(self, task: Task, env: str | None = None) -> list[tuple[str, str]]:
        """(step, state) of the task's optional steps that did not pass: what OPTIONAL_FAILED reports."""
        return [(step.id, state) for step in task.steps if step.optional
                and (state := self.step_state(step.id, env)) in _BAD_STEP_STATES]

    def day_state(self, day: Day, env: str | None = None, running: str | None = None, live: bool = False) -> DayState:
        """`live`: the engine runs on this environment now (an open pass is running, not interrupted)."""
        states = [self.task_state(t, env, running) for t in day.tasks]
        done = sum(s in OK_TASK_STATES for s in states)
        passes = [p for p in self.passes if (env is None or p.env == env) and p.day == day.id]
        stopped = next((t.id for t, s in zip(day.tasks, states) if s in (FAILED, ERROR, CANCELLED)), None)
        if RUNNING in states or (live and passes and not passes[-1].finished):
            verdict = RUNNING
        elif all(s == NOT_STARTED for s in states):
            verdict = NOT_STARTED
        elif done == len(states):
            verdict = PASSED
        elif stopped is not None:
            verdict = f"{STOPPED} {stopped}"
        elif INTERRUPTED in states or (passes and not passes[-1].finished):
            verdict = INTERRUPTED
        else:
            verdict = PARTLY_DONE
        return DayState(done, len(states), verdict)


_HANDLERS = {
    "run_started": Fold._run_started,
    "session_started": Fold._session_started,
    "day_started": Fold._day_started,
    "day_finished": Fold._day_finished,
    "day_resumed": Fold._day_resumed,
    "env_connected": Fold._env_connected,
    "step_started": Fold._step_started,
    "sql": Fold._sql,
    "answer": Fold._answer,
    "step_interrupted": Fold._step_interrupted,
    "step_finished": Fold._step_finished,
    "env_pinned": Fold._env_pinned,
    "env_unpinned": Fold._env_unpinned,
    "note": Fold._note,
    "journal_repaired": Fold._incident,
    "journal_problem_found": Fold._incident,
    "env_refused": Fold._incident,
}


def hashed_file(data: Mapping[str, Any]) -> tuple[str, str] | None:
    """(path, sha256) of the file a result hashed (a migration, a checked file), or None."""
    path, sha = data.get("path"), data.get("sha256")
    return (str(path), str(sha)) if path and sha else None


def changed_file(data: Mapping[str, Any]) -> str | None:
    """A result that hashed a file (sha256 and path): why the file there now differs, or None."""
    hashed = hashed_file(data)
    return file_change(*hashed) if hashed else None


def file_change(path: str, sha: str, name: str | None = None) -> str | None:
    """Why the file at `path` is not the one hashed as `sha` (named `name`, else by its path), or None."""
    name = name or path
    try:
        now = file_sha256(path)
        if now == sha or _text_sha256(path) == sha:
            return None
    except FileNotFoundError:
        return f"{name} is gone since it passed"
    except OSError as exc:
        return f"{name} cannot be read ({exc.strerror or exc})"
    return f"{name} changed since it passed (sha256 {now[:12]} now, {sha[:12]} then)"


def _text_sha256(path: str) -> str | None:
    """A migration journals the SHA-256 of its text read with universal newlines, so a CRLF file
    passed is the same file when this matches. Small files only: SQL, never a backup's dump."""
    if os.stat(path).st_size > 8 << 20:
        return None
    with open(path, "rb") as fh:
        raw = fh.read()
    if b"\r" not in raw:
        return None
    return hashlib.sha256(raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")).hexdigest()


_DIGESTS: dict[tuple[str, int, int, int], str] = {}
_RACY_SECONDS = 2.0


def file_sha256(path: str) -> str:
    """The file's SHA-256, remembered while its size, inode and mtime stay the same: the TUI asks
    every few seconds, and a backup's dump may be large. A file written in the last seconds is
    hashed again each time (a second write within the clock's tick keeps the mtime, as git knows)."""
    st = os.stat(path)
    key = (path, st.st_size, st.st_ino, st.st_mtime_ns)
    known = _DIGESTS.get(key)  # .get: the engine's thread and the screens' may both be here
    if known is not None:
        return known
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    if time.time() - st.st_mtime_ns / 1e9 > _RACY_SECONDS:
        if len(_DIGESTS) > 1000:
            _DIGESTS.clear()
        _DIGESTS[key] = digest
    return digest


def replay(events: Iterable[dict[str, Any]]) -> Fold:
    """A fresh Fold fed every event."""
    fold = Fold()
    for event in events:
        fold.feed(event)
    return fold
