"""Requests held to the service model botocore ships: required members, string lengths, list and
map sizes, integer ranges, patterns and enums, recursively, reported the way AWS's request
validation reports them (``1 validation error detected: Value 'x' at 'targets.1.member.id'
failed to satisfy constraint: Member must have length less than or equal to 64``).

Wrong JSON types are a ``SerializationException`` (as AWS's JSON protocol answers); everything
else a ``ValidationException`` (``ValidationError`` for the query protocol, as STS names it).
Unknown members are ignored, as AWS ignores them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import botocore.session  # type: ignore[import-untyped]

#: Java regular-expression classes botocore's patterns use that Python's ``re`` lacks, as the
#: character ranges inside a class. Letters and numbers are approximated by every character
#: outside ASCII's punctuation, controls and the Latin-1 symbols (close enough for names and tag
#: values; documented as emulated).
_JAVA_CLASSES = {
    r"\p{L}": "A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\uffff",
    r"\p{N}": "0-9\u00b2\u00b3\u00b9\u00bc-\u00be",
    r"\p{Z}": " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000",
}


@lru_cache(maxsize=None)
def _regex(pattern: str) -> re.Pattern[str]:
    """A model pattern compiled for a whole-value match (Java's ``Pattern.matches``), with
    ``\\w``, ``\\d`` and ``\\s`` ASCII-only as in Java."""
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, python)
    return re.compile(pattern, re.ASCII | re.DOTALL)


@lru_cache(maxsize=None)
def service_model(service: str) -> Any:
    """botocore's model of `service` (``events``, ``sts``)."""
    return botocore.session.get_session().get_service_model(service)


class RequestRefused(Exception):
    """A request AWS would refuse: its error code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class _Problem:
    path: str
    value: str | None  # None: the value is not shown (missing, or sensitive)
    constraint: str
    missing: bool = False

    def render(self) -> str:
        if self.missing:
            return f"Value null at '{self.path}' failed to satisfy constraint: {self.constraint}"
        shown = f" '{self.value}'" if self.value is not None else ""
        return f"Value{shown} at '{self.path}' failed to satisfy constraint: {self.constraint}"


def _member_path(parent: str, name: str) -> str:
    name = name[:1].lower() + name[1:]
    return f"{parent}.{name}" if parent else name


def _shown(value: Any, sensitive: bool) -> str | None:
    if sensitive:
        return None
    if isinstance(value, list):
        return "[" + ", ".join(str(_shown(v, False)) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_shown(v, False)}" for k, v in value.items()) + "}"
    return str(value)


def _java_length(text: str) -> int:
    """A string's length as Java counts it (UTF-16 code units), which AWS's limits use."""
    return len(text.encode("utf-16-le")) // 2


_TYPE_NAMES = {
    "structure": "object",
    "list": "array",
    "map": "object",
    "string": "string",
    "integer": "number",
    "long": "number",
    "double": "number",
    "float": "number",
    "boolean": "boolean",
    "timestamp": "timestamp",
    "blob": "string",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_ok(type_name: str, value: Any) -> bool:
    if type_name in ("structure", "map"):
        return isinstance(value, dict)
    if type_name == "list":
        return isinstance(value, list)
    if type_name in ("string", "blob"):
        return isinstance(value, str)
    if type_name in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name in ("double", "float"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "timestamp":
        return isinstance(value, (int, float, str)) and not isinstance(value, bool)
    return True


def _check(shape: Any, value: Any, path: str, out: list[_Problem]) -> None:
    type_name = shape.type_name
    if not _type_ok(type_name, value):
        raise RequestRefused(
            "SerializationException",
            f"Unexpected {_json_type(value)} at '{path or 'request'}': expected "
            f"{_TYPE_NAMES.get(type_name, type_name)}",
        )
    meta = shape.metadata
    sensitive = bool(meta.get("sensitive"))
    if type_name == "structure":
        required = set(shape.required_members)
        for name, member in shape.members.items():
            child = _member_path(path, name)
            if value.get(name) is None:
                if name in required:
                    out.append(_Problem(child, None, "Member must not be null", missing=True))
                continue
            _check(member, value[name], child, out)
        return
    if type_name == "list":
        _sized(meta, len(value), value, path, sensitive, out)
        for i, item in enumerate(value, start=1):
            if item is None:
                continue
            _check(shape.member, item, f"{path}.{i}.member", out)
        return
    if type_name == "map":
        _sized(meta, len(value), value, path, sensitive, out)
        for key, item in value.items():
            _check(shape.key, key, f"{path}.key", out)
            if item is not None:
                _check(shape.value, item, f"{path}.{key}", out)
        return
    if type_name == "string":
        _sized(meta, _java_length(value), value, path, sensitive, out)
        enum = meta.get("enum") or getattr(shape, "enum", None)
        if enum and value not in enum:
            out.append(
                _Problem(
                    path,
                    _shown(value, sensitive),
                    "Member must satisfy enum value set: [" + ", ".join(enum) + "]",
                )
            )
        pattern = meta.get("pattern")
        if pattern and not _regex(pattern).fullmatch(value):
            out.append(
                _Problem(
                    path,
                    _shown(value, sensitive),
                    f"Member must satisfy regular expression pattern: {pattern}",
                )
            )
        return
    if type_name in ("integer", "long"):
        _sized(meta, value, value, path, sensitive, out, measure="value")


def _sized(
    meta: Mapping[str, Any],
    size: int,
    value: Any,
    path: str,
    sensitive: bool,
    out: list[_Problem],
    measure: str = "length",
) -> None:
    """The model's ``min``/``max`` for a size (``length``) or an integer (``value``)."""
    low, high = meta.get("min"), meta.get("max")
    for bound, broken, relation in (
        (low, low is not None and size < low, "greater than or equal to"),
        (high, high is not None and size > high, "less than or equal to"),
    ):
        if broken:
            out.append(
                _Problem(
                    path,
                    _shown(value, sensitive),
                    f"Member must have {measure} {relation} {bound}",
                )
            )


def validate_input(service: str, operation: str, params: Any) -> None:
    """Raises [`RequestRefused`] when `params` breaks the input shape of `operation`."""
    model = service_model(service)
    if operation not in model.operation_names:
        raise RequestRefused(
            "UnknownOperationException" if model.metadata["protocol"] == "json" else "InvalidAction",
            f"The operation {operation} is not part of {service}'s API.",
        )
    shape = model.operation_model(operation).input_shape
    if shape is None:
        return
    if not isinstance(params, dict):
        raise RequestRefused(
            "SerializationException", "The request body is not a JSON object."
        )
    problems: list[_Problem] = []
    _check(shape, params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        code = "ValidationException" if model.metadata["protocol"] == "json" else "ValidationError"
        raise RequestRefused(
            code,
            f"{count} validation {noun} detected: " + "; ".join(p.render() for p in problems),
        )


def decode_query(service: str, operation: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The parameters of a query-protocol request (``Name.member.1``, ``Map.entry.1.key``) as the
    nested value botocore's input shape describes, for [`validate_input`]."""
    model = service_model(service)
    if operation not in model.operation_names:
        return {}
    shape = model.operation_model(operation).input_shape
    if shape is None:
        return {}
    decoded = _decode(shape, "", form)
    return decoded if isinstance(decoded, dict) else {}


def _decode(shape: Any, prefix: str, form: Mapping[str, str]) -> Any:
    type_name = shape.type_name
    if type_name == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = f"{prefix}.{name}" if prefix else name
            value = _decode(member, key, form)
            if value is not None:
                out[name] = value
        return out if (out or not prefix) else None
    if type_name == "list":
        items = []
        i = 1
        while True:
            key = f"{prefix}.member.{i}"
            item = _decode(shape.member, key, form)
            if item is None:
                break
            items.append(item)
            i += 1
        if not items and form.get(prefix) == "":
            return []
        return items or None
    if type_name == "map":
        entries: dict[str, Any] = {}
        i = 1
        while f"{prefix}.entry.{i}.key" in form:
            entries[form[f"{prefix}.entry.{i}.key"]] = _decode(
                shape.value, f"{prefix}.entry.{i}.value", form
            )
            i += 1
        return entries or None
    raw = form.get(prefix)
    if raw is None:
        return None
    if type_name in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            return raw
    if type_name == "boolean":
        return raw.lower() == "true" if raw.lower() in ("true", "false") else raw
    if type_name in ("double", "float"):
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw
