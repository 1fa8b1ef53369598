"""validate and to_wire_json on payload dicts: every rule, strict shapes, non-finite floats."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

import genesys_resolver as gr

from conftest import EVENT_TYPE

Payload = dict[str, Any]


def violations(p: object, **kwargs: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(gr.ValidationError) as info:
        gr.validate(p, **kwargs)  # type: ignore[arg-type]
    return [(v.path, v.code, v.message) for v in info.value.violations]


def test_valid_payload_returns_none(payload: Payload, sample_dict: Payload) -> None:
    assert gr.validate(payload) is None
    assert gr.validate(sample_dict) is None


def _set(*path: Any, value: Any) -> Callable[[Payload], None]:
    def mutate(p: Payload) -> None:
        target = p
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


# One case per rule: how to break it, then the one violation expected (path, code, message).
RULES: list[tuple[str, Callable[[Payload], None], tuple[str, str, str]]] = [
    ("unknown_key", _set("nmae", value="x"), ("nmae", "unknown_key", "unknown key `nmae`; did you mean `name`?")),
    ("missing_key", lambda p: p.pop("uri"), ("uri", "missing_key", "required key `uri` is missing")),
    ("wrong_type", _set("name", value=1), ("name", "wrong_type", "expected a string, found a number")),
    ("name_empty", _set("name", value="  "), ("name", "name_empty", "name is empty")),
    ("name_too_long", _set("name", value="x" * 256), ("name", "name_too_long", "name is 256 characters; the limit is 255")),
    ("name_control_characters", _set("name", value="a\x01"), ("name", "name_control_characters", "name contains control characters")),
    ("type_not_allowed", _set("type", value="queue"), ("type", "type_not_allowed", 'type "queue" is not one of: webhook')),
    ("uri_missing", _set("uri", value=""), ("uri", "uri_missing", "URI is empty")),
    ("uri_invalid", _set("uri", value="https://exa mple.com"), ("uri", "uri_invalid", "URI cannot be parsed: invalid international domain name")),
    ("uri_not_https", _set("uri", value="http://a.example.com/"), ("uri", "uri_not_https", "URI must use https, not http")),
    ("uri_user_info", _set("uri", value="https://user:pw@a.example.com/"), ("uri", "uri_user_info", "URI carries credentials (user-info); send them in a header instead")),
    ("uri_fragment", _set("uri", value="https://a.example.com/#x"), ("uri", "uri_fragment", "URI has a #fragment, which is never sent to the destination")),
    ("uri_port_zero", _set("uri", value="https://a.example.com:0/"), ("uri", "uri_port_zero", "URI names port 0")),
    ("uri_duplicate", _set("uris", value=["https://HOOKS.example.com:443/genesys"]), ("uris[0]", "uri_duplicate", "same endpoint as uri")),
    ("too_many_uris", _set("uris", value=[f"https://h{i}.example.com/" for i in range(11)]), ("uris", "too_many_uris", "11 entries in uris; the limit is 10")),
    ("max_retries_out_of_range", _set("retryPolicy", "maxRetries", value=6), ("retryPolicy.maxRetries", "max_retries_out_of_range", "retry count 6 must be between 0 and 5")),
    ("retry_interval_out_of_range", _set("retryPolicy", "retryInterval", value=0), ("retryPolicy.retryInterval", "retry_interval_out_of_range", "retry interval 0 must be above 0 and at most 3600 seconds")),
    ("backoff_factor_out_of_range", _set("retryPolicy", "backoffFactor", value=0.5), ("retryPolicy.backoffFactor", "backoff_factor_out_of_range", "backoff factor 0.5 must be between 1 and 10")),
    ("event_filters_empty", _set("eventFilters", value=[]), ("eventFilters", "event_filters_empty", "eventFilters is empty, so no event would be delivered")),
    ("event_type_invalid", _set("eventFilters", 0, "eventType", value="routing.queues"), ("eventFilters[0].eventType", "event_type_invalid", '"routing.queues" is not a Genesys topic name (v2.<segment>... with letters, digits, _, - or {id} placeholders)')),
    ("event_type_duplicate", lambda p: p["eventFilters"].append({"eventType": EVENT_TYPE}), ("eventFilters[1].eventType", "event_type_duplicate", "same event type as eventFilters[0]")),
    ("field_empty", _set("eventFilters", 0, "fields", value=[""]), ("eventFilters[0].fields[0]", "field_empty", "field name is empty")),
    ("header_name_invalid", _set("headers", "X Bad", value="1"), ('headers["X Bad"]', "header_name_invalid", "header name is not an HTTP token")),
    ("header_value_invalid", _set("headers", "X-A", value="a\r\nb"), ("headers.X-A", "header_value_invalid", "header value contains CR, LF or another control character")),
    ("header_reserved", _set("headers", "Authorization", value="Bearer x"), ("headers.Authorization", "header_reserved", "Authorization is set by the platform and cannot be configured")),
    ("header_duplicate", _set("headers", "content-type", value="x"), ("headers.content-type", "header_duplicate", "same header as Content-Type (names are case-insensitive)")),
    ("payload_too_large", _set("headers", "X-Big", value="a" * 600_000), ("", "payload_too_large", "serialized payload is 600314 bytes; the limit is 512000")),
]


@pytest.mark.parametrize(("mutate", "expected"), [(m, e) for _, m, e in RULES], ids=[r[0] for r in RULES])
def test_every_rule_reports_path_code_and_message(
    payload: Payload, mutate: Callable[[Payload], None], expected: tuple[str, str, str]
) -> None:
    mutate(payload)
    assert violations(payload) == [expected]


def test_every_rule_code_is_covered() -> None:
    codes = {expected[1] for _, _, expected in RULES} | {"uri_no_host"}
    assert len(codes) == 28  # every ViolationCode of the core


def test_a_uri_without_a_host(payload: Payload) -> None:
    payload["uri"] = "mailto:someone@example.com"
    assert [(p, c) for p, c, _ in violations(payload)] == [
        ("uri", "uri_not_https"),
        ("uri", "uri_no_host"),
    ]


def test_every_violation_at_once(payload: Payload) -> None:
    payload.update(name="", uri="http://a.example.com/", eventFilters=[])
    payload["retryPolicy"]["maxRetries"] = -1
    got = [(p, c) for p, c, _ in violations(payload)]
    assert got == [
        ("name", "name_empty"),
        ("uri", "uri_not_https"),
        ("retryPolicy.maxRetries", "max_retries_out_of_range"),
        ("eventFilters", "event_filters_empty"),
    ]


def test_limits_change_the_rules(payload: Payload) -> None:
    payload["uris"] = ["https://b.example.com/", "https://c.example.com/"]
    gr.validate(payload)
    assert [c for _, c, _ in violations(payload, limits={"max_uris": 1})] == ["too_many_uris"]
    payload["retryPolicy"]["maxRetries"] = 8
    gr.validate(payload, limits={"max_retries": 10})


# Wrong shapes: a ValidationError naming the key, never a TypeError or a panic.
SHAPES: list[tuple[str, Callable[[Payload], None], tuple[str, str]]] = [
    ("type None", _set("type", value=None), ("type", "expected a string, found null")),
    ("uri list", _set("uri", value=[]), ("uri", "expected a string, found an array")),
    ("uris str", _set("uris", value="https://b.example.com/"), ("uris", "expected an array of strings, found a string")),
    ("uris item", _set("uris", value=[1]), ("uris[0]", "expected a string, found a number")),
    ("retryPolicy str", _set("retryPolicy", value="x"), ("retryPolicy", "expected an object, found a string")),
    ("maxRetries str", _set("retryPolicy", "maxRetries", value="3"), ("retryPolicy.maxRetries", "expected a whole number, found a string")),
    ("maxRetries float", _set("retryPolicy", "maxRetries", value=1.5), ("retryPolicy.maxRetries", "expected a whole number, found a number")),
    ("maxRetries bool", _set("retryPolicy", "maxRetries", value=True), ("retryPolicy.maxRetries", "expected a whole number, found a boolean")),
    ("maxRetries huge", _set("retryPolicy", "maxRetries", value=2**70), ("retryPolicy.maxRetries", "the integer does not fit in 64 bits")),
    ("retryInterval bool", _set("retryPolicy", "retryInterval", value=False), ("retryPolicy.retryInterval", "expected a number, found a boolean")),
    ("backoffFactor None", _set("retryPolicy", "backoffFactor", value=None), ("retryPolicy.backoffFactor", "expected a number, found null")),
    ("eventFilters dict", _set("eventFilters", value={}), ("eventFilters", "expected an array of objects, found an object")),
    ("eventFilter int", _set("eventFilters", value=[1]), ("eventFilters[0]", "expected an object, found a number")),
    ("eventType int", _set("eventFilters", 0, "eventType", value=1), ("eventFilters[0].eventType", "expected a string, found a number")),
    ("fields None item", _set("eventFilters", 0, "fields", value=[None]), ("eventFilters[0].fields[0]", "expected a string, found null")),
    ("headers list", _set("headers", value=[]), ("headers", "expected an object of strings, found an array")),
    ("header int", _set("headers", "X-A", value=1), ("headers.X-A", "expected a string, found a number")),
    ("header int key", _set("headers", 1, value="a"), ("headers[1]", "keys must be strings, found `int`")),
    ("header bytes", _set("headers", "X-A", value=b"a"), ("headers.X-A", "`bytes` has no JSON form")),
    ("name set", _set("name", value={"a"}), ("name", "`set` has no JSON form")),
    ("name object", _set("name", value=object()), ("name", "`object` has no JSON form")),
    ("name surrogate", _set("name", value="a\udc80"), ("name", "the string is not valid Unicode (a lone surrogate)")),
]


@pytest.mark.parametrize(("mutate", "expected"), [(m, e) for _, m, e in SHAPES], ids=[s[0] for s in SHAPES])
def test_wrong_types_name_the_key(
    payload: Payload, mutate: Callable[[Payload], None], expected: tuple[str, str]
) -> None:
    mutate(payload)
    assert violations(payload) == [(expected[0], "wrong_type", expected[1])]


def test_tuples_are_arrays(payload: Payload) -> None:
    payload["uris"] = ("https://b.example.com/",)
    payload["eventFilters"] = ({"eventType": EVENT_TYPE, "fields": ("id",)},)
    gr.validate(payload)


@pytest.mark.parametrize("document", [[], "payload", 3, None])
def test_a_payload_that_is_not_an_object(document: object) -> None:
    [(path, code, message)] = violations(document)
    assert (path, code) == ("$", "wrong_type")
    assert message.startswith("expected an object, found ")


def test_self_containing_values_do_not_recurse_forever(payload: Payload) -> None:
    loop: list[object] = []
    loop.append(loop)
    payload["uris"] = loop
    assert violations(payload) == [
        ("uris[0]", "wrong_type", "expected a string, found an array"),
        ("uris" + "[0]" * 8, "wrong_type", "the value is nested too deeply"),
    ]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_violations(payload: Payload, value: float) -> None:
    payload["retryPolicy"]["retryInterval"] = value
    [(path, code, _)] = violations(payload)
    assert (path, code) == ("retryPolicy.retryInterval", "retry_interval_out_of_range")

    broken = copy.deepcopy(payload)
    broken["retryPolicy"]["retryInterval"] = 5
    broken["retryPolicy"]["backoffFactor"] = value
    [(path, code, _)] = violations(broken)
    assert (path, code) == ("retryPolicy.backoffFactor", "backoff_factor_out_of_range")

    with pytest.raises(gr.ValidationError) as info:
        gr.to_wire_json(payload)  # JSON cannot carry NaN or infinities
    assert [v.code for v in info.value.violations] == ["retry_interval_out_of_range"]


def test_nan_where_no_number_belongs(payload: Payload) -> None:
    payload["name"] = float("nan")
    payload["retryPolicy"]["maxRetries"] = float("inf")
    assert violations(payload) == [
        ("name", "wrong_type", "expected a string, found a number"),
        ("retryPolicy.maxRetries", "wrong_type", "expected a whole number, found a number"),
    ]


def test_to_wire_json_reads_strictly_but_applies_no_rules(payload: Payload) -> None:
    payload["retryPolicy"]["maxRetries"] = 99  # breaks a rule, but has a wire form
    assert '"maxRetries":99' in gr.to_wire_json(payload)
    payload["retryPolicy"]["maxRetry"] = 3
    with pytest.raises(gr.ValidationError) as info:
        gr.to_wire_json(payload)
    assert [(v.path, v.code) for v in info.value.violations] == [("retryPolicy.maxRetry", "unknown_key")]


def test_violation_objects(payload: Payload) -> None:
    payload["uri"] = "http://a.example.com/"
    with pytest.raises(gr.ValidationError) as info:
        gr.validate(payload)
    [v] = info.value.violations
    assert isinstance(v, gr.Violation)
    assert v.to_dict() == {"path": "uri", "code": "uri_not_https", "message": "URI must use https, not http"}
    assert v == gr.Violation("uri", "uri_not_https", "URI must use https, not http")
    assert hash(v) == hash(gr.Violation("uri", "uri_not_https", "URI must use https, not http"))
    assert repr(v) == "Violation(path='uri', code='uri_not_https', message='URI must use https, not http')"
    assert str(v) == "uri: URI must use https, not http [uri_not_https]"
    assert str(info.value) == "payload is invalid (1 violation): uri: URI must use https, not http [uri_not_https]"
    with pytest.raises(AttributeError):
        v.path = "x"  # type: ignore[misc]


def test_the_payload_dict_is_not_changed(payload: Payload) -> None:
    before = copy.deepcopy(payload)
    payload["retryPolicy"]["retryInterval"] = 5.0
    before["retryPolicy"]["retryInterval"] = 5.0
    gr.validate(payload)
    gr.to_wire_json(payload)
    assert payload == before
