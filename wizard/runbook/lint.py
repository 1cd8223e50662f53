"""What `runbook check` finds beyond what loading refuses: names an expectation cannot have,
placeholders that do not exist, and files that are not there. Each finding is `file:line: keypath:
what`. A runbook loads with these (an expectation's unknown name fails its step when judged);
`check` calls them errors so they are found before the day they would stop."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from wizard import expect as expect_lang
from wizard.runbook.loader import _Validator
from wizard.runbook.model import Runbook, Step

PLACEHOLDER = re.compile(r"\{([a-z_][a-z_.]*)\}")
# Placeholders every step gets (wizard.steps.base.default_placeholders) and the two a kind fills
# itself: a service's {port}, a code search's {table}.
KNOWN_PLACEHOLDERS = frozenset({"python", "env.name", "env.kind", "env.role", "workspace", "migrations", "sql",
                                "runbook_dir", "port", "table"})
# Values that depend on the environment cannot be checked ahead of it.
ENV_DEPENDENT = ("{workspace}", "{env.", "{port}")
# Parameters that name a file or folder that must exist before the step runs, by kind.
FILE_PARAMS = {"migration": ("file",), "query": ("sql_file",), "code_search": ("path", "tables_from"),
               "file_check": ("path",)}
# Without an environment these are the shipped folders; an environment's workspace may hold the file.
WORKSPACE_FIRST = ("{migrations}", "{sql}")
ALWAYS_NAMES = frozenset({"facts", "env", "result", "True", "False", "None", *expect_lang.FUNCTIONS})


@dataclass(frozen=True)
class Finding:
    where: str  # file:line
    keypath: str
    what: str
    error: bool

    def __str__(self) -> str:
        return f"{self.where}: {self.keypath}: {self.what}"


def _result_fields(kind: str) -> set[str]:
    from wizard.steps import KINDS

    return {f.name for f in KINDS[kind].results}


def _steps(runbook: Runbook) -> Iterator[tuple[str, Step]]:
    for d, day in enumerate(runbook.days):
        for t, task in enumerate(day.tasks):
            for s, step in enumerate(task.steps):
                yield f"days[{d}].tasks[{t}].steps[{s}]", step


def _strings(value: Any, key: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _strings(item, f"{key}[{i}]")
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _strings(item, f"{key}.{k}")


class _Linter:
    def __init__(self, runbook: Runbook, strict_files: bool) -> None:
        self.runbook = runbook
        self.strict_files = strict_files
        self.source = _Validator(runbook.path, Path(runbook.path).read_text())
        self.text_lines = self.source.text.splitlines()
        self.findings: list[Finding] = []

    def add(self, keypath: str, what: str, *, error: bool = True, near: str | None = None) -> None:
        line = self.source.line_of(keypath)
        if line and near:  # an inline array's items each on their own line: find the item's own
            line = next((i + 1 for i in range(line - 1, len(self.text_lines)) if near in self.text_lines[i]), line)
        where = f"{self.runbook.path}:{line}" if line else self.runbook.path
        self.findings.append(Finding(where, keypath, what, error))

    def run(self) -> list[Finding]:
        saved: dict[str, str] = {}  # save_as → kind, of steps before this one
        all_saved = {s.save_as: s.kind for _, s in _steps(self.runbook) if s.save_as}
        for kp, step in _steps(self.runbook):
            for i, expectation in enumerate(step.expect):
                self.expectation(f"{kp}.expect[{i}]", step, expectation.check, saved, all_saved)
            for key, value in step.params.items():
                for skp, text in _strings(value, f"{kp}.{key}"):
                    self.placeholders(skp, text)
                if key in FILE_PARAMS.get(step.kind, ()) and isinstance(value, str):
                    self.file(f"{kp}.{key}", value)
            if step.save_as:
                saved[step.save_as] = step.kind
        return self.findings

    def expectation(self, kp: str, step: Step, check: str, saved: dict[str, str], all_saved: dict[str, str]) -> None:
        own = _result_fields(step.kind)
        tree = expect_lang.parse(check)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                self.attribute(kp, step, check, node.value.id, node.attr, own, saved)
            elif isinstance(node, ast.Name) and node.id not in ALWAYS_NAMES | own | set(saved):
                later = " (saved by this or a later step: check it in a later step)" if node.id in all_saved else ""
                hint = _close(node.id, ALWAYS_NAMES | own | set(all_saved))
                self.add(kp, f"{check!r}: unknown name {node.id!r}{later}{hint}; a {step.kind} step's results are: "
                             f"{', '.join(sorted(own))}", near=check)

    def attribute(self, kp: str, step: Step, check: str, base: str, attr: str, own: set[str], saved: dict[str, str]) -> None:
        if base == "facts" and attr not in self.runbook.facts:
            self.add(kp, f"{check!r}: facts.{attr} is not in [facts]{_close(attr, set(self.runbook.facts))}", near=check)
        elif base == "result" and attr not in own:
            self.add(kp, f"{check!r}: result.{attr} is not a {step.kind} result field{_close(attr, own)}", near=check)
        elif base in saved and base not in own and attr not in _result_fields(saved[base]):
            fields = _result_fields(saved[base])
            self.add(kp, f"{check!r}: {base}.{attr}: {base} is a {saved[base]} result, which has no field "
                         f"{attr!r}{_close(attr, fields)}", near=check)

    def placeholders(self, kp: str, text: str) -> None:
        for name in PLACEHOLDER.findall(text):
            if name not in KNOWN_PLACEHOLDERS:
                self.add(kp, f"unknown placeholder {{{name}}}{_close(name, set(KNOWN_PLACEHOLDERS), braces=True)}")

    def file(self, kp: str, value: str) -> None:
        unknown = set(PLACEHOLDER.findall(value)) - KNOWN_PLACEHOLDERS  # already reported
        if unknown or any(marker in value for marker in ENV_DEPENDENT):
            return
        path = expand_default(value, Path(self.runbook.path).expanduser().resolve().parent)
        if not path.exists():
            maybe = any(marker in value for marker in WORKSPACE_FIRST)
            self.add(kp, f"{value!r}: no such file or folder: {path}"
                         + (" (an environment's workspace may hold it)" if maybe else ""),
                     error=self.strict_files and not maybe)


def expand_default(value: str, runbook_dir: Path) -> Path:
    """A file parameter with the default placeholders (no environment), relative to the runbook's folder."""
    from wizard.paths import sql_dir

    shipped = sql_dir()
    values = {"runbook_dir": str(runbook_dir), "migrations": str(shipped / "migrations"), "sql": str(shipped)}
    path = Path(PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)).expanduser()
    return path if path.is_absolute() else runbook_dir / path


def _close(name: str, known: set[str], braces: bool = False) -> str:
    import difflib

    match = difflib.get_close_matches(name, sorted(known), n=1)
    if not match:
        return ""
    return f" (did you mean {{{match[0]}}}?)" if braces else f" (did you mean {match[0]!r}?)"


def lint(runbook: Runbook, *, strict_files: bool = True) -> list[Finding]:
    """Every finding, in runbook order; with strict_files False a missing file is a warning."""
    return _Linter(runbook, strict_files).run()
