"""Load a runbook TOML file and validate it into the model.

Every problem is reported as one :class:`RunbookError` whose text is
``{path}:{line}: {keypath}: {what is wrong}`` plus a fix, never a traceback.
The first problem found is reported.
"""

from __future__ import annotations

import keyword
import pathlib
import re
import tomllib
from functools import cached_property
from typing import Any

import msgspec

from wizard import expect as expect_lang
from wizard.errors import RunbookError
from wizard.runbook.report import Report
from wizard.runbook.model import (
    STEP_TARGETS,
    Day,
    Expectation,
    RollbackOption,
    Runbook,
    Step,
    Task,
    Trouble,
)
from wizard.steps import KINDS, STEP_KINDS
from wizard.steps.base import ParamProblem, StepKind

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")

_TASK_ID = re.compile(r"^([1-9][0-9]*)\.([1-9][0-9]*)$")
_STEP_SUFFIX = re.compile(r"^[A-Za-z0-9_-]+$")
_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")

# Names an expectation can always use; a save_as may not shadow them.
_RESERVED_NAMES = frozenset({"facts", "env", "True", "False", "None", *expect_lang.FUNCTIONS})

STEP_COMMON_KEYS = ("id", "kind", "title", "target", "save_as", "optional", "expect")


def default_runbook_path() -> pathlib.Path:
    """The week-1 runbook shipped beside this module."""
    return pathlib.Path(__file__).resolve().with_name("week1.toml")


def load_runbook(path: str | pathlib.Path | None = None) -> Runbook:
    """Read, parse and validate a runbook; raise RunbookError on any problem."""
    p = pathlib.Path(path) if path is not None else default_runbook_path()
    shown = str(p)
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise RunbookError(
            f"{shown}: runbook file not found",
            "Check the path, or omit it to use the shipped week1.toml.",
        ) from None
    except IsADirectoryError:
        raise RunbookError(
            f"{shown}: is a directory, not a runbook file",
            "Give the path of a .toml runbook file.",
        ) from None
    except PermissionError:
        raise RunbookError(
            f"{shown}: permission denied while reading the runbook",
            "Make the file readable by your user (chmod u+r).",
        ) from None
    except OSError as exc:
        raise RunbookError(
            f"{shown}: cannot read the runbook: {exc.strerror or exc}",
            "Check the path and that the disk is readable.",
        ) from None
    except UnicodeDecodeError as exc:
        line = p.read_bytes()[: exc.start].count(b"\n") + 1
        raise RunbookError(
            f"{shown}:{line}: the runbook is not valid UTF-8 text",
            "Save the file as UTF-8.",
        ) from None

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = getattr(exc, "lineno", None)
        col = getattr(exc, "colno", None)
        match = _TOML_POS.search(message)
        if match:
            line = line or int(match.group(1))
            col = col or int(match.group(2))
            message = message[: match.start()]
        where = f"{shown}:{line}:{col}" if line else shown
        raise RunbookError(
            f"{where}: TOML syntax error: {message}",
            "Fix the TOML at that position: strings need matching quotes, every key needs "
            "`key = value`, and a key may appear only once per table.",
        ) from None

    return _Validator(shown, text).runbook(data)


# --------------------------------------------------------------------------------------
# Locating keys in the source text
# --------------------------------------------------------------------------------------

_BARE_KEY = r"[A-Za-z0-9_-]+"
_KEY_PART = rf'(?:{_BARE_KEY}|"[^"\\]*"|\'[^\']*\')'
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*(\]\]?)")
_KEYLINE = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")


def _split_key(dotted: str) -> list[str]:
    parts = re.findall(_KEY_PART, dotted)
    return [part[1:-1] if part[:1] in "\"'" else part for part in parts]


