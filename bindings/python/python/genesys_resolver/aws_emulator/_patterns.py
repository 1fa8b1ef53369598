"""EventBridge event patterns: the checks ``PutRule`` and ``TestEventPattern`` make, and matching
with EventBridge's semantics (User Guide, "Event patterns", "Content filtering", "Arrays").

- A pattern is a JSON object whose leaves are non-empty arrays of matchers; an object descends
  into the event field of the same name.
- A leaf matches when any of its matchers matches the event's value; when the event's value is
  an array, when any element matches.
- Arrays of objects in the event are looked into: a nested pattern matches when one element of
  the array matches all of it (fields from one element, as EventBridge's engine, Event Ruler,
  requires). moto does not look into arrays of objects.
- Matchers: exact strings, numbers (by representation: "300, 300.0, and 3.0e2 are not considered
  equal", so an integer never equals a float), ``true``/``false``, ``null``; ``prefix``,
  ``suffix``, ``equals-ignore-case``, ``anything-but``, ``numeric``, ``exists``, ``cidr``,
  ``wildcard``; ``$or`` between sub-patterns.
- ``exists`` works on leaves only ("Exists matching only works on leaf nodes"): a field that is
  missing, an object or an empty array (or whose parents are missing) does not exist, so only
  ``{"exists": false}`` matches it.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from ._model import RequestRefused

_OPERATORS = (
    "prefix",
    "suffix",
    "equals-ignore-case",
    "anything-but",
    "numeric",
    "exists",
    "cidr",
    "wildcard",
)
_NUMERIC_OPS = ("<", "<=", "=", ">=", ">")
_NUMERIC_LIMIT = 5.0e9
_MISSING = object()


def _invalid(reason: str) -> RequestRefused:
    return RequestRefused(
        "InvalidEventPatternException", f"Event pattern is not valid. Reason: {reason}"
    )


def parse(text: str) -> dict[str, Any]:
    """The pattern `text` checked as ``PutRule`` checks it; raises
    ``InvalidEventPatternException`` naming the problem."""
    try:
        pattern = json.loads(text)
    except json.JSONDecodeError as e:
        raise _invalid(f"Filter is not valid JSON: {e.msg}") from None
    if not isinstance(pattern, dict):
        raise _invalid("Filter is not an object")
    if not pattern:
        raise _invalid("Empty event pattern is not allowed")
    _check_object(pattern)
    return pattern


def _check_object(node: dict[str, Any]) -> None:
    for key, value in node.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise _invalid('"$or" must be an array of at least two objects')
            for alternative in value:
                if not isinstance(alternative, dict) or not alternative:
                    raise _invalid('"$or" must be an array of at least two objects')
                _check_object(alternative)
        elif isinstance(value, dict):
            if not value:
                raise _invalid(f'"{key}" must not be an empty object')
            _check_object(value)
        elif isinstance(value, list):
            if not value:
                raise _invalid(f'Empty arrays are not allowed: "{key}"')
            for matcher in value:
                _check_matcher(key, matcher)
        else:
            raise _invalid(f'"{key}" must be an object or an array')


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _string_or_ignore_case(op: str, value: Any) -> None:
    if isinstance(value, str):
        return
    if isinstance(value, dict) and list(value) == ["equals-ignore-case"]:
        if isinstance(value["equals-ignore-case"], str):
            return
    raise _invalid(f'"{op}" match pattern must be a string')


def _check_matcher(key: str, matcher: Any) -> None:
    if matcher is None or isinstance(matcher, (str, bool)) or _is_number(matcher):
        return
    if not isinstance(matcher, dict):
        raise _invalid(f'Match value for "{key}" must be a string, number, boolean, null or object')
    if len(matcher) != 1:
        raise _invalid(f'A match expression for "{key}" must have exactly one operator')
    ((op, arg),) = matcher.items()
    if op not in _OPERATORS:
        raise _invalid(f"Unrecognized match type {op}")
    if op in ("prefix", "suffix"):
        _string_or_ignore_case(op, arg)
    elif op in ("equals-ignore-case", "wildcard"):
        if not isinstance(arg, str):
            raise _invalid(f'"{op}" match pattern must be a string')
        if op == "wildcard" and "**" in arg:
            raise _invalid('"wildcard" match pattern has consecutive wildcard characters')
    elif op == "exists":
        if not isinstance(arg, bool):
            raise _invalid('"exists" match pattern must be true or false')
    elif op == "cidr":
        try:
            ipaddress.ip_network(arg, strict=False)
        except (TypeError, ValueError):
            raise _invalid(f'"cidr" match pattern {json.dumps(arg)} is not an IP network') from None
    elif op == "numeric":
        if not isinstance(arg, list) or len(arg) not in (2, 4):
            raise _invalid('"numeric" match pattern must be an array of one or two comparisons')
        for i in range(0, len(arg), 2):
            if arg[i] not in _NUMERIC_OPS or not _is_number(arg[i + 1]):
                raise _invalid('"numeric" match pattern has a bad comparison')
            if not -_NUMERIC_LIMIT <= arg[i + 1] <= _NUMERIC_LIMIT:
                raise _invalid('"numeric" bounds lie between -5.0e9 and 5.0e9')
        if len(arg) == 4 and not (
            arg[0] in (">", ">=") and arg[2] in ("<", "<=") and arg[1] < arg[3]
        ):
            raise _invalid('"numeric" with two comparisons takes a lower bound then a greater upper bound')
    elif op == "anything-but":
        if isinstance(arg, (str,)) or _is_number(arg):
            return
        if isinstance(arg, list) and arg and (
            all(isinstance(v, str) for v in arg) or all(_is_number(v) for v in arg)
        ):
            return
        if isinstance(arg, dict) and len(arg) == 1:
            ((inner, inner_arg),) = arg.items()
            if inner in ("prefix", "suffix", "equals-ignore-case", "wildcard") and (
                isinstance(inner_arg, str)
                or (isinstance(inner_arg, list) and all(isinstance(v, str) for v in inner_arg))
            ):
                return
        raise _invalid('"anything-but" match pattern has an unsupported value')


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether `event` (a JSON value) matches `pattern` (already [`parse`]d)."""
    return _match_object(pattern, event)


