"""The wizard process the faults suite kills: one day of a runbook on one database of the
sandbox-staging cluster, through the session layer (as the CLI runs it), with the CLI's contract:
a WizardError is one message on stderr and its exit code, anything else a traceback.

    python tests/fault_driver.py RUNBOOK DBNAME JOURNAL
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from wizard.environments import Environment
from wizard.errors import WizardError
from wizard.rehearsal import clusters
from wizard.runbook import load_runbook
from wizard.session import AnswersDialogue, Session


def main(runbook: str, dbname: str, journal: str) -> int:
    env = Environment(name="sandbox-staging", kind="sandbox", role="staging",
                      conninfo={**clusters.conninfo("sandbox-staging"), "dbname": dbname},
                      workspace=str(clusters.workspace_dir()))
    try:
        session = Session(env, load_runbook(runbook), Path(journal))
        with session:
            session.prepare(prepare_env=False)
            outcome = asyncio.run(session.run("monday", dialogue=AnswersDialogue({})))
        if outcome.problem is not None:
            raise outcome.problem
    except WizardError as exc:
        print(f"✗ {exc.what}\n  → {exc.fix}", file=sys.stderr)
        return exc.exit_code
    for result in outcome.results:
        print(f"{result.step_id}: {result.status} {result.error or ''}")
    return outcome.exit_code()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
