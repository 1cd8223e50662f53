"""The operator's own keys: `keymap.toml` in the config dir, binding id = keys (as Posting does).

    # ~/.config/migration-wizard/keymap.toml
    "wizard.run_day" = "R"
    "wizard.export" = "ctrl+e"

A `[keymap]` table holding the same lines works too. Ids not in the actions table are reported,
not applied: a typo must not silently leave a key where the operator thinks it moved from.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from screens.actions import ACTIONS
from wizard import paths

FILE_NAME = "keymap.toml"


def keymap_path() -> Path:
    return paths.config_dir() / FILE_NAME


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """(binding id -> keys, problems to tell the operator). A missing file is no problem."""
    path = path or keymap_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{path}: not read ({exc}); the default keys apply."]
    table = raw.get("keymap", raw)
    known = {a.id for a in ACTIONS}
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in table.items():
        if binding_id not in known:
            problems.append(f"{path}: {binding_id!r} is not a binding id (F1 lists them); ignored.")
        elif not isinstance(keys, str) or not keys.strip():
            problems.append(f"{path}: {binding_id} needs keys as text, e.g. \"R\" or \"ctrl+r\"; ignored.")
        else:
            keymap[binding_id] = keys.strip()
    return keymap, problems
