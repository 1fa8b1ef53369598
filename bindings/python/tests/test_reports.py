"""The ``TypedDict``\\ s of ``genesys_resolver.reports`` describe what the reports really hold:
each report's ``to_dict()`` (and the changes, states and timings of its properties), from real
operations against the mock Genesys and the AWS emulator, is checked key by key and type by
type against the type the stub gives it."""

from __future__ import annotations

import typing
from typing import Any, Union

import pytest

import genesys_resolver as gr
from genesys_resolver import reports
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

from conftest import LOCAL, payload_for
from test_eventbridge import desired, make_deployer
from test_route import aws, deployer, moto_url, route_for, route_mock  # noqa: F401


def conforms(value: Any, tp: Any, path: str = "$") -> list[str]:
    """Where `value` does not have type `tp` (TypedDicts, lists, dicts, unions, literals,
    scalars): one message per mismatch, empty when it conforms."""
    if tp is Any or isinstance(tp, typing.ForwardRef):
        return []  # JsonValue's recursion: any JSON
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union:
        if any(not conforms(value, arg, path) for arg in args):
            return []
        return [f"{path}: {value!r} is none of {tp}"]
    if origin is typing.Literal:
        return [] if value in args else [f"{path}: {value!r} not in {args}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: not a list: {value!r}"]
        return [m for i, v in enumerate(value) for m in conforms(v, args[0], f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: not a dict: {value!r}"]
        return [m for k, v in value.items() for m in conforms(v, args[1], f"{path}.{k}")]
    if typing.is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{path}: not a dict: {value!r}"]
        hints = typing.get_type_hints(tp)
        problems = [f"{path}: missing {k}" for k in tp.__required_keys__ if k not in value]
        problems += [f"{path}: unknown {k}" for k in value if k not in hints and k != "class"]
        for k, v in value.items():
            if k in hints:
                problems += conforms(v, hints[k], f"{path}.{k}")
        return problems
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is type(None):
        ok = value is None
    else:
        ok = isinstance(value, tp)
    return [] if ok else [f"{path}: {value!r} is not {tp}"]


def test_the_checker_catches_a_wrong_shape() -> None:
    change = {"kind": "rule", "name": "r", "action": "create", "changes": []}
    assert conforms(change, reports.ResourceChange) == []
    assert conforms({**change, "action": "made"}, reports.ResourceChange)
    assert conforms({**change, "extra": 1}, reports.ResourceChange)
    assert conforms({"kind": "rule"}, reports.ResourceChange)
    assert conforms({**change, "changes": [{"field": "f", "current": None}]}, reports.ResourceChange)


def assert_conforms(value: Any, tp: Any) -> None:
    problems = conforms(value, tp)
    assert problems == [], "\n".join(problems)


def test_route_reports(
    deployer: gr.RouteDeployer, aws: Any, dest: TlsDestination  # noqa: F811
) -> None:
    route = route_for(dest)
    plan = deployer.plan(route)
    assert_conforms(plan.to_dict(), reports.RoutePlanDict)
    assert_conforms(plan.changes, list[reports.ResourceChange])
    assert_conforms(plan.aws_changes, list[reports.ResourceChange])
    check = deployer.check(route)
    assert_conforms(check.to_dict(), reports.RouteCheckReportDict)
    assert_conforms(check.reach, list[reports.ReachReportDict])
    assert check.reach and check.reach[0]["reasons"]  # the reasons' shapes are checked too
    report = deployer.apply(route)
    assert_conforms(report.to_dict(), reports.RouteReportDict)
    assert_conforms(report.changes, list[reports.ResourceChange])
    assert_conforms(deployer.plan(route).to_dict(), reports.RoutePlanDict)  # nothing to do
    destroyed = deployer.destroy(route)
    assert_conforms(destroyed.to_dict(), reports.RouteDestroyReportDict)
    assert_conforms(destroyed.changes, list[reports.ResourceChange])


def test_eventbridge_reports(mock: MockGenesys) -> None:
    deployer = make_deployer(mock)
    d = desired(notes="owned by the orders team")
    assert_conforms(d.to_dict(), reports.EventBridgeIntegrationDict)
    assert_conforms(d.properties(), reports.IntegrationProperties)
    plan = deployer.plan(d)
    assert_conforms(plan.to_dict(), reports.PlanDict)
    assert_conforms(plan.changes, list[reports.FieldChange])
    applied = deployer.apply(d)
    assert_conforms(applied.to_dict(), reports.DeployReportDict)
    assert_conforms(applied.timings, list[reports.StepTiming])
    assert_conforms(applied.reported_state, reports.ReportedState)
    assert_conforms(deployer.plan(d).to_dict(), reports.PlanDict)  # found: ids, versions, state
    assert_conforms(deployer.plan_sync([d], prune=True).to_dict(), reports.SyncPlanDict)
    synced = deployer.sync([desired(topics=["v2.users.{id}.presence"])], prune=True)
    assert_conforms(synced.to_dict(), reports.SyncReportDict)
    disabled = deployer.disable(d.name)
    assert_conforms(disabled.to_dict(), reports.LifecycleReportDict)
    assert_conforms(disabled.timings, list[reports.StepTiming])
    assert_conforms(deployer.delete(d.name).to_dict(), reports.LifecycleReportDict)
    assert_conforms(deployer.delete(d.name).to_dict(), reports.LifecycleReportDict)  # none left
    assert_conforms(deployer.plan_delete(d.name).to_dict(), reports.PlanDict)
    mock.set_activation(error="no event bus")
    with pytest.raises(gr.DeployError) as info:
        deployer.apply(desired(aws_region="us-east-1"))
    assert_conforms(info.value.to_dict(), reports.ErrorReportDict)
    assert_conforms(applied.reported_state, reports.ReportedState)


def test_resolve_and_probe_reports_and_errors(
    mock: MockGenesys, dest: TlsDestination, ca: TestCa, ca_file: str
) -> None:
    resolver = gr.Resolver(mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file, **LOCAL)  # type: ignore[arg-type]
    report = resolver.resolve(payload_for(dest.uri("/")))
    assert_conforms(report.to_dict(), reports.ResolveReportDict)
    for probe in report.endpoints:
        assert_conforms(probe.to_dict(), reports.ProbeReportDict)
        assert_conforms(probe.tls, typing.Optional[reports.TlsReport])
        assert_conforms(probe.health, typing.Optional[reports.HealthReport])
        assert_conforms(probe.phases, reports.PhaseTimings)
    with TlsDestination(ca, certificate="expired") as bad, pytest.raises(gr.TlsError) as tls:
        resolver.resolve(payload_for(bad.uri("/")))
    assert_conforms(tls.value.to_dict(), reports.ErrorReportDict)
    [failed] = [e for e in tls.value.endpoints if not e.ok]
    assert_conforms(failed.failure, reports.ProbeFailure)
    assert failed.failure is not None and failed.failure["stage"] == "tls"
    with pytest.raises(gr.DnsError) as dns:
        resolver.resolve(payload_for("https://nowhere.invalid/"))
    [probe] = dns.value.endpoints
    assert_conforms(probe.failure, reports.ProbeFailure)
    with pytest.raises(gr.ValidationError) as invalid:
        gr.validate({"name": ""})
    assert_conforms(invalid.value.to_dict(), reports.ErrorReportDict)
    for violation in invalid.value.violations:
        assert_conforms(violation.to_dict(), reports.ViolationDict)
    mock.push_fault("list", status=429, retry_after="1")
    with pytest.raises(gr.ResolverError) as limited:
        resolver.resolve(payload_for(dest.uri("/"), name="other"))
    assert_conforms(limited.value.to_dict(), reports.ErrorReportDict)
    assert_conforms(resolver.metrics(), reports.MetricsSnapshot)


def test_metrics_of_the_deployers(
    deployer: gr.RouteDeployer, aws: Any, dest: TlsDestination, mock: MockGenesys  # noqa: F811
) -> None:
    deployer.apply(route_for(dest))
    assert_conforms(deployer.metrics(), reports.MetricsSnapshot)
    eventbridge = make_deployer(mock)
    eventbridge.apply(desired())
    snapshot = eventbridge.metrics()
    assert_conforms(snapshot, reports.MetricsSnapshot)
    assert snapshot["deploys"]["last_deploy"] is not None
