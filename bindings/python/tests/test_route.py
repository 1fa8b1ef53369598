"""The AWS route deployer from Python: the strict AWS emulator in-process as the AWS account
(``genesys_resolver.aws_emulator``), the mock Genesys creating the partner event source in it on
activation, and a local HTTPS destination. Apply, idempotent re-apply,
a plan after a URI change, destroy, typed errors naming the field, pickling, and secrets."""

from __future__ import annotations

import asyncio
import copy
import logging
import pickle
import urllib.request
from collections.abc import Iterator
from typing import Any, cast

import boto3  # type: ignore[import-untyped]
import pytest

import genesys_resolver as gr
from genesys_resolver.aws_emulator import AwsEmulator
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

ORG = "9c5f1a2e-org"
ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eventbridge-api-destinations"
SECRET = "k-route-secret-81b4"
TOPIC = "v2.routing.queues.{id}.conversations"


@pytest.fixture(scope="module")
def moto_url(aws_emulator: AwsEmulator) -> str:
    """The strict AWS emulator (moto held to botocore's model and EventBridge's quotas)."""
    return aws_emulator.url


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Fake credentials (the standard chain reads them from the environment; no instance
    metadata lookups), moto's state reset, and a boto3 EventBridge client on moto."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    yield boto3.client(
        "events",
        region_name=REGION,
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def route_mock(moto_url: str) -> Iterator[MockGenesys]:
    with MockGenesys(organization_id=ORG, aws_emulator=moto_url) as m:
        yield m


@pytest.fixture
def deployer(route_mock: MockGenesys, moto_url: str, ca: TestCa, aws: Any) -> gr.RouteDeployer:
    return gr.RouteDeployer(
        route_mock.environment,
        route_mock.client_id,
        route_mock.client_secret,
        region=REGION,
        endpoint_url=moto_url,
        ca_pem=ca.ca_pem,
        loopback=True,
        hosts={"localhost": ["127.0.0.1"]},
        poll_interval=0.01,
        activation_timeout=10.0,
        source_poll_interval=0.02,
        source_timeout=30.0,
        max_attempts=1,
        request_timeout=5.0,
    )


def route_for(dest: TlsDestination, **changes: Any) -> dict[str, Any]:
    route = cast(
        "dict[str, Any]",
        gr.build_payload("orders route", dest.uri("/hook/a"), [TOPIC], headers={"X-Api-Key": SECRET}),
    )
    route.update(
        awsAccountId=ACCOUNT,
        awsRegion=REGION,
        eventSourceSuffix="orders-test",
        organizationId=ORG,
        roleArn=ROLE,
        invocationRateLimit=50,
    )
    route.update(changes)
    return route


def resources(events: Any) -> dict[str, list[str]]:
    """What moto holds: connections, API destinations, partner buses and their rules."""
    buses = [b["Name"] for b in events.list_event_buses()["EventBuses"] if b["Name"] != "default"]
    rules = [r["Name"] for bus in buses for r in events.list_rules(EventBusName=bus)["Rules"]]
    return {
        "connections": [c["Name"] for c in events.list_connections()["Connections"]],
        "api_destinations": [d["Name"] for d in events.list_api_destinations()["ApiDestinations"]],
        "buses": buses,
        "rules": rules,
    }


def test_apply_reapply_plan_and_destroy(
    deployer: gr.RouteDeployer, aws: Any, dest: TlsDestination
) -> None:
    route = route_for(dest)
    report = deployer.apply(route)
    assert report.name == "orders route"
    assert report.writes > 0
    assert report.rule_arn.startswith("arn:aws:events:us-east-1:")
    held = resources(aws)
    assert held["buses"] == [f"aws.partner/genesys.com/cloud/{ORG}/orders-test"]
    assert len(held["connections"]) == 1 and len(held["api_destinations"]) == 1
    assert len(held["rules"]) == 1
    (bus,) = held["buses"]
    (rule,) = held["rules"]
    targets = aws.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
    assert [t["RoleArn"] for t in targets] == [ROLE]
    api = aws.describe_api_destination(Name=held["api_destinations"][0])
    assert api["InvocationEndpoint"] == dest.uri("/hook/a")
    assert api["InvocationRateLimitPerSecond"] == 50

    again = deployer.apply(route)
    assert again.writes == 0
    assert (again.action, again.changes, again.to_dict()["changes"]) == ("unchanged", [], [])
    assert deployer.plan(route).is_nothing

    moved = route_for(dest, uri=dest.uri("/hook/moved"))
    plan = deployer.plan(moved)
    assert not plan.is_nothing
    changed = plan.aws_changes
    assert [(c["kind"], c["action"]) for c in changed] == [("api_destination", "update")]
    fields = {c["field"]: c for c in changed[0]["changes"]}
    endpoint = next(v for k, v in fields.items() if "ndpoint" in k)
    assert endpoint["desired"] == dest.uri("/hook/moved")
    assert resources(aws) == held  # a plan writes nothing

    check = deployer.check(moved)
    assert check.probes_ok and check.plan.aws_changes == plan.aws_changes

    gone = deployer.destroy(route)
    assert gone.deleted_integration == report.integration_id
    assert gone.action == "deleted"
    assert {w["action"] for w in gone.changes} == {"delete"}
    assert gone.changes[-1]["kind"] == "integration"
    assert resources(aws) == {"connections": [], "api_destinations": [], "buses": [], "rules": []}
    assert deployer.destroy(route).changes == []


