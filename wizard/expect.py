"""Expectations: small, safe expressions judged against a step's result and earlier results.

An expectation reads like Python (`scalar == len(set(m012_apply.before.tables) - set(m012_plan.dropped_tables))`)
but only a whitelisted subset is evaluated: no calls beyond a few helpers, no attribute access
on real objects, so a runbook cannot run code.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping


class ExpectationError(Exception):
    """The expectation could not be evaluated (bad syntax, a missing earlier result, …)."""


class MissingResult(ExpectationError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


def _column(rows: list[Mapping[str, Any]], name: str) -> list[Any]:
    return [row[name] for row in rows]


def _as_map(rows: list[Mapping[str, Any]], key: str, value: str) -> dict[Any, Any]:
    return {row[key]: row[value] for row in rows}


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "set": set,
    "sorted": sorted,
    "min": min,
    "max": max,
    "sum": sum,
    "abs": abs,
    "str": str,
    "int": int,
    "float": float,
    "round": round,
    "column": _column,
    "as_map": _as_map,
}

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


@dataclass(frozen=True)
class Judgement:
    ok: bool
    evidence: str


def parse(check: str) -> ast.Expression:
    try:
        tree = ast.parse(check, mode="eval")
    except SyntaxError as exc:
        raise ExpectationError(f"not a valid expression: {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise ExpectationError(
                    f"only these functions may be called: {', '.join(sorted(FUNCTIONS))}"
                )
        elif isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr)):
            raise ExpectationError(f"{type(node).__name__} is not allowed in an expectation")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ExpectationError("names starting with _ are not allowed")
    return tree


def _short(value: Any, limit: int = 120) -> str:
    text = repr(sorted(value) if isinstance(value, (set, frozenset)) else value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Evaluator:
    def __init__(self, names: Mapping[str, Any]) -> None:
        self.names = names

    def eval(self, node: ast.AST) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise ExpectationError(f"{type(node).__name__} is not allowed in an expectation")
        return method(node)

    def _Expression(self, node: ast.Expression) -> Any:
        return self.eval(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        if node.id in self.names:
            return self.names[node.id]
        raise MissingResult(node.id)

    def _Attribute(self, node: ast.Attribute) -> Any:
        base = self.eval(node.value)
        if isinstance(base, Mapping):
            if node.attr in base:
                return base[node.attr]
            raise ExpectationError(f"the result has no field {node.attr!r} (it has: {', '.join(map(str, base))})")
        raise ExpectationError(f"cannot read .{node.attr} of a {type(base).__name__}")

    def _Subscript(self, node: ast.Subscript) -> Any:
        base = self.eval(node.value)
        key = self.eval(node.slice)
        try:
            return base[key]
        except (KeyError, IndexError, TypeError) as exc:
            raise ExpectationError(f"cannot read [{key!r}]: {exc}") from None

    def _Slice(self, node: ast.Slice) -> slice:
        parts = [self.eval(p) if p is not None else None for p in (node.lower, node.upper, node.step)]
        return slice(*parts)

    def _List(self, node: ast.List) -> list[Any]:
        return [self.eval(e) for e in node.elts]

    def _Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.eval(e) for e in node.elts)

    def _Set(self, node: ast.Set) -> set[Any]:
        return {self.eval(e) for e in node.elts}

    def _Dict(self, node: ast.Dict) -> dict[Any, Any]:
        return {self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values) if k is not None}

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return not value
        if isinstance(node.op, ast.USub):
            return -value
        raise ExpectationError("unsupported unary operator")

    def _BinOp(self, node: ast.BinOp) -> Any:
        op = _BINARY.get(type(node.op))
        if op is None:
            raise ExpectationError("unsupported operator")
        return op(self.eval(node.left), self.eval(node.right))

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.eval(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    def _Call(self, node: ast.Call) -> Any:
        func = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        args = [self.eval(a) for a in node.args]
        try:
            return func(*args)
        except (TypeError, ValueError, KeyError) as exc:
            raise ExpectationError(f"{node.func.id}(): {exc}") from None  # type: ignore[attr-defined]


def judge(check: str, names: Mapping[str, Any]) -> Judgement:
    """Evaluate one expectation. Evidence shows both sides of a comparison, so a failure says why."""
    tree = parse(check)
    evaluator = _Evaluator(names)
    body = tree.body
    try:
        if isinstance(body, ast.Compare) and len(body.ops) == 1:
            left = evaluator.eval(body.left)
            right = evaluator.eval(body.comparators[0])
            ok = bool(_COMPARE[type(body.ops[0])](left, right))
            symbol = ast.unparse(ast.Compare(left=ast.Name("a"), ops=body.ops, comparators=[ast.Name("b")]))[2:-2]
            return Judgement(ok, f"{_short(left)} {symbol} {_short(right)}")
        value = evaluator.eval(body)
    except TypeError as exc:
        raise ExpectationError(str(exc)) from None
    return Judgement(bool(value), f"{_short(value)}")


def names_used(check: str) -> set[str]:
    """Top-level names an expectation reads, so the engine can say which earlier result is missing."""
    tree = parse(check)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in FUNCTIONS}
