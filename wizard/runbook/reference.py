"""The step-kind reference of docs/RUNBOOKS.md, written from the kinds' declarations.

`python -m wizard.runbook.reference` rewrites that section of docs/RUNBOOKS.md;
tests/test_runbook_loader.py fails when the committed file and the declarations differ.
"""

from __future__ import annotations

import pathlib
import sys
from typing import Any

import msgspec

from wizard.runbook.paramtypes import bounds, describe_type, fields, meta, toml_value
from wizard.steps import KINDS
from wizard.steps.base import StepKind

DOC_PATH = pathlib.Path(__file__).resolve().parents[2] / "docs" / "RUNBOOKS.md"
BEGIN = "<!-- BEGIN step kinds: written by `python -m wizard.runbook.reference` from wizard/steps; do not edit -->"
END = "<!-- END step kinds -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _param_rows(kind: StepKind[Any]) -> list[str]:
    rows = ["| parameter | type | required | default | what it is |", "|---|---|---|---|---|"]
    for field in fields(kind):
        info = meta(field.type)
        kind_of_value = describe_type(field.type, article=False)
        limits = bounds(field.type)
        if limits:
            kind_of_value += f" ({limits})"
        default = ""
        if not field.required:
            value = field.default_factory() if field.default is msgspec.NODEFAULT else field.default
            default = "" if value is None else f"`{toml_value(value)}`"
        description = info.get("description", "")
        if info.get("examples") and f"`{toml_value(info['examples'][0])}`" != default:
            description += f", e.g. `{toml_value(info['examples'][0])}`"
        rows.append(f"| `{field.name}` | {_cell(kind_of_value)} | {'yes' if field.required else ''} | "
                    f"{_cell(default)} | {_cell(description)} |")
    return rows


def kind_markdown(kind: StepKind[Any]) -> str:
    facts = [kind.description]
    if kind.needs_database:
        facts.append("Needs the environment's database connection.")
    if kind.writes:
        facts.append("Changes something outside the wizard.")
    lines = [f"### `{kind.name}`", "", " ".join(facts), ""]
    lines += _param_rows(kind)
    if kind.check is not None and kind.check.__doc__:
        lines += ["", "Rules: " + " ".join(kind.check.__doc__.split())]
    lines += ["", "Result fields (names an expectation can use):", "",
              "| field | type | what it is |", "|---|---|---|"]
    lines += [f"| `{r.name}` | {_cell(r.type)} | {_cell(r.description)} |" for r in kind.results]
    return "\n".join(lines)


def step_kinds_markdown() -> str:
    """Every kind's parameters and result fields, in the order STEP_KINDS lists them."""
    return "\n\n".join(kind_markdown(kind) for kind in KINDS.values()) + "\n"


def with_reference(document: str) -> str:
    """`document` with the text between the BEGIN and END markers replaced by the reference."""
    head, found, rest = document.partition(BEGIN)
    if not found or END not in rest:
        raise ValueError(f"{DOC_PATH} needs the lines {BEGIN!r} and {END!r}")
    return head + BEGIN + "\n\n" + step_kinds_markdown() + "\n" + END + rest.partition(END)[2]


def main() -> int:
    DOC_PATH.write_text(with_reference(DOC_PATH.read_text()))
    print(f"wrote the step-kind reference into {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
