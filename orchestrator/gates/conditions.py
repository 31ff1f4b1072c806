"""Success and failure conditions of gates (G1): a small, safe expression language.

Conditions read like Argo Rollouts' (``result < 0.01``, ``result.status == "ok"``,
``status == 200 and result.healthy``): comparisons, ``and``/``or``/``not``, arithmetic,
numbers, strings, ``True``/``False``/``None``, ``len()``, and the measured names (``result``;
for HTTP checks also ``status``). ``result.key`` and ``result["key"]`` read a JSON object,
``result[0]`` a list. Nothing else is allowed: no calls but ``len``, no imports, no dunders.

>>> evaluate("result < 0.01", {"result": 0.002})
True
>>> evaluate('result.status == "ok" and status == 200', {"result": {"status": "ok"}, "status": 200})
True
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any


class ConditionError(ValueError):
    """A condition that cannot be parsed, or cannot be evaluated on this measurement."""


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}


def parse(condition: str) -> ast.expr:
    """The condition's syntax tree, refused (ConditionError) when it uses anything else."""
    try:
        tree = ast.parse(condition.strip(), mode="eval")
    except SyntaxError as error:
        raise ConditionError(f"cannot read {condition!r}: {error.msg}") from None
    for node in ast.walk(tree):
        allowed = (
            ast.Expression,
            ast.BoolOp,
            ast.And,
            ast.Or,
            ast.UnaryOp,
            ast.Not,
            ast.USub,
            ast.Compare,
            ast.BinOp,
            ast.Name,
            ast.Load,
            ast.Constant,
            ast.Attribute,
            ast.Subscript,
            ast.Call,
            ast.List,
            ast.Tuple,
            *_COMPARE,
            *_BINARY,
        )
        if not isinstance(node, allowed):
            raise ConditionError(f"{type(node).__name__} is not allowed in a condition")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ConditionError(f"{node.attr!r} is not allowed in a condition")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id == "len" and len(node.args) == 1
        ):
            raise ConditionError("the only call allowed in a condition is len(x)")
    return tree.body


def evaluate(condition: str, names: Mapping[str, Any]) -> bool:
    """True or False; ConditionError when it cannot be decided (a missing key, a type clash)."""
    try:
        return bool(_eval(parse(condition), names))
    except ConditionError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError) as error:
        raise ConditionError(f"{condition!r} cannot be evaluated: {error!r}") from None


def _eval(node: ast.expr, names: Mapping[str, Any]) -> Any:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id="True" | "False" | "None" as word):
            return {"True": True, "False": False, "None": None}[word]
        case ast.Name(id=name):
            if name not in names:
                raise ConditionError(f"unknown name {name!r} (known: {', '.join(names)})")
            return names[name]
        case ast.BoolOp(op=ast.And(), values=values):
            return all(_eval(value, names) for value in values)
        case ast.BoolOp(op=ast.Or(), values=values):
            return any(_eval(value, names) for value in values)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _eval(operand, names)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_eval(operand, names)
        case ast.BinOp(left=left, op=op, right=right):
            return _BINARY[type(op)](_eval(left, names), _eval(right, names))
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            current = _eval(left, names)
            for comparison, comparator in zip(ops, comparators, strict=True):
                other = _eval(comparator, names)
                if not _COMPARE[type(comparison)](current, other):
                    return False
                current = other
            return True
        case ast.Attribute(value=value, attr=attr):
            return _eval(value, names)[attr]
        case ast.Subscript(value=value, slice=index):
            return _eval(value, names)[_eval(index, names)]
        case ast.Call(args=[argument]):
            return len(_eval(argument, names))
        case ast.List(elts=items) | ast.Tuple(elts=items):
            return [_eval(item, names) for item in items]
    raise ConditionError(f"{ast.unparse(node)!r} is not allowed in a condition")
