"""http: one HTTP request, judged on its status code and JSON body (e.g. `json.status == "healthy"`).

Its parameters and result fields are declared in KIND below (docs/RUNBOOKS.md lists them). A
secret is never shown or journaled: the bearer token is the environment's API token from the
keyring (ctx.secret("api_token")); a sandbox without one gets the rehearsal token minted for it.
"""


import ast
import asyncio
import json as jsonlib
import time
from typing import TYPE_CHECKING, Annotated, Any, Literal

from wizard import expect
from wizard.errors import WizardError
from wizard.redact import redact, register_secret
from wizard.steps.base import (ParamProblem, Params, ResultField, StepCancelled, StepContext, StepFailure,
                               StepKind, param)

if TYPE_CHECKING:
    from wizard.runbook.model import Step

BODY_TEXT_LIMIT = 2048
KEPT_HEADERS = ("content-type", "content-length", "location", "www-authenticate", "allow")


class RequestParams(Params):
    """What to send where: shared by the http and load steps."""

    url: Annotated[str | None, param("an absolute URL (placeholders expanded)",
                                     examples=["http://127.0.0.1:8000/health"])] = None
    service: Annotated[str | None, param("instead of url: a service started earlier in the day",
                                         examples=["backend"])] = None
    path: Annotated[str, param("with service: the path on it", examples=["/api/v1/campaigns"])] = "/"
    path_from: Annotated[str | None, param(
        "with service: the path as an expression over earlier results",
        examples=["'/api/v1/assets/' + friday_asset.json.id"])] = None
    method: Annotated[str, param("the HTTP method", examples=["POST"])] = "GET"
    headers: Annotated[dict[str, str], param("extra request headers (placeholders expanded)",
                                             examples=[{"Accept": "application/json"}])] = {}
    auth: Annotated[Literal["bearer"] | None, param(
        "bearer: send the environment's API token as `Authorization: Bearer`")] = None
    json: Annotated[dict[str, Any] | None, param(
        "a JSON body (a table); string values may use placeholders", examples=[{"name": "Test Move"}])] = None


class HttpParams(RequestParams):
    json_from: Annotated[dict[str, str], param(
        "body fields taken from earlier results, as expressions in the expectation language",
        examples=[{"campaign_id": "friday_campaign.json.id"}])] = {}
    timeout_s: Annotated[float, param("seconds to wait for the answer", gt=0)] = 10
    allow_status: Annotated[list[int], param(
        "status codes >= 500 that are an answer to judge, not a failure", examples=[[503]])] = []


def check_target(p: RequestParams) -> None:
    """url, or service with path or path_from."""
    if p.url is None and p.service is None:
        raise ParamProblem("url", "needs url, or service and path",
                           'Add url = "http://…", or service = "backend" and path = "/health".')


KIND = StepKind(
    name="http",
    rank=80,
    description="Sends one HTTP request and measures the answer: status, time taken, JSON body.",
    params=HttpParams,
    check=check_target,
    runtime_imports=("aiohttp", "wizard.appcheck.tokens"),
    results=(
        ResultField("method", "string", "the method sent"),
        ResultField("url", "string", "the URL (redacted)"),
        ResultField("request_json", "any", "the body sent, when there was one"),
        ResultField("status", "integer", "the HTTP status code"),
        ResultField("reason", "string", "the status's reason phrase"),
        ResultField("elapsed_ms", "number", "milliseconds from sending to the whole answer"),
        ResultField("json", "any", "the parsed body when it is JSON, else null"),
        ResultField("body_text", "string", f"the first {BODY_TEXT_LIMIT // 1024} KB of the body (redacted)"),
        ResultField("headers", "table", "answer headers kept: " + ", ".join(KEPT_HEADERS)),
    ),
)


def _request(step: "Step") -> RequestParams:
    # The load step reuses these helpers with its own (RequestParams) declaration.
    from wizard.steps import read_params

    params = read_params(step)
    assert isinstance(params, RequestParams), step.kind
    return params


def api_token(ctx: StepContext) -> str:
    from wizard.appcheck import tokens

    token = ctx.secret("api_token")
    if not token:
        try:
            token = tokens.rehearsal_token(ctx.env)
        except WizardError as exc:
            raise StepFailure(str(exc)) from None
    register_secret(token)
    return token


def target_url(step: "Step", ctx: StepContext) -> str:
    p = _request(step)
    if p.url is not None:
        return ctx.expand(p.url)
    if p.service is None:
        raise StepFailure(f"an {step.kind} step needs url, or service and path")
    from wizard.steps.service import find_service

    if p.path_from is not None:
        path = str(_value(p.path_from, ctx, "the path"))
    else:
        path = ctx.expand(p.path)
    return find_service(ctx, p.service).base_url + (path if path.startswith("/") else "/" + path)


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


def request_body(step: "Step", ctx: StepContext) -> Any:
    p = KIND.read(step)
    body = _expand_json(p.json, ctx)
    derived = p.json_from
    if derived:
        body = dict(body or {})
        for field, expression in derived.items():
            body[field] = _value(expression, ctx, f"the body field {field!r}")
    return body


def _headers(step: "Step", ctx: StepContext, with_secret: bool) -> dict[str, str]:
    p = _request(step)
    headers = {k: ctx.expand(v) for k, v in p.headers.items()}
    if p.auth == "bearer":
        headers["Authorization"] = f"Bearer {api_token(ctx) if with_secret else '<token>'}"
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


def preview_url(step: "Step", ctx: StepContext) -> str:
    p = _request(step)
    if p.url is not None:
        return ctx.expand(p.url)
    name = p.service or "service"
    from wizard.steps.service import ServiceHandle, resource_key

    handle = ctx.resources.get(resource_key(name))
    base = handle.base_url if isinstance(handle, ServiceHandle) and not handle.stopped else f"<{name}>"
    if p.path_from is not None:
        path = _shown(p.path_from, ctx)
    else:
        path = ctx.expand(p.path)
    return f"{base}{path}"


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    p = KIND.read(step)
    method = p.method.upper()
    parts = [f"curl -X {method} '{preview_url(step, ctx)}'"]
    for key, value in _headers(step, ctx, with_secret=False).items():
        parts.append(f"-H '{key}: {value}'")
    if p.json is not None or p.json_from:
        shown = _expand_json(dict(p.json or {}), ctx)
        shown.update({k: _shown(v, ctx) for k, v in p.json_from.items()})
        parts.append("-H 'Content-Type: application/json'")
        parts.append(f"-d '{jsonlib.dumps(shown)}'")
    return {"language": "bash", "text": " \\\n  ".join(parts)}


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    import aiohttp

    p = KIND.read(step)
    method = p.method.upper()
    url = target_url(step, ctx)
    headers = _headers(step, ctx, with_secret=True)
    body = request_body(step, ctx)
    timeout = p.timeout_s
    allow = set(p.allow_status)
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
