"""http: one HTTP request, judged on its status code and JSON body (e.g. `json.status == "healthy"`).

Params (free-form):
  method       GET (default), POST, …
  url          an absolute URL, or
  service      the name of a service started earlier in the day (e.g. "backend"), with
  path         the path on it, e.g. "/health"
  path_from    the path as an expression over earlier results, e.g.
               "'/api/v1/assets/' + friday_asset.json.id" (for a DELETE of what a step created)
  headers      extra request headers, e.g. { Accept = "application/json" }
  auth         "bearer": send `Authorization: Bearer <token>`; the token is the environment's
               API token from the keyring (ctx.secret("api_token")); a sandbox without one gets the
               rehearsal token minted for it (wizard.appcheck.tokens). Never shown or journaled.
  json         a JSON body (a TOML table); string values may use placeholders ({env.name}, …)
  json_from    body fields taken from earlier results, as expressions in the expectation
               language, e.g. { campaign_id = "friday_campaign.json.id" }
  timeout_s    default 10
  allow_status status codes >= 500 that are an answer to judge, not a failure (default: none;
               a 5xx answer fails the step with the server's message, so troubleshooting sees it)

Result: method, url, status, reason, elapsed_ms, json (the parsed body when it is JSON, else
None), body_text (first 2 KB), headers (content-type, content-length, location, www-authenticate).
"""

from __future__ import annotations

import ast
import asyncio
import json as jsonlib
import time
from typing import Any

import aiohttp

from wizard import expect
from wizard.appcheck import tokens
from wizard.errors import WizardError
from wizard.redact import redact, register_secret
from wizard.runbook.model import Step
from wizard.steps.base import StepContext, StepFailure
from wizard.steps.sqlrun import StepCancelled

BODY_TEXT_LIMIT = 2048
KEPT_HEADERS = ("content-type", "content-length", "location", "www-authenticate", "allow")


def api_token(ctx: StepContext) -> str:
    token = ctx.secret("api_token")
    if not token:
        try:
            token = tokens.rehearsal_token(ctx.env)
        except WizardError as exc:
            raise StepFailure(str(exc)) from None
    register_secret(token)
    return token


def target_url(step: Step, ctx: StepContext) -> str:
    if step.params.get("url"):
        return ctx.expand(str(step.params["url"]))
    name = step.params.get("service")
    if not name:
        raise StepFailure("an http step needs url, or service and path")
    from wizard.steps.service import find_service

    if step.params.get("path_from"):
        path = str(_value(str(step.params["path_from"]), ctx, "the path"))
    else:
        path = ctx.expand(str(step.params.get("path", "/")))
    return find_service(ctx, str(name)).base_url + (path if path.startswith("/") else "/" + path)


def _expand_json(value: Any, ctx: StepContext) -> Any:
    if isinstance(value, str):
        return ctx.expand(value)
    if isinstance(value, list):
        return [_expand_json(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: _expand_json(v, ctx) for k, v in value.items()}
    return value


def evaluate(expression: str, names: dict[str, Any]) -> Any:
    """The value of an expression in the expectation language (safe: no calls beyond its helpers)."""
    tree = expect.parse(expression)
    return expect._Evaluator(names).eval(tree)  # noqa: SLF001 - the same evaluator expectations use


def _value(expression: str, ctx: StepContext, what: str) -> Any:
    try:
        return evaluate(expression, {**ctx.saved, "facts": ctx.facts})
    except expect.MissingResult as missing:
        raise StepFailure(f"{what} needs the earlier result {missing.name!r}, which is not in this journal yet: "
                          f"run the step that saves it first") from None
    except expect.ExpectationError as exc:
        raise StepFailure(f"cannot work out {what} from {expression!r}: {exc}") from None


def request_body(step: Step, ctx: StepContext) -> Any:
    body = _expand_json(step.params.get("json"), ctx) if "json" in step.params else None
    derived = step.params.get("json_from") or {}
    if derived:
        body = dict(body or {})
        for field, expression in derived.items():
            body[field] = _value(str(expression), ctx, f"the body field {field!r}")
    return body


def _headers(step: Step, ctx: StepContext, with_secret: bool) -> dict[str, str]:
    headers = {str(k): ctx.expand(str(v)) for k, v in (step.params.get("headers") or {}).items()}
    auth = step.params.get("auth")
    if auth == "bearer":
        headers["Authorization"] = f"Bearer {api_token(ctx) if with_secret else '<token>'}"
    elif auth:
        raise StepFailure(f"auth must be \"bearer\" (or left out), not {auth!r}")
    return headers


def _shown(expression: str, ctx: StepContext) -> Any:
    """An earlier result's value when it is known already, else the expression in <…>; a sum of
    strings shows its literal parts as they are: '/api/v1/moves/' + m.json.id → /api/v1/moves/<m.json.id>."""
    try:
        return evaluate(expression, {**ctx.saved, "facts": ctx.facts})
    except (expect.ExpectationError, TypeError):
        pass
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return f"<{expression}>"
    parts: list[ast.expr] = []
    while isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Add):
        parts.insert(0, tree.right)
        tree = tree.left
    parts.insert(0, tree)
    if len(parts) == 1 or not any(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts):
        return f"<{expression}>"
    return "".join(p.value if isinstance(p, ast.Constant) and isinstance(p.value, str) else f"<{ast.unparse(p)}>"
                   for p in parts)


