"""HS256 JSON Web Tokens: what Supabase issues and the API accepts as `Authorization: Bearer …`.

Only HS256 is accepted (a token that says "none" or any other algorithm is refused), the
signature is compared in constant time, and `exp` is required.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

LEEWAY_S = 30


class InvalidToken(Exception):
    """The token cannot be trusted; the message says why (never the token itself)."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise InvalidToken("malformed token")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, signing_input: bytes) -> bytes:
    return hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()


def sign(claims: dict[str, Any], secret: str) -> str:
    header = b64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    return f"{header}.{payload}.{b64url_encode(_mac(secret, signing_input))}"


def verify(token: str, secret: str, *, now: float | None = None) -> dict[str, Any]:
    if not secret:
        raise InvalidToken("the server has no JWT secret configured")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("malformed token")
    header_b64, payload_b64, signature_b64 = parts
    try:
        header = json.loads(b64url_decode(header_b64))
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken("malformed token header") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise InvalidToken("unsupported token algorithm (HS256 only)")
    expected = _mac(secret, f"{header_b64}.{payload_b64}".encode("ascii"))
    if not hmac.compare_digest(expected, b64url_decode(signature_b64)):
        raise InvalidToken("bad token signature")
    try:
        claims = json.loads(b64url_decode(payload_b64))
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken("malformed token payload") from None
    if not isinstance(claims, dict):
        raise InvalidToken("malformed token payload")
    moment = time.time() if now is None else now
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise InvalidToken("token has no expiry (exp)")
    if moment > exp + LEEWAY_S:
        raise InvalidToken("token expired")
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and moment + LEEWAY_S < nbf:
        raise InvalidToken("token not valid yet")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("token has no subject (sub)")
    return claims
