"""Environments: where a step runs. The two sandbox clusters are built in; profiles add real ones.

Layering, lowest first: model (the Environment, kinds, colours) → connections (connect, the
server's fingerprint) → secrets (the OS keyring) and profiles (the TOML file) → resolve (a name to
an Environment) → pins (is this the server pinned on first use).

The names below are re-exported lazily: the TUI's first paint needs only the model, and
connections, secrets and profiles bring psycopg, keyring and tomlkit (a quarter of a second).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wizard.environments.connections import Fingerprint, connect, describe_connection_error, fingerprint
    from wizard.environments.model import KIND_COLOURS, KINDS, ROLES, SANDBOX_ROLES, Environment
    from wizard.environments.pins import PinCheck, compare_pin
    from wizard.environments.resolve import (identify_server, list_environments, resolve_environment,
                                             sandbox_environment)

_HOME = {
    "KIND_COLOURS": "model", "KINDS": "model", "ROLES": "model", "SANDBOX_ROLES": "model", "Environment": "model",
    "Fingerprint": "connections", "connect": "connections", "describe_connection_error": "connections",
    "fingerprint": "connections",
    "PinCheck": "pins", "compare_pin": "pins",
    "identify_server": "resolve", "list_environments": "resolve", "resolve_environment": "resolve",
    "sandbox_environment": "resolve",
}
__all__ = [*_HOME, "profiles", "secrets"]  # profiles and secrets are submodules, imported as such


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value
