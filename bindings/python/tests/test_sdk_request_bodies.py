"""Every request the library sends to the platform API, held to the official Genesys Cloud
Python SDK (`PureCloudPlatformClientV2`): the deployer runs against the test kit's mock, which
records each request with its body, and each recorded request must be one the SDK could send:
the SDK method of its route uses the same HTTP method and path, knows every query parameter,
and documents a body model under which every JSON key of the body exists, with the right JSON
type, recursively (`sdk_models.problems`), and every enum value is one the model allows.

The seed's own integrations route (`Resolver`, default `/api/v2/outbound/integrations`) is
the seed's contract, not a Genesys API the SDK has, so it is not checked here, nor is the token
request (a form, not a JSON model)."""

from __future__ import annotations

import json
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

import pytest

import PureCloudPlatformClientV2 as sdk

import genesys_resolver as gr
from genesys_resolver.testing import MockGenesys
from sdk_models import (
    LoopbackHttpClient,
    body_type,
    deserialize,
    http_method,
    outdated_enums,
    path_pattern,
    problems,
    query_names,
)

TOPIC = "v2.routing.queues.{id}.conversations"
PRESENCE = "v2.users.{id}.presence"

SDK_METHODS: dict[str, Any] = {
    "integration_list": sdk.IntegrationsApi.get_integrations,
    "integration_create": sdk.IntegrationsApi.post_integrations,
    "integration_get": sdk.IntegrationsApi.get_integration,
    "integration_patch": sdk.IntegrationsApi.patch_integration,
    "integration_delete": sdk.IntegrationsApi.delete_integration,
    "integration_types": sdk.IntegrationsApi.get_integrations_types,
    "integration_type": sdk.IntegrationsApi.get_integrations_type,
    "organization": sdk.OrganizationApi.get_organizations_me,
    "config_get": sdk.IntegrationsApi.get_integration_config_current,
    "config_put": sdk.IntegrationsApi.put_integration_config_current,
    "available_topics": sdk.NotificationsApi.get_notifications_availabletopics,
}
"""The SDK method behind each platform route of the mock (`MockGenesys.request_log` names)."""

FAST = {"poll_interval": 0.01, "max_poll_interval": 0.05, "activation_timeout": 10.0, "max_attempts": 1}


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


def deployer(mock: MockGenesys, **settings: Any) -> gr.EventBridgeDeployer:
    args: dict[str, Any] = dict(FAST, check_topics=True)  # topics are read too
    args.update(settings)
    return gr.EventBridgeDeployer(mock.environment, mock.client_id, mock.client_secret, **args)


def request_problems(request: dict[str, Any]) -> list[str]:
    """How one recorded request departs from what its SDK method sends."""
    route = request["route"]
    method = SDK_METHODS.get(route)
    if method is None:
        return [f"{route}: the library used a route the SDK conformance tests do not map"]
    out: list[str] = []
    uri = urlsplit(request["uri"])
    if request["method"] != http_method(method):
        out.append(f"{route}: {request['method']}, the SDK's {method.__name__} sends {http_method(method)}")
    if not path_pattern(method).match(uri.path):
        out.append(f"{route}: path {uri.path} is not {method.__name__}'s {path_pattern(method).pattern}")
    unknown = set(parse_qs(uri.query)) - query_names(method)
    if unknown:
        out.append(f"{route}: query parameters {sorted(unknown)} unknown to {method.__name__}")
    model = body_type(method)
    body: Optional[str] = request["body"]
    if model is None:
        if body:
            out.append(f"{route}: a body, where {method.__name__} sends none")
        return out
    if not body:
        return out + [f"{route}: no body recorded, {method.__name__} sends a {model}"]
    value = json.loads(body)
    out += [f"{route} body as {model}: {p}" for p in problems(value, model)]
    read = deserialize(sdk.ApiClient(host="http://127.0.0.1"), body, model)
    out += [f"{route} body: {p}, not a {model} enum value" for p in outdated_enums(read)]
    return out


def platform_requests(mock: MockGenesys) -> list[dict[str, Any]]:
    return [dict(r) for r in mock.request_log() if r["route"] != "token"]


def assert_conforms(mock: MockGenesys) -> list[dict[str, Any]]:
    """Every platform request recorded so far conforms; returns them."""
    requests = platform_requests(mock)
    found = [p for r in requests for p in request_problems(r)]
    assert found == [], "\n".join(found)
    return requests


# --- The mapping and the checks are the SDK's -------------------------------------------------


def test_the_sdk_documents_the_body_models_the_checks_use() -> None:
    assert body_type(sdk.IntegrationsApi.post_integrations) == "CreateIntegrationRequest"
    assert body_type(sdk.IntegrationsApi.patch_integration) == "Integration"
    assert body_type(sdk.IntegrationsApi.put_integration_config_current) == "IntegrationConfiguration"
    assert body_type(sdk.IntegrationsApi.get_integrations) is None
    assert http_method(sdk.IntegrationsApi.patch_integration) == "PATCH"
    assert path_pattern(sdk.IntegrationsApi.put_integration_config_current).match(
        "/api/v2/integrations/i-1/config/current"
    )
    assert not path_pattern(sdk.IntegrationsApi.get_integration).match("/api/v2/integrations/i-1/config/current")
    assert {"pageSize", "pageNumber", "integrationType"} <= query_names(sdk.IntegrationsApi.get_integrations)


