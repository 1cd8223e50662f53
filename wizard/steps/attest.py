"""attest: the operator states a fact the wizard cannot see; the answer is validated, then kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wizard.runbook.model import Step
from wizard.steps.base import StepContext, StepFailure


class AnswerInvalid(ValueError):
    """The answer does not satisfy the question; the message says what would."""


def parse_timestamp(raw: str) -> dt.datetime:
    text = raw.strip().replace(" UTC", "+00:00").replace("Z", "+00:00")
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise AnswerInvalid(f"{raw!r} is not a date and time. Use e.g. 2026-11-24 21:30 or 2026-11-24T21:30:00Z.") from None
    if value.tzinfo is None:
        value = value.astimezone()  # a time without zone is the operator's local time
    return value.astimezone(dt.timezone.utc)


def validate(step: Step, raw: Any, *, now: dt.datetime | None = None, env_name: str = "") -> Any:
    """Check one answer; returns the value to record or raises AnswerInvalid. Shared by TUI and CLI."""
    params = step.params
    kind = params["answer_type"]
    now = now or dt.datetime.now(dt.timezone.utc)
    text = "" if raw is None else str(raw).strip()
    if kind == "timestamp":
        if not text:
            raise AnswerInvalid("An answer is needed: the date and time, e.g. 2026-11-24 21:30.")
        value = parse_timestamp(text)
        if value > now + dt.timedelta(minutes=5):
            raise AnswerInvalid(f"{value:%Y-%m-%d %H:%M} UTC is in the future. Check the time zone.")
        max_age = params.get("max_age_hours")
        if max_age is not None and now - value > dt.timedelta(hours=float(max_age)):
            age_h = (now - value).total_seconds() / 3600
            raise AnswerInvalid(
                f"That backup is {age_h:.1f} h old; the runbook needs one from the last {max_age:g} h. "
                "Take a fresh backup first, then note its time."
            )
        return value.isoformat(timespec="seconds")
    if kind == "confirm":
        expected = params.get("must_equal")
        if expected:
            expected = expected.replace("{env.name}", env_name)
            if text != expected:
                raise AnswerInvalid(f"Type {expected!r} exactly to confirm.")
            return text
        if text.lower() in ("y", "yes", "true", "confirmed"):
            return "yes"
        if text.lower() in ("n", "no", "false"):
            return "no"
        raise AnswerInvalid("Answer yes or no.")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise AnswerInvalid(f"{text!r} is not a whole number.") from None
    if kind == "choice":
        choices = params.get("choices", [])
        if text not in choices:
            raise AnswerInvalid(f"Choose one of: {', '.join(choices)}.")
        return text
    if not text:
        raise AnswerInvalid("An answer is needed.")
    return text


def preview(step: Step, ctx: StepContext) -> dict[str, str]:
    return {"language": "text", "text": step.params["question"]}


async def run(step: Step, ctx: StepContext) -> dict[str, Any]:
    raw, source = await ctx.ask(step)
    try:
        value = validate(step, raw, env_name=ctx.env.name)
    except AnswerInvalid as exc:
        raise StepFailure(f"answer refused: {exc}", {"answer_source": source}) from None
    data: dict[str, Any] = {"answer": value, "answer_source": source}
    if step.params["answer_type"] == "confirm" and not step.params.get("must_equal"):
        data["confirmed"] = value == "yes"
    return data
