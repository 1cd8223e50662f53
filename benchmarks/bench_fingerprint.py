"""The content fingerprint and the migration step against their baselines, in the same run.

    python benchmarks/bench_fingerprint.py [--rows 1000000] [--rounds 3]

On a sandbox-staging cluster (MIGRATION_WIZARD_DATA, or a throwaway data dir) a database
`bench_fingerprint` gets a table of --rows rows. Each measure is the best of --rounds:
  * wizard.fingerprint on the table, next to `SELECT sum(length(t::text)) FROM t` (the same
    scan and row-to-text work, nothing hashed): target <= 1.0x;
  * next to `COPY t TO STDOUT` read into this process (what pulling rows to the client costs):
    target <= 0.5x;
  * the migration step applying a migration on that table (one transaction, its snapshots,
    catalogue difference, per-statement timing and zero-data-loss fingerprints), next to
    `psql -1 -f` of the same file on the same database: target <= 1.15x. Two files: "small" adds a
    column, backfills 1% of the rows and indexes it (the proof's share is largest); "backfill"
    fills the new column on every row and sets it NOT NULL first (the runbook's 011 pattern).
The migration is undone after each run, so every round starts from the same table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB = "bench_fingerprint"
MIGRATIONS = {
    "small": """\
ALTER TABLE public.bench ADD COLUMN note text;
UPDATE public.bench SET note = 'n' || (n % 10) WHERE id % 100 = 0;
CREATE INDEX bench_note_idx ON public.bench (note);
""",
    "backfill": """\
