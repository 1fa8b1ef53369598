"""Route connection auth from Python, against the strict AWS emulator: ``Authorization: Bearer``
reaches the destination as sent and ``Authorization: Basic`` as Basic auth, and neither value, nor
an ``oauth`` block's client secret, nor a destination's ``?token=`` appears in a plan, report,
check, destroy report, validation error, their pickles, or the log records Python receives."""

from __future__ import annotations

import base64
import copy
import json
import logging
import pickle
from typing import Any

import pytest

import genesys_resolver as gr
from genesys_resolver.aws_emulator import AwsEmulator
from genesys_resolver.testing import MockGenesys, TlsDestination

# The route deployer's fixtures (module scope emulator URL, fake credentials, mock, deployer).
from test_route import ORG, aws, deployer, moto_url, route_for, route_mock  # noqa: F401

BEARER = "Bearer py-bearer-secret-4c1e"
PASSWORD = "py-basic-secret-8d20"
BASIC = "Basic " + base64.b64encode(f"svc:{PASSWORD}".encode()).decode()
CLIENT_SECRET = "py-client-secret-a6f3"
QUERY = "py-query-secret-17b9"
FORBIDDEN = (
    "py-bearer-secret-4c1e",
    PASSWORD,
    BASIC.removeprefix("Basic "),
    CLIENT_SECRET,
    QUERY,
)


def auth_route(dest: TlsDestination, name: str, **changes: Any) -> dict[str, Any]:
    route = route_for(dest, name=name, eventSourceSuffix=name, uri=dest.uri(f"/hook/{name}?token={QUERY}"))
    route.pop("invocationRateLimit", None)
    route.update(changes)
    return route


def put_event(events: Any, suffix: str) -> None:
    detail = {
        "topicName": "v2.routing.queues.q1.conversations",
        "version": "2",
        "eventBody": {"conversationId": "c-1"},
        "metadata": {"CorrelationId": "c-1"},
        "timestamp": "2026-01-01T10:00:00.000Z",
    }
    events.put_partner_events(
        Entries=[
            {
                "Source": f"aws.partner/genesys.com/cloud/{ORG}/{suffix}",
                "DetailType": "v2.routing.queues.{id}.conversations",
                "Detail": json.dumps(detail),
            }
        ]
    )


def sent_authorization(emulator: AwsEmulator, path: str) -> str | None:
    for record in reversed(emulator.deliveries(wait=5.0)):
        if record.get("kind") != "oauth-token" and path in str(record.get("url")):
            for name, value in record["headers"]:
                if name.lower() == "authorization":
                    return str(value)
    return None


def assert_clean(what: str, text: str) -> None:
    for secret in FORBIDDEN:
        assert secret not in text, f"{what} leaks {secret!r}: {text}"


def test_bearer_and_basic_are_delivered_and_hidden_everywhere_else(
    deployer: gr.RouteDeployer,  # noqa: F811
    aws: Any,  # noqa: F811
    aws_emulator: AwsEmulator,
    dest: TlsDestination,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bearer = auth_route(dest, "py-bearer")
    bearer["headers"]["Authorization"] = BEARER
    basic = auth_route(dest, "py-basic")
    basic["headers"]["Authorization"] = BASIC
    shown: list[str] = []
    for route in (bearer, basic):
        plan = deployer.plan(route)
        report = deployer.apply(route)
        check = deployer.check(route)
        assert check.plan.is_nothing
        for obj in (plan, report, check):
            back = pickle.loads(pickle.dumps(obj))
            assert back == obj
            shown += [repr(obj), str(obj), repr(obj.to_dict()), repr(copy.deepcopy(obj).to_dict())]
            shown.append(pickle.dumps(obj).decode("latin-1"))
    connections = aws.list_connections()["Connections"]
    kinds = sorted(aws.describe_connection(Name=c["Name"])["AuthorizationType"] for c in connections)
    assert kinds == ["API_KEY", "BASIC"]

    put_event(aws, "py-bearer")
    put_event(aws, "py-basic")
    assert sent_authorization(aws_emulator, "/hook/py-bearer") == BEARER
    assert sent_authorization(aws_emulator, "/hook/py-basic") == BASIC

    for route in (bearer, basic):
        gone = deployer.destroy(route)
        shown += [repr(gone), repr(gone.to_dict()), pickle.dumps(gone).decode("latin-1")]
    # The plan shows the endpoint, its secret query value redacted.
    assert any("token=[REDACTED]" in text for text in shown)
    assert_clean("reports and pickles", "\n".join(shown))
    assert_clean("log records", "\n".join(r.getMessage() for r in caplog.records))


def test_auth_problems_are_validation_errors_naming_the_field(
    deployer: gr.RouteDeployer,  # noqa: F811
    aws: Any,  # noqa: F811
    route_mock: MockGenesys,  # noqa: F811
    dest: TlsDestination,
) -> None:
    bad_basic = auth_route(dest, "py-bad")
    bad_basic["headers"]["Authorization"] = "Basic py-bad-basic-value!"
    both = auth_route(
        dest,
        "py-both",
        oauth={
            "authorizationEndpoint": "https://localhost:9/token",
            "httpMethod": "POST",
            "clientId": "c",
            "clientSecret": CLIENT_SECRET,
        },
    )
    both["headers"]["Authorization"] = BEARER
    for route, path, code in (
        (bad_basic, "headers.Authorization", "authorization_basic_invalid"),
        (both, "oauth", "connection_auth_conflict"),
    ):
        with pytest.raises(gr.ValidationError) as info:
            deployer.apply(route)
        err = info.value
        assert [(v.path, v.code) for v in err.violations] == [(path, code)]
        back = pickle.loads(pickle.dumps(err))
        for text in (str(err), repr(err), repr(err.to_dict()), repr(back), pickle.dumps(err).decode("latin-1")):
            assert_clean("error", text)
            assert "py-bad-basic-value" not in text
    assert route_mock.write_requests() == []
    assert aws.list_connections()["Connections"] == []
