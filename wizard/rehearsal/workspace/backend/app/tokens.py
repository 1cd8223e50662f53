"""HS256 JSON Web Tokens: what Supabase issues and the API accepts as `Authorization: Bearer …`.

PyJWT does the work. Only HS256 is accepted (a token that says "none" or any other algorithm is
refused), `exp` and `sub` are required, and the audience is not checked (Supabase's tokens say
"authenticated", which every signed-in user's token says).
"""

from __future__ import annotations

from typing import Any

import jwt

LEEWAY_S = 30


class InvalidToken(Exception):
    """The token cannot be trusted; the message says why (never the token itself)."""


def sign(claims: dict[str, Any], secret: str) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(token: str, secret: str) -> dict[str, Any]:
    if not secret:
        raise InvalidToken("the server has no JWT secret configured")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], leeway=LEEWAY_S,
                            options={"require": ["exp", "sub"], "verify_aud": False})
    except jwt.InvalidAlgorithmError:
        raise InvalidToken("unsupported token algorithm (HS256 only)") from None
    except jwt.InvalidSignatureError:
        raise InvalidToken("bad token signature") from None
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token expired") from None
    except jwt.ImmatureSignatureError:
        raise InvalidToken("token not valid yet") from None
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidToken(f"token has no {'expiry' if exc.claim == 'exp' else 'subject'} ({exc.claim})") from None
    except jwt.InvalidTokenError:
        raise InvalidToken("malformed token") from None
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("token has no subject (sub)")
    return claims
