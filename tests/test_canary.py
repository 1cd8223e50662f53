"""A canary password and a canary token go keyring → connection / step, and nowhere else.

A login role with a real scram-sha-256 password on the sandbox cluster (its verifier computed
client-side, so the server never sees the password; every statement of the run is logged by the
server), a profile without the password, an in-memory keyring holding a stale password and the
token. The run re-asks, connects, runs real Monday/Tuesday steps, then a step that echoes the token
in its result and in its error. Afterwards every byte the wizard and the server wrote (data dir,
config dir, journals, exports, server logs, a TUI screenshot) and everything printed is searched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import types
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from wizard import paths
from wizard.environments import secrets
from wizard.cli import main
from wizard.errors import ConnectionFailed
from wizard.steps.base import StepFailure
from keyring_support import MemoryKeyring

CANARY_PW = "canary-pw-9f3e1c"
STALE_PW = "canary-pw-stale-0d7a"  # what the keyring holds at first: refused, then re-asked
CANARY_TOKEN = "canary-tok-eyJhbGciOi.7c2e5b"
NEEDLES = (b"canary-pw", b"canary-tok", b"9f3e1c", b"7c2e5b")


@contextlib.contextmanager
def canary_role(dbname: str):
    from wizard.rehearsal import clusters as sandbox

    hba = sandbox.cluster_dir("sandbox-staging") / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text("local all canary_user scram-sha-256\n" + original)
    info = sandbox.conninfo("sandbox-staging")
    with psycopg.connect(**info, autocommit=True) as conn:
        verifier = conn.pgconn.encrypt_password(CANARY_PW.encode(), b"canary_user", b"scram-sha-256").decode()
        conn.execute("drop role if exists canary_user")
        conn.execute(sql.SQL("create role canary_user login superuser password {}").format(sql.Literal(verifier)))
        conn.execute(sql.SQL("create database {} template pristine").format(sql.Identifier(dbname)))
        conn.execute(sql.SQL("alter database {} set log_statement = 'all'").format(sql.Identifier(dbname)))
        conn.execute("select pg_reload_conf()")
    try:
        yield info
    finally:
        hba.write_text(original)
        with psycopg.connect(**info, autocommit=True) as conn:
            conn.execute("select pg_reload_conf()")
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname)))
            conn.execute("drop role if exists canary_user")


TOKEN_RUNBOOK = '''
title = "Canary token"
[facts]
core_tables = []
[[days]]
id = "monday"
title = "Token"
summary = "A step that sends the API token and echoes it back."
[[days.tasks]]
id = "1.1"
title = "Call the API"
estimate_minutes = 1
instructions = "Calls the API with the token."
[[days.tasks.steps]]
id = "1.1.whoami"
kind = "query"
title = "Who am I"
target = "staging"
sql = "select current_user as who"
expect = ["scalar == 'canary_user'"]
[[days.tasks.steps]]
id = "1.1.call"
kind = "http"
title = "GET /health with the token"
target = "local"
url = "http://127.0.0.1:9/health"
[[days.tasks.steps]]
id = "1.1.refused"
kind = "http"
title = "A call the server refuses, quoting the token"
target = "local"
url = "http://127.0.0.1:9/admin"
'''


def fake_http() -> types.SimpleNamespace:
    """An http step that uses ctx.secret("api_token") as a real one would, and echoes it carelessly."""

    async def run(step, ctx):  # noqa: ANN001
        token = ctx.secret("api_token")
        assert token == CANARY_TOKEN
        if step.id.endswith("refused"):
            raise StepFailure(f"401 from {step.params['url']}: token {token} is not allowed",
                              {"request_headers": {"Authorization": f"Bearer {token}"}})
        return {"status": 200, "request_headers": {"Authorization": f"Bearer {token}"}, "body": f"hello {token}"}

    return types.SimpleNamespace(run=run, preview=lambda step, ctx: {"language": "text", "text": step.params["url"]})


def leaks(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            try:
                data = path.read_bytes()
            except OSError:
                continue
            found += [f"{path}: {needle.decode()}" for needle in NEEDLES if needle in data]
    return found


def test_canary_secrets_never_written(clusters, tmp_path, monkeypatch, capsys):
    from wizard import engine as engine_module
    from wizard.rehearsal import clusters as sandbox
    from wizard.steps import module_for

    config = Path(paths.config_dir())
    profile_file = config / f"canary-{uuid.uuid4().hex[:6]}" / "environments.toml"
    monkeypatch.setenv("MIGRATION_WIZARD_PROFILES", str(profile_file))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv(secrets.TOKEN_ENV, raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setattr(engine_module, "module_for", lambda kind: fake_http() if kind == "http" else module_for(kind))
    kr = MemoryKeyring()
    kr.store[(secrets.SERVICE, "canary:db_password")] = STALE_PW
    kr.store[(secrets.SERVICE, "canary:api_token")] = CANARY_TOKEN
    secrets.use_backend(kr)
    asked: list[str] = []
    previous_asker = secrets.set_asker(lambda prompt: asked.append(prompt) or CANARY_PW)
    dbname = f"canary_{uuid.uuid4().hex[:8]}"
    journal = paths.journals_dir() / f"canary-{dbname}.jsonl"
    token_journal = paths.journals_dir() / f"tokenrun-{dbname}.jsonl"
    out = tmp_path / "exports"
    try:
        with canary_role(dbname) as info:
            profile_file.parent.mkdir(parents=True, exist_ok=True)
            profile_file.write_text(f'[environments.canary]\nkind = "sandbox"\nrole = "staging"\nhost = "{info["host"]}"\n'
                                    f'user = "canary_user"\ndbname = "{dbname}"\nworkspace = "{sandbox.workspace_dir()}"\n')
            answers = tmp_path / "answers.toml"
            answers.write_text(f'[answers]\n"1.1.read_conflicts" = "yes"\n'
                               f'"1.4.backup" = "{dt.datetime.now(dt.timezone.utc).isoformat()}"\n')
            run = ["run", "--headless", "--env", "canary", "--journal", str(journal), "--answers", str(answers)]
            for day, task in (("monday", "1.1"), ("monday", "1.4"), ("monday", "1.6"), ("tuesday", "2.2"), ("tuesday", "2.3")):
                assert main([*run, "--day", day, "--task", task]) == 0, capsys.readouterr()
            assert len(asked) == 1 and "The password was refused" in asked[0]  # the stale one, then asked once
            assert kr.store[(secrets.SERVICE, "canary:db_password")] == CANARY_PW

            runbook = tmp_path / "token.toml"
            runbook.write_text(TOKEN_RUNBOOK)
            assert main(["run", "--headless", "--env", "canary", "--journal", str(token_journal), "--runbook", str(runbook),
                         "--day", "monday"]) == 1  # stopped at the refused call
            token_text = token_journal.read_text()
            assert '"status":200' in token_text and "token ••••••" in token_text and "Bearer ••••••" in token_text

            # A wrong password: the error, its repr and the CLI's message hold no secret.
            from wizard.engine import Engine
            from wizard.journal import Journal
            from wizard.environments.profiles import load_profile
            from wizard.runbook import load_runbook

            env = load_profile("canary")
            bad = Engine(load_runbook(runbook), env, Journal(tmp_path / "bad.jsonl"), ask=None, password=STALE_PW)  # type: ignore[arg-type]
            with pytest.raises(ConnectionFailed) as err:
                import asyncio

                asyncio.run(bad.run_day("monday"))
            for text in (repr(err.value), str(err.value), err.value.what, err.value.fix, repr(err.value.args)):
                assert not any(n.decode() in text for n in NEEDLES), text
            secrets.set_asker(lambda prompt: "canary-pw-typo-1")
            kr.store[(secrets.SERVICE, "canary:db_password")] = STALE_PW
            assert main([*run, "--day", "tuesday", "--task", "2.3"]) == 2  # asked twice, then gave up
            assert "refused the password again: giving up" in capsys.readouterr().err

        from wizard.exports import export_all

        written = export_all(journal, out)
        assert written, "exports were written"
        screenshot = tui_screenshot(env, journal, tmp_path)
        printed = capsys.readouterr()
    finally:
        secrets.set_asker(previous_asker)
        secrets.use_backend(None)

    for stream in (printed.out, printed.err):
        assert not any(n.decode() in stream for n in NEEDLES)
    if screenshot is not None:
        assert not any(n.decode() in screenshot for n in NEEDLES)
        (tmp_path / "tui.svg").write_text(screenshot)
    roots = {paths.data_dir(), config, tmp_path, Path(__file__).parent / "__snapshots__"}
    from keyring.util import platform_

    roots.add(Path(platform_.data_root()))  # keyrings.alt's plaintext file is never picked on our own
    problems = [leak for root in roots if root.exists() for leak in leaks(root)]
    assert not problems, "secrets were written:\n" + "\n".join(problems)
    assert (paths.data_dir() / "clusters" / "sandbox-staging" / "server.log").exists()  # the server log was searched too


def tui_screenshot(env, journal: Path, tmp_path: Path) -> str | None:  # noqa: ANN001
    """The TUI on the canary environment, after the run: its screen as SVG."""
    try:
        from tui_support import make_app
    except ImportError:
        return None
    import asyncio

    from wizard.runbook import load_runbook

    async def shoot() -> str:
        app = make_app(env, journal_path=journal, runbook=load_runbook(), prepare=False)
        async with app.run_test(size=(140, 45)) as pilot:
            for _ in range(3):
                await pilot.app.workers.wait_for_complete()
                await pilot.pause()
            return app.export_screenshot()

    return asyncio.run(shoot())
