"""The environments screen (E): list, add, test, forget, on the real sandbox clusters, with an
in-memory keyring chosen explicitly. Plus the main wizard on a mis-pointed `staging` profile:
refused before any SQL, the mismatch on screen. Canary secrets typed in the form never reach the
screen, the profile file or the journal."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import psycopg
import pytest
from textual.widgets import Checkbox, Input, Static

from screens.app import WizardApp
from screens.dialogs import ConfirmScreen, PasswordScreen
from screens.environments import AddProfileScreen, EnvironmentsScreen, ForgetScreen
from tui_fixtures import demo_environment, stable_display
from wizard.environments import secrets
from wizard.environments import resolve_environment
from wizard.journal import Journal
from keyring_support import MemoryKeyring
from tui_support import make_app, ready, settle, until

SIZE = (120, 40)
CANARY_PW = "canary-pw-7f3e9a2c41"
CANARY_TOKEN = "eyJcanary.token-b81d55e0"
SERVICE = "migration-wizard"


@pytest.fixture
def memory():
    kr = MemoryKeyring()
    secrets.use_backend(kr)
    previous = secrets.set_notifier(lambda text: None)
    yield kr
    secrets.set_notifier(previous)
    secrets.use_backend(None)


@pytest.fixture
def profile_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "environments.toml"
    monkeypatch.setenv("MIGRATION_WIZARD_PROFILES", str(path))
    return path


# --- helpers ---------------------------------------------------------------------------------------

def flat(text: str) -> str:
    return " ".join(text.split())


def screen_text(app) -> str:  # noqa: ANN001
    """What the terminal shows, as text (from the SVG screenshot), lines joined."""
    svg = app.export_screenshot()
    rows: dict[float, list[str]] = {}
    for match in re.finditer(r'<text[^>]*\by="([\d.]+)"[^>]*>(.*?)</text>', svg, re.S):
        rows.setdefault(float(match.group(1)), []).append(html.unescape(re.sub("<[^>]+>", "", match.group(2))))
    return "\n".join("".join(parts).replace("\xa0", " ") for _, parts in sorted(rows.items()))


def result_text(app) -> str:  # noqa: ANN001
    """The environments screen's "Last action" panel (the screen may be under a dialog)."""
    screen = next(s for s in app.screen_stack if isinstance(s, EnvironmentsScreen))
    return str(screen.query_one("#env-result", Static).render())


def journal_events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def open_environments(pilot) -> EnvironmentsScreen:  # noqa: ANN001
    await pilot.press("E")
    await until(pilot, lambda: isinstance(pilot.app.screen, EnvironmentsScreen), what="the environments screen")
    screen = pilot.app.screen
    await until(pilot, lambda: bool(screen.rows), what="the environment rows")
    return screen


async def select(pilot, screen: EnvironmentsScreen, name: str) -> None:  # noqa: ANN001
    await until(pilot, lambda: name in [r.env.name for r in screen.rows], what=f"{name} in the list")
    screen.select(name)
    await pilot.pause()
    assert screen.selected_name() == name


async def add_profile(pilot, name: str, url: str, *, password: str = "", token: str = "", replace: bool = False) -> list[str]:  # noqa: ANN001
    """Fill the form from the keyboard (the secrets are typed key by key into masked Inputs)."""
    shots = []
    await pilot.press("a")
    await until(pilot, lambda: isinstance(pilot.app.screen, AddProfileScreen), what="the add form")
    form = pilot.app.screen
    await pilot.press(*name)
    form.query_one("#env-url", Input).value = url
    if password:
        form.query_one("#env-password", Input).focus()
        await pilot.press(*password)
    if token:
        form.query_one("#env-token", Input).focus()
        await pilot.press(*token)
    if replace:
        form.query_one("#env-replace", Checkbox).value = True
    await pilot.pause()
    assert form.query_one("#env-password", Input).password and form.query_one("#env-token", Input).password
    shots.append(pilot.app.export_screenshot())
    form.query_one("#env-name", Input).focus()
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(pilot.app.screen, AddProfileScreen), what="the form to close")
    return shots


