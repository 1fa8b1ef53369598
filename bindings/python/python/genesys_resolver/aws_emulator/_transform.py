"""What EventBridge hands a target: the whole event, a constant ``Input``, the value at an
``InputPath``, or an ``InputTransformer``'s template rendered with the event's values (User
Guide, "Amazon EventBridge input transformation").

Rendering, as the User Guide's examples show it:

- a placeholder outside a JSON string is replaced by the value as JSON: a string is quoted
  (``{"instance": <instance>}`` gives ``{"instance": "i-0123456789"}``), numbers, booleans,
  objects and arrays are written as JSON;
- a placeholder inside a JSON string is replaced by the value's text, unescaped ("EventBridge
  doesn't escape values extracted by Input Path");
- a template that is not JSON (it does not start with ``{``, ``[`` or ``"``) is plain text: every
  value goes in as its text;
- reserved variables: ``aws.events.rule-arn``, ``aws.events.rule-name``,
  ``aws.events.event.ingestion-time`` (ISO 8601), ``aws.events.event`` (the event without
  ``detail``) and ``aws.events.event.json`` (the whole event);
- a variable whose path matches nothing in the event "isn't created": here it renders as ``null``
  outside a string and as nothing inside one (emulated; AWS documents no output for it).

JSON paths: dot notation with names of any characters but ``.`` and ``[`` (so dashes and
slashes work), array indices ``[0]`` and wildcards ``*`` / ``[*]`` (a wildcard gives the array of
matches), as the User Guide lists.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timezone
from typing import Any

_MISSING = object()
_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+|\*)\]")


def json_path(path: str, document: Any) -> Any:
    """The value at `path` (``$.detail.x``) in `document`, or ``MISSING``."""
    if not path.startswith("$"):
        return _MISSING
    nodes: list[Any] = [document]
    wildcard = False
    pos = 1
    while pos < len(path):
        step = _SEGMENT.match(path, pos)
        if step is None:
            return _MISSING
        pos = step.end()
        name, index = step.group(1), step.group(2)
        following: list[Any] = []
        for node in nodes:
            if name == "*" or index == "*":
                wildcard = True
                if isinstance(node, dict):
                    following.extend(node.values())
                elif isinstance(node, list):
                    following.extend(node)
            elif name is not None:
                if isinstance(node, dict) and name in node:
                    following.append(node[name])
            elif isinstance(node, list):
                i = int(index)
                if i < len(node):
                    following.append(node[i])
        nodes = following
    if wildcard:
        return nodes
    return nodes[0] if nodes else _MISSING


def is_missing(value: Any) -> bool:
    """Whether [`json_path`] found nothing."""
    return value is _MISSING


def iso_time(value: Any) -> str:
    """An event time (epoch seconds, or already a string) as EventBridge writes it."""
    if isinstance(value, str):
        return value
    moment = datetime.fromtimestamp(float(value), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def public_event(internal: dict[str, Any]) -> dict[str, Any]:
    """The event as EventBridge delivers and matches it (moto's internal form has an epoch
    ``time``, an ``ingestion-time`` and may lack ``account``), fields in EventBridge's order."""
    event: dict[str, Any] = {
        "version": internal.get("version", "0"),
        "id": internal.get("id", ""),
        "detail-type": internal.get("detail-type", ""),
        "source": internal.get("source", ""),
        "account": internal.get("account", ""),
        "time": iso_time(internal.get("time", 0)),
        "region": internal.get("region", ""),
        "resources": list(internal.get("resources") or []),
        "detail": copy.deepcopy(internal.get("detail", {})),
    }
    if "replay-name" in internal:
        event["replay-name"] = internal["replay-name"]
    return event


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render(
    template: str,
    paths: dict[str, str],
    event: dict[str, Any],
    rule_arn: str,
    rule_name: str,
    ingestion_time: float,
) -> str:
    """`template` rendered for `event` (the public form) as EventBridge renders it."""
    values: dict[str, Any] = {name: json_path(path, event) for name, path in paths.items()}
    without_detail = {k: v for k, v in event.items() if k != "detail"}
    values.update(
        {
            "aws.events.rule-arn": rule_arn,
            "aws.events.rule-name": rule_name,
            "aws.events.event.ingestion-time": iso_time(ingestion_time),
            "aws.events.event": without_detail,
            "aws.events.event.json": event,
        }
    )
    json_mode = template.lstrip()[:1] in ("{", "[", '"')
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(template):
        c = template[i]
        if c == "<":
            end = template.find(">", i + 1)
            name = template[i + 1 : end] if end > 0 else ""
            if end > 0 and name in values:
                value = values[name]
                if not json_mode:
                    out.append("" if value is _MISSING else _text(value))
                elif in_string:
                    out.append("" if value is _MISSING or value is None else _text(value))
                else:
                    out.append(
                        "null"
                        if value is _MISSING
                        else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
                    )
                i = end + 1
                continue
        if json_mode and c == '"':
            backslashes = 0
            j = i - 1
            while j >= 0 and template[j] == "\\":
                backslashes += 1
                j -= 1
            if backslashes % 2 == 0:
                in_string = not in_string
        out.append(c)
        i += 1
    return "".join(out)


def target_input(
    target: dict[str, Any],
    event: dict[str, Any],
    rule_arn: str,
    rule_name: str,
    ingestion_time: float,
) -> str:
    """The text EventBridge hands `target` for `event` (its public form)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        value = json_path(target["InputPath"], event)
        return "null" if value is _MISSING else _text(value)
    transformer = target.get("InputTransformer")
    if transformer:
        return render(
            transformer.get("InputTemplate", ""),
            dict(transformer.get("InputPathsMap") or {}),
            event,
            rule_arn,
            rule_name,
            ingestion_time,
        )
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)