def _open_multiline(line: str, start: int = 0) -> str | None:
    """Return the multi-line string delimiter left open at the end of ``line``, if any."""
    i = start
    n = len(line)
    while i < n:
        ch = line[i]
        if ch == "#":
            return None
        if line.startswith('"""', i) or line.startswith("'''", i):
            delim = line[i : i + 3]
            end = _close_multiline(line, i + 3, delim)
            if end is None:
                return delim
            i = end
            continue
        if ch == '"':
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
            continue
        if ch == "'":
            end = line.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        i += 1
    return None


def _close_multiline(line: str, start: int, delim: str) -> int | None:
    """Index just past the closing ``delim`` in ``line`` from ``start``, or None."""
    i = start
    while True:
        j = line.find(delim, i)
        if j < 0:
            return None
        if delim == '"""':
            backslashes = 0
            k = j - 1
            while k >= start and line[k] == "\\":
                backslashes += 1
                k -= 1
            if backslashes % 2:
                i = j + 1
                continue
        # A closing delimiter may be followed by up to two more quotes that belong to the string.
        end = j + 3
        while end < len(line) and line[end] == delim[0] and end - j < 5:
            end += 1
        return end


def locate_keys(text: str) -> dict[str, int]:
    """Map key paths like ``days[1].tasks[0].steps[2].kind`` to 1-based source lines.

    A heuristic scanner, not a parser: it follows table headers and ``key =`` lines and
    skips the inside of multi-line strings. Headers map to the table's own path.
    """
    lines: dict[str, int] = {}
    counters: dict[str, int] = {}
    current_index: dict[tuple[str, ...], int] = {}
    table_path = ""
    open_delim: str | None = None

    def resolve(parts: list[str], is_array: bool) -> str:
        out: list[str] = []
        for i, part in enumerate(parts):
            name = tuple(parts[: i + 1])
            last = i == len(parts) - 1
            if last and is_array:
                array_key = ".".join(out + [part])
                index = counters.get(array_key, 0)
                counters[array_key] = index + 1
                current_index[name] = index
                out.append(f"{part}[{index}]")
            elif name in current_index and not last:
                out.append(f"{part}[{current_index[name]}]")
            else:
                out.append(part)
        return ".".join(out)

    for number, line in enumerate(text.splitlines(), start=1):
        if open_delim is not None:
            end = _close_multiline(line, 0, open_delim)
            if end is None:
                continue
            open_delim = _open_multiline(line, end)
            continue
        header = _HEADER.match(line)
        if header and (header.group(1) == "[[") == (header.group(3) == "]]"):
            parts = _split_key(header.group(2))
            table_path = resolve(parts, header.group(1) == "[[")
            lines.setdefault(table_path, number)
            open_delim = _open_multiline(line, header.end())
            continue
        keyline = _KEYLINE.match(line)
        if keyline:
            key = ".".join(_split_key(keyline.group(1)))
            full = f"{table_path}.{key}" if table_path else key
            lines.setdefault(full, number)
            open_delim = _open_multiline(line, keyline.end())
            continue
        open_delim = _open_multiline(line)
    return lines


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# How msgspec words what it found (msgspec.ValidationError's text).
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(.+)`")
_MISSING_FIELD = re.compile(r"^Object missing required field `(.+)`")
_INVALID_ENUM = re.compile(r"^Invalid enum value ")
_AT_PATH = re.compile(r" - at `\$(.*)`$")
_PATH_PART = re.compile(r"\.[A-Za-z0-9_]+|\[[0-9]+\]|\[\.\.\.\]")




class _Validator:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.task_ids: dict[str, str] = {}
        self.step_ids: dict[str, str] = {}
        # save_as name → (keypath, kind) in runbook order
        self.saved: dict[str, tuple[str, str]] = {}

    # ---- reporting ---------------------------------------------------------------------

    @cached_property
    def lines(self) -> dict[str, int]:
        # Only a problem needs a line number: a runbook that loads never pays for the scan.
        return locate_keys(self.text)

    def line_of(self, keypath: str) -> int | None:
        probe = keypath
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            if cut <= 0:
                break
            probe = probe[:cut]
        return None

    def fail(self, keypath: str, what: str, fix: str) -> RunbookError:
        line = self.line_of(keypath)
        where = f"{self.path}:{line}" if line else self.path
        return RunbookError(f"{where}: {keypath}: {what}", fix)

    # ---- generic checks ----------------------------------------------------------------

    def table(self, value: Any, keypath: str, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(
                keypath, f"expected {what} (a table), got {_type_name(value)}",
                f"Write it as a [{keypath.split('[')[0]}] table.",
            )
        return value

    def array_of_tables(self, data: dict[str, Any], key: str, keypath: str,
                        required: bool) -> list[dict[str, Any]]:
        if key not in data:
            if required:
                raise self.fail(
                    keypath, "is missing",
                    f"Add at least one [[{keypath}]] table.",
                )
            return []
        value = data[key]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(
                keypath, f"expected an array of tables, got {_type_name(value)}",
                f"Write each item under its own [[{keypath}]] header.",
            )
        if required and not value:
            raise self.fail(keypath, "is empty", f"Add at least one [[{keypath}]] table.")
        return value

    def unknown_keys(self, data: dict[str, Any], allowed: tuple[str, ...], keypath: str,
                     what: str) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(
                    f"{keypath}.{key}" if keypath else key,
                    f"unknown key {key!r} in {what}",
                    f"Remove it or use one of: {', '.join(allowed)}.",
                )

    def require_str(self, data: dict[str, Any], key: str, keypath: str,
                    allow_empty: bool = False) -> str:
        kp = f"{keypath}.{key}" if keypath else key
        if key not in data:
            raise self.fail(kp, "is missing", f'Add `{key} = "..."`.')
        value = data[key]
        if not isinstance(value, str):
            raise self.fail(
                kp, f"expected a string, got {_type_name(value)}",
                f'Quote it: {key} = "...".',
            )
        if not allow_empty and not value.strip():
            raise self.fail(kp, "must not be empty", f"Write a non-empty {key}.")
        return value

    # ---- the runbook -------------------------------------------------------------------

    def runbook(self, data: dict[str, Any]) -> Runbook:
        allowed = ("title", "facts", "days", "troubleshooting", "rollback", "next_week", "report")
        self.unknown_keys(data, allowed, "", "the runbook's top level")
        title = self.require_str(data, "title", "")
        if "facts" not in data:
            raise self.fail("facts", "is missing", "Add a [facts] table (it may be empty).")
        facts = self.table(data["facts"], "facts", "the facts")

        days: list[Day] = []
        last_weekday = -1
        for d, raw in enumerate(self.array_of_tables(data, "days", "days", required=True)):
            day = self.day(raw, f"days[{d}]", last_weekday)
            last_weekday = WEEKDAYS.index(day.id)
            days.append(day)

        troubles = tuple(
            self.trouble(raw, f"troubleshooting[{i}]")
            for i, raw in enumerate(
                self.array_of_tables(data, "troubleshooting", "troubleshooting", required=False)
            )
        )
        rollback = tuple(
            self.rollback(raw, f"rollback[{i}]")
            for i, raw in enumerate(self.array_of_tables(data, "rollback", "rollback", False))
        )
        next_week: dict[str, Any] = {}
        if "next_week" in data:
            next_week = self.table(data["next_week"], "next_week", "the next_week notes")
            if not isinstance(next_week.get("runbook", ""), str):
                raise self.fail("next_week.runbook", f"expected a file name, got {_type_name(next_week['runbook'])}",
                                'Write runbook = "week2.toml" (relative to this runbook\'s folder).')
        report = self.report(data.get("report", {}))

        return Runbook(
            title=title,
            path=self.path,
            facts=facts,
            days=tuple(days),
            troubleshooting=troubles,
            rollback=rollback,
            next_week=next_week,
            report=report,
        )

    def report(self, raw: Any) -> Report:
        """The [report] declaration: its shape, then every step, task and save_as it names."""
        raw = self.table(raw, "report", "the report declaration")
        try:
            report = msgspec.convert(raw, Report)
        except msgspec.ValidationError as exc:
            message = str(exc)
            match = _AT_PATH.search(message)
            keypath = "report" + (match.group(1) if match else "")
            what = message.split(" - at ")[0]
            if found := _UNKNOWN_FIELD.match(what):
                keypath, what = f"{keypath}.{found.group(1)}", f"unknown key {found.group(1)!r}"
            elif found := _MISSING_FIELD.match(what):
                keypath, what = f"{keypath}.{found.group(1)}", f"{found.group(1)!r} is missing"
            raise self.fail(keypath, what, "See \"The report\" in docs/RUNBOOKS.md for its keys and their types.") from None
        for keypath, step_id in report.steps():
            if step_id not in self.step_ids:
                raise self.fail(keypath, f"no step {step_id!r} in this runbook", "Name a step by its id, e.g. \"1.6.table_count\".")
        tasks = [("report.application.tasks", t) for t in (report.application.tasks if report.application else ())]
        tasks += [("report.final_queries.earlier_tasks", t) for t in (report.final_queries.earlier_tasks if report.final_queries else ())]
        for keypath, task_id in tasks:
            if task_id not in self.task_ids:
                raise self.fail(keypath, f"no task {task_id!r} in this runbook", "Name a task by its id, e.g. \"2.3\".")
        for keypath, name in report.facts():
            if name not in self.saved:
                raise self.fail(keypath, f"{name!r} is not the save_as of any step",
                                "Use one of: " + (", ".join(self.saved) or "(no step saves a result)") + ".")
        return report

    def day(self, raw: dict[str, Any], kp: str, last_weekday: int) -> Day:
        self.unknown_keys(raw, ("id", "title", "summary", "tasks"), kp, "a day")
        day_id = self.require_str(raw, "id", kp)
        if day_id not in WEEKDAYS:
            raise self.fail(
                f"{kp}.id", f"day id {day_id!r} is not a weekday",
                f"Use one of: {', '.join(WEEKDAYS)} (lower case).",
            )
        weekday = WEEKDAYS.index(day_id)
        if weekday <= last_weekday:
            problem = "appears twice" if weekday == last_weekday else "is out of order"
            raise self.fail(
                f"{kp}.id", f"day {day_id!r} {problem}",
                "List each weekday once, Monday first, Friday last.",
            )
        title = self.require_str(raw, "title", kp)
        summary = self.require_str(raw, "summary", kp, allow_empty=True)
        tasks = tuple(
            self.task(t, f"{kp}.tasks[{i}]", day_id, weekday + 1)
            for i, t in enumerate(self.array_of_tables(raw, "tasks", f"{kp}.tasks", True))
        )
        return Day(id=day_id, title=title, summary=summary, tasks=tasks)

    def task(self, raw: dict[str, Any], kp: str, day_id: str, day_number: int) -> Task:
        allowed = ("id", "title", "estimate_minutes", "instructions", "steps")
        self.unknown_keys(raw, allowed, kp, "a task")
        task_id = self.require_str(raw, "id", kp)
        match = _TASK_ID.match(task_id)
        if not match:
            raise self.fail(
                f"{kp}.id", f"task id {task_id!r} is not of the form DAY.NUMBER",
                f'Write it like id = "{day_number}.1".',
            )
        if int(match.group(1)) != day_number:
            raise self.fail(
                f"{kp}.id",
                f"task id {task_id!r} belongs to day {match.group(1)}, but it is listed "
                f"under {day_id} (day {day_number})",
                f'Number it "{day_number}.{match.group(2)}" or move it to the right day.',
            )
        if task_id in self.task_ids:
            raise self.fail(
                f"{kp}.id", f"duplicate task id {task_id!r} (already used at "
                f"{self.task_ids[task_id]})",
                "Give every task its own id.",
            )
        self.task_ids[task_id] = kp
        title = self.require_str(raw, "title", kp)
        if "estimate_minutes" not in raw:
            raise self.fail(f"{kp}.estimate_minutes", "is missing",
                            "Add `estimate_minutes = 15` (the runbook's estimate).")
        estimate = raw["estimate_minutes"]
        if not _is_int(estimate) or estimate <= 0:
            raise self.fail(
                f"{kp}.estimate_minutes",
                f"expected a positive integer, got {estimate!r}",
                "Write whole minutes without quotes, e.g. estimate_minutes = 30.",
            )
        instructions = self.require_str(raw, "instructions", kp)
        steps = tuple(
            self.step(s, f"{kp}.steps[{i}]", task_id)
            for i, s in enumerate(self.array_of_tables(raw, "steps", f"{kp}.steps", False))
        )
        return Task(
            id=task_id,
            title=title,
            estimate_minutes=estimate,
            instructions=instructions,
            steps=steps,
            day_id=day_id,
        )

    def step(self, raw: dict[str, Any], kp: str, task_id: str) -> Step:
        step_id = self.require_str(raw, "id", kp)
        prefix = f"{task_id}."
        if not step_id.startswith(prefix) or not _STEP_SUFFIX.match(step_id[len(prefix):]):
            raise self.fail(
                f"{kp}.id", f"step id {step_id!r} must be {task_id!r} + '.' + a short name",
                f'Write it like id = "{task_id}.check" (letters, digits, _ or -).',
            )
        if step_id in self.step_ids:
            raise self.fail(
                f"{kp}.id",
                f"duplicate step id {step_id!r} (already used at {self.step_ids[step_id]})",
                "Give every step its own id.",
            )
        self.step_ids[step_id] = kp

        kind = self.require_str(raw, "kind", kp)
        if kind not in STEP_KINDS:
            raise self.fail(
                f"{kp}.kind", f"kind {kind!r} is not a step kind",
                f"Use one of: {', '.join(STEP_KINDS)}.",
            )
        title = self.require_str(raw, "title", kp)
        target = self.require_str(raw, "target", kp)
        if target not in STEP_TARGETS:
            raise self.fail(
                f"{kp}.target", f"target {target!r} is not a step target",
                f"Use one of: {', '.join(STEP_TARGETS)}.",
            )

        optional = raw.get("optional", False)
        if not isinstance(optional, bool):
            raise self.fail(f"{kp}.optional", f"expected true or false, got {optional!r}",
                            "Write optional = true (no quotes).")

        save_as = raw.get("save_as")
        if save_as is not None:
            if not isinstance(save_as, str) or not save_as.isidentifier() or keyword.iskeyword(
                save_as
            ):
                raise self.fail(
                    f"{kp}.save_as", f"save_as {save_as!r} is not an identifier",
                    "Use letters, digits and underscores, not starting with a digit, "
                    'e.g. save_as = "m011_plan".',
                )
            if save_as in _RESERVED_NAMES:
                raise self.fail(
                    f"{kp}.save_as", f"save_as {save_as!r} is a reserved name",
                    f"Pick another name; reserved: {', '.join(sorted(_RESERVED_NAMES))}.",
                )
            if save_as in self.saved:
                raise self.fail(
                    f"{kp}.save_as",
                    f"save_as {save_as!r} is already used at {self.saved[save_as][0]}",
                    "Each save_as name must be unique across the runbook.",
                )

        expect = self.expectations(raw.get("expect", []), f"{kp}.expect")

        params = {k: v for k, v in raw.items() if k not in STEP_COMMON_KEYS}
        self.params(kind, params, kp)

        if save_as is not None:
            self.saved[save_as] = (kp, kind)

        return Step(
            id=step_id,
            kind=kind,
            title=title,
            target=target,
            params=params,
            expect=expect,
            save_as=save_as,
            optional=optional,
        )

    def expectations(self, raw: Any, kp: str) -> tuple[Expectation, ...]:
        if not isinstance(raw, list):
            raise self.fail(
                kp, f"expected a list, got {_type_name(raw)}",
                'Write expect = ["row_count == 0"] or a list of { check = "...", '
                'describe = "..." } tables.',
            )
        out: list[Expectation] = []
        for i, item in enumerate(raw):
            ikp = f"{kp}[{i}]"
            if isinstance(item, str):
                check, describe = item, item
            elif isinstance(item, dict):
                for key in item:
                    if key not in ("check", "describe"):
                        raise self.fail(
                            f"{ikp}.{key}", f"unknown key {key!r} in an expectation",
                            "An expectation has only `check` and `describe`.",
                        )
                check = self.require_str(item, "check", ikp)
                describe = item.get("describe", check)
                if not isinstance(describe, str):
                    raise self.fail(f"{ikp}.describe",
                                    f"expected a string, got {_type_name(describe)}",
                                    'Quote it: describe = "...".')
            else:
                raise self.fail(
                    ikp, f"expected a string or {{ check, describe }} table, got "
                    f"{_type_name(item)}",
                    'Write "row_count == 0" or { check = "row_count == 0", describe = "..." }.',
                )
            if not check.strip():
                raise self.fail(ikp, "expectation is empty", "Write a condition, e.g. "
                                "\"row_count == 0\".")
            try:
                expect_lang.parse(check.strip())
            except expect_lang.ExpectationError as exc:
                raise self.fail(
                    ikp, f"expectation {check!r} is not usable: {exc}",
                    "Write a condition over the step's result, earlier save_as names and facts, "
                    "e.g. `scalar == facts.baseline_tables`.",
                ) from None
            out.append(Expectation(check=check.strip(), describe=describe))
        return tuple(out)

    # ---- per-kind parameters: read from each kind's declaration (wizard/steps) ----------

    def params(self, kind: str, params: dict[str, Any], kp: str) -> None:
        declaration = KINDS[kind]
        try:
            typed = declaration.convert(params)
        except msgspec.ValidationError as exc:
            raise self.param_error(declaration, params, kp, str(exc)) from None
        if declaration.check is not None:
            try:
                declaration.check(typed)
            except ParamProblem as problem:
                raise self.fail(f"{kp}.{problem.key}", problem.what, problem.fix) from None
        for key, earlier_kind in declaration.references.items():
            value = getattr(typed, key)
            if value is not None:
                self.check_save_as_of(value, earlier_kind, f"{kp}.{key}", key)

    def check_save_as_of(self, name: str, kind: str, keypath: str, key: str) -> None:
        earlier = self.saved.get(name)
        if earlier is None:
            known = [n for n, (_, k) in self.saved.items() if k == kind]
            raise self.fail(
                keypath, f"{key} {name!r} is not the save_as of an earlier {kind} step",
                "Use one of: " + (", ".join(known) if known else "(none saved yet)") + ".",
            )
        if earlier[1] != kind:
            raise self.fail(
                keypath, f"{key} {name!r} is saved by a {earlier[1]} step, not a {kind} step",
                f"Point {key} at the save_as of an earlier {kind} step.",
            )

    def param_error(self, declaration: StepKind[Any], params: dict[str, Any], kp: str,
                    message: str) -> RunbookError:
        """Word msgspec's finding as the runbook's other errors: the key path, what is wrong, a fix."""
        # Imported here: msgspec.inspect is only needed when a runbook has a problem.
        from wizard.runbook.paramtypes import constraint, describe_type, element, example, fields, meta

        kind = declaration.name
        declared = {f.name: f for f in fields(declaration)}
        if match := _UNKNOWN_FIELD.match(message):
            key = match.group(1)
            return self.fail(
                f"{kp}.{key}", f"unknown key {key!r} for a {kind} step",
                f"Allowed keys for {kind}: {', '.join(STEP_COMMON_KEYS + tuple(declared))}.",
            )
        if match := _MISSING_FIELD.match(message):
            key = match.group(1)
            return self.fail(f"{kp}.{key}", f"a {kind} step needs {key!r}",
                             f"Add {key} = {example(declared[key].type)}.")
        match = _AT_PATH.search(message)
        path = match.group(1) if match else ""
        parts = _PATH_PART.findall(path)  # e.g. ".argv", "[0]", "[...]" (a table's value)
        key = parts[0][1:]
        field = declared[key]
        type_info, value = field.type, params[key]
        shown = key
        for part in parts[1:]:
            if part == "[...]":  # a table's value; msgspec does not say which key: point at the table
                return self.fail(f"{kp}.{shown}", f"expected {describe_type(type_info)}",
                                 f"Write it like {key} = {example(field.type)}.")
            type_info = element(type_info)
            value = value[int(part[1:-1])]
            shown += part
        keypath = f"{kp}.{shown}"
        if _INVALID_ENUM.match(message):
            return self.fail(keypath, f"{key} {value!r} is not supported",
                             f"Use {describe_type(type_info)}.")
        if ", got `" in message:
            return self.fail(keypath, f"expected {describe_type(type_info)}, got {_type_name(value)}",
                             f"Write it like {key} = {example(field.type)}.")
        extra = meta(type_info).get("extra") or {}
        if "what" in extra:
            return self.fail(keypath, f"{value!r} is not {extra['what']}",
                             f"{extra['fix']}, e.g. {key} = {example(field.type)}.")
        return self.fail(keypath, f"must be {constraint(type_info)}",
                         f"Write {key} = {example(field.type)}, for example.")

    # ---- troubleshooting and rollback --------------------------------------------------

    def trouble(self, raw: dict[str, Any], kp: str) -> Trouble:
        self.unknown_keys(raw, ("pattern", "problem", "advice", "applies_to"), kp,
                          "a troubleshooting item")
        pattern = self.require_str(raw, "pattern", kp)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise self.fail(
                f"{kp}.pattern", f"pattern {pattern!r} is not a valid regular expression ({exc})",
                "Write a Python regular expression; escape literal ( ) [ ] . * + ? with \\\\.",
            ) from None
        problem = self.require_str(raw, "problem", kp)
        advice = self.require_str(raw, "advice", kp)
        applies_to = raw.get("applies_to", [])
        if not _is_str_list(applies_to):
            raise self.fail(f"{kp}.applies_to", f"expected a list of task ids, got "
                            f"{_type_name(applies_to)}", 'Write applies_to = ["2.2", "4.4"].')
        for i, task_id in enumerate(applies_to):
            if task_id not in self.task_ids:
                raise self.fail(f"{kp}.applies_to[{i}]", f"no task has id {task_id!r}",
                                "Use task ids from this runbook, e.g. \"2.2\".")
        return Trouble(pattern=pattern, problem=problem, advice=advice,
                       applies_to=tuple(applies_to))

    def rollback(self, raw: dict[str, Any], kp: str) -> RollbackOption:
        self.unknown_keys(raw, ("title", "steps", "estimate", "sql_file"), kp, "a rollback option")
        title = self.require_str(raw, "title", kp)
        if "steps" not in raw:
            raise self.fail(f"{kp}.steps", "is missing", 'Add steps = ["...", "..."].')
        if not _is_str_list(raw["steps"]) or not raw["steps"]:
            raise self.fail(f"{kp}.steps", "expected a non-empty list of strings",
                            'Write steps = ["first do this", "then this"].')
        estimate = self.require_str(raw, "estimate", kp)
        sql_file = raw.get("sql_file", "")
        if not isinstance(sql_file, str) or (sql_file and not sql_file.strip().endswith(".sql")):
            raise self.fail(f"{kp}.sql_file", f"expected the path of a .sql file, got {sql_file!r}",
                            'Write sql_file = "{migrations}/011_rollback.sql".')
        return RollbackOption(title=title, steps=tuple(raw["steps"]), estimate=estimate, sql_file=sql_file.strip())
