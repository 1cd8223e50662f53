"""command: run a process, keep its output, and read pytest's summary when asked.

A pytest run is compared with a baseline run: only failures that did not fail in the baseline
count as new, which is the runbook's "0 new failures".
"""


import asyncio
import os
import re
import signal
import time
from typing import TYPE_CHECKING, Annotated, Any, Literal

from wizard.redact import redact
from wizard.steps.base import (ParamProblem, Params, ResultField, StepCancelled, StepContext, StepFailure,
                               StepKind, param)

if TYPE_CHECKING:
    from wizard.runbook.model import Step

TAIL_LINES = 60
_SUMMARY_PART = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|warnings?|deselected)")
_FAILED_ID = re.compile(r"^(FAILED|ERROR) (\S+)")


class CommandParams(Params):
    argv: Annotated[list[str], param("the program and its arguments (placeholders expanded)",
                                     examples=[["{python}", "-m", "pytest", "backend/tests/", "-v"]])]
    cwd: Annotated[str, param("working folder")] = "{workspace}"
    timeout_s: Annotated[int, param("stop the process (its whole group) after this many seconds", gt=0,
                                    examples=[600])] = 600
    parse: Annotated[Literal["pytest", "none"], param("read pytest's summary from the output")] = "none"
    baseline: Annotated[str | None, param(
        "with parse = \"pytest\": the save_as of an earlier pytest run; only failures not in it are new")] = None
    env: Annotated[dict[str, str], param("extra environment variables (placeholders expanded)",
                                         examples=[{"LOG_LEVEL": "info"}])] = {}


def _check(p: CommandParams) -> None:
    """argv names a program; baseline is the save_as of an earlier command step."""
    if not p.argv or not p.argv[0].strip():
        raise ParamProblem("argv", "is empty", 'Write the program and its arguments, e.g. argv = ["{python}", '
                           '"-m", "pytest"].')


KIND = StepKind(
    name="command",
    rank=40,
    description="Runs a process and measures its exit code and output; with pytest, its counts and new failures.",
    params=CommandParams,
    check=_check,
    references={"baseline": "command"},
    results=(
        ResultField("argv", "list of strings", "what ran (secrets redacted)"),
        ResultField("cwd", "string", "where it ran"),
        ResultField("exit_code", "integer", "the process's exit code"),
        ResultField("seconds", "number", "how long it ran"),
        ResultField("output_tail", "string", f"the last {TAIL_LINES} lines of output (redacted)"),
        ResultField("passed", "integer", "pytest: tests passed"),
        ResultField("failed", "integer", "pytest: tests failed"),
        ResultField("errors", "integer", "pytest: errors"),
        ResultField("skipped", "integer", "pytest: tests skipped"),
        ResultField("total", "integer", "pytest: passed + failed + errors"),
        ResultField("summary", "string", "pytest: its summary line"),
        ResultField("failed_ids", "list of strings", "pytest: ids of the failed and erroring tests"),
        ResultField("new_failures", "list of strings", "pytest: failed ids not failing in the baseline (all without one)"),
        ResultField("baseline_failed", "list of strings", "pytest: the baseline's failed ids"),
    ),
)


def parse_pytest(output: str) -> dict[str, Any]:
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    summary = ""
    for line in reversed(output.splitlines()):
        stripped = line.strip("= \t")
        if re.search(r"\b(passed|failed|error|errors|no tests ran)\b", stripped) and " in " in stripped:
            summary = stripped
            break
    for number, word in _SUMMARY_PART.findall(summary):
        key = {"error": "errors", "errors": "errors"}.get(word, word)
        if key in counts:
            counts[key] = int(number)
    failed_ids = sorted({m.group(2) for line in output.splitlines() if (m := _FAILED_ID.match(line.strip()))})
    return {**counts, "summary": summary, "failed_ids": failed_ids, "total": counts["passed"] + counts["failed"] + counts["errors"]}


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    p = KIND.read(step)
    argv = [ctx.expand(a) for a in p.argv]
    cwd = ctx.expand(p.cwd)
    return {"language": "bash", "text": f"cd {cwd}\n{' '.join(argv)}"}


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    p = KIND.read(step)
    argv = [ctx.expand(a) for a in p.argv]
    cwd = ctx.path(p.cwd)
    if not cwd.is_dir():
        raise StepFailure(f"Working folder not found: {cwd}")
    env = {**os.environ, **{k: ctx.expand(v) for k, v in p.env.items()}}
    timeout = float(p.timeout_s)
    started = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # so a cancel stops the whole process group
        )
    except FileNotFoundError:
        raise StepFailure(f"Program not found: {argv[0]}") from None
    reader = asyncio.ensure_future(proc.communicate())
    waiter = asyncio.ensure_future(ctx.cancelled.wait())
    done, _ = await asyncio.wait({reader, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if reader not in done:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        await reader
        if ctx.cancelled.is_set():
            raise StepCancelled("cancelled by the operator; the process was stopped")
        raise StepFailure(f"{argv[0]} did not finish within {timeout:g} s and was stopped")
    output = redact(reader.result()[0].decode(errors="replace"))
    data: dict[str, Any] = {
        "argv": [redact(a) for a in argv],
        "cwd": str(cwd),
        "exit_code": proc.returncode,
        "seconds": round(time.monotonic() - started, 3),
        "output_tail": "\n".join(output.splitlines()[-TAIL_LINES:]),
    }
    if p.parse == "pytest":
        data.update(parse_pytest(output))
        if not data["summary"]:
            last = " | ".join(output.strip().splitlines()[-3:]) or "no output"
            raise StepFailure(f"pytest printed no summary (exit code {proc.returncode}): {last}", data)
        baseline_name = p.baseline
        if baseline_name:
            baseline = ctx.saved.get(baseline_name)
            if baseline is None:
                raise StepFailure(f"no baseline run {baseline_name!r} in this journal yet: run it first", data)
            known = set(baseline.get("failed_ids", []))
            data["baseline_failed"] = sorted(known)
            data["new_failures"] = [t for t in data["failed_ids"] if t not in known]
        else:
            data["new_failures"] = list(data["failed_ids"])
    return data
