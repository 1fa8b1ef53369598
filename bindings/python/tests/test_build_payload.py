"""build_payload: the seed's BuildResolvePayload, validated like the Rust builder."""

from __future__ import annotations

import json

import pytest

import genesys_resolver as gr

from conftest import EVENT_TYPE, seed_wire


def test_seed_defaults_in_wire_order() -> None:
    p = gr.build_payload("orders", "https://hooks.example.com/x", [EVENT_TYPE])
    assert p == {
        "name": "orders",
        "type": "webhook",
        "uri": "https://hooks.example.com/x",
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": EVENT_TYPE}],
        "headers": {"Content-Type": "application/json", "X-Genesys-Source": "event-resolver"},
    }
    # The dict is the wire document: same keys in the same order, empty `uris` left out.
    assert list(p) == ["name", "type", "uri", "retryPolicy", "eventFilters", "headers"]
    assert list(p["retryPolicy"]) == ["maxRetries", "retryInterval", "backoffFactor"]


def test_wire_json_equals_the_seed_go_output() -> None:
    sample = gr.build_payload(
        "queue-events-webhook",
        "https://events.example.com/genesys/webhook",
        [EVENT_TYPE, "v2.users.{id}.presence"],
        uris=[
            "https://events-backup.example.com/genesys/webhook",
            "https://events-dr.example.net:8443/hook?region=eu",
        ],
        max_retries=3,
    )
    assert gr.to_wire_json(sample) == seed_wire("sample.json")

    single = gr.build_payload(
        "single",
        "https://a.example.com/",
        ["v2.detail.events.conversation.{id}.customer.start"],
        max_retries=0,
    )
    assert gr.to_wire_json(single) == seed_wire("no_uris.json")


@pytest.mark.parametrize("name", ["sample.json", "no_uris.json", "escapes.json"])
def test_wire_json_round_trips_every_go_fixture(name: str) -> None:
    # escapes.json holds <, >, & (escaped as Go does), U+2028, a tab and fractional floats.
    wire = seed_wire(name)
    assert gr.to_wire_json(json.loads(wire)) == wire


def test_returned_dict_is_the_parsed_wire_json() -> None:
    p = gr.build_payload("a<b>", "https://a.example.com/?x=1&y=2", [EVENT_TYPE], retry_interval=2.5)
    assert json.loads(gr.to_wire_json(p)) == p
    assert "\\u003c" in gr.to_wire_json(p)  # Go's HTML escaping
    assert p["retryPolicy"]["retryInterval"] == 2.5


def test_every_keyword_is_applied() -> None:
    p = gr.build_payload(
        "orders",
        "https://a.example.com/",
        (t for t in [EVENT_TYPE, "v2.users.{id}.presence"]),  # any iterable
        uris=("https://b.example.com/",),
        max_retries=5,
        retry_interval=0.5,
        backoff_factor=1.5,
        headers={"X-Team": "payments", "Content-Type": "application/cloudevents+json"},
        type="webhook",
    )
    assert p["uris"] == ["https://b.example.com/"]
    assert p["retryPolicy"] == {"maxRetries": 5, "retryInterval": 0.5, "backoffFactor": 1.5}
    assert [f["eventType"] for f in p["eventFilters"]] == [EVENT_TYPE, "v2.users.{id}.presence"]
    # Given headers are laid over the defaults; a name given again replaces the default.
    assert p["headers"] == {
        "Content-Type": "application/cloudevents+json",
        "X-Genesys-Source": "event-resolver",
        "X-Team": "payments",
    }


def test_validates_like_the_rust_builder() -> None:
    with pytest.raises(gr.ValidationError) as info:
        gr.build_payload("orders", "http://hooks.example.com", [EVENT_TYPE], max_retries=9)
    got = [(v.path, v.code) for v in info.value.violations]
    assert got == [
        ("uri", "uri_not_https"),
        ("retryPolicy.maxRetries", "max_retries_out_of_range"),
    ]
    assert info.value.stage == "validate"


