"""The EventBridge lifecycle from Python against the mock: disable, delete (waiting out a
deleting lag), plan_delete, delete_id, sync with and without prune, the partner event source,
undeliverable topics, integrations being deleted never re-enabled, the async variants, typed
and picklable reports, and the new error class."""

from __future__ import annotations

import asyncio
import copy
import pickle
from typing import Any

import pytest

import genesys_resolver as gr
from genesys_resolver.testing import MockGenesys

TOPIC = "v2.routing.queues.{id}.conversations"
PRESENCE = "v2.users.{id}.presence"

FAST = {
    "poll_interval": 0.01,
    "max_poll_interval": 0.05,
    "activation_timeout": 10.0,
    "deletion_timeout": 10.0,
    "max_attempts": 1,
    "request_timeout": 5.0,
}


def desired(name: str = "orders", suffix: str = "orders", **changes: Any) -> gr.EventBridgeIntegration:
    fields: dict[str, Any] = {
        "name": name,
        "aws_account_id": "123456789012",
        "aws_region": "eu-west-1",
        "event_source_suffix": suffix,
        "topics": [TOPIC],
    }
    fields.update(changes)
    return gr.EventBridgeIntegration(**fields)


def make_deployer(mock: MockGenesys, **settings: Any) -> gr.EventBridgeDeployer:
    args: dict[str, Any] = dict(FAST)
    args.update(settings)
    return gr.EventBridgeDeployer(mock.environment, mock.client_id, mock.client_secret, **args)


@pytest.fixture
def org_mock() -> Any:
    with MockGenesys(organization_id="org-7") as m:
        m.set_activation(after_polls=0)
        yield m


def round_trips(obj: Any) -> list[Any]:
    return [pickle.loads(pickle.dumps(obj)), copy.copy(obj), copy.deepcopy(obj)]


def test_delete_then_plan_says_create(org_mock: MockGenesys) -> None:
    deployer = make_deployer(org_mock)
    report = deployer.apply(desired())
    assert report.event_source == "aws.partner/genesys.com/cloud/org-7/orders"
    plan = deployer.plan_delete("orders")
    assert plan.action == "delete"
    assert plan.integration_id == report.integration_id
    assert plan.event_source == report.event_source
    assert plan.target == "aws://eu-west-1/123456789012/orders"
    assert len(org_mock.platform_integrations()) == 1

    deleted = deployer.delete("orders")
    assert isinstance(deleted, gr.LifecycleReport)
    assert deleted.action == "deleted"
    assert deleted.changed
    assert deleted.integration_id == report.integration_id
    assert deleted.event_source == report.event_source
    assert org_mock.platform_integrations() == []
    assert deployer.plan(desired()).action == "create"
    assert deployer.plan_delete("orders").action == "nothing"
    again = deployer.delete("orders")
    assert (again.action, again.integration_id) == ("unchanged", None)
    assert org_mock.requests("integration_delete") == 1
    assert deployer.organization_id() == "org-7"


def test_delete_waits_out_a_deleting_lag_and_its_timeout_raises() -> None:
    with MockGenesys(deleting_lag=0.3) as mock:
        mock.set_activation(after_polls=0)
        deployer = make_deployer(mock)
        deployer.apply(desired())
        report = deployer.delete("orders")
        assert report.polls >= 2
        assert mock.platform_integrations() == []
        mock.set_deleting_lag(30.0)
        deployer.apply(desired())
        impatient = make_deployer(mock, deletion_timeout=0.1)
        with pytest.raises(gr.DeletionTimeoutError) as info:
            impatient.delete("orders")
        assert isinstance(info.value, gr.DeployError)
        assert info.value.kind == "deletion_timeout"
        assert info.value.step == "delete"
        assert info.value.retryable
        assert info.value.integration_id


def test_disable_is_idempotent(org_mock: MockGenesys) -> None:
    deployer = make_deployer(org_mock)
    deployer.apply(desired())
    report = deployer.disable("orders")
    assert report.action == "disabled"
    assert report.reported_state == {"code": "INACTIVE"}
    assert org_mock.platform_integrations()[0]["intendedState"] == "DISABLED"
    before = len(org_mock.write_requests())
    assert deployer.disable("orders").action == "unchanged"
    assert deployer.disable("missing").integration_id is None
    assert len(org_mock.write_requests()) == before
    assert deployer.plan(desired()).action == "update"


def test_ambiguous_names_point_to_delete_id(org_mock: MockGenesys) -> None:
    deployer = make_deployer(org_mock)
    org_mock.insert_platform_integration("orders")
    extra = org_mock.insert_platform_integration("orders")
    with pytest.raises(gr.AmbiguousError, match="delete_id"):
        deployer.delete("orders")
    assert deployer.delete_id(extra).action == "deleted"
    assert deployer.plan_delete("orders").action == "delete"
    hook = org_mock.insert_platform_integration("hook", "webhook")
    with pytest.raises(gr.ValidationError) as info:
        deployer.delete_id(hook)
    assert [(v.path, v.code) for v in info.value.violations] == [("id", "integration_type_mismatch")]


