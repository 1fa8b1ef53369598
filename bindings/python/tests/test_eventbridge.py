"""Amazon EventBridge integrations from Python: the model and its validation, plan and apply
against the mock's real integrations API (create, update with a diff, idempotent re-apply,
ERROR, timeout, conflicts, paging, topics), the async variants, errors and secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import genesys_resolver as gr
from genesys_resolver.testing import MockGenesys

TOPIC = "v2.routing.queues.{id}.conversations"
PRESENCE = "v2.users.{id}.presence"

FAST = {
    "poll_interval": 0.01,  # state polls every 10 ms, doubling up to 50 ms
    "max_poll_interval": 0.05,
    "activation_timeout": 10.0,
    "max_attempts": 1,  # no retry back-off in tests
    "request_timeout": 5.0,
}


def desired(**changes: Any) -> gr.EventBridgeIntegration:
    fields: dict[str, Any] = {
        "name": "orders-to-aws",
        "aws_account_id": "123456789012",
        "aws_region": "eu-west-1",
        "event_source_suffix": "orders",
        "topics": [TOPIC, PRESENCE],
    }
    fields.update(changes)
    notes = fields.pop("notes", None)
    return gr.EventBridgeIntegration(**fields, notes=notes)


def make_deployer(mock: MockGenesys, **settings: Any) -> gr.EventBridgeDeployer:
    args: dict[str, Any] = dict(FAST)
    args.update(settings)
    return gr.EventBridgeDeployer(mock.environment, mock.client_id, mock.client_secret, **args)


@pytest.fixture
def deployer(mock: MockGenesys) -> gr.EventBridgeDeployer:
    return make_deployer(mock)


def writes(mock: MockGenesys) -> list[tuple[str, str]]:
    return [(r["route"], r["method"]) for r in mock.write_requests()]


# --- The model ------------------------------------------------------------------------------


def test_the_model_reads_its_arguments_and_round_trips() -> None:
    d = desired(notes="owned by the orders team")
    assert (d.name, d.aws_account_id, d.aws_region, d.event_source_suffix) == (
        "orders-to-aws",
        "123456789012",
        "eu-west-1",
        "orders",
    )
    assert d.topics == [TOPIC, PRESENCE]
    assert d.notes == "owned by the orders team"
    d.validate()
    assert d.violations() == []
    assert d.to_dict() == {
        "name": "orders-to-aws",
        "awsAccountId": "123456789012",
        "awsRegion": "eu-west-1",
        "eventSourceSuffix": "orders",
        "topics": [TOPIC, PRESENCE],
        "notes": "owned by the orders team",
    }
    assert d.properties() == {
        "awsAccountId": "123456789012",
        "awsAccountRegion": "eu-west-1",
        "eventSourceSuffix": "orders",
        "eventFilter": [TOPIC, PRESENCE],
    }
    assert gr.EventBridgeIntegration.from_dict(d.to_dict()) == d
    assert desired() != d
    assert "notes" not in desired().to_dict()
    assert repr(desired()).startswith("EventBridgeIntegration(name='orders-to-aws', aws_account_id=")
    # Any iterable of topics will do.
    assert desired(topics=(t for t in [TOPIC])).topics == [TOPIC]


def test_validate_lists_every_violation_with_its_path() -> None:
    bad = desired(
        aws_account_id="12345678901a",
        aws_region="eu-west1",
        event_source_suffix="has space",
        topics=["v2.a", "nope", "v2.a"],
    )
    with pytest.raises(gr.ValidationError) as info:
        bad.validate()
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.stage, err.kind, err.retryable) == ("validate", "validation", False)
    assert [(v.path, v.code) for v in err.violations] == [
        ("awsAccountId", "aws_account_id_invalid"),
        ("awsRegion", "aws_region_unknown"),
        ("eventSourceSuffix", "event_source_suffix_invalid"),
        ("topics[1]", "event_type_invalid"),
        ("topics[2]", "event_type_duplicate"),
    ]
    assert "did you mean eu-west-1" in err.violations[1].message
    assert str(err).startswith("the EventBridge integration is invalid (5 violations): ")
    assert bad.violations() == err.violations
    empty = desired(topics=[], event_source_suffix="a" * 65)
    assert [v.code for v in empty.violations()] == ["event_source_suffix_invalid", "topics_empty"]


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"name": 7}, "name", "expected a string, found a number"),
        ({"aws_account_id": 123456789012}, "awsAccountId", "expected a string, found a number"),
        ({"aws_region": None}, "awsRegion", "expected a string, found null"),
        ({"event_source_suffix": b"orders"}, "eventSourceSuffix", "`bytes` has no JSON form"),
        ({"topics": TOPIC}, "topics", "expected an array of strings, found a string"),
        ({"topics": {TOPIC: 1}}, "topics", "expected an array of strings, found an object"),
        ({"topics": [TOPIC, 3]}, "topics[1]", "expected a string, found a number"),
        ({"notes": True}, "notes", "expected a string, found a boolean"),
    ],
)
def test_wrong_types_are_violations_at_their_paths(changes: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(gr.ValidationError) as info:
        desired(**changes)
    [v] = info.value.violations
    assert (v.path, v.code, v.message) == (path, "wrong_type", message)


def test_from_dict_reports_unknown_missing_and_mistyped_keys() -> None:
    data: dict[str, Any] = desired().to_dict()
    data["aws_region"] = data.pop("awsRegion")
    del data["topics"]
    data["name"] = 5
    with pytest.raises(gr.ValidationError) as info:
        gr.EventBridgeIntegration.from_dict(data)
    got = {(v.path, v.code) for v in info.value.violations}
    assert got == {
        ("aws_region", "unknown_key"),
        ("awsRegion", "missing_key"),
        ("topics", "missing_key"),
        ("name", "wrong_type"),
    }
    [hint] = [v.message for v in info.value.violations if v.code == "unknown_key"]
    assert "did you mean `awsRegion`?" in hint
    with pytest.raises(gr.ValidationError) as info:
        gr.EventBridgeIntegration.from_dict([1, 2])  # type: ignore[arg-type]
    assert [(v.path, v.code, v.message) for v in info.value.violations] == [
        ("$", "wrong_type", "expected an object, found an array")
    ]


# --- plan and apply -------------------------------------------------------------------------


def test_plan_of_a_missing_integration_is_a_create_without_writes(
    deployer: gr.EventBridgeDeployer, mock: MockGenesys
) -> None:
    plan = deployer.plan(desired())
    assert isinstance(plan, gr.Plan)
    assert plan.name == "orders-to-aws"
    assert plan.target == "aws://eu-west-1/123456789012/orders"
    assert (plan.action, plan.is_nothing, plan.enable) == ("create", False, True)
    assert [c["field"] for c in plan.changes] == [
        "awsAccountId",
        "awsAccountRegion",
        "eventSourceSuffix",
        "eventFilter",
        "intendedState",
    ]
    assert (plan.integration_id, plan.current_version, plan.intended_state, plan.reported_state) == (
        None,
        None,
        None,
        None,
    )
    assert plan.correlation_id
    assert plan.to_dict()["action"] == "create"
    assert repr(plan) == "Plan(name='orders-to-aws', action='create', integration_id=None, changes=5)"
    assert mock.write_requests() == []
    assert mock.platform_integrations() == []


def test_apply_creates_then_replan_is_nothing_and_reapply_writes_nothing(
    deployer: gr.EventBridgeDeployer, mock: MockGenesys
) -> None:
    report = deployer.apply(desired())
    assert isinstance(report, gr.DeployReport)
    assert (report.action, report.writes) == ("created", ["create", "write_config", "enable"])
    assert report.changed is True
    assert report.reported_state == {"code": "ACTIVE"}
    assert report.target == "aws://eu-west-1/123456789012/orders"
    assert [c["field"] for c in report.changes] == [
        "awsAccountId",
        "awsAccountRegion",
        "eventSourceSuffix",
        "eventFilter",
        "intendedState",
    ]
    assert report.config_version == 2
    assert (report.recovered_create, report.conflict_retries) == (False, 0)
    assert report.polls >= 1
    # The organisation is read first (once per deployer): it names the partner event source.
    assert [t["step"] for t in report.timings][:4] == ["validate", "organization", "lookup", "create"]
    assert report.elapsed_ms > 0
    assert report.correlation_id
    assert report.to_dict()["writes"] == report.writes
    assert report.to_dict()["action"] == "create"  # the integration's change: a create
    assert repr(report).startswith("DeployReport(name='orders-to-aws', integration_id=")

    [stored] = mock.platform_integrations_named("orders-to-aws")
    assert stored["id"] == report.integration_id
    assert stored["integrationType"]["id"] == "amazon-eventbridge-source"
    assert stored["intendedState"] == "ENABLED"
    config = mock.platform_config(report.integration_id)
    assert config is not None and config["properties"] == desired().properties()
    assert writes(mock) == [
        ("integration_create", "POST"),
        ("config_put", "PUT"),
        ("integration_patch", "PATCH"),
    ]

    plan = deployer.plan(desired())
    assert (plan.action, plan.is_nothing, plan.enable) == ("nothing", True, False)
    assert plan.integration_id == report.integration_id
    assert plan.current_version == 2
    assert plan.intended_state == "ENABLED"
    assert plan.reported_state == {"code": "ACTIVE"}

    before = len(mock.write_requests())
    again = deployer.apply(desired())
    assert (again.action, again.writes, again.changed) == ("unchanged", [], False)
    assert again.integration_id == report.integration_id
    assert len(mock.write_requests()) == before  # only reads the second time
    assert mock.requests("integration_create") == 1


def test_update_shows_the_field_diff_then_writes_only_the_configuration(
    deployer: gr.EventBridgeDeployer, mock: MockGenesys
) -> None:
    first = deployer.apply(desired())
    changed = desired(aws_region="us-east-1", topics=[PRESENCE, TOPIC], notes="moved to us-east-1")
    plan = deployer.plan(changed)
    assert plan.action == "update"
    # Topic order does not matter; the region and the notes differ.
    assert plan.changes == [
        {"field": "awsAccountRegion", "current": "eu-west-1", "desired": "us-east-1"},
        {"field": "notes", "current": None, "desired": "moved to us-east-1"},
    ]
    assert plan.to_dict()["changes"] == plan.changes
    assert plan.integration_id == first.integration_id

    before = len(mock.write_requests())
    report = deployer.apply(changed)
    assert (report.action, report.writes) == ("updated", ["write_config"])
    assert report.integration_id == first.integration_id
    assert [c["field"] for c in report.changes] == ["awsAccountRegion", "notes"]
    assert writes(mock)[before:] == [("config_put", "PUT")]
    assert deployer.plan(changed).is_nothing


def test_dict_integrations_are_accepted(deployer: gr.EventBridgeDeployer, mock: MockGenesys) -> None:
    assert deployer.plan(desired().to_dict()).action == "create"
    with pytest.raises(gr.ValidationError) as info:
        deployer.plan({**desired().to_dict(), "awsAccountId": "12"})
    assert [v.path for v in info.value.violations] == ["awsAccountId"]
    with pytest.raises(gr.ValidationError) as info:
        deployer.plan(42)  # type: ignore[arg-type]
    assert "expected an EventBridgeIntegration or a dict" in str(info.value)
    assert mock.write_requests() == []


def test_an_existing_integration_is_found_across_pages(mock: MockGenesys) -> None:
    for i in range(5):
        mock.insert_platform_integration(f"other-{i}")
    mock.insert_platform_integration("orders-to-aws", "some-other-type")  # same name, other type
    existing = mock.insert_platform_integration("orders-to-aws")
    paged = make_deployer(mock, page_size=2)
    plan = paged.plan(desired())
    assert plan.integration_id == existing
    assert plan.action == "update"  # its configuration is empty
    assert plan.intended_state == "DISABLED"
    assert plan.enable is True
    assert mock.requests("integration_list") >= 3  # several pages walked
    report = paged.apply(desired())
    assert report.integration_id == existing
    assert report.writes == ["write_config", "enable"]


# --- Failures -------------------------------------------------------------------------------


def test_an_error_state_raises_deploy_error_with_the_detail(
    deployer: gr.EventBridgeDeployer, mock: MockGenesys
) -> None:
    detail = "The partner event source is not associated with an event bus"
    mock.set_activation(error=detail)
    with pytest.raises(gr.DeployError) as info:
        deployer.apply(desired())
    err = info.value
    assert type(err) is gr.ActivationFailedError
    assert isinstance(err, gr.ResolverError)
    assert (err.kind, err.stage, err.step) == ("activation_failed", "submit", "activate")
    assert err.retryable is False
    assert err.detail == detail
    [stored] = mock.platform_integrations_named("orders-to-aws")
    assert err.integration_id == stored["id"]
    assert stored["reportedState"]["code"] == "ERROR"
    assert detail in str(err)
    as_dict = err.to_dict()
    assert (as_dict["kind"], as_dict["step"], as_dict["detail"]) == ("activation_failed", "activate", detail)
    assert as_dict["integration_id"] == stored["id"]
    # The plan shows the state, and what apply would do about it.
    plan = deployer.plan(desired())
    assert plan.action == "update"
    assert plan.changes == [{"field": "reportedState", "current": "ERROR", "desired": "ACTIVE"}]
    assert plan.reported_state == {"code": "ERROR", "detail": detail}


def test_an_activation_that_never_ends_times_out(mock: MockGenesys) -> None:
    mock.set_activation(never=True)
    impatient = make_deployer(mock, activation_timeout=0.3)
    start = time.monotonic()
    with pytest.raises(gr.DeployError) as info:
        impatient.apply(desired())
    assert time.monotonic() - start < 8  # about 0.3 s; generous on a busy machine
    err = info.value
    assert (err.kind, err.step, err.retryable) == ("activation_timeout", "activate", True)
    assert err.integration_id
    assert err.detail is None
    assert "ACTIVATING" in str(err)


def test_version_conflicts_are_retried_then_raised(
    deployer: gr.EventBridgeDeployer, mock: MockGenesys
) -> None:
    mock.race_config_writes(1)
    report = deployer.apply(desired())
    assert report.conflict_retries == 1

    # The budget: the first write and four retries, each after reading the configuration again.
    mock.race_config_writes(5)
    with pytest.raises(gr.DeployError) as info:
        deployer.apply(desired(aws_region="us-east-1"))
    err = info.value
    assert (err.kind, err.step, err.stage, err.retryable) == ("conflict", "write_config", "submit", True)
    assert err.integration_id == report.integration_id


def test_two_integrations_with_the_name_are_ambiguous(
    deployer: gr.EventBridgeDeployer, mock: MockGenesys
) -> None:
    a = mock.insert_platform_integration("orders-to-aws")
    b = mock.insert_platform_integration("orders-to-aws")
    with pytest.raises(gr.DeployError) as info:
        deployer.apply(desired())
    err = info.value
    assert (err.kind, err.step, err.stage) == ("ambiguous", "lookup", "route_mapping")
    assert a in str(err) and b in str(err)
    assert mock.write_requests() == []


def test_unknown_topics_are_reported_with_a_suggestion(mock: MockGenesys) -> None:
    checking = make_deployer(mock, check_topics=True)
    typo = desired(topics=["v2.routing.queues.{id}.conversation", PRESENCE])
    typo.validate()  # a well-formed name: only the organisation knows it is not offered
    with pytest.raises(gr.ValidationError) as info:
        checking.plan(typo)
    err = info.value
    assert (err.stage, err.step) == ("validate", "validate")
    [v] = err.violations
    assert (v.path, v.code) == ("topics[0]", "topic_unknown")
    assert f"did you mean {TOPIC}?" in v.message
    with pytest.raises(gr.ValidationError):
        checking.apply(typo)
    assert mock.write_requests() == []
    assert mock.requests("available_topics") == 1  # read once, cached by the deployer

    # A concrete id matches the `{id}` placeholder; the check is off by default.
    assert checking.plan(desired(topics=["v2.users.0f3c-11.presence"])).action == "create"
    assert make_deployer(mock).plan(typo).action == "create"

    fresh = MockGenesys()
    with fresh:
        fresh.set_available_topics(["v2.custom.{id}.things"])
        custom = make_deployer(fresh, check_topics=True)
        assert custom.available_topics() == ["v2.custom.{id}.things"]
        assert custom.plan(desired(topics=["v2.custom.{id}.things"])).action == "create"
        with pytest.raises(gr.ValidationError):
            custom.plan(desired())


def test_api_failures_map_to_the_resolvers_classes(
    deployer: gr.EventBridgeDeployer, mock: MockGenesys
) -> None:
    mock.push_fault("integration_create", status=400)
    with pytest.raises(gr.GenesysApiError) as info:
        deployer.apply(desired())
    err = info.value
    assert type(err) is gr.GenesysApiError
    assert (err.kind, err.stage, err.step, err.status) == ("api", "submit", "create", 400)
    assert err.code and err.correlation_id
    assert err.to_dict()["step"] == "create"

    mock.push_fault("integration_list", status=429, retry_after="120")
    with pytest.raises(gr.RateLimitedError) as info:
        deployer.plan(desired())
    limited = info.value
    assert (limited.kind, limited.step, limited.stage) == ("rate_limited", "lookup", "route_mapping")
    assert limited.retry_after == 120.0
    assert limited.retryable is True

    mock.push_fault("config_get", drop_connection=True)
    mock.insert_platform_integration("orders-to-aws")
    with pytest.raises(gr.GenesysApiError) as info:
        deployer.plan(desired())
    assert (info.value.kind, info.value.step, info.value.status) == ("transport", "read_config", None)


def test_refused_credentials_are_an_auth_error_without_the_secret(mock: MockGenesys) -> None:
    wrong = gr.EventBridgeDeployer(mock.environment, mock.client_id, "not-the-secret", **FAST)  # type: ignore[arg-type]
    with pytest.raises(gr.AuthError) as info:
        wrong.plan(desired())
    err = info.value
    assert (err.kind, err.stage, err.status, err.code) == ("auth", "token", 401, "invalid_client")
    assert err.step == "organization"  # the first call: the organisation, read once
    assert "not-the-secret" not in str(err)
    assert "not-the-secret" not in json.dumps(err.to_dict())
    assert "not-the-secret" not in repr(wrong)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"environment": "atlantis_1"}, "environment: "),
        ({"poll_interval": -1.0}, "poll_interval: expected a positive number of seconds"),
        ({"activation_timeout": 0.0}, "activation_timeout: expected a positive number of seconds"),
        ({"poll_interval": 2.0, "max_poll_interval": 1.0}, "poll_interval"),
        ({"page_size": 0}, "page_size"),
        ({"max_attempts": 0}, "max_attempts: must be at least 1"),
        ({"rate_limit_per_minute": 0}, "rate_limit_per_minute"),
        ({"ca_file": "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"),
    ],
)
def test_bad_settings_are_config_errors(mock: MockGenesys, settings: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "environment": mock.environment,
        "client_id": mock.client_id,
        "client_secret": mock.client_secret,
    }
    args.update(settings)
    with pytest.raises(gr.ResolverError) as info:
        gr.EventBridgeDeployer(**args)
    err = info.value
    assert type(err) is gr.ConfigError
    assert (err.kind, err.stage) == ("config", None)
    assert message in str(err)
    assert mock.client_secret not in str(err)


# --- asyncio, the GIL and Ctrl-C -------------------------------------------------------------


@pytest.mark.asyncio
async def test_async_plan_and_apply(mock: MockGenesys) -> None:
    deployer = make_deployer(mock)
    plan = await deployer.plan_async(desired())
    assert plan.action == "create"
    report = await deployer.apply_async(desired())
    assert report.writes == ["create", "write_config", "enable"]
    # Several at once on the shared runtime.
    plans = await asyncio.gather(*(deployer.plan_async(desired()) for _ in range(5)))
    assert [p.action for p in plans] == ["nothing"] * 5

    mock.set_activation(error="no event bus")
    with pytest.raises(gr.DeployError) as info:
        await deployer.apply_async(desired(aws_region="us-east-1"))
    assert (info.value.kind, info.value.detail) == ("activation_failed", "no event bus")
    with pytest.raises(gr.ValidationError):
        await deployer.plan_async(desired(aws_account_id="1"))


@pytest.mark.asyncio
async def test_async_apply_can_be_cancelled(mock: MockGenesys) -> None:
    mock.set_activation(never=True)
    waiting = make_deployer(mock, activation_timeout=60.0)
    start = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(waiting.apply_async(desired()), timeout=0.3)
    assert time.monotonic() - start < 10


def test_other_threads_run_while_apply_waits(mock: MockGenesys) -> None:
    mock.set_activation(after_delay=0.5)
    deployer = make_deployer(mock)
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    worker = threading.Thread(target=count)
    worker.start()
    try:
        before = ticks
        report = deployer.apply(desired())
        during = ticks - before
    finally:
        stop.set()
        worker.join()
    assert report.reported_state == {"code": "ACTIVE"}
    assert during > 10, during  # none at all if apply held the GIL while it waited


def test_ctrl_c_interrupts_apply() -> None:
    # In a child process, so the signal cannot reach the test runner.
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import genesys_resolver as gr\n"
        "from genesys_resolver.testing import MockGenesys\n"
        "mock = MockGenesys()\n"
        "mock.set_activation(never=True)\n"
        "d = gr.EventBridgeDeployer(mock.environment, mock.client_id, mock.client_secret,\n"
        "                           poll_interval=0.05, activation_timeout=60)\n"
        "desired = gr.EventBridgeIntegration('x', '123456789012', 'eu-west-1', 'x',\n"
        "                                    ['v2.users.{id}.presence'])\n"
        "print('ready', flush=True)\n"
        "start = time.monotonic()\n"
        "try:\n"
        "    d.apply(desired)\n"
        "except KeyboardInterrupt:\n"
        "    print(f'interrupted {time.monotonic() - start:.2f}', flush=True)\n"
        "    sys.exit(3)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 3, err
    assert out.startswith("interrupted"), out
    assert float(out.split()[1]) < 20  # not the 60 s activation timeout


# --- Mock controls, metrics and secrets ------------------------------------------------------


def test_mock_controls_validate_their_arguments(mock: MockGenesys) -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        mock.set_activation()
    with pytest.raises(ValueError, match="exactly one of"):
        mock.set_activation(after_polls=1, never=True)
    with pytest.raises(ValueError, match="unknown route `nowhere`"):
        mock.push_fault("nowhere", status=500)
    mock.set_activation(after_polls=0)
    mock.set_activation(error="x", error_after_polls=0)
    assert mock.platform_config("no-such-id") is None


def test_activation_after_a_number_of_polls(mock: MockGenesys) -> None:
    mock.set_activation(after_polls=3)
    report = make_deployer(mock).apply(desired())
    assert report.polls == 3
    assert mock.requests("integration_get") == 3


def test_metrics_count_plans_and_applies(deployer: gr.EventBridgeDeployer) -> None:
    deployer.plan(desired())
    deployer.apply(desired())
    snapshot = deployer.metrics()
    # Deploys are counted apart from resolves: the apply, then the plan.
    assert (snapshot["deploys"]["total"], snapshot["deploys"]["plans"]) == (1, 1)
    assert (snapshot["total_resolves"], snapshot["dry_runs"]) == (0, 0)
    assert snapshot["deploys"]["by_action"]["created"] == 1
    assert snapshot["token_fetches"] == 1
    assert snapshot["api_responses"]["200"] >= 5
    assert "genesys_resolver_deploy_duration_seconds" in deployer.prometheus()


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog


def test_secrets_stay_out_of_reprs_errors_reports_and_logs(
    mock: MockGenesys, all_logs: pytest.LogCaptureFixture
) -> None:
    deployer = make_deployer(mock)
    deployer.plan(desired())
    report = deployer.apply(desired())
    mock.set_activation(error="no event bus")
    with pytest.raises(gr.DeployError) as info:
        deployer.apply(desired(aws_region="us-east-1"))
    tokens = mock.issued_tokens()
    assert tokens
    secrets = [mock.client_secret, *tokens]
    texts = [
        repr(deployer),
        repr(report),
        json.dumps(report.to_dict()),
        json.dumps(deployer.plan(desired()).to_dict()),
        str(info.value),
        repr(info.value),
        json.dumps(info.value.to_dict()),
        json.dumps(mock.write_requests()),
        deployer.prometheus(),
        json.dumps(deployer.metrics()),
    ]
    logged = [r.getMessage() for r in all_logs.records]
    assert any("EventBridge integration created" in m for m in logged)  # the logs were captured
    for secret in secrets:
        for text in texts + logged:
            assert secret not in text
