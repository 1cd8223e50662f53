"""Make the fixed journal the export golden files are built from: REAL steps on the sandbox clusters.

Run once, by hand, and commit what it writes (the journal, its head sidecar, and copies of the
runbook and SQL files it ran with, so the goldens do not move when those files are edited later):

    MIGRATION_WIZARD_DATA=<a scratch dir> python tests/golden/make_journal.py

The paths of the machine it ran on (the data dir, the interpreter, the checkout) are replaced by
neutral ones at the end, and the hash chain is rebuilt over the result (`scrub`).

The story is a week with two real mistakes an operator makes, each followed by its fix:
Tuesday is started before Monday (its first step needs Monday's parsed 011 and stops), and the
first answer to Monday's backup question is a three-day-old backup (refused by the 24 h rule).
Then Monday, Tuesday (resumed), Wednesday, Thursday and Friday's final verification pass.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from wizard import paths
from wizard.rehearsal import clusters as sandbox  # noqa: E402
from wizard.session import RehearsalDialogue, Session  # noqa: E402
from wizard.session.journals import open_journal  # noqa: E402
from wizard.rehearsal.preparation import rehearsal_answers, take_backup  # noqa: E402
from wizard.environments import resolve_environment  # noqa: E402
from wizard.journal.store import GENESIS, _canonical, event_hash, line_hash, write_head  # noqa: E402
from wizard.runbook import load_runbook  # noqa: E402

# The story's own plan (the rehearsal's tasks when it was recorded): the application checks were
# left out, which the journal notes. Kept here so that a new recording tells the same story.
GOLDEN_PLAN = {"monday": None, "tuesday": None, "wednesday": ["3.1", "3.7"],
               "thursday": ["4.1", "4.2", "4.3", "4.4", "4.5", "4.7"], "friday": ["5.4"]}


def _replace(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for old, new in pairs:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_replace(v, pairs) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, pairs) for k, v in value.items()}
    return value


def scrub(path: Path, pairs: list[tuple[str, str]]) -> None:
    """Replace machine paths in every event, then chain the events again exactly as Journal.append
    does (each `prev` is the SHA-256 of the line before, each `hash` the event's own), and rewrite
    the head sidecar: the result verifies intact."""
    lines = []
    prev = GENESIS
    event: dict[str, Any] = {}
    for raw in path.read_bytes().splitlines():
        event = _replace(json.loads(raw), pairs)
        event["prev"] = prev
        event["hash"] = event_hash(event)
        line = _canonical(event)
        lines.append(line)
        prev = line_hash(line)
    data = b"".join(line + b"\n" for line in lines)
    path.write_bytes(data)
    write_head(path, event, lines[-1], len(data))


def machine_paths(runbook_path: str) -> list[tuple[str, str]]:
    """Longest first: the runbook as copied beside the journal, the checkout, the data dir, python."""
    return [(runbook_path, "tests/golden/week1.toml"), (str(ROOT) + "/", ""),
            (str(paths.data_dir()), "/home/operator/.local/share/migration-wizard"), (sys.executable, "python")]


def main() -> None:
    console = Console(highlight=False, width=120)
    runbook = load_runbook()
    target = HERE / "journal.jsonl"
    for stale in (target, target.with_name(target.name + ".head")):
        stale.unlink(missing_ok=True)
    for name in sandbox.NAMES:
        sandbox.reset(name)
    sandbox.ensure_workspace(refresh=True)
    backup_file, backup_time = take_backup("sandbox-production")
    answers = rehearsal_answers(backup_time)
    journal = open_journal(target, runbook.path, runbook.title)
    journal.append("note", text=f"rehearsal backup {backup_file.name} taken with pg_dump", backup_file=backup_file.name,
                   backup_time=backup_time)
    tasks = GOLDEN_PLAN
    left_out = [t.id for day, ts in GOLDEN_PLAN.items() if ts for t in runbook.day(day).tasks if t.id not in ts]
    journal.append("note", text="tasks not rehearsed: they need the application checks", tasks=left_out)
    staging, production = resolve_environment("sandbox-staging"), resolve_environment("sandbox-production")

    session = Session(staging, runbook, target)
    session.journal = journal

    def run(day: str, env, given) -> bool:  # noqa: ANN001
        # Through the session, as the rehearsal runs: it answers and confirms its own sandbox-production.
        session.env = env
        dialogue = RehearsalDialogue(given, say=console.print)
        outcome = asyncio.run(session.run(day, tasks[day], dialogue=dialogue))
        if outcome.problem is not None:
            raise outcome.problem
        return outcome.ok

    assert not run("tuesday", staging, answers), "Tuesday before Monday should stop at 2.1"
    stale = (dt.datetime.fromisoformat(backup_time) - dt.timedelta(days=3)).isoformat()
    assert not run("monday", staging, {**answers, "1.4.backup": stale}), "a 3-day-old backup should be refused"
    assert run("monday", staging, answers)
    assert run("tuesday", staging, answers)
    assert run("wednesday", staging, answers)
    assert run("thursday", production, answers)
    assert run("friday", production, answers)
    for name in ("week1.toml",):
        shutil.copyfile(Path(runbook.path), HERE / name)
    (HERE / "sql").mkdir(exist_ok=True)
    for name in ("VERIFICATION_QUERIES.sql", "FINAL_VERIFICATION.sql"):
        shutil.copyfile(paths.sql_dir() / name, HERE / "sql" / name)
    shutil.copyfile(ROOT / "wizard" / "rehearsal" / "week2.toml", HERE / "week2.toml")
    scrub(target, machine_paths(str(runbook.path)))
    console.print(f"wrote {target} ({len(journal.events)} events)")


if __name__ == "__main__":
    main()
