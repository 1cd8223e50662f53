"""`migration-wizard runbook new PATH`: a commented runbook to start from, which `runbook check` accepts."""

from __future__ import annotations

from pathlib import Path

from wizard.errors import WizardError

SKELETON = '''\
# {title}: a runbook for migration-wizard. docs/RUNBOOKS.md describes every key and step kind.
# Check it as you write:   migration-wizard runbook check {name}
# Run a day on a sandbox:  migration-wizard run --runbook {name} --env sandbox-staging --day monday
# Relative paths (a migration's `file`, a code search's `path`) are read from this file's folder.
title = "{title}"

[facts]                      # what the runbook states about the starting point: facts.NAME in checks
core_tables = []             # tables whose row counts migrations measure ("schema.table" outside public)

[[days]]                     # monday … friday, each at most once, in order
id = "monday"
title = "Look before changing anything"
summary = "What the day is for, in one sentence."

[[days.tasks]]
id = "1.1"                   # DAY.NUMBER: Monday's tasks are 1.x
title = "Measure the starting point"
estimate_minutes = 15
instructions = """
Markdown shown on the task screen: what to do and why.
"""

[[days.tasks.steps]]
id = "1.1.schemas"           # the task's id, a dot, a short name
kind = "query"
title = "Count the tables in each schema"
target = "staging"           # staging, production, any (either) or local (no database)
save_as = "baseline"         # later checks can read this result as baseline.rows, baseline.scalar, …
sql = """
SELECT table_schema, count(*) AS tables
FROM information_schema.tables
WHERE table_type = 'BASE TABLE'
  AND table_schema NOT IN ('pg_catalog', 'information_schema')
GROUP BY table_schema ORDER BY table_schema
"""
expect = [{{ check = "row_count >= 1", describe = "the database has tables of its own" }}]

[[days.tasks.steps]]
id = "1.1.backup"
kind = "attest"              # a fact only a person knows; headless runs read it from --answers
title = "Note when the last backup was taken"
target = "local"
question = "When was the last backup taken (YYYY-MM-DD HH:MM)?"
answer_type = "timestamp"
max_age_hours = 24

[[troubleshooting]]          # advice shown when a failed step's error matches the pattern
pattern = "permission denied"
problem = "The wizard's user may not read the catalog"
advice = "Connect as the database owner (see docs/ENVIRONMENTS.md)."

[[rollback]]                 # written into the week's documents
title = "Restore the backup"
steps = ["Restore the backup noted in 1.1"]
estimate = "15 minutes"
'''


def write_skeleton(path: Path) -> Path:
    path = Path(path).expanduser()
    if path.exists():
        raise WizardError(f"{path} already exists; `runbook new` never overwrites a file.",
                          "Choose a new file name, or edit the existing runbook.")
    if path.suffix != ".toml":
        raise WizardError(f"{path}: a runbook is a .toml file.", f"Use a name like {path.with_suffix('.toml').name}.")
    title = path.stem.replace("_", " ").replace("-", " ").capitalize()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SKELETON.format(title=title, name=path.name))
    except OSError as exc:
        raise WizardError(f"Cannot write {path}: {exc.strerror or exc}.", "Choose a folder you can write to.") from None
    return path