ALTER TABLE public.bench ADD COLUMN note text;
UPDATE public.bench SET note = 'n' || (n % 10);
ALTER TABLE public.bench ALTER COLUMN note SET NOT NULL;
CREATE INDEX bench_note_idx ON public.bench (note);
""",
}
UNDO = ("DROP INDEX IF EXISTS public.bench_note_idx", "ALTER TABLE public.bench DROP COLUMN IF EXISTS note",
        "VACUUM public.bench")


def best(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def verdict(ratio: float, target: float) -> str:
    return f"{ratio:.2f}x (target <= {target}x: {'met' if ratio <= target else 'NOT met'})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--files", default="small,backfill", help="which migrations: small, backfill or both")
    args = ap.parse_args()
    unknown = [f for f in args.files.split(",") if f.strip() and f.strip() not in MIGRATIONS]
    if unknown:
        ap.error(f"--files: no file {', '.join(unknown)}; choose from {', '.join(MIGRATIONS)}")
    os.environ.setdefault("MIGRATION_WIZARD_DATA", tempfile.mkdtemp(prefix="mw-bench-fp-"))

    from wizard.catalog import read_only
    from wizard.engine import Engine
    from wizard.environments import Environment
    from wizard.fingerprint import hasher, table_prints
    from wizard.journal import Journal
    from wizard.rehearsal import clusters
    from wizard.runbook.model import Day, Runbook, Step, Task
    from wizard.session import AnswersDialogue

    clusters.ensure("sandbox-staging")
    info = clusters.conninfo("sandbox-staging")
    with psycopg.connect(**{**info, "dbname": "postgres"}, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (DB,)).fetchone():
            conn.execute(f"create database {DB}")
    binfo = {**info, "dbname": DB}
    with psycopg.connect(**binfo, autocommit=True) as conn:
        have = conn.execute("select count(*) from pg_class where relname = 'bench'").fetchone()[0]
        if not have or conn.execute("select count(*) from public.bench").fetchone()[0] != args.rows:
            print(f"building public.bench with {args.rows:,} rows…", flush=True)
            conn.execute("drop table if exists public.bench")
            conn.execute("create table public.bench (id bigint primary key, workspace uuid, n int, title text, "
                         "payload jsonb, created_at timestamptz)")
            conn.execute("insert into public.bench select g, md5(g::text)::uuid, g %% 1000, 'title ' || g, "
                         "jsonb_build_object('k', g, 'v', md5(g::text)), now() - g * interval '1 s' "
                         "from generate_series(1, %s) g", (args.rows,))
        for statement in UNDO:
            conn.execute(statement)
        conn.execute("vacuum full analyze public.bench")  # a table bloated by earlier backfills would weigh on both
        size = conn.execute("select pg_size_pretty(pg_total_relation_size('public.bench'))").fetchone()[0]
    print(f"public.bench: {args.rows:,} rows, {size}; best of {args.rounds} rounds\n")

    async def fingerprint_once() -> None:
        conn = await psycopg.AsyncConnection.connect(autocommit=True, **binfo)
        async with read_only(conn):
            await table_prints(conn, "public.bench", [None], await hasher(conn, ["public.bench"]))
        await conn.close()

    def scan_text() -> None:
        with psycopg.connect(**binfo) as conn:
            conn.execute("select sum(length(t::text)) from public.bench t").fetchone()

    def copy_out() -> None:
        with psycopg.connect(**binfo) as conn, conn.cursor() as cur:
            with cur.copy("copy public.bench to stdout") as copy:
                for _ in copy:
                    pass

    t_fp = best(lambda: asyncio.run(fingerprint_once()), args.rounds)
    t_len = best(scan_text, args.rounds)
    t_copy = best(copy_out, args.rounds)

    def count_rows() -> None:  # the least any check that the table still holds its rows must read
        with psycopg.connect(**binfo) as conn:
            conn.execute("select count(*) from public.bench").fetchone()

    t_count = best(count_rows, args.rounds)

    work = Path(tempfile.mkdtemp(prefix="mw-bench-mig-"))
    env = Environment(name="sandbox-staging", kind="sandbox", role="staging", conninfo=binfo,
                      workspace=str(clusters.workspace_dir()))
    book_facts = {"core_tables": ["bench"]}

    def undo() -> None:
        with psycopg.connect(**binfo, autocommit=True) as conn:
            for statement in UNDO:
                conn.execute(statement)

    psql = clusters.tool("psql")
    if not Path(psql).exists():
        import shutil

        psql = shutil.which("psql") or ""
    if not psql:
        raise SystemExit("no psql: neither pgserver's bin dir nor PATH has one")
    # Straight to the bench database: with `-c "\\c db"` first, psql's -1 wraps the first
    # connection only and the file's statements run one transaction each.
    target = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in binfo.items()})

    print(f"fingerprint (sum of mixed row hashes)  {t_fp * 1000:9.1f} ms")
    print(f"sum(length(t::text))                      {t_len * 1000:9.1f} ms")
    print(f"COPY t TO STDOUT into the client          {t_copy * 1000:9.1f} ms")
    print(f"count(*) of the table                     {t_count * 1000:9.1f} ms")
    print(f"fingerprint / sum(length(t::text)): {verdict(t_fp / t_len, 1.0)}")
    print(f"fingerprint / COPY to client:       {verdict(t_fp / t_copy, 0.5)}\n")

    for label in [f.strip() for f in args.files.split(",") if f.strip()]:
        sql_file = work / f"013_bench_{label}.sql"
        sql_file.write_text(MIGRATIONS[label])
        step = Step("9.9.apply", "migration", "bench", "staging", {"file": str(sql_file)})
        task = Task("9.9", "bench", 1, "", (step,), "tuesday")
        book = Runbook("bench", "bench.toml", book_facts, (Day("tuesday", "bench", "", (task,)),))
        last: dict = {}

        def step_apply() -> tuple[float, float]:
            undo()
            engine = Engine(book, env, Journal(work / f"j{time.monotonic_ns()}.jsonl"), ask=AnswersDialogue({}).ask)

            async def go():
                try:
                    return await engine.run_step(task, step)
                finally:
                    await engine.close()

            t0 = time.perf_counter()
            result = asyncio.run(go())
            elapsed = time.perf_counter() - t0
            if not result.ok:
                raise SystemExit(f"the migration step failed: {result.error}")
            last.update(result.data)
            return elapsed, sum(s["seconds"] for s in result.data["statement_times"])

        def psql_apply() -> float:
            undo()
            t0 = time.perf_counter()
            subprocess.run([psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", target, "-f", str(sql_file)],
                           check=True, capture_output=True)
            return time.perf_counter() - t0

        steps, psqls, stmts = [], [], []
        for _ in range(args.rounds):  # alternated, so load from elsewhere on the machine hits both alike
            elapsed, statements = step_apply()
            steps.append(elapsed)
            stmts.append(statements)
            psqls.append(psql_apply())
        t_step, t_psql, t_stmts = min(steps), min(psqls), min(stmts)
        undo()
        print(f"migration step apply ({sql_file.name}) {t_step * 1000:9.1f} ms  "
              f"(its statements {t_stmts * 1000:.1f} ms; "
              f"{last['data_loss']['proved_untouched']} tables proved untouched, "
              f"{last['data_loss']['tables_checked']} checked)")
        print(f"psql -1 -f (same file, same database)    {t_psql * 1000:9.1f} ms")
        print(f"migration step / psql -f:           {verdict(t_step / t_psql, 1.15)}")
        print(f"  the step's statements alone / psql: {t_stmts / t_psql:.2f}x; the rest is the proof: snapshots, "
              f"catalogue and fingerprints before and after ({(t_step - t_stmts) * 1000:.0f} ms)")
        # Floors measured in this run. A first migration on an environment has no earlier print of
        # the table it writes to carry over, so it fingerprints it at least once; a count(*) alone
        # would prove the row count and nothing of the content.
        print(f"  floor, statements + one fingerprint of the table: {(t_stmts + t_fp) / t_psql:.2f}x "
              f"(statements + one count(*), no content proof: {(t_stmts + t_count) / t_psql:.2f}x)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
