"""A corpus of payload dicts, valid and broken in every way we know, for the parity tests.

``JSON_CASES`` hold only what JSON text can say, so each can also be given to the core's text
reader as ``json.dumps(case)``; ``DICT_CASES`` hold what only a dict can carry (non-finite floats,
integers beyond 64 bits, keys that are not strings, values with no JSON form, subclasses of the
builtin types), each with the ``(path, code)`` pairs it must report (``[]``: valid).
"""

from __future__ import annotations

import collections
import copy
import enum
from typing import Any, Callable

EVENT_TYPE = "v2.routing.queues.{id}.conversations"

Payload = dict[str, Any]


def base() -> Payload:
    """A valid payload with every key, in the seed's shape."""
    return {
        "name": "orders-webhook",
        "type": "webhook",
        "uri": "https://hooks.example.com/genesys",
        "uris": ["https://backup.example.com/genesys"],
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5.0, "backoffFactor": 2.0},
        "eventFilters": [{"eventType": EVENT_TYPE, "fields": ["id", "state"]}],
        "headers": {"Content-Type": "application/json", "X-Genesys-Source": "event-resolver"},
    }


def minimal() -> Payload:
    """A valid payload with only the required keys."""
    p = base()
    for key in ("uris", "headers"):
        del p[key]
    del p["eventFilters"][0]["fields"]
    return p


def _with(make: Callable[[], Payload], *path: Any, value: Any) -> Payload:
    p = make()
    target: Any = p
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return p


def _without(*path: Any) -> Payload:
    p = base()
    target: Any = p
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return p


def _edit(change: Callable[[Payload], None]) -> Payload:
    p = base()
    change(p)
    return p


def _many_headers(p: Payload) -> None:
    p["headers"].update({f"X-H{i}": f"v{i}" for i in range(20)})


def _many_filters(p: Payload) -> None:
    p["eventFilters"] = [{"eventType": f"v2.routing.queues.{{id}}.q{i}", "fields": ["id"]} for i in range(12)]


def _every_problem(p: Payload) -> None:
    p.update(name="", type="queue", uri="http://a.example.com/#x", eventFilters=[])
    p["uris"] = ["https://user:pw@b.example.com:0/", "ftp://", 7, "https://backup.example.com/genesys"]
    p["retryPolicy"] = {"maxRetries": -1, "retryInterval": 0, "backoffFactor": 11, "jitter": 1}
    p["headers"] = {"Authorization": "x", "content-type": "a", "X Bad": "\n", "X-N": None}
    p["extra"] = {"nested": [1, {"a": None}]}


def _too_many_violations(p: Payload) -> None:
    p["uris"] = [f"http://h{i}.example.com/" for i in range(150)]


def _deep_unknown(p: Payload) -> None:
    p["x"] = {"a": [[[[[[[[[1]]]]]]]]]}