def test_one_route_apply_is_one_deploy_and_one_audit_record(
    deployer: gr.RouteDeployer, aws: Any, dest: TlsDestination, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="genesys_resolver")
    route = route_for(dest)
    report = deployer.apply(route)
    assert report.action == "created"
    deploys = deployer.metrics()["deploys"]
    assert (deploys["total"], deploys["plans"]) == (1, 0), deploys
    audits = [r for r in caplog.records if r.name == "genesys_resolver.audit"]
    assert len(audits) == 1, [r.getMessage() for r in audits]
    assert SECRET not in audits[0].getMessage()
    deployer.plan(route)
    deploys = deployer.metrics()["deploys"]
    assert (deploys["total"], deploys["plans"]) == (1, 1), deploys
    assert len([r for r in caplog.records if r.name == "genesys_resolver.audit"]) == 2


def test_async_variants(deployer: gr.RouteDeployer, aws: Any, dest: TlsDestination) -> None:
    route = route_for(dest)

    async def run() -> tuple[gr.RoutePlan, gr.RouteReport, gr.RouteCheckReport, gr.RouteDestroyReport]:
        plan = await deployer.plan_async(route)
        report = await deployer.apply_async(route)
        check = await deployer.check_async(route)
        gone = await deployer.destroy_async(route)
        return plan, report, check, gone

    plan, report, check, gone = asyncio.run(run())
    assert plan.genesys_action == "create" and not plan.is_nothing
    assert report.writes > 0 and check.plan.is_nothing
    assert gone.deleted_integration == report.integration_id
    assert resources(aws)["connections"] == []


def test_check_judges_each_destination_as_eventbridge_will_reach_it(
    deployer: gr.RouteDeployer, aws: Any, route_mock: MockGenesys, dest: TlsDestination
) -> None:
    # The resolver's probe trusts the test CA and allows loopback (``loopback=True``): it
    # passes. EventBridge trusts public roots only and calls public addresses only: it cannot
    # deliver here, and the check says which rule and why.
    route = route_for(dest, uris=[dest.uri("/hook/b?token=q-secret-7c1d")])
    check = deployer.check(route)
    assert check.probes_ok and not check.reach_ok and not check.ok
    assert "reach_ok=False" in repr(check)
    assert [r["path"] for r in check.reach] == ["uri", "uris[0]"]
    for reach in check.reach:
        assert reach["verdict"] == "fail"
        assert reach["connectivity"] == "public"
        found = [(r["rule"], r["reason"]) for r in reach["reasons"]]
        assert found == [("public_address", "private_address"), ("public_trust", "not_publicly_trusted")]
        first = reach["reasons"][0]
        assert first["address"] == "127.0.0.1" and first["range"] == "127.0.0.0/8"
        assert cast("dict[str, Any]", first)["class"] == "loopback"
        assert "EventBridge cannot deliver here" in first["message"]
        days = reach["days_left"]
        assert days is not None and days > 80
        outcomes = {r["rule"]: r["outcome"] for r in reach["rules"]}
        assert outcomes["reachable"] == "passed" and outcomes["time_budget"] == "passed"
    assert check.to_dict()["reach"] == check.reach
    assert "q-secret-7c1d" not in repr(check.to_dict())
    assert pickle.loads(pickle.dumps(check)) == check

    # Declared private connectivity: the address rule is skipped (not passed); the CA still fails.
    private = deployer.check(route_for(dest, connectivity="private"))
    outcomes = {r["rule"]: r["outcome"] for r in private.reach[0]["rules"]}
    assert outcomes["public_address"] == "skipped" and outcomes["public_trust"] == "failed"
    assert private.reach[0]["connectivity"] == "private"

    # The async variant reports the same.
    async def check_async() -> gr.RouteCheckReport:
        return await deployer.check_async(route)

    later = asyncio.run(check_async())
    assert [r["verdict"] for r in later.reach] == ["fail", "fail"]
    assert route_mock.write_requests() == []
    assert resources(aws)["connections"] == []


def test_reports_pickle_and_hide_the_secret(
    deployer: gr.RouteDeployer, aws: Any, dest: TlsDestination
) -> None:
    route = route_for(dest)
    plan = deployer.plan(route)
    report = deployer.apply(route)
    check = deployer.check(route)
    gone = deployer.destroy(route)
    for obj in (plan, report, check, gone):
        assert pickle.loads(pickle.dumps(obj)) == obj
        assert copy.deepcopy(obj).to_dict() == obj.to_dict()
        for text in (repr(obj), str(obj), repr(obj.to_dict())):
            assert SECRET not in text
    assert "X-Api-Key" in repr(plan.to_dict())  # the header shows by name only