def test_sync_prunes_only_when_asked_and_only_our_type(org_mock: MockGenesys) -> None:
    deployer = make_deployer(org_mock)
    deployer.apply(desired("kept", "kept"))
    deployer.apply(desired("undeclared", "undeclared"))
    org_mock.insert_platform_integration("other-type", "webhook")
    items: list[Any] = [
        desired("kept", "kept"),
        desired("new", "new").to_dict(),  # dicts are accepted too
    ]
    plan = deployer.plan_sync(items)
    assert isinstance(plan, gr.SyncPlan)
    assert [p.action for p in plan.plans] == ["nothing", "create"]
    assert plan.deletes == [] and not plan.prune
    pruning = deployer.plan_sync(items, prune=True)
    assert [p.name for p in pruning.deletes] == ["undeclared"]

    report = deployer.sync(items)
    assert isinstance(report, gr.SyncReport)
    assert [r.action for r in report.applied] == ["unchanged", "created"]
    assert report.deleted == []
    assert org_mock.platform_integrations_named("undeclared")

    report = deployer.sync(items, prune=True)
    assert [d.name for d in report.deleted] == ["undeclared"]
    assert report.changed
    names = sorted(e["name"] for e in org_mock.platform_integrations())
    assert names == ["kept", "new", "other-type"]
    assert deployer.plan_sync(items, prune=True).is_nothing

    with pytest.raises(gr.ValidationError) as info:
        deployer.sync([desired("a", aws_account_id="1"), desired("b"), desired("b")])
    assert [(v.path, v.code) for v in info.value.violations] == [
        ("items[0].awsAccountId", "aws_account_id_invalid"),
        ("items[2].name", "name_duplicate"),
    ]


def test_topics_not_deliverable_over_eventbridge_are_refused() -> None:
    with MockGenesys(topic_transports={PRESENCE: ["Websocket"]}) as mock:
        deployer = make_deployer(mock, check_topics=True)
        with pytest.raises(gr.ValidationError) as info:
            deployer.plan(desired(topics=[TOPIC, PRESENCE]))
        (v,) = info.value.violations
        assert (v.path, v.code) == ("topics[1]", "topic_not_deliverable")
        assert PRESENCE in v.message and "Websocket" in v.message
        mock.set_topic_transports(PRESENCE, ["EventBridge"])
        # The listing is cached per deployer: a new one sees the change.
        assert make_deployer(mock, check_topics=True).plan(desired(topics=[PRESENCE])).action == "create"
    with MockGenesys(topic_transports={PRESENCE: ["Websocket"]}, omit_topic_transports=True) as older:
        deployer = make_deployer(older, check_topics=True)
        assert deployer.plan(desired(topics=[PRESENCE])).action == "create"


def test_an_integration_being_deleted_is_not_re_enabled() -> None:
    with MockGenesys(deleting_lag=30.0) as mock:
        mock.set_activation(after_polls=0)
        deployer = make_deployer(mock)
        old = deployer.apply(desired()).integration_id
        deployer.disable("orders")
        assert mock.delete_platform_integration(old)
        report = deployer.apply(desired())
        assert report.integration_id != old
        assert report.writes[0] == "create"
        states = {e["id"]: e["intendedState"] for e in mock.platform_integrations()}
        assert states == {old: "DELETED", report.integration_id: "ENABLED"}


def test_reports_are_typed_and_pickle(org_mock: MockGenesys) -> None:
    deployer = make_deployer(org_mock)
    deployer.apply(desired())
    plan = deployer.plan_delete("orders")
    sync_plan = deployer.plan_sync([desired()], prune=True)
    sync_report = deployer.sync([desired()], prune=True)
    deleted = deployer.delete("orders")
    for original in (plan, sync_plan, sync_report, deleted):
        for copied in round_trips(original):
            assert type(copied) is type(original)
            assert copied == original
            assert copied.to_dict() == original.to_dict()
    assert plan.to_dict()["action"] == "delete"
    assert "LifecycleReport(name='orders'" in repr(deleted)
    assert "deleted" in repr(deleted)
    assert repr(sync_plan).startswith("SyncPlan(actions=['nothing']")
    with pytest.raises(ValueError, match="not a pickled LifecycleReport"):
        gr.LifecycleReport._from_json("{}")


@pytest.mark.asyncio
async def test_async_lifecycle(org_mock: MockGenesys) -> None:
    deployer = make_deployer(org_mock)
    await deployer.apply_async(desired())
    assert (await deployer.disable_async("orders")).action == "disabled"
    assert (await deployer.plan_delete_async("orders")).action == "delete"
    plan = await deployer.plan_sync_async([desired()], prune=True)
    assert [p.action for p in plan.plans] == ["update"]
    report = await deployer.sync_async([desired(), desired("two", "two")], prune=True)
    assert [r.name for r in report.applied] == ["orders", "two"]
    results = await asyncio.gather(deployer.delete_async("orders"), deployer.delete_async("two"))
    assert [r.action for r in results] == ["deleted", "deleted"]
    extra = org_mock.insert_platform_integration("x")
    assert (await deployer.delete_id_async(extra)).action == "deleted"
    assert org_mock.platform_integrations() == []
