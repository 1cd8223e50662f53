"""Environments: where a step runs. The two sandbox clusters are built in; profiles add real ones.

Layering, lowest first: model (the Environment, kinds, colours) → connections (connect, the
server's fingerprint) → secrets (the OS keyring) and profiles (the TOML file) → resolve (a name to
an Environment) → pins (is this the server pinned on first use).
"""

from wizard.environments import profiles, secrets
from wizard.environments.connections import Fingerprint, connect, describe_connection_error, fingerprint
from wizard.environments.model import KIND_COLOURS, KINDS, ROLES, SANDBOX_ROLES, Environment
from wizard.environments.pins import PinCheck, compare_pin
from wizard.environments.resolve import identify_server, list_environments, resolve_environment, sandbox_environment

__all__ = [
    "KIND_COLOURS", "KINDS", "ROLES", "SANDBOX_ROLES", "Environment", "Fingerprint", "PinCheck", "compare_pin",
    "connect", "describe_connection_error", "fingerprint", "identify_server", "list_environments", "profiles",
    "resolve_environment", "sandbox_environment", "secrets",
]
