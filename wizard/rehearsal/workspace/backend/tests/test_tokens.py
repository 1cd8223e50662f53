"""HS256 tokens as the API verifies them."""

import base64
import time

import pytest

from app.tokens import InvalidToken, sign, verify

SECRET = "test-secret-for-unit-tests-32-bytes-long"  # HS256 keys shorter than 32 bytes draw a warning


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def claims(**extra):
    return {"sub": "7f0e2c4a-9a43-4a5e-b3c0-3b2d8f0a1c11", "exp": int(time.time()) + 60, **extra}


def test_round_trip():
    token = sign(claims(role="authenticated"), SECRET)
    assert verify(token, SECRET)["role"] == "authenticated"


def test_wrong_secret_is_refused():
    with pytest.raises(InvalidToken, match="signature"):
        verify(sign(claims(), SECRET), "another-secret-just-as-long-as-the-first")


def test_tampered_payload_is_refused():
    header, _, signature = sign(claims(), SECRET).split(".")
    forged = b64url_encode(b'{"sub":"someone-else","exp":9999999999}')
    with pytest.raises(InvalidToken):
        verify(f"{header}.{forged}.{signature}", SECRET)


def test_expired_token_is_refused():
    with pytest.raises(InvalidToken, match="expired"):
        verify(sign(claims(exp=int(time.time()) - 3600), SECRET), SECRET)


def test_token_without_expiry_is_refused():
    token = sign({"sub": "x"}, SECRET)
    with pytest.raises(InvalidToken, match="exp"):
        verify(token, SECRET)


def test_alg_none_is_refused():
    header = b64url_encode(b'{"alg":"none","typ":"JWT"}')
    payload = b64url_encode(b'{"sub":"x","exp":9999999999}')
    with pytest.raises(InvalidToken, match="HS256"):
        verify(f"{header}.{payload}.", SECRET)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "!!.??.**"])
def test_malformed_tokens(token):
    with pytest.raises(InvalidToken):
        verify(token, SECRET)


def test_no_secret_configured():
    with pytest.raises(InvalidToken, match="secret"):
        verify(sign(claims(), SECRET), "")