@pytest.mark.parametrize(
    ("request_", "problem"),
    [
        (
            {"route": "integration_create", "method": "POST", "uri": "/api/v2/integrations",
             "body": '{"name": "x", "integrationType": {"id": "t"}, "enabled": true}'},
            "integration_create body as CreateIntegrationRequest: $.enabled: unknown key",
        ),
        (
            {"route": "config_put", "method": "PUT", "uri": "/api/v2/integrations/i/config/current",
             "body": '{"version": "3", "properties": {}}'},
            "config_put body as IntegrationConfiguration: $.version: str '3', the SDK expects int",
        ),
        (
            {"route": "integration_patch", "method": "PATCH", "uri": "/api/v2/integrations/i",
             "body": '{"intendedState": "ON"}'},
            "integration_patch body: $.intendedState, not a Integration enum value",
        ),
        (
            {"route": "integration_patch", "method": "PUT", "uri": "/api/v2/integrations/i", "body": "{}"},
            "integration_patch: PUT, the SDK's patch_integration sends PATCH",
        ),
        (
            {"route": "integration_list", "method": "GET", "uri": "/api/v2/integrations?type=x", "body": None},
            "integration_list: query parameters ['type'] unknown to get_integrations",
        ),
        (
            {"route": "config_get", "method": "GET", "uri": "/api/v2/integrations/i/config", "body": None},
            "config_get: path /api/v2/integrations/i/config is not",
        ),
        (
            {"route": "delete", "method": "DELETE", "uri": "/api/v2/outbound/integrations/i", "body": None},
            "delete: the library used a route",
        ),
    ],
)
def test_a_request_the_sdk_would_not_send_is_named(request_: dict[str, Any], problem: str) -> None:
    found = request_problems(request_)
    assert any(p.startswith(problem) for p in found), found


# --- What the library sends -----------------------------------------------------------------


def test_a_first_apply_sends_what_the_sdk_sends(mock: MockGenesys) -> None:
    for i in range(3):  # the lookup by name walks three pages of one
        mock.insert_platform_integration(f"other-{i}")
    report = deployer(mock, page_size=1).apply(desired(notes="owned by the orders team"))
    assert report.changed
    requests = assert_conforms(mock)
    pages = [parse_qs(urlsplit(r["uri"]).query) for r in requests if r["route"] == "integration_list"]
    assert [p["pageNumber"] for p in pages] == [["1"], ["2"], ["3"]], pages
    assert all(p["integrationType"] == ["amazon-eventbridge-source"] for p in pages)
    routes = [r["route"] for r in requests]
    for route in ["available_topics", "integration_list", "integration_create", "config_put", "integration_patch"]:
        assert route in routes, routes
    create = json.loads(next(r["body"] for r in requests if r["route"] == "integration_create"))
    assert create == {"name": "orders-to-aws", "integrationType": {"id": "amazon-eventbridge-source"}}
    config = json.loads(next(r["body"] for r in requests if r["route"] == "config_put"))
    assert config["version"] == 1 and config["notes"] == "owned by the orders team"
    assert config["properties"]["eventFilter"] == [TOPIC, PRESENCE]
    patch = json.loads(next(r["body"] for r in requests if r["route"] == "integration_patch"))
    assert patch == {"intendedState": "ENABLED"}


def test_an_update_keeping_foreign_properties_sends_what_the_sdk_sends(mock: MockGenesys) -> None:
    d = deployer(mock)
    report = d.apply(desired())
    # Someone else adds a property through the SDK; the library merges it into its write.
    client = sdk.ApiClient(host=mock.base_url.rstrip("/"))
    client.gateway_configuration = None
    client.set_http_client(LoopbackHttpClient(mock.base_url))
    client.get_client_credentials_token(mock.client_id, mock.client_secret)
    api = sdk.IntegrationsApi(client)
    config = api.get_integration_config_current(report.integration_id)
    config.properties = dict(config.properties, customerTag={"team": "orders", "tier": 2})
    api.put_integration_config_current(report.integration_id, body=config)

    mock.race_config_writes(1)  # the library's write meets a conflict and is retried
    report = d.apply(desired(aws_region="us-east-1", notes=""))
    assert report.changed and report.conflict_retries == 1
    requests = assert_conforms(mock)
    puts = [json.loads(r["body"]) for r in requests if r["route"] == "config_put"]
    last = puts[-1]
    assert last["properties"]["awsAccountRegion"] == "us-east-1"
    assert last["properties"]["customerTag"] == {"team": "orders", "tier": 2}
    assert last["version"] == puts[-2]["version"] + 1


def test_re_enabling_after_an_error_sends_what_the_sdk_sends(mock: MockGenesys) -> None:
    d = deployer(mock)
    mock.set_activation(error="the partner event source is not associated", error_after_polls=1)
    with pytest.raises(gr.ActivationFailedError):
        d.apply(desired())
    mock.set_activation(after_polls=1)
    assert d.apply(desired()).changed
    patches = [r for r in assert_conforms(mock) if r["route"] == "integration_patch"]
    assert len(patches) == 2




def test_disable_delete_and_a_pruning_sync_send_what_the_sdk_sends(mock: MockGenesys) -> None:
    d = deployer(mock)
    d.apply(desired())
    d.apply(desired(name="stray-to-aws"))
    d.apply(desired(name="kept-to-aws"))
    d.disable("orders-to-aws")
    d.delete("orders-to-aws")
    d.sync([desired(name="kept-to-aws")], prune=True)  # deletes the stray one
    requests = assert_conforms(mock)
    patches = [json.loads(r["body"]) for r in requests if r["route"] == "integration_patch"]
    assert {"intendedState": "DISABLED"} in patches, patches
    deletes = [r["uri"] for r in requests if r["route"] == "integration_delete"]
    assert len(deletes) == 2, deletes
    assert [e["name"] for e in mock.platform_integrations()] == ["kept-to-aws"]
    assert "organization" in [r["route"] for r in requests]
