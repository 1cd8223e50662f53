"""Reading a kind's parameter declaration (a msgspec Struct): types in words, examples as TOML.

The loader words its errors with these and wizard.runbook.reference writes the docs with them,
so a message and the docs say the same thing about a parameter.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from msgspec import inspect as msgspec_inspect

from wizard.steps.base import StepKind


def fields(declaration: StepKind[Any]) -> tuple[msgspec_inspect.Field, ...]:
    return _fields_of(declaration.params)


@functools.cache  # msgspec.inspect builds the whole description each time: once per kind is enough
def _fields_of(params: type) -> tuple[msgspec_inspect.Field, ...]:
    return msgspec_inspect.type_info(params).fields


def meta(type_info: Any) -> dict[str, Any]:
    """A parameter's description, examples and extras (msgspec.Meta), empty when it has none."""
    if isinstance(type_info, msgspec_inspect.Metadata):
        return {**(type_info.extra_json_schema or {}), "extra": type_info.extra}
    return {}


def inner_type(type_info: Any) -> Any:
    return type_info.type if isinstance(type_info, msgspec_inspect.Metadata) else type_info


def element(type_info: Any) -> Any:
    inner = inner_type(type_info)
    if isinstance(inner, msgspec_inspect.UnionType):  # e.g. list[str] | None
        inner = next(inner_type(t) for t in inner.types if not isinstance(t, msgspec_inspect.NoneType))
    return inner.item_type if hasattr(inner, "item_type") else inner.value_type


def describe_type(type_info: Any, article: bool = True) -> str:
    """A parameter type in words: "an integer", "a list of strings", "one of "apply", "dry_run""."""
    inner = inner_type(type_info)
    t = msgspec_inspect
    if isinstance(inner, t.UnionType):
        kinds = [describe_type(x, article) for x in inner.types if not isinstance(x, t.NoneType)]
        return " or ".join(kinds)
    if isinstance(inner, t.LiteralType):
        return ("one of " if len(inner.values) > 1 else "") + ", ".join(json.dumps(v) for v in inner.values)
    if isinstance(inner, (t.ListType, t.VarTupleType)):
        return ("a " if article else "") + "list of " + plural(describe_type(inner.item_type, False))
    if isinstance(inner, t.DictType):
        if isinstance(inner_type(inner.value_type), t.AnyType):
            return "a table" if article else "table"
        return ("a " if article else "") + "table of " + plural(describe_type(inner.value_type, False))
    words = {t.StrType: ("a", "string"), t.IntType: ("an", "integer"), t.FloatType: ("a", "number"),
             t.BoolType: ("", "true or false"), t.AnyType: ("", "any value")}
    for cls, (a, word) in words.items():
        if isinstance(inner, cls):
            return f"{a} {word}".strip() if article and a else word
    return type(inner).__name__


def plural(word: str) -> str:
    return word if word.endswith("s") or " " in word else word + "s"


def bounds(type_info: Any) -> str:
    """A parameter's constraints for the docs: "positive", "0 or more", "not empty", "a PostgreSQL duration"."""
    extra = meta(type_info).get("extra") or {}
    if "what" in extra:
        return extra["what"]
    inner = inner_type(type_info)
    members = inner.types if isinstance(inner, msgspec_inspect.UnionType) else (inner,)
    words = []
    for member in map(inner_type, members):
        if getattr(member, "gt", None) == 0:
            words.append("positive")
        elif getattr(member, "ge", None) == 0:
            words.append("0 or more")
        if getattr(member, "lt", None) is not None:
            words.append(f"below {member.lt}")
        if getattr(member, "min_length", None):
            words.append("not empty")
    return ", ".join(words)


def constraint(type_info: Any) -> str:
    """The bound a number or collection must keep, in words: "a positive integer"."""
    inner = inner_type(type_info)
    if isinstance(inner, msgspec_inspect.UnionType):  # int | Literal["auto"]: the bound is the number's
        inner = next(inner_type(x) for x in inner.types if hasattr(x, "gt") or hasattr(x, "min_length"))
    noun = "integer" if isinstance(inner, msgspec_inspect.IntType) else "number"
    if getattr(inner, "gt", None) == 0:
        return f"a positive {noun}"
    if getattr(inner, "ge", None) == 0:
        return "zero or more (not negative)"
    if getattr(inner, "min_length", None):
        return "not empty"
    bounds = [f"{word} {getattr(inner, name)}" for name, word in
              (("gt", "more than"), ("ge", "at least"), ("lt", "less than"), ("le", "at most"))
              if getattr(inner, name, None) is not None]
    return f"a {noun} " + " and ".join(bounds)


def toml_value(value: Any) -> str:
    """A value written as TOML (for examples in fixes and in the docs)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return str(value)


def example(type_info: Any) -> str:
    examples = meta(type_info).get("examples")
    if examples:
        return toml_value(examples[0])
    inner = inner_type(type_info)
    t = msgspec_inspect
    if isinstance(inner, t.UnionType):
        inner = next(inner_type(x) for x in inner.types if not isinstance(x, t.NoneType))
    if isinstance(inner, t.LiteralType):
        return toml_value(inner.values[0])
    samples = {t.StrType: '"text"', t.IntType: "10", t.FloatType: "24", t.BoolType: "true",
               t.ListType: '["a", "b"]', t.VarTupleType: '["a", "b"]', t.DictType: '{ NAME = "value" }'}
    return next((text for cls, text in samples.items() if isinstance(inner, cls)), '"..."')
