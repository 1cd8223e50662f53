"""Where things live: the user data dir (state, clusters, journals) and the shipped SQL."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "migration-wizard"


def make_dir(path: Path, what: str, fix: str) -> Path:
    """mkdir -p, or one message saying which folder cannot be made and why (never a traceback).

    A folder that exists keeps its permissions: nothing here loosens them.
    """
    from wizard.errors import WizardError

    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise WizardError(f"{what} {path} cannot be created: something that is not a folder is in its way.", fix) from None
    except OSError as exc:
        raise WizardError(f"{what} {path} cannot be created: {exc.strerror or exc}.", fix) from None
    return path


def data_dir() -> Path:
    # State lives in the data dir, never the runtime dir (unset XDG_RUNTIME_DIR on servers).
    override = os.environ.get("MIGRATION_WIZARD_DATA")
    path = Path(override) if override else platformdirs.user_data_path(APP)
    return make_dir(path, "The data folder", "Set MIGRATION_WIZARD_DATA to a folder you can write to.")


def config_dir() -> Path:
    override = os.environ.get("MIGRATION_WIZARD_CONFIG")
    return Path(override) if override else platformdirs.user_config_path(APP)


def journals_dir() -> Path:
    return make_dir(data_dir() / "journals", "The journals folder",
                    "Make it writable, or set MIGRATION_WIZARD_DATA to a folder you can write to.")


def default_journal() -> Path:
    return journals_dir() / "week1.jsonl"


def sql_dir() -> Path:
    """The SQL shipped with the package (wheel: wizard/_sql; source checkout: ./sql)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_sql", here.parent / "sql"):
        if (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError("the packaged sql/ folder is missing; reinstall migration-wizard")
