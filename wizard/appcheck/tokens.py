"""The rehearsal API token: an HS256 JWT (signed with PyJWT) minted for the sandbox only.

The signing secret is generated once per process (that is, per rehearsal run), kept in memory,
handed to the rehearsal backend through its environment (JWT_SECRET) and registered for
redaction; neither it nor a token is ever written to a file or the journal. Real environments
never get a minted token: their API token comes from the keyring (`ctx.secret("api_token")`).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid

import jwt

from wizard.environments import Environment
from wizard.errors import WizardError
from wizard.redact import register_secret

# The sandbox's first seeded user (seed.sql: md5('user-1')::uuid), owner of workspace ws-1.
SANDBOX_USER_ID = str(uuid.UUID(hashlib.md5(b"user-1").hexdigest()))
SANDBOX_USER_EMAIL = "operator1@raptorflow.test"
TOKEN_LIFETIME_S = 3600

_lock = threading.Lock()
_secret: str | None = None


def rehearsal_secret() -> str:
    """This rehearsal's JWT secret (random, in memory only)."""
    global _secret
    with _lock:
        if _secret is None:
            _secret = secrets.token_urlsafe(32)
            register_secret(_secret)
        return _secret


def rehearsal_token(env: Environment, *, subject: str = SANDBOX_USER_ID, lifetime_s: int = TOKEN_LIFETIME_S) -> str:
    """A Supabase-shaped access token for the sandbox backend; refused for any other environment."""
    if env.kind != "sandbox":
        raise WizardError(
            f"No API token for {env.name}: a token is minted only for the sandbox.",
            f"Store the API token for {env.name} in the keyring (`migration-wizard env add`), then run the step again.")
    now = int(time.time())
    claims = {"sub": subject, "email": SANDBOX_USER_EMAIL, "role": "authenticated", "aud": "authenticated",
              "iss": "migration-wizard-rehearsal", "iat": now, "exp": now + lifetime_s}
    token = jwt.encode(claims, rehearsal_secret(), algorithm="HS256")
    register_secret(token)
    return token