def preview_url(step: Step, ctx: StepContext) -> str:
    if step.params.get("url"):
        return ctx.expand(str(step.params["url"]))
    name = str(step.params.get("service", "service"))
    from wizard.steps.service import ServiceHandle, resource_key

    handle = ctx.resources.get(resource_key(name))
    base = handle.base_url if isinstance(handle, ServiceHandle) and not handle.stopped else f"<{name}>"
    if step.params.get("path_from"):
        path = _shown(str(step.params["path_from"]), ctx)
    else:
        path = ctx.expand(str(step.params.get("path", "/")))
    return f"{base}{path}"


def preview(step: Step, ctx: StepContext) -> dict[str, str]:
    method = str(step.params.get("method", "GET")).upper()
    parts = [f"curl -X {method} '{preview_url(step, ctx)}'"]
    for key, value in _headers(step, ctx, with_secret=False).items():
        parts.append(f"-H '{key}: {value}'")
    if "json" in step.params or step.params.get("json_from"):
        shown = _expand_json(dict(step.params.get("json") or {}), ctx)
        shown.update({k: _shown(str(v), ctx) for k, v in (step.params.get("json_from") or {}).items()})
        parts.append("-H 'Content-Type: application/json'")
        parts.append(f"-d '{jsonlib.dumps(shown)}'")
    return {"language": "bash", "text": " \\\n  ".join(parts)}


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    method = str(step.params.get("method", "GET")).upper()
    url = target_url(step, ctx)
    headers = _headers(step, ctx, with_secret=True)
    body = request_body(step, ctx)
    timeout = float(step.params.get("timeout_s", 10))
    allow = {int(s) for s in step.params.get("allow_status", [])}
    data: dict[str, Any] = {"method": method, "url": redact(url)}
    if body is not None:
        data["request_json"] = body

    async def send() -> dict[str, Any]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            started = time.perf_counter()
            async with session.request(method, url, headers=headers, json=body) as response:
                raw = await response.read()
                elapsed = (time.perf_counter() - started) * 1000
                text = raw.decode(response.charset or "utf-8", errors="replace")
                parsed = None
                if raw and "json" in (response.content_type or ""):
                    try:
                        parsed = jsonlib.loads(text)
                    except ValueError:
                        parsed = None
                return {
                    "status": response.status,
                    "reason": response.reason or "",
                    "elapsed_ms": round(elapsed, 2),
                    "json": parsed,
                    "body_text": redact(text[:BODY_TEXT_LIMIT]),
                    "headers": {k: redact(response.headers[k]) for k in KEPT_HEADERS if k in response.headers},
                }

    task = asyncio.ensure_future(send())
    waiter = asyncio.ensure_future(ctx.cancelled.wait())
    try:
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task not in done:
        task.cancel()
        raise StepCancelled("cancelled by the operator; the request was abandoned")
    try:
        data.update(task.result())
    except asyncio.TimeoutError:
        raise StepFailure(f"{method} {redact(url)}: no answer within {timeout:g} s", data) from None
    except aiohttp.ClientConnectorError as exc:
        reason = "connection refused" if isinstance(exc.os_error, ConnectionRefusedError) else str(exc.os_error or exc)
        raise StepFailure(f"{method} {redact(url)}: could not connect ({reason})", data) from None
    except aiohttp.ClientError as exc:
        raise StepFailure(f"{method} {redact(url)}: {redact(str(exc)) or type(exc).__name__}", data) from None
    if data["status"] >= 500 and data["status"] not in allow:
        message = data["json"].get("error") if isinstance(data["json"], dict) and "error" in data["json"] else None
        shown = message or data["body_text"][:400].strip() or data["reason"]
        raise StepFailure(f"{method} {redact(url)} answered {data['status']} {data['reason']}: {shown}", data)
    return data
