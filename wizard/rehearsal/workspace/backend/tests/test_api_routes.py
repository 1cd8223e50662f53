"""The ASGI application driven through the ASGI protocol itself: routing and auth need no database."""

import asyncio
import json
import time

from app.api import Api
from app.tokens import sign

SECRET = "route-test-secret-of-32-bytes-or-more"  # HS256 keys shorter than 32 bytes draw a warning


def call(api, method, path, headers=None, body=b""):
    scope = {"type": "http", "method": method, "path": path, "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(api(scope, receive, send))
    status = sent[0]["status"]
    return status, json.loads(sent[1]["body"])


def api():
    return Api({"JWT_SECRET": SECRET})


def test_unknown_route_is_404():
    assert call(api(), "GET", "/nope")[0] == 404


def test_wrong_method_is_405():
    assert call(api(), "DELETE", "/api/v1/campaigns")[0] == 405


def test_missing_token_is_401():
    status, body = call(api(), "GET", "/api/v1/campaigns")
    assert status == 401 and "Bearer" in body["error"]


def test_bad_token_is_401():
    token = sign({"sub": "x", "exp": int(time.time()) + 60}, "not-the-secret-but-just-as-long-as-it")
    assert call(api(), "GET", "/api/v1/cohorts", {"Authorization": f"Bearer {token}"})[0] == 401


def test_invalid_json_body_is_400():
    token = sign({"sub": "x", "exp": int(time.time()) + 60}, SECRET)
    status, _ = call(api(), "POST", "/api/v1/moves", {"Authorization": f"Bearer {token}"}, b"{not json")
    assert status == 400


def test_health_without_configuration_is_unhealthy():
    status, body = call(api(), "GET", "/health")
    assert status == 503
    assert body["status"] == "unhealthy" and body["database"].startswith("error:")


def test_item_routes():
    assert call(api(), "PUT", "/api/v1/moves/5d1b3c6e-0b1f-4f55-9d57-1c7b0c1f8a10")[0] == 405
    assert call(api(), "GET", "/api/v1/moves/not-a-uuid")[0] == 404
    assert call(api(), "DELETE", "/api/v1/cohorts/5d1b3c6e-0b1f-4f55-9d57-1c7b0c1f8a10")[0] == 404
    assert call(api(), "DELETE", "/api/v1/assets/5d1b3c6e-0b1f-4f55-9d57-1c7b0c1f8a10")[0] == 401
