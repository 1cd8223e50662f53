"""Where things live: the user data dir (state, clusters, journals) and the shipped SQL."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "migration-wizard"


def data_dir() -> Path:
    # State lives in the data dir, never the runtime dir (unset XDG_RUNTIME_DIR on servers).
    override = os.environ.get("MIGRATION_WIZARD_DATA")
    path = Path(override) if override else platformdirs.user_data_path(APP)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    override = os.environ.get("MIGRATION_WIZARD_CONFIG")
    return Path(override) if override else platformdirs.user_config_path(APP)


def journals_dir() -> Path:
    path = data_dir() / "journals"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_journal() -> Path:
    return journals_dir() / "week1.jsonl"


def sql_dir() -> Path:
    """The SQL shipped with the package (wheel: wizard/_sql; source checkout: ./sql)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_sql", here.parent / "sql"):
        if (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError("the packaged sql/ folder is missing; reinstall migration-wizard")