@pytest.mark.parametrize(
    ("changes", "path", "code"),
    [
        ({"roleArn": ""}, "roleArn", "role_arn_missing"),
        ({"roleArn": None}, "roleArn", "wrong_type"),
        ({"retryPolicy": {"maxRetries": 186, "retryInterval": 10.0, "backoffFactor": 2.0}},
         "retryPolicy.maxRetries", None),
        ({"invocationRateLimit": 0}, "invocationRateLimit", "invocation_rate_out_of_range"),
        ({"awsAccountId": 12}, "awsAccountId", "wrong_type"),
        # Not the credentials' account, not the client's region: refused before any write.
        ({"awsAccountId": "210987654321"}, "awsAccountId", "aws_account_mismatch"),
        ({"awsRegion": "eu-west-1"}, "awsRegion", "aws_region_mismatch"),
        # How EventBridge reaches the destinations: public or private, nothing else.
        ({"connectivity": "vpc-lattice"}, "connectivity", "connectivity_unknown"),
        ({"connectivity": True}, "connectivity", "wrong_type"),
    ],
)
def test_bad_route_raises_validation_error_naming_the_field(
    deployer: gr.RouteDeployer,
    aws: Any,
    route_mock: MockGenesys,
    dest: TlsDestination,
    changes: dict[str, Any],
    path: str,
    code: str | None,
) -> None:
    route = route_for(dest, **changes)
    with pytest.raises(gr.ValidationError) as info:
        deployer.apply(route)
    err = info.value
    assert err.kind == "validation"
    found = [v for v in err.violations if v.path == path]
    assert found, [v.to_dict() for v in err.violations]
    if code is not None:
        assert found[0].code == code
    for text in (str(err), repr(err), repr(err.to_dict())):
        assert SECRET not in text
    assert route_mock.write_requests() == []
    assert resources(aws)["connections"] == []


def test_a_plan_names_the_account_and_region(deployer: gr.RouteDeployer, dest: TlsDestination) -> None:
    plan = deployer.plan(route_for(dest))
    assert (plan.aws_account_id, plan.aws_region) == (ACCOUNT, REGION)
    assert plan.to_dict()["aws_account_id"] == ACCOUNT


def test_missing_route_keys_are_each_named(deployer: gr.RouteDeployer, dest: TlsDestination) -> None:
    route = route_for(dest)
    for key in ("awsAccountId", "awsRegion", "eventSourceSuffix", "roleArn"):
        del route[key]
    with pytest.raises(gr.ValidationError) as info:
        deployer.plan(route)
    paths = {v.path for v in info.value.violations}
    assert {"awsAccountId", "awsRegion", "eventSourceSuffix", "roleArn"} <= paths


def test_failing_destination_is_a_typed_error_and_writes_nothing(
    deployer: gr.RouteDeployer, aws: Any, route_mock: MockGenesys, ca: TestCa
) -> None:
    with TlsDestination(ca, health_status=503) as sick:
        with pytest.raises(gr.HealthCheckError) as info:
            deployer.apply(route_for(sick))
    assert info.value.stage == "probe"
    assert SECRET not in str(info.value)
    assert route_mock.write_requests() == []
    assert resources(aws)["connections"] == []


def test_an_unreachable_aws_raises_the_aws_error(
    route_mock: MockGenesys, aws: Any, ca: TestCa, dest: TlsDestination, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # no SDK retries against a closed port
    deployer = gr.RouteDeployer(
        route_mock.environment,
        route_mock.client_id,
        route_mock.client_secret,
        region=REGION,
        endpoint_url=f"http://127.0.0.1:{closed}",
        ca_pem=ca.ca_pem,
        loopback=True,
        max_attempts=1,
    )
    with pytest.raises(gr.AwsError) as info:
        deployer.plan(route_for(dest))
    err = info.value
    assert (err.kind, err.upstream, err.retryable) == ("aws_unreachable", "aws", True)
    assert not isinstance(err, gr.GenesysApiError)
    assert err.operation and err.resource
    assert err.to_dict()["upstream"] == "aws"
    assert SECRET not in str(err) and SECRET not in repr(err.to_dict())


def test_repr_names_the_deployer(deployer: gr.RouteDeployer, route_mock: MockGenesys) -> None:
    text = repr(deployer)
    assert text.startswith("RouteDeployer(") and "us-east-1" in text
    assert route_mock.client_secret not in text


def test_payload_and_route_problems_are_reported_together(
    deployer: gr.RouteDeployer, dest: TlsDestination
) -> None:
    route = route_for(dest, awsRegion=5, deadLetterArn=7, invocationRateLimit=True)
    route["retryPolicy"] = {"maxRetry": 3, "retryInterval": 10.0, "backoffFactor": 2.0}
    with pytest.raises(gr.ValidationError) as info:
        deployer.check(route)
    codes = {(v.path, v.code) for v in info.value.violations}
    assert {
        ("awsRegion", "wrong_type"),
        ("deadLetterArn", "wrong_type"),
        ("invocationRateLimit", "wrong_type"),
        ("retryPolicy.maxRetry", "unknown_key"),
        ("retryPolicy.maxRetries", "missing_key"),
    } <= codes
    assert SECRET not in str(info.value)