async def run_env_test(pilot, screen: EnvironmentsScreen, name: str, pin: bool = True) -> str:  # noqa: ANN001
    """`t` on an environment; a first test asks before pinning (answered `pin`)."""
    from screens.dialogs import ConfirmScreen

    await select(pilot, screen, name)
    await pilot.press("t")
    await until(pilot, lambda: not screen.busy or isinstance(pilot.app.screen, PasswordScreen), what=f"testing {name}")
    await pilot.pause()
    if isinstance(pilot.app.screen, ConfirmScreen):
        assert "Pin " in str(pilot.app.screen.title_text)
        await pilot.press("y" if pin else "n")
        await until(pilot, lambda: pilot.app.screen is screen, what="the pin question to close")
    return flat(result_text(pilot.app))


def columns(conninfo: dict) -> list[str]:
    with psycopg.connect(**conninfo) as conn:
        return [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_name = 'agent_recommendations' "
            "order by ordinal_position").fetchall()]


# --- the screen on real clusters ---------------------------------------------------------------------

async def test_add_test_repoint_and_forget_a_profile(clusters, memory, profile_file, tmp_path, monkeypatch):
    from screens import environments
    from wizard.rehearsal import clusters as sandbox

    staging_info, prod_info = sandbox.conninfo("sandbox-staging"), sandbox.conninfo("sandbox-production")
    # Each environment's pin goes to the journal its runs write: the sandboxes' (open in the app)
    # and the profiles' (written under the writer lock); here both in tmp_path.
    rehearsal, journal = tmp_path / "rehearsal.jsonl", tmp_path / "week1.jsonl"
    monkeypatch.setattr(environments, "journal_of", lambda env: rehearsal if env.kind == "sandbox" else journal)
    app = make_app(resolve_environment("sandbox-staging"), journal_path=rehearsal)
    shots: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_environments(pilot)
        assert [r.env.name for r in screen.rows] == ["sandbox-staging", "sandbox-production"]
        assert "OS keyring" in screen_text(app) and "MemoryKeyring" in screen_text(app)

        # add: a staging profile on the sandbox-staging cluster, password and token typed (masked)
        url = f"host={staging_info['host']} port=5432 dbname=postgres user=postgres"
        shots += await add_profile(pilot, "staging", url, password=CANARY_PW, token=CANARY_TOKEN)
        assert "✓ staging saved in" in flat(result_text(app))
        assert "stored in the OS keyring" in result_text(app) and "The API token is in the OS keyring" in result_text(app)
        assert memory.store[(SERVICE, "staging:db_password")] == CANARY_PW
        assert memory.store[(SERVICE, "staging:api_token")] == CANARY_TOKEN
        await until(pilot, lambda: "staging" in [r.env.name for r in screen.rows], what="the new row")
        row = next(r for r in screen.rows if r.env.name == "staging")
        assert (row.password, row.token, row.pin) == (True, True, "")
        shots.append(app.export_screenshot())

        # an invalid form: the engine's message, inline, and the form stays open
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AddProfileScreen), what="the add form")
        await pilot.press(*"sandbox-staging")
        app.screen.query_one("#env-url", Input).value = "host=db.example.internal"
        await pilot.press("enter")
        error = app.screen.query_one("#env-form-error", Static)
        await until(pilot, lambda: error.display, what="the inline error")
        assert "sandbox-staging is built in and cannot be redefined." in str(error.render())
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="the form to close")

        # test: connects, shows version and fingerprint, pins it in its own journal
        text = await run_env_test(pilot, screen, "staging")
        assert "✓ connected to staging" in text and "PostgreSQL" in text and "fingerprint" in text
        assert "pin: pinned now in" in text
        text = await run_env_test(pilot, screen, "sandbox-production")
        assert "pin: pinned now in" in text
        text = await run_env_test(pilot, screen, "staging")
        assert "pin: matches the server pinned in" in text
        await until(pilot, lambda: next(r for r in screen.rows if r.env.name == "staging").pin != "", what="the pin")
        assert [e["env"] for e in journal_events(journal) if e["type"] == "env_pinned"] == ["staging"]
        assert [e["env"] for e in journal_events(rehearsal) if e["type"] == "env_pinned"] == ["sandbox-production"]
        assert next(r for r in screen.rows if r.env.name == "staging").pin.endswith("/postgres")

        # re-point staging at sandbox-production: testing it is refused, naming the server it found
        before = columns(prod_info)
        url = f"host={prod_info['host']} port=5432 dbname=postgres user=postgres"
        await add_profile(pilot, "staging", url, replace=True)
        text = await run_env_test(pilot, screen, "staging")
        assert "✗ staging points at a different server than the one pinned in" in text
        assert "It is the local sandbox-production cluster (database postgres)." in text
        assert "env forget staging --pin" in text
        shots.append(app.export_screenshot())
        assert "It is the local sandbox-production" in flat(screen_text(app))  # on screen too
        assert columns(prod_info) == before
        assert [e["env"] for e in journal_events(journal) if e["type"] == "env_pinned"] == ["staging"]

        # forget: the dialog repeats the name; secrets, profile and pin go
        await select(pilot, screen, "staging")
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ForgetScreen), what="the forget dialog")
        assert "Forget staging?" in screen_text(app) and "STAGING [STAGING]" in screen_text(app)
        app.screen.query_one("#forget-profile", Checkbox).value = True
        app.screen.query_one("#forget-pin", Checkbox).value = True
        await pilot.press("y")
        await until(pilot, lambda: app.screen is screen and not screen.busy, what="forgetting")
        text = flat(result_text(app))
        assert "Removed db_password, api_token of staging from the OS keyring" in text
        assert "staging is unpinned in" in text and "Removed the profile staging from" in text
        assert memory.store == {}
        await until(pilot, lambda: "staging" not in [r.env.name for r in screen.rows], what="the row to go")
        assert journal_events(journal)[-1]["type"] == "env_unpinned"
        shots.append(app.export_screenshot())
        await pilot.press("escape")
        assert not isinstance(app.screen, EnvironmentsScreen)

    # the canaries never reach the screen, the profile file or the journal
    for shot in shots:
        assert CANARY_PW not in shot and CANARY_TOKEN not in shot
    for path in (profile_file, journal, rehearsal):
        assert CANARY_PW not in path.read_text() and CANARY_TOKEN not in path.read_text()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert CANARY_PW.encode() not in path.read_bytes(), path


