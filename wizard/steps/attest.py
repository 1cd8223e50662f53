"""attest: the operator states a fact the wizard cannot see; the answer is validated, then kept."""


import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from msgspec import Meta

from wizard.steps.base import ParamProblem, Params, ResultField, StepContext, StepFailure, StepKind, param

if TYPE_CHECKING:
    from wizard.runbook.model import Step


class AttestParams(Params):
    question: Annotated[str, param("what the operator is asked",
                                   examples=["Did GET /health return status healthy?"])]
    answer_type: Annotated[Literal["timestamp", "text", "confirm", "choice", "integer"], param(
        "how the answer is read and checked", examples=["confirm"])]
    max_age_hours: Annotated[Annotated[float, Meta(gt=0)] | None, param(
        "timestamp: refuse a time older than this (a backup from the last 24 h)", examples=[24])] = None
    choices: Annotated[list[str] | None, param("choice: the answers offered", examples=[["yes", "no"]])] = None
    must_equal: Annotated[str | None, param(
        "confirm: the exact text to type instead of yes/no; {env.name} is the environment's name",
        examples=["{env.name}"])] = None
    attests: Annotated[Literal["backup"] | None, param(
        "what the answer stands for: \"backup\" makes a timestamp the latest backup the production gate counts",
        examples=["backup"])] = None
    if_no: Annotated[str | None, param(
        "confirm: what to do when the answer is no (the step stops there, before anything later runs)",
        examples=["Write the report first, then run the task again."])] = None


def _check(p: AttestParams) -> None:
    """max_age_hours only with timestamp; choices (not empty) with choice and only there; must_equal only
    with confirm."""
    if p.max_age_hours is not None and p.answer_type != "timestamp":
        raise ParamProblem("max_age_hours", "only applies to answer_type = \"timestamp\"",
                           "Remove it or change answer_type.")
    if p.answer_type == "choice":
        if not p.choices:
            raise ParamProblem("choices", "a choice question needs a non-empty 'choices'",
                               'Add choices = ["yes", "no"], for example.')
    elif p.choices is not None:
        raise ParamProblem("choices", "only applies to answer_type = \"choice\"", "Remove it or change answer_type.")
    if p.attests == "backup" and p.answer_type != "timestamp":
        raise ParamProblem("attests", "a backup is attested by its time: it needs answer_type = \"timestamp\"",
                           "Set answer_type = \"timestamp\", or remove attests.")
    if p.if_no is not None and (p.answer_type != "confirm" or p.must_equal is not None):
        raise ParamProblem("if_no", "only applies to a yes/no confirm (no must_equal)", "Remove it or change answer_type.")
    if p.must_equal is not None and p.answer_type != "confirm":
        raise ParamProblem("must_equal", "only applies to answer_type = \"confirm\"",
                           "Remove it or change answer_type.")


KIND = StepKind(
    name="attest",
    rank=60,
    description="Asks the operator for a fact the wizard cannot see (a backup time, a sign-off) and checks the answer.",
    params=AttestParams,
    check=_check,
    results=(
        ResultField("answer", "string or integer", "the answer as recorded (a timestamp in UTC, ISO 8601)"),
        ResultField("answer_source", "string", "who answered: the answers file, the operator, the rehearsal"),
        ResultField("confirmed", "boolean", "confirm without must_equal: whether the answer was yes"),
        ResultField("not_applicable", "boolean", "an optional question answered \"not applicable\" (the step is skipped)"),
        ResultField("answered_no", "boolean", "a yes/no with if_no answered no: the day stops here, optional or not"),
    ),
)


# The answer an optional question may get instead of one of its own (journaled as such; the step
# is skipped, not failed).
NOT_APPLICABLE = "not applicable"


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


def validate(step: "Step", raw: Any, *, now: dt.datetime | None = None, env_name: str = "") -> Any:
    """Check one answer; returns the value to record or raises AnswerInvalid. Shared by TUI and CLI."""
    p = KIND.read(step)
    kind = p.answer_type
    now = now or dt.datetime.now(dt.timezone.utc)
    text = "" if raw is None else str(raw).strip()
    if text.lower() in (NOT_APPLICABLE, "n/a"):
        if not step.optional:
            raise AnswerInvalid("This question is not optional: it needs an answer of its own.")
        return NOT_APPLICABLE
    if kind == "timestamp":
        if not text:
            raise AnswerInvalid("An answer is needed: the date and time, e.g. 2026-11-24 21:30.")
        value = parse_timestamp(text)
        if value > now + dt.timedelta(minutes=5):
            raise AnswerInvalid(f"{value:%Y-%m-%d %H:%M} UTC is in the future. Check the time zone.")
        max_age = p.max_age_hours
        if max_age is not None and now - value > dt.timedelta(hours=float(max_age)):
            age_h = (now - value).total_seconds() / 3600
            raise AnswerInvalid(
                f"That backup is {age_h:.1f} h old; the runbook needs one from the last {max_age:g} h. "
                "Take a fresh backup first, then note its time."
            )
        return value.isoformat(timespec="seconds")
    if kind == "confirm":
        expected = p.must_equal
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
        choices = p.choices or []
        picked = pick_choice(text, choices)
        if picked is None:
            raise AnswerInvalid("Choose one of: " + " | ".join(choices) + ". Its number, the word before its "
                                "colon or the start of it is enough.")
        return picked
    if not text:
        raise AnswerInvalid("An answer is needed.")
    return text


def pick_choice(text: str, choices: list[str]) -> str | None:
    """The choice an operator meant: the whole text, its number (1-based), the word before its colon
    ("now" for "now: business hours ...") or a prefix that fits one choice only. Always the whole
    choice is recorded, so the journal says what was chosen, not what was typed."""
    if text in choices:
        return text
    folded = text.casefold()
    if not folded:
        return None
    if folded.isdigit() and 1 <= int(folded) <= len(choices):
        return choices[int(folded) - 1]
    keyed = [c for c in choices if c.split(":", 1)[0].strip().casefold() == folded]
    if len(keyed) == 1:
        return keyed[0]
    started = [c for c in choices if c.casefold().startswith(folded)]
    return started[0] if len(started) == 1 else None


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    return {"language": "text", "text": KIND.read(step).question}


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    raw, source = await ctx.ask(step)
    try:
        value = validate(step, raw, env_name=ctx.env.name)
    except AnswerInvalid as exc:
        raise StepFailure(f"answer refused: {exc}", {"answer_source": source}) from None
    data: dict[str, Any] = {"answer": value, "answer_source": source}
    if value == NOT_APPLICABLE:
        data["not_applicable"] = True
        return data
    p = KIND.read(step)
    if p.answer_type == "confirm" and not p.must_equal:
        data["confirmed"] = value == "yes"
        if value == "no" and p.if_no:
            # A "no" to a safety question stops here, saying what to do, before any later step runs.
            # An optional question stops the day too when answered no (only "not applicable" skips it).
            raise StepFailure(f"answered no: {p.if_no}", {**data, "answered_no": True})
    return data
