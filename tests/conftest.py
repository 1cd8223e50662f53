"""Shared fixtures: real embedded PostgreSQL clusters in a throwaway data dir. No mocks."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _reachable(path: Path) -> Path:
    """As root the clusters run as another account, which must reach them; pytest makes its temp
    folders 0700. These are the test run's own folders (never a user's), so they may be opened to
    passing through (the wizard itself would otherwise place the clusters under /var/lib)."""
    if os.geteuid() == 0:
        for folder in (path, *[p for p in path.parents if p.name.startswith(("pytest-", "pt-"))]):
            folder.chmod(0o711)
    return path


@pytest.fixture
def tmp_path(tmp_path: Path) -> Path:
    return _reachable(tmp_path)


@pytest.fixture(scope="session")
def tmp_path_factory(tmp_path_factory: pytest.TempPathFactory) -> pytest.TempPathFactory:
    make = tmp_path_factory.mktemp
    tmp_path_factory.mktemp = lambda basename, numbered=True: _reachable(make(basename, numbered))  # type: ignore[method-assign]
    return tmp_path_factory


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One isolated user data dir for the session; clusters live here and are stopped at the end."""
    path = _reachable(tmp_path_factory.mktemp("mwdata"))
    previous = os.environ.get("MIGRATION_WIZARD_DATA")
    os.environ["MIGRATION_WIZARD_DATA"] = str(path)
    os.environ.setdefault("MIGRATION_WIZARD_CONFIG", str(tmp_path_factory.mktemp("mwconfig")))
    yield path
    from wizard.rehearsal import clusters as sandbox

    for name in sandbox.NAMES:
        try:
            sandbox.stop(name)
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass
    if previous is None:
        os.environ.pop("MIGRATION_WIZARD_DATA", None)
    else:
        os.environ["MIGRATION_WIZARD_DATA"] = previous


@pytest.fixture(scope="session")
def clusters(data_dir: Path) -> dict[str, str]:
    """Both sandbox clusters, created, started and seeded once; a pristine template db on each."""
    from wizard.rehearsal import clusters as sandbox

    for name in sandbox.NAMES:
        sandbox.ensure(name)
        with psycopg.connect(**{**sandbox.conninfo(name), "dbname": "template1"}, autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = 'pristine'").fetchone()
            if not exists:
                conn.execute("create database pristine template postgres")
    sandbox.ensure_workspace()
    return {name: sandbox.url(name) for name in sandbox.NAMES}


@pytest.fixture
def fresh_db(clusters: dict[str, str]):
    """A brand-new copy of the pre-clean-up database on sandbox-staging, dropped afterwards."""
    from wizard.rehearsal import clusters as sandbox

    name = "t_" + uuid.uuid4().hex[:10]
    info = sandbox.conninfo("sandbox-staging")
    with psycopg.connect(**{**info, "dbname": "template1"}, autocommit=True) as conn:
        conn.execute(f"create database {name} template pristine")
    yield name
    with psycopg.connect(**{**info, "dbname": "template1"}, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


@pytest.fixture
def fresh_env(fresh_db: str):
    """An Environment playing staging, pointing at a fresh database."""
    from wizard.rehearsal import clusters as sandbox
    from wizard.environments import Environment

    return Environment(
        name="sandbox-staging",
        kind="sandbox",
        role="staging",
        conninfo={**sandbox.conninfo("sandbox-staging"), "dbname": fresh_db},
        workspace=str(sandbox.workspace_dir()),
    )


@pytest.fixture(scope="session")
def sandbox_staging(data_dir: Path):
    """The session's sandbox-staging, started and seeded, with the rehearsal workspace: its conninfo."""
    from wizard.rehearsal import clusters as sandbox

    sandbox.ensure("sandbox-staging")
    sandbox.ensure_workspace()
    return sandbox.conninfo("sandbox-staging")


@pytest.fixture
def env(sandbox_staging):
    """sandbox-staging as an Environment (the TUI tests' default)."""
    from wizard.environments import resolve_environment

    return resolve_environment("sandbox-staging")