async def test_a_refused_password_is_asked_again_masked(clusters, memory, profile_file, tmp_path):
    from test_secrets import RIGHT, WRONG, scram_role

    with scram_role("env_screen_user", RIGHT) as lab:
        profile_file.write_text(f'[environments.lab]\nkind = "sandbox"\nrole = "staging"\nhost = "{lab.conninfo["host"]}"\n'
                                f'user = "env_screen_user"\ndbname = "pristine"\n')
        memory.store[(SERVICE, "lab:db_password")] = WRONG
        app = make_app(resolve_environment("sandbox-staging"), journal_path=tmp_path / "j.jsonl")
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            screen = await open_environments(pilot)
            await run_env_test(pilot, screen, "lab")
            await until(pilot, lambda: isinstance(app.screen, PasswordScreen), what="the password dialog")
            dialog = app.screen
            assert dialog.query_one("#password", Input).password
            assert "The password was refused. Database password for lab" in flat(screen_text(app))
            await pilot.press(*RIGHT)
            shot = app.export_screenshot()
            await pilot.press("enter")
            await until(pilot, lambda: not screen.busy, what="the test")
            from screens.dialogs import ConfirmScreen

            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question before pinning")
            await pilot.press("n")  # not pinned: the test still says what it found
            await until(pilot, lambda: app.screen is screen, what="the question to close")
            assert "✓ connected to lab" in flat(result_text(app)) and "not pinned" in flat(result_text(app))
            assert memory.store[(SERVICE, "lab:db_password")] == RIGHT
            assert RIGHT not in shot and RIGHT not in app.export_screenshot()
        assert RIGHT not in (tmp_path / "j.jsonl").read_text()


# --- the main wizard on a mis-pointed profile ------------------------------------------------------

