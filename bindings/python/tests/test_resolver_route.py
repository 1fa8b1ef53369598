"""``Resolver`` in route mode: the main job deploying the real route (``route=...``, or
``RESOLVER_DEPLOY_TARGET=route`` for ``from_env``) against the mock Genesys, the strict AWS
emulator in-process and a local HTTPS destination."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

import genesys_resolver as gr
from genesys_resolver.aws_emulator import AwsEmulator
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

ORG = "4a7e2c1b-org"
ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eventbridge-api-destinations"
SECRET = "k-main-job-secret-51c2"
TOPIC = "v2.routing.queues.{id}.conversations"


@pytest.fixture
def aws(aws_emulator: AwsEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Fake credentials from the environment (the standard chain), the emulator reset, and a
    boto3 EventBridge client on it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    request = urllib.request.Request(f"{aws_emulator.url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    yield boto3.client(
        "events",
        region_name=REGION,
        endpoint_url=aws_emulator.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def route_mock(aws_emulator: AwsEmulator) -> Iterator[MockGenesys]:
    with MockGenesys(organization_id=ORG, aws_emulator=aws_emulator.url) as m:
        yield m


def route_resolver(mock: MockGenesys, ca: TestCa, emulator_url: str) -> gr.Resolver:
    return gr.Resolver(
        mock.environment,
        mock.client_id,
        mock.client_secret,
        ca_pem=ca.ca_pem,
        loopback=True,
        hosts={"localhost": ["127.0.0.1"]},
        max_attempts=1,
        route={
            "aws_account_id": ACCOUNT,
            "aws_region": REGION,
            "role_arn": ROLE,
            "event_source_suffix": "py-{name}",
            "aws_endpoint_url": emulator_url,
            "poll_interval": 0.01,
            "source_poll_interval": 0.02,
            "source_timeout": 30.0,
        },
    )


def test_resolve_in_route_mode_deploys_a_route_that_delivers(
    route_mock: MockGenesys,
    aws: Any,
    aws_emulator: AwsEmulator,
    ca: TestCa,
    dest: TlsDestination,
) -> None:
    resolver = route_resolver(route_mock, ca, aws_emulator.url)
    payload = gr.build_payload("orders", dest.uri("/hook/py"), [TOPIC], headers={"X-Api-Key": SECRET})

    check = resolver.check(payload)
    assert check.dry_run and check.action == "created"
    assert check.target == f"route://{REGION}/{ACCOUNT}/py-orders"
    assert check.route is not None and check.route["name"] == "orders"
    assert route_mock.write_requests() == []

    report = resolver.resolve(payload)
    assert report.action == "created"
    assert report.target == f"route://{REGION}/{ACCOUNT}/py-orders"
    route = report.route
    assert route is not None
    bus = f"aws.partner/genesys.com/cloud/{ORG}/py-orders"
    assert route["partner_event_source"] == bus
    assert route["partner_event_source_state"] == "ACTIVE"
    assert route["integration_id"] == report.integration_id
    assert [d["path"] for d in route["destinations"]] == ["uri"]
    assert SECRET not in json.dumps(report.to_dict())
    assert SECRET not in repr(report)

    # Genesys' event on the partner bus reaches the destination.
    before = len(dest.requests())
    aws.put_partner_events(
        Entries=[
            {
                "Source": bus,
                "DetailType": TOPIC,
                "Detail": json.dumps(
                    {"topicName": "v2.routing.queues.q1.conversations", "eventBody": {"conversationId": "c-1"}}
                ),
            }
        ]
    )
    assert dest.requests()[before:] == ["/hook/py"]

    # Again: nothing written on either side; the report pickles with the route's report.
    again = resolver.resolve(payload)
    assert again.action == "unchanged"
    assert again.route is not None and again.route["changes"] == []
    import pickle

    assert pickle.loads(pickle.dumps(again)) == again


def test_route_mode_errors_are_typed_and_name_the_setting(
    route_mock: MockGenesys, aws: Any, aws_emulator: AwsEmulator, ca: TestCa, dest: TlsDestination
) -> None:
    with pytest.raises(gr.ConfigError, match="role_arn"):
        gr.Resolver(
            route_mock.environment,
            route_mock.client_id,
            route_mock.client_secret,
            route={"aws_account_id": ACCOUNT, "aws_region": REGION},
        )
    with pytest.raises(ValueError, match="unknown field `bogus`"):
        gr.Resolver(
            route_mock.environment,
            route_mock.client_id,
            route_mock.client_secret,
            route={"aws_account_id": ACCOUNT, "bogus": 1},
        )
    # A dead destination fails the probe before any write on either side.
    resolver = route_resolver(route_mock, ca, aws_emulator.url)
    dead = gr.build_payload("dead-end", "https://localhost:9/nowhere", [TOPIC])
    with pytest.raises(gr.HealthCheckError) as caught:
        resolver.resolve(dead)
    assert caught.value.stage == "probe"
    assert route_mock.write_requests() == []
    assert [b["Name"] for b in aws.list_event_buses()["EventBuses"]] == ["default"]


def test_from_env_reads_the_route_target(
    route_mock: MockGenesys, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESOLVER_DEPLOY_TARGET", "route")
    monkeypatch.setenv("RESOLVER_ROUTE_AWS_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("RESOLVER_ROUTE_AWS_REGION", "eu-west-9")
    monkeypatch.setenv("RESOLVER_ROUTE_ROLE_ARN", ROLE)
    with pytest.raises(gr.ConfigError, match="aws_region"):
        gr.Resolver.from_env(
            environment=route_mock.environment,
            client_id=route_mock.client_id,
            client_secret=route_mock.client_secret,
        )
