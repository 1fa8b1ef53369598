"""Documents read by the library's one reader, from Python: route files (JSON and YAML) handed to
``RouteDeployer.plan`` as paths, with duplicate keys refused at their paths before any call; a
wrongly typed value named by its type, never by its value; and every problem of a document at
once, an unknown key beside the rules the rest breaks.

Needs no AWS emulator: every route here is refused before anything is contacted (the AWS endpoint
is a closed loopback port, and the mock Genesys issues no token)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import genesys_resolver as gr
from genesys_resolver.testing import MockGenesys

KEY = "8675309123"
TOPIC = "v2.routing.queues.{id}.conversations"


def route_yaml(api_key: str = "k-1") -> str:
    return (
        "name: orders\ntype: webhook\nuri: https://hooks.example.com/orders\n"
        "retryPolicy:\n  maxRetries: 3\n  retryInterval: 5\n  backoffFactor: 2\n"
        f'eventFilters:\n  - eventType: "{TOPIC}"\n'
        f"headers:\n  X-Api-Key: {api_key}\n"
        'awsAccountId: "123456789012"\nawsRegion: us-east-1\neventSourceSuffix: orders\n'
        "roleArn: arn:aws:iam::123456789012:role/genesys\n"
    )


def route_dict() -> dict[str, Any]:
    return {
        "name": "orders",
        "type": "webhook",
        "uri": "https://hooks.example.com/orders",
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": TOPIC}],
        "headers": {"X-Api-Key": "k-1"},
        "awsAccountId": "123456789012",
        "awsRegion": "us-east-1",
        "eventSourceSuffix": "orders",
        "roleArn": "arn:aws:iam::123456789012:role/genesys",
    }


@pytest.fixture
def genesys() -> Iterator[MockGenesys]:
    with MockGenesys(organization_id="org-1") as m:
        yield m


@pytest.fixture
def deployer(genesys: MockGenesys, monkeypatch: pytest.MonkeyPatch) -> gr.RouteDeployer:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return gr.RouteDeployer(
        genesys.environment,
        genesys.client_id,
        genesys.client_secret,
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # nothing listens: any AWS call would fail to connect
        max_attempts=1,
        request_timeout=2.0,
    )


def refused(call: Any) -> gr.ValidationError:
    with pytest.raises(gr.ValidationError) as info:
        call()
    return info.value


def pairs(err: gr.ValidationError) -> list[tuple[str, str]]:
    return [(v.path, v.code) for v in err.violations]


def test_a_json_route_file_with_a_duplicate_key_is_refused_before_any_call(
    deployer: gr.RouteDeployer, genesys: MockGenesys, tmp_path: Path
) -> None:
    text = json.dumps(route_dict()).replace(
        '"uri": "https://hooks.example.com/orders"',
        '"uri": "https://hooks.example.com/orders", "uri": "https://elsewhere.example.com/"',
    )
    assert "elsewhere" in text
    path = tmp_path / "route.json"
    path.write_text(text)
    err = refused(lambda: deployer.plan(path))
    assert pairs(err) == [("uri", "duplicate_key")]
    assert (err.kind, err.stage) == ("validation", "validate")
    assert str(err).startswith("the route is invalid (1 violation): ")
    assert genesys.issued_tokens() == []


def test_a_yaml_route_file_with_a_duplicate_key_is_refused_at_its_path(
    deployer: gr.RouteDeployer, genesys: MockGenesys, tmp_path: Path
) -> None:
    path = tmp_path / "route.yaml"
    path.write_text(route_yaml().replace("  backoffFactor: 2\n", "  backoffFactor: 2\n  backoffFactor: 3\n"))
    for call in (deployer.plan, deployer.check, deployer.apply, deployer.destroy):
        err = refused(lambda: call(path))
        assert pairs(err) == [("retryPolicy.backoffFactor", "duplicate_key")]
    assert genesys.issued_tokens() == []
    assert genesys.write_requests() == []


def test_a_numeric_api_key_is_named_by_type_and_never_repeated(
    deployer: gr.RouteDeployer, genesys: MockGenesys, tmp_path: Path
) -> None:
    path = tmp_path / "route.yml"
    path.write_text(route_yaml(KEY))
    from_file = refused(lambda: deployer.plan(path))
    as_dict = route_dict()
    as_dict["headers"]["X-Api-Key"] = int(KEY)
    from_dict = refused(lambda: deployer.plan(as_dict))
    for err in (from_file, from_dict):
        assert [(v.path, v.code, v.message) for v in err.violations] == [
            ("headers.X-Api-Key", "wrong_type", "expected a string, found a number")
        ]
        for shown in (str(err), repr(err), repr(err.to_dict())):
            assert KEY not in shown
    assert genesys.issued_tokens() == []


def test_route_files_that_cannot_be_read_or_are_too_much_are_refused(
    deployer: gr.RouteDeployer, tmp_path: Path
) -> None:
    with pytest.raises(OSError, match="No such file"):
        deployer.plan(tmp_path / "missing.json")
    bomb = tmp_path / "bomb.yaml"
    ladder = ["l0: &l0 [xxxxxxxx, xxxxxxxx]"] + [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, 31)]
    bomb.write_text("\n".join(ladder) + "\n")
    err = refused(lambda: deployer.plan(bomb))
    assert "expands to more than" in str(err)
    assert err.violations == []
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"name": "x" * (1 << 20)}))
    assert "larger than 1048576 bytes" in str(refused(lambda: deployer.plan(big)))
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": ')
    assert str(refused(lambda: deployer.plan(broken))).startswith("not valid JSON at line 1")


def test_a_route_dict_reports_its_unknown_keys_beside_its_broken_rules(
    deployer: gr.RouteDeployer, genesys: MockGenesys
) -> None:
    route = route_dict()
    route["rolArn"] = route.pop("roleArn")
    route["awsRegion"] = "us-east-9"
    route["uri"] = "http://hooks.example.com/orders"
    err = refused(lambda: deployer.plan(route))
    assert pairs(err) == [
        ("rolArn", "unknown_key"),
        ("roleArn", "missing_key"),
        ("uri", "uri_not_https"),
        ("awsRegion", "aws_region_unknown"),
    ]
    assert "did you mean `roleArn`?" in err.violations[0].message
    assert genesys.issued_tokens() == []


def test_validate_reports_an_unknown_key_beside_every_broken_rule(payload: dict[str, Any]) -> None:
    payload["uri"] = "http://a.example.com/"
    payload["retryPolicy"]["maxRetries"] = 9
    payload["uirs"] = []
    err = refused(lambda: gr.validate(payload))
    assert pairs(err) == [
        ("uirs", "unknown_key"),
        ("uri", "uri_not_https"),
        ("retryPolicy.maxRetries", "max_retries_out_of_range"),
    ]
    # Python's NaN, which JSON cannot carry, is judged as itself beside a shape problem.
    payload = {**payload, "name": 1, "retryPolicy": {**payload["retryPolicy"], "retryInterval": math.nan}}
    err = refused(lambda: gr.validate(payload))
    [interval] = [v for v in err.violations if v.path == "retryPolicy.retryInterval"]
    assert interval.code == "retry_interval_out_of_range"
    assert "NaN" in interval.message


def test_an_eventbridge_dict_reports_its_unknown_keys_beside_its_broken_rules(genesys: MockGenesys) -> None:
    deployer = gr.EventBridgeDeployer(genesys.environment, genesys.client_id, genesys.client_secret)
    doc = {
        "name": "orders",
        "awsAccountId": "12",
        "aws_region": "eu-west-1",
        "eventSourceSuffix": "orders",
        "topics": [TOPIC],
    }
    err = refused(lambda: deployer.plan(doc))
    assert pairs(err) == [
        ("aws_region", "unknown_key"),
        ("awsRegion", "missing_key"),
        ("awsAccountId", "aws_account_id_invalid"),
    ]
    assert "did you mean `awsRegion`?" in err.violations[0].message
    assert genesys.issued_tokens() == []