JSON_CASES: list[tuple[str, Payload | Any]] = [
    # Valid.
    ("valid full", base()),
    ("valid minimal", minimal()),
    ("valid null optionals", _edit(lambda p: p.update(uris=None, headers=None))),
    ("valid null fields", _with(base, "eventFilters", 0, "fields", value=None)),
    ("valid empty optionals", _edit(lambda p: p.update(uris=[], headers={}))),
    ("valid empty fields", _with(base, "eventFilters", 0, "fields", value=[])),
    ("valid int floats", _edit(lambda p: p["retryPolicy"].update(retryInterval=7, backoffFactor=3))),
    ("valid fractions", _edit(lambda p: p["retryPolicy"].update(retryInterval=0.25, backoffFactor=1.5))),
    ("valid unicode", _edit(lambda p: p.update(name="Bestellungen – ümlaut 注文 🚀"))),
    ("valid idn host", _with(base, "uri", value="https://bücher.example/hook")),
    ("valid many headers", _edit(_many_headers)),
    ("valid many filters", _edit(_many_filters)),
    ("valid key order", {k: base()[k] for k in reversed(list(base()))}),
    ("valid zero retries", _with(base, "retryPolicy", "maxRetries", value=0)),
    ("valid ten uris", _with(base, "uris", value=[f"https://h{i}.example.com/" for i in range(10)])),
    # Every rule (ViolationCode) reachable from a dict.
    ("unknown_key top", _with(base, "nmae", value="x")),
    ("unknown_key retry", _with(base, "retryPolicy", "maxRetry", value=3)),
    ("unknown_key filter", _with(base, "eventFilters", 0, "field", value=[])),
    ("unknown_key far", _with(base, "zzzz", value=1)),
    ("missing_key name", _without("name")),
    ("missing_key type", _without("type")),
    ("missing_key uri", _without("uri")),
    ("missing_key retryPolicy", _without("retryPolicy")),
    ("missing_key eventFilters", _without("eventFilters")),
    ("missing_key maxRetries", _without("retryPolicy", "maxRetries")),
    ("missing_key retryInterval", _without("retryPolicy", "retryInterval")),
    ("missing_key backoffFactor", _without("retryPolicy", "backoffFactor")),
    ("missing_key eventType", _without("eventFilters", 0, "eventType")),
    ("missing_key all", {}),
    ("name_empty", _with(base, "name", value="   ")),
    ("name_too_long", _with(base, "name", value="x" * 256)),
    ("name_control_characters", _with(base, "name", value="a\x01b")),
    ("type_not_allowed", _with(base, "type", value="queue")),
    ("uri_missing", _with(base, "uri", value="")),
    ("uri_invalid", _with(base, "uri", value="https://exa mple.com")),
    ("uri_not_https", _with(base, "uri", value="http://a.example.com/")),
    ("uri_no_host", _with(base, "uri", value="mailto:someone@example.com")),
    ("uri_user_info", _with(base, "uri", value="https://user:pw@a.example.com/")),
    ("uri_fragment", _with(base, "uri", value="https://a.example.com/#x")),
    ("uri_port_zero", _with(base, "uri", value="https://a.example.com:0/")),
    ("uri_not_exact", _with(base, "uri", value="https://a.example.com/a b")),
    ("uri_not_exact backslash", _with(base, "uris", value=["https://b.example.com\\x"])),
    ("control_characters type", _with(base, "type", value="web\x00hook")),
    ("control_characters field", _with(base, "eventFilters", 0, "fields", value=["i\x07d"])),
    ("uri_duplicate", _with(base, "uris", value=["https://HOOKS.example.com:443/genesys"])),
    ("too_many_uris", _with(base, "uris", value=[f"https://h{i}.example.com/" for i in range(11)])),
    ("max_retries_out_of_range high", _with(base, "retryPolicy", "maxRetries", value=6)),
    ("max_retries_out_of_range low", _with(base, "retryPolicy", "maxRetries", value=-1)),
    ("retry_interval_out_of_range zero", _with(base, "retryPolicy", "retryInterval", value=0)),
    ("retry_interval_out_of_range high", _with(base, "retryPolicy", "retryInterval", value=3600.5)),
    ("backoff_factor_out_of_range low", _with(base, "retryPolicy", "backoffFactor", value=0.5)),
    ("backoff_factor_out_of_range high", _with(base, "retryPolicy", "backoffFactor", value=10.01)),
    ("event_filters_empty", _with(base, "eventFilters", value=[])),
    ("event_type_invalid", _with(base, "eventFilters", 0, "eventType", value="routing.queues")),
    ("event_type_duplicate", _edit(lambda p: p["eventFilters"].append({"eventType": EVENT_TYPE}))),
    ("field_empty", _with(base, "eventFilters", 0, "fields", value=["id", ""])),
    ("header_name_invalid", _with(base, "headers", "X Bad", value="1")),
    ("header_value_invalid", _with(base, "headers", "X-A", value="a\r\nb")),
    ("header_reserved", _with(base, "headers", "Authorization", value="Bearer x")),
    ("header_duplicate", _with(base, "headers", "content-type", value="x")),
    ("payload_too_large", _with(base, "headers", "X-Big", value="a" * 600_000)),
    # Wrong types at every position, bool-vs-number included.
    ("document list", []),
    ("document string", "payload"),
    ("document number", 3),
    ("document null", None),
    ("document bool", True),
    ("name number", _with(base, "name", value=1)),
    ("name null", _with(base, "name", value=None)),
    ("name bool", _with(base, "name", value=False)),
    ("type list", _with(base, "type", value=["webhook"])),
    ("uri object", _with(base, "uri", value={})),
    ("uris string", _with(base, "uris", value="https://b.example.com/")),
    ("uris object", _with(base, "uris", value={"a": "b"})),
    ("uris item number", _with(base, "uris", value=["https://b.example.com/", 1])),
    ("uris item null", _with(base, "uris", value=[None])),
    ("uris item list", _with(base, "uris", value=[["https://b.example.com/"]])),
    ("retryPolicy string", _with(base, "retryPolicy", value="x")),
    ("retryPolicy null", _with(base, "retryPolicy", value=None)),
    ("retryPolicy list", _with(base, "retryPolicy", value=[3, 5, 2])),
    ("maxRetries string", _with(base, "retryPolicy", "maxRetries", value="3")),
    ("maxRetries float", _with(base, "retryPolicy", "maxRetries", value=1.5)),
    ("maxRetries whole float", _with(base, "retryPolicy", "maxRetries", value=3.0)),
    ("maxRetries bool", _with(base, "retryPolicy", "maxRetries", value=True)),
    ("maxRetries null", _with(base, "retryPolicy", "maxRetries", value=None)),
    ("maxRetries u64", _with(base, "retryPolicy", "maxRetries", value=2**63)),
    ("maxRetries i64 max", _with(base, "retryPolicy", "maxRetries", value=2**63 - 1)),
    ("maxRetries i64 min", _with(base, "retryPolicy", "maxRetries", value=-(2**63))),
    ("retryInterval bool", _with(base, "retryPolicy", "retryInterval", value=False)),
    ("retryInterval string", _with(base, "retryPolicy", "retryInterval", value="5")),
    ("retryInterval u64", _with(base, "retryPolicy", "retryInterval", value=2**64 - 1)),
    ("backoffFactor null", _with(base, "retryPolicy", "backoffFactor", value=None)),
    ("backoffFactor bool", _with(base, "retryPolicy", "backoffFactor", value=True)),
    ("backoffFactor list", _with(base, "retryPolicy", "backoffFactor", value=[2])),
    ("eventFilters object", _with(base, "eventFilters", value={})),
    ("eventFilters string", _with(base, "eventFilters", value=EVENT_TYPE)),
    ("eventFilters null", _with(base, "eventFilters", value=None)),
    ("eventFilter number", _with(base, "eventFilters", value=[1])),
    ("eventFilter string", _with(base, "eventFilters", value=[EVENT_TYPE])),
    ("eventFilter null", _with(base, "eventFilters", value=[{"eventType": EVENT_TYPE}, None])),
    ("eventType number", _with(base, "eventFilters", 0, "eventType", value=1)),
    ("eventType null", _with(base, "eventFilters", 0, "eventType", value=None)),
    ("fields string", _with(base, "eventFilters", 0, "fields", value="id")),
    ("fields item null", _with(base, "eventFilters", 0, "fields", value=[None])),
    ("fields item bool", _with(base, "eventFilters", 0, "fields", value=["id", True])),
    ("headers list", _with(base, "headers", value=[])),
    ("headers string", _with(base, "headers", value="Content-Type: x")),
    ("header number", _with(base, "headers", "X-A", value=1)),
    ("header null", _with(base, "headers", "X-A", value=None)),
    ("header object", _with(base, "headers", "X-A", value={"a": "b"})),
    ("header odd name wrong type", _with(base, "headers", "odd name", value=2)),
    # Several problems at once, nested, and more than the violation cap.
    ("every problem", _edit(_every_problem)),
    ("too many violations", _edit(_too_many_violations)),
    ("deep unknown", _edit(_deep_unknown)),
    ("filters mixed", _with(base, "eventFilters", value=[{"eventType": 1, "fields": [2], "x": 3}, "y", {}])),
    ("shape and rule", _edit(lambda p: p.update(name=1, uri="http://a.example.com/"))),
]