async def test_the_wizard_on_staging_pointing_at_sandbox_production_refuses_before_any_sql(clusters, memory, profile_file, tmp_path):
    """`staging` pinned to the sandbox-staging cluster, then re-pointed at sandbox-production."""
    from wizard.environments import profiles
    from wizard.rehearsal import clusters as sandbox
    from wizard.session import environments as env_commands

    staging_info, prod_info = sandbox.conninfo("sandbox-staging"), sandbox.conninfo("sandbox-production")
    path = tmp_path / "week1.jsonl"
    profiles.save_profile("staging", "staging", conninfo={**staging_info, "port": 5432})
    from wizard.session.journals import open_journal
    from wizard.runbook import load_runbook

    runbook = load_runbook()
    journal = open_journal(path, runbook.path, runbook.title)
    for name in ("staging", "sandbox-production"):
        tested = await env_commands.check_environment(resolve_environment(name), path, journal=journal, pin=True)
        assert tested.pin == "pinned now"
    profiles.save_profile("staging", "staging", conninfo={**prod_info, "port": 5432}, replace=True)
    before = columns(prod_info)

    app = make_app(resolve_environment("staging"), journal_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.start_run("tuesday", ["2.2"])
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the run confirmation")
        await pilot.press("y")
        await until(pilot, lambda: any(e["type"] == "env_refused" for e in app.journal.events), what="the refusal")
        await until(pilot, lambda: not app.run_active and list(app._notifications), what="the run to end")
        await pilot.pause(0.2)
        messages = " ".join(flat(n.message) for n in app._notifications)
        assert "staging now points at a different server than the one pinned on first use" in messages
        assert "It is the server pinned as sandbox-production. Nothing was run." in messages
        assert "env forget staging --pin" in messages
    assert columns(prod_info) == before
    lines = journal_events(path)
    refused_at = max(i for i, e in enumerate(lines) if e["type"] == "env_refused")
    assert lines[refused_at]["found"]["database"] == "postgres"
    assert not [e for e in lines[refused_at:] if e["type"] == "sql"]  # no runbook SQL after the refusal
    # The server is checked before the day starts: no step was started at all.
    assert not [e for e in lines[refused_at:] if e["type"] in ("day_started", "step_started")]


# --- snapshots: fixed profiles, fixed pins, no tmp paths ----------------------------------------------

PROFILES = """[environments.staging]
kind = "staging"
host = "db.staging.example.internal"
port = 5432
dbname = "postgres"
user = "wizard"

[environments.production]
kind = "production"
host = "aws-0-eu-central-1.pooler.supabase.com"
port = 6543
dbname = "postgres"
user = "postgres.qrstuvwxyzabcdef"
"""


def snapshot_app(tmp_path: Path, data_dir: Path) -> WizardApp:
    from wizard.rehearsal import clusters as sandbox

    path = tmp_path / "week1.jsonl"
    journal = Journal(path)
    journal.append("run_started", runbook_path="week1.toml", runbook_title="Week 1", runbook_sha256="0" * 64)
    journal.append("env_pinned", env="staging", fingerprint={"system_identifier": "7300000000000012345",
                                                             "database": "postgres", "server_version": "16.2",
                                                             "source": "pg_control_system"})
    labels = [(str(sandbox.socket_dir(n)), f"<{n}>") for n in sandbox.NAMES]
    return make_app(demo_environment("staging"), journal_path=path, prepare=False,
                     fmt=stable_display(*labels, (str(data_dir), "<data>"), (str(tmp_path), "<tmp>")))


@pytest.fixture
def snapshot_setup(data_dir, memory, profile_file, tmp_path, monkeypatch):
    from screens import environments

    # the profiles' journal is the app's (staging is pinned there); the sandboxes' has no pins yet
    monkeypatch.setattr(environments, "journal_of",
                        lambda env: tmp_path / ("rehearsal.jsonl" if env.kind == "sandbox" else "week1.jsonl"))
    profile_file.write_text(PROFILES)
    memory.store[(SERVICE, "staging:db_password")] = "not-shown-anywhere-1"
    memory.store[(SERVICE, "production:api_token")] = "not-shown-anywhere-2"
    return snapshot_app(tmp_path, data_dir)


def test_environments_screen_snapshot(snap_compare, snapshot_setup):
    async def run_before(pilot) -> None:  # noqa: ANN001
        await pilot.press("E")
        await settle(pilot)
        pilot.app.screen.select("staging")
        await settle(pilot)

    assert snap_compare(snapshot_setup, terminal_size=SIZE, run_before=run_before)


def test_add_profile_form_refuses_inline_snapshot(snap_compare, snapshot_setup):
    async def run_before(pilot) -> None:  # noqa: ANN001
        await pilot.press("E")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"Staging!")
        pilot.app.screen.query_one("#env-url", Input).value = "host=db.example.internal dbname=postgres"
        pilot.app.screen.query_one("#env-password", Input).value = "masked-in-the-form-3"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(snapshot_setup, terminal_size=SIZE, run_before=run_before)
