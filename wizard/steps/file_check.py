"""file_check: a file exists, its size and lines; for SQL, what it does (parsed, not guessed)."""


from typing import TYPE_CHECKING, Annotated, Any

from msgspec import Meta

from wizard.steps.base import ParamProblem, Params, ResultField, StepContext, StepKind, param

if TYPE_CHECKING:
    from wizard.runbook.model import Step


class FileCheckParams(Params):
    path: Annotated[str, param("the file", examples=["{migrations}/011_fix_migration_conflict.sql"])]
    # The bounds are for the runbook's own reading; expectations judge `lines`.
    min_lines: Annotated[Annotated[int, Meta(ge=0)] | None, param("the fewest lines the runbook expects")] = None
    max_lines: Annotated[Annotated[int, Meta(ge=0)] | None, param("the most lines the runbook expects")] = None


def _check(p: FileCheckParams) -> None:
    """min_lines is not above max_lines."""
    if p.min_lines is not None and p.max_lines is not None and p.min_lines > p.max_lines:
        raise ParamProblem("min_lines", "is greater than max_lines", "Swap them, or widen the range.")


KIND = StepKind(
    name="file_check",
    rank=50,
    description="Measures a file: whether it exists, its size and lines; for SQL, what it does (parsed, not guessed).",
    params=FileCheckParams,
    check=_check,
    runtime_imports=("hashlib", "wizard.analysis"),
    results=(
        ResultField("path", "string", "the file"),
        ResultField("exists", "boolean", "whether it is a file"),
        ResultField("bytes", "integer", "its size"),
        ResultField("lines", "integer", "its lines (0 when missing)"),
        ResultField("sha256", "string", "SHA-256 of its bytes"),
        ResultField("statements", "integer", "SQL: statements"),
        ResultField("dropped_tables", "list of strings", "SQL: tables dropped"),
        ResultField("created_tables", "list of strings", "SQL: tables created"),
        ResultField("altered_tables", "list of strings", "SQL: tables altered"),
        ResultField("cascade_drops", "list of strings", "SQL: tables dropped with CASCADE"),
        ResultField("rebuilt_tables", "list of strings", "SQL: tables dropped and created again"),
        ResultField("has_transaction_control", "boolean", "SQL: whether it has BEGIN/COMMIT/ROLLBACK"),
        ResultField("comment_lines", "integer", "SQL: comment lines"),
        ResultField("do_blocks", "integer", "SQL: DO blocks"),
    ),
)


def preview(step: "Step", ctx: StepContext) -> dict[str, str]:
    return {"language": "bash", "text": f"ls -lh {ctx.expand(KIND.read(step).path)}"}


async def run(step: "Step", ctx: StepContext) -> dict[str, Any]:
    import hashlib

    from wizard.analysis import analyse_text

    path = ctx.path(KIND.read(step).path)
    if not path.is_file():
        return {"path": str(path), "exists": False, "lines": 0}
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    data: dict[str, Any] = {
        "path": str(path),
        "exists": True,
        "bytes": len(raw),
        "lines": len(text.splitlines()),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    if path.suffix == ".sql":
        plan = analyse_text(text, str(path)).to_data()
        plan.pop("path")
        data.update(plan)
    return data