class _Str(str):
    pass


class _Int(int):
    pass


class _Float(float):
    pass


class _Color(enum.IntEnum):
    RED = 3


class _Kind(str, enum.Enum):
    WEBHOOK = "webhook"


def _loop() -> Payload:
    loop: list[Any] = []
    loop.append(loop)
    return _with(base, "uris", value=loop)


# What only a dict can carry, with the (path, code) pairs each must report ([]: valid).
DICT_CASES: list[tuple[str, Any, list[tuple[str, str]]]] = [
    ("tuples", _edit(lambda p: p.update(uris=("https://b.example.com/",), eventFilters=({"eventType": EVENT_TYPE, "fields": ("id",)},))), []),
    ("str subclass", _with(base, "name", value=_Str("orders")), []),
    ("str enum", _with(base, "type", value=_Kind.WEBHOOK), []),
    ("str subclass key", _edit(lambda p: p.update({_Str("uris"): p.pop("uris")})), []),
    ("int subclass", _with(base, "retryPolicy", "maxRetries", value=_Int(2)), []),
    ("int enum", _with(base, "retryPolicy", "maxRetries", value=_Color.RED), []),
    ("float subclass", _with(base, "retryPolicy", "retryInterval", value=_Float(2.5)), []),
    ("ordered dict", collections.OrderedDict(base()), []),
    ("dict subclass headers", _with(base, "headers", value=collections.OrderedDict(base()["headers"])), []),
    ("nan interval", _with(base, "retryPolicy", "retryInterval", value=float("nan")), [("retryPolicy.retryInterval", "retry_interval_out_of_range")]),
    ("inf interval", _with(base, "retryPolicy", "retryInterval", value=float("inf")), [("retryPolicy.retryInterval", "retry_interval_out_of_range")]),
    ("-inf backoff", _with(base, "retryPolicy", "backoffFactor", value=float("-inf")), [("retryPolicy.backoffFactor", "backoff_factor_out_of_range")]),
    ("nan backoff", _with(base, "retryPolicy", "backoffFactor", value=float("nan")), [("retryPolicy.backoffFactor", "backoff_factor_out_of_range")]),
    ("nan name", _with(base, "name", value=float("nan")), [("name", "wrong_type")]),
    ("inf maxRetries", _with(base, "retryPolicy", "maxRetries", value=float("inf")), [("retryPolicy.maxRetries", "wrong_type")]),
    ("nan unknown", _with(base, "x", value=float("nan")), [("x", "unknown_key")]),
    ("maxRetries 2**64", _with(base, "retryPolicy", "maxRetries", value=2**64), [("retryPolicy.maxRetries", "wrong_type")]),
    ("maxRetries 2**70", _with(base, "retryPolicy", "maxRetries", value=2**70), [("retryPolicy.maxRetries", "wrong_type")]),
    ("maxRetries -2**63-1", _with(base, "retryPolicy", "maxRetries", value=-(2**63) - 1), [("retryPolicy.maxRetries", "wrong_type")]),
    ("retryInterval 2**64", _with(base, "retryPolicy", "retryInterval", value=2**64), [("retryPolicy.retryInterval", "wrong_type")]),
    ("int key top", _edit(lambda p: p.update({1: "x"})), [("[1]", "wrong_type")]),
    ("int key retry", _with(base, "retryPolicy", 2, value=3), [("retryPolicy[2]", "wrong_type")]),
    ("tuple key filter", _with(base, "eventFilters", 0, (1, 2), value="x"), [("eventFilters[0][(1, 2)]", "wrong_type")]),
    ("int key header", _with(base, "headers", 1, value="a"), [("headers[1]", "wrong_type")]),
    ("none key header", _with(base, "headers", None, value="a"), [("headers[None]", "wrong_type")]),
    ("surrogate key", _with(base, "headers", "X-\udc80", value="a"), [("headers['X-\\udc80']", "wrong_type")]),
    ("bytes uri", _with(base, "uri", value=b"https://a.example.com/"), [("uri", "wrong_type")]),
    ("bytes header", _with(base, "headers", "X-A", value=b"a"), [("headers.X-A", "wrong_type")]),
    ("set name", _with(base, "name", value={"a"}), [("name", "wrong_type")]),
    ("object field", _with(base, "eventFilters", 0, "fields", value=[object()]), [("eventFilters[0].fields[0]", "wrong_type")]),
    ("surrogate name", _with(base, "name", value="a\udc80"), [("name", "wrong_type")]),
    ("surrogate header value", _with(base, "headers", "X-A", value="\ud800"), [("headers.X-A", "wrong_type")]),
    ("self-containing list", _loop(), [("uris[0]", "wrong_type"), ("uris" + "[0]" * 8, "wrong_type")]),
    ("bool and big int", _edit(lambda p: p["retryPolicy"].update(maxRetries=False, retryInterval=2**80, backoffFactor=True)),
     [("retryPolicy.maxRetries", "wrong_type"), ("retryPolicy.retryInterval", "wrong_type"), ("retryPolicy.backoffFactor", "wrong_type")]),
    # Every problem at once: the shape's and the rules' (the NaN judged as NaN, not its stand-in).
    ("nan with a shape problem", _edit(lambda p: p.update(name=1) or p["retryPolicy"].update(retryInterval=float("nan"))),
     [("name", "wrong_type"), ("retryPolicy.retryInterval", "retry_interval_out_of_range")]),
]


def fresh(case: Any) -> Any:
    """A deep copy, so no case shares objects with another run."""
    return copy.deepcopy(case)
