"""The runbook's `[report]` table: what the week's documents say, as data.

The exports read only this declaration (and the journal): which saved results make each section,
and the words a section uses. A section the runbook does not declare is left out of the documents.
"""

from __future__ import annotations

import msgspec


class _Table(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    pass


class Source(_Table):
    """One measured value: a save_as name, a dotted path into its saved result, and where it was measured."""

    fact: str
    path: str = ""
    where: str = ""


class Removal(_Table):
    """A migration that drops tables: the save_as of its parse and of each apply (staging first)."""

    plan: str
    applied: tuple[str, ...]
    migration: str  # how the documents name it, e.g. "012"
    listed: str = ""  # a [facts] list of the tables the runbook expects it to drop
    summary: str = "tables removed"


class CheckItem(_Table):
    name: str
    steps: tuple[str, ...]
    passed: str  # may name result fields: "one readable table, {scalar} rows"
    failed: str = "a check failed"


class ResultTable(_Table):
    step: str
    caption: str
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    expected: str = ""  # a [facts] list the first column is compared with, row by row


class Checks(_Table):
    title: str
    items: tuple[CheckItem, ...]
    plan: str = ""
    plan_label: str = ""
    tables: tuple[ResultTable, ...] = ()
    checks_caption: str = ""
    applied: tuple[str, ...] = ()
    team_done: str = "checks passed"
    team_pending: str = "Checks"


class CountColumn(_Table):
    label: str
    fact: str
    path: str = ""


class Pair(_Table):
    label: str
    before: tuple[Source, ...]
    after: tuple[Source, ...]


class DataLoss(_Table):
    columns: tuple[CountColumn, ...]
    pairs: tuple[Pair, ...]


class Application(_Table):
    tasks: tuple[str, ...]
    passed: str = "every check passed"


class Baseline(_Table):
    title: str
    table_count: str = ""
    core: str = ""
    version: str = ""
    backup: str = ""
    tests: str = ""
    tests_label: str = "Tests"


class FinalQueries(_Table):
    """The document of the final verification queries' output."""

    step: str
    what: str
    earlier_tasks: tuple[str, ...] = ()


class Plan(_Table):
    """Which of the next week's [facts] its checklist reads (names in that runbook)."""

    migrations: str = ""
    new_tables: str = ""
    new_tables_label: str = "new tables"
    assignments: str = ""
    timeline: str = ""


class Files(_Table):
    log: str = ""
    final_report: str = ""
    verification: str = ""
    team_update: str = ""


class Report(_Table):
    week: int = 0  # 0: the number in the runbook's title ("Week 2: …"), else 1
    headline: str = "MIGRATION"
    files: Files = Files()
    start: str = ""
    end: tuple[Source, ...] = ()
    removed_present: tuple[Source, ...] = ()
    rls: tuple[Source, ...] = ()
    test_suite: str = ""
    load_test: str = ""  # a load step's id
    backups: tuple[str, ...] = ()
    removal: Removal | None = None
    checks: Checks | None = None
    data_loss: DataLoss | None = None
    application: Application | None = None
    baseline: Baseline | None = None
    final_queries: FinalQueries | None = None
    next: Plan | None = None  # what the next week's checklist reads from that runbook's facts

    def file(self, key: str, week: int) -> str:
        """A document's file name: the runbook's, else one named after the week."""
        default = {"log": f"MIGRATION_LOG_WEEK{week}.md", "final_report": f"MIGRATION_WEEK{week}_FINAL_REPORT.md",
                   "verification": f"VERIFICATION_RESULTS_WEEK{week}_FINAL.txt", "team_update": f"TEAM_UPDATE_WEEK{week}.txt"}
        return getattr(self.files, key) or default[key]

    def steps(self) -> list[tuple[str, str]]:
        """(keypath, step id) of every step the declaration names, for the loader to check."""
        out = []
        if self.load_test:
            out.append(("report.load_test", self.load_test))
        if self.checks:
            out += [(f"report.checks.items[{i}].steps", s) for i, item in enumerate(self.checks.items) for s in item.steps]
            out += [(f"report.checks.tables[{i}].step", t.step) for i, t in enumerate(self.checks.tables)]
        if self.final_queries:
            out.append(("report.final_queries.step", self.final_queries.step))
        return out

    def facts(self) -> list[tuple[str, str]]:
        """(keypath, save_as name) of every saved result the declaration reads."""
        out = [(f"report.{key}", name) for key in ("start", "test_suite") if (name := getattr(self, key))]
        out += [(f"report.backups[{i}]", n) for i, n in enumerate(self.backups)]
        for key in ("end", "removed_present", "rls"):
            out += [(f"report.{key}[{i}].fact", s.fact) for i, s in enumerate(getattr(self, key))]
        if self.removal:
            out.append(("report.removal.plan", self.removal.plan))
            out += [(f"report.removal.applied[{i}]", n) for i, n in enumerate(self.removal.applied)]
        if self.checks:
            out += [("report.checks.plan", self.checks.plan)] if self.checks.plan else []
            out += [(f"report.checks.applied[{i}]", n) for i, n in enumerate(self.checks.applied)]
        if self.data_loss:
            out += [(f"report.data_loss.columns[{i}].fact", c.fact) for i, c in enumerate(self.data_loss.columns)]
            for i, pair in enumerate(self.data_loss.pairs):
                for side in ("before", "after"):
                    out += [(f"report.data_loss.pairs[{i}].{side}[{j}].fact", s.fact) for j, s in enumerate(getattr(pair, side))]
        if self.baseline:
            out += [(f"report.baseline.{k}", n) for k in ("table_count", "core", "version", "backup", "tests")
                    if (n := getattr(self.baseline, k))]
        return out