def test_other_types_need_limits() -> None:
    with pytest.raises(gr.ValidationError) as info:
        gr.build_payload("q", "https://a.example.com/", [EVENT_TYPE], type="queue")
    assert [v.code for v in info.value.violations] == ["type_not_allowed"]
    p = gr.build_payload(
        "q", "https://a.example.com/", [EVENT_TYPE], type="queue", limits={"allowed_types": ["queue"]}
    )
    assert p["type"] == "queue"


@pytest.mark.parametrize(
    ("kwargs", "path", "message"),
    [
        ({"name": 7}, "name", "expected a string, found a number"),
        ({"uri": None}, "uri", "expected a string, found null"),
        ({"event_types": EVENT_TYPE}, "eventFilters", "expected a list of event types, found `str`"),
        ({"event_types": [EVENT_TYPE, 3]}, "eventFilters[1].eventType", "expected a string, found a number"),
        ({"uris": "https://b.example.com/"}, "uris", "expected a list of URIs, found `str`"),
        ({"max_retries": True}, "retryPolicy.maxRetries", "expected a whole number, found a boolean"),
        ({"max_retries": "3"}, "retryPolicy.maxRetries", "expected a whole number, found a string"),
        ({"retry_interval": "5"}, "retryPolicy.retryInterval", "expected a number, found a string"),
        ({"backoff_factor": b"2"}, "retryPolicy.backoffFactor", "`bytes` has no JSON form"),
        ({"headers": ["X-A"]}, "headers", "expected a dict of header names to values, found `list`"),
        ({"headers": {"X-A": 1}}, "headers.X-A", "expected a string, found a number"),
        ({"type": 1}, "type", "expected a string, found a number"),
    ],
)
def test_wrong_argument_types_name_the_json_path(
    kwargs: dict[str, object], path: str, message: str
) -> None:
    args: dict[str, object] = {
        "name": "orders",
        "uri": "https://a.example.com/",
        "event_types": [EVENT_TYPE],
    }
    args.update(kwargs)
    with pytest.raises(gr.ValidationError) as info:
        gr.build_payload(**args)  # type: ignore[arg-type]
    assert [(v.path, v.code, v.message) for v in info.value.violations] == [
        (path, "wrong_type", message)
    ]


@pytest.mark.parametrize(
    ("kwargs", "path", "code"),
    [
        ({"retry_interval": float("nan")}, "retryPolicy.retryInterval", "retry_interval_out_of_range"),
        ({"retry_interval": float("inf")}, "retryPolicy.retryInterval", "retry_interval_out_of_range"),
        ({"backoff_factor": float("-inf")}, "retryPolicy.backoffFactor", "backoff_factor_out_of_range"),
        ({"backoff_factor": float("nan")}, "retryPolicy.backoffFactor", "backoff_factor_out_of_range"),
        ({"max_retries": float("nan")}, "retryPolicy.maxRetries", "wrong_type"),
        ({"type": float("nan")}, "type", "wrong_type"),
    ],
)
def test_non_finite_floats_are_violations(kwargs: dict[str, object], path: str, code: str) -> None:
    with pytest.raises(gr.ValidationError) as info:
        gr.build_payload("orders", "https://a.example.com/", [EVENT_TYPE], **kwargs)  # type: ignore[arg-type]
    assert [(v.path, v.code) for v in info.value.violations] == [(path, code)]


@pytest.mark.parametrize(
    ("limits", "error", "message"),
    [
        ({"max_urls": 3}, ValueError, "limits: unknown key `max_urls`"),
        ({"max_uris": "3"}, TypeError, "limits.max_uris: expected a count, found `str`"),
        ({"max_uris": True}, TypeError, "limits.max_uris: expected a count, found `bool`"),
        ({"max_uris": -1}, TypeError, "limits.max_uris: expected a count, found `int`"),
        ({"max_retry_interval": float("nan")}, ValueError, "limits.max_retry_interval: expected a finite number"),
        ({"allowed_types": "webhook"}, TypeError, "limits.allowed_types: expected a list of strings"),
        ([("max_uris", 3)], TypeError, "limits: expected a dict, found `list`"),
    ],
)
def test_bad_limits_name_the_setting(limits: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        gr.build_payload("orders", "https://a.example.com/", [EVENT_TYPE], limits=limits)  # type: ignore[arg-type]
