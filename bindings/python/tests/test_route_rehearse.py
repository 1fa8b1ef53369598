"""``RouteDeployer.rehearse`` from Python, sync and async: the requests EventBridge would make
(shown, or sent to a local HTTPS destination), EventBridge's verdict, typed reports that pickle,
options refused by name, and no credential in a report, also when the destination's answer
quotes it back. AWS is never called: the deployer's endpoint is a closed port."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

import genesys_resolver as gr
from genesys_resolver.reports import RehearseReportDict
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

ORG = "9c5f1a2e-org"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eventbridge-api-destinations"
API_KEY = "Bearer py-rehearse-secret-5a9d"
QUERY = "py-query-secret-77c1"
TOPIC = "v2.routing.queues.{id}.conversations"


@pytest.fixture
def deployer(ca: TestCa, monkeypatch: pytest.MonkeyPatch) -> Iterator[gr.RouteDeployer]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with MockGenesys(organization_id=ORG) as mock:
        yield gr.RouteDeployer(
            mock.environment,
            mock.client_id,
            mock.client_secret,
            region="us-east-1",
            endpoint_url="http://127.0.0.1:9",
            ca_pem=ca.ca_pem,
            loopback=True,
            hosts={"localhost": ["127.0.0.1"]},
        )


def route_to(dest: TlsDestination) -> dict[str, Any]:
    route = cast(
        "dict[str, Any]",
        gr.build_payload("rehearsed", dest.uri(f"/hook?token={QUERY}"), [TOPIC]),
    )
    route.update(
        awsAccountId=ACCOUNT,
        awsRegion="us-east-1",
        eventSourceSuffix="rehearsed",
        organizationId=ORG,
        roleArn=ROLE,
    )
    route["headers"]["Authorization"] = API_KEY
    return route


def assert_clean(report: gr.RehearseReport) -> None:
    for text in (str(report.to_dict()), str(report), repr(report), str(report.destinations)):
        for secret in ("py-rehearse-secret-5a9d", QUERY):
            assert secret not in text, text


def test_shown_not_sent(deployer: gr.RouteDeployer, ca: TestCa) -> None:
    with TlsDestination(ca) as dest:
        report = deployer.rehearse(route_to(dest))
        assert dest.requests() == []
    assert report.sent is False
    assert report.delivered is True
    (d,) = report.destinations
    assert d["verdict"] == "not_sent"
    assert d["source"] == "schema"
    headers = {h["name"].lower(): h["value"] for h in d["request"]["headers"]}
    assert headers["user-agent"] == "Amazon/EventBridge/ApiDestinations"
    assert headers["authorization"] == "[REDACTED]"
    assert headers["x-genesys-resolver-rehearsal"] == report.rehearsal_id
    assert_clean(report)
    doc: RehearseReportDict = report.to_dict()
    assert doc["events"][0]["topic"] == TOPIC
    assert doc["events"][0]["aws_rules"] is None  # AWS was not asked
    assert pickle.loads(pickle.dumps(report)) == report


def test_aws_test_event_pattern_when_it_cannot_answer_is_a_warning(deployer: gr.RouteDeployer, ca: TestCa) -> None:
    # The deployer's EventBridge endpoint is a closed port: TestEventPattern fails, named by
    # its error, and the local matching stands.
    with TlsDestination(ca) as dest:
        report = deployer.rehearse(route_to(dest), test_event_pattern=True)
    doc = report.to_dict()
    assert doc["events"][0]["rules"] and doc["events"][0]["aws_rules"] is None
    assert any("TestEventPattern failed" in w for w in report.warnings), report.warnings
    assert_clean(report)


def test_sent_and_judged_without_a_credential(deployer: gr.RouteDeployer, ca: TestCa) -> None:
    with TlsDestination(ca, health_status=401, response_body=f"no: {API_KEY} {QUERY}") as dest:
        report = deployer.rehearse(route_to(dest), send=True, event={"id": "c-1"})
        assert len(dest.requests()) == 1
    (d,) = report.destinations
    assert (d["verdict"], d["status"]) == ("dropped", 401)
    assert d["source"] == "sample"
    assert d["latency_ms"] is not None
    assert report.delivered is False
    assert_clean(report)


def test_async_rehearse_retries_a_503(deployer: gr.RouteDeployer, ca: TestCa) -> None:
    async def rehearse(dest: TlsDestination) -> gr.RehearseReport:
        return await deployer.rehearse_async(route_to(dest), send=True, topic=TOPIC)

    with TlsDestination(ca, health_status=503) as dest:
        report = asyncio.run(rehearse(dest))
    (d,) = report.destinations
    assert d["verdict"] == "retried"
    assert "retries" in d["reason"]


def test_options_are_refused_by_name(
    deployer: gr.RouteDeployer, ca: TestCa, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (2 << 20))
    with TlsDestination(ca) as dest:
        route = route_to(dest)
        with pytest.raises(gr.ValidationError, match="topic"):
            deployer.rehearse(route, topic="v2.users.{id}.nothing")
        with pytest.raises(gr.ValidationError, match="destination"):
            deployer.rehearse(route, destination="uris[4]")
        with pytest.raises(gr.ValidationError, match="huge.json"):
            deployer.rehearse(route, event=huge)
        with pytest.raises(gr.ValidationError, match="event"):
            deployer.rehearse(route, event=str(tmp_path / "missing.json"))
        assert dest.requests() == []