def _match_object(pattern: dict[str, Any], node: Any) -> bool:
    if isinstance(node, list):
        # A nested pattern against an array of objects: one element must match all of it. An
        # array without objects has no fields below it.
        objects = [item for item in node if isinstance(item, dict)]
        if not objects:
            return _match_fields(pattern, _MISSING)
        return any(_match_fields(pattern, item) for item in objects)
    return _match_fields(pattern, node)


def _match_fields(pattern: dict[str, Any], node: Any) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not any(_match_object(alternative, node) for alternative in sub):
                return False
            continue
        value = node.get(key, _MISSING) if isinstance(node, dict) else _MISSING
        if isinstance(sub, dict):
            if not _match_object(sub, value):
                return False
        elif not _match_leaf(sub, value):
            return False
    return True


def _leaves(value: Any) -> list[Any]:
    """The leaves a field holds: itself when scalar, its scalar elements when an array, none
    when missing or an object."""
    if value is _MISSING or isinstance(value, dict):
        return []
    if isinstance(value, list):
        return [v for v in value if not isinstance(v, (dict, list))]
    return [value]


def _match_leaf(matchers: list[Any], value: Any) -> bool:
    values = _leaves(value)
    for matcher in matchers:
        if isinstance(matcher, dict):
            ((op, arg),) = matcher.items()
            if op == "exists":
                if arg == bool(values):
                    return True
                continue
            if any(_match_operator(op, arg, v) for v in values):
                return True
        elif any(_equal(matcher, v) for v in values):
            return True
    return False


def _equal(matcher: Any, value: Any) -> bool:
    if matcher is None or value is None:
        return matcher is None and value is None
    if isinstance(matcher, bool) or isinstance(value, bool):
        return isinstance(matcher, bool) and isinstance(value, bool) and matcher == value
    if _is_number(matcher) and _is_number(value):
        # By representation: an integer never equals a float (300 is not 300.0).
        return isinstance(matcher, int) == isinstance(value, int) and matcher == value
    return isinstance(matcher, str) and isinstance(value, str) and matcher == value


def _fold(op: str, arg: Any, value: str) -> bool:
    if isinstance(arg, dict):
        target = str(arg["equals-ignore-case"]).lower()
        value = value.lower()
    else:
        target = arg
    return value.startswith(target) if op == "prefix" else value.endswith(target)


def _wildcard(pattern: str, value: str) -> bool:
    regex = "".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", pattern))
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _match_operator(op: str, arg: Any, value: Any) -> bool:
    if op in ("prefix", "suffix"):
        return isinstance(value, str) and _fold(op, arg, value)
    if op == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == arg.lower()
    if op == "wildcard":
        return isinstance(value, str) and _wildcard(arg, value)
    if op == "numeric":
        if not _is_number(value):
            return False
        for i in range(0, len(arg), 2):
            bound = float(arg[i + 1])
            ok = {
                "<": value < bound,
                "<=": value <= bound,
                "=": value == bound,
                ">=": value >= bound,
                ">": value > bound,
            }[arg[i]]
            if not ok:
                return False
        return True
    if op == "cidr":
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(arg, strict=False)
        except (TypeError, ValueError):
            return False
    if op == "anything-but":
        if isinstance(arg, dict):
            ((inner, inner_arg),) = arg.items()
            options = inner_arg if isinstance(inner_arg, list) else [inner_arg]
            return isinstance(value, str) and not any(
                _match_operator(inner, option, value) for option in options
            )
        excluded = arg if isinstance(arg, list) else [arg]
        return not any(_equal(x, value) for x in excluded)
    return False
