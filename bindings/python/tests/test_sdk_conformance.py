"""The test kit's mock Genesys held to the official Genesys Cloud Python SDK
(`PureCloudPlatformClientV2`): every platform route the library uses is driven through the
SDK's own `ApiClient`, `IntegrationsApi`, `NotificationsApi` and `OrganizationApi`, on
loopback; every answer must fit the SDK model the method declares, key for key (see
`sdk_models.problems`): a key the model does not name would be lost by the official client, so
it fails the test, named.

The SDK talks only to the mock: its HTTP client refuses any URL outside the mock's base URL
before connecting (`sdk_models.LoopbackHttpClient`), and the login host the SDK derives from
the configured host is checked to be the mock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import PureCloudPlatformClientV2 as sdk
from PureCloudPlatformClientV2.configuration import Configuration
from PureCloudPlatformClientV2.rest import ApiException

from genesys_resolver.testing import MockGenesys
from sdk_models import (
    LoopbackHttpClient,
    deserialize,
    json_keys,
    outdated_enums,
    problems,
    response_type,
)

TYPE_ID = "amazon-eventbridge-source"
OAUTH_TOKEN_KEYS = {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
"""The fields of an OAuth 2.0 token answer (RFC 6749, 5.1); the SDK reads `access_token`."""


class Sdk:
    """An SDK `ApiClient` logged in at `mock` with client credentials, and its APIs."""

    def __init__(self, mock: MockGenesys) -> None:
        self.mock = mock
        self.base = mock.base_url.rstrip("/")
        self.client = sdk.ApiClient(host=self.base)
        # A user's ~/.genesyscloudpython/config could name a gateway or a proxy: not here.
        self.client.gateway_configuration = None
        assert Configuration().proxy is None
        self.http = LoopbackHttpClient(self.base)
        self.client.set_http_client(self.http)
        # The SDK derives its login host from the API host (api.X -> login.X): the mock here.
        assert self.client.host == self.base
        assert self.client.get_conf_url("login", self.client.host) == self.base
        assert self.client.get_conf_url("api", self.client.host) == self.base
        self.client.get_client_credentials_token(mock.client_id, mock.client_secret)
        self.integrations = sdk.IntegrationsApi(self.client)
        self.notifications = sdk.NotificationsApi(self.client)
        self.organization = sdk.OrganizationApi(self.client)

    def call(self, method: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        """Calls the SDK API `method`; returns the model it read and the raw JSON the mock
        sent, after checking the one against the other."""
        model = method(*args, **kwargs)
        declared = response_type(method)
        last = self.http.last()
        # The SDK reads an empty answer as an empty model without a word: not good enough.
        assert last.body, f"{method.__name__}: {last.status} without a body, the SDK declares {declared}"
        raw = last.json()
        assert problems(raw, declared) == [], f"{method.__name__} -> {declared}"
        assert list(outdated_enums(model)) == [], f"{method.__name__}: enum values the SDK does not know"
        return model, raw

    def refused(self, method: Any, *args: Any, **kwargs: Any) -> tuple[ApiException, Any]:
        """Calls `method` expecting the mock to refuse; returns the SDK's exception and its body
        read into the SDK's `ErrorBody`, after checking the body and its standard fields."""
        with pytest.raises(ApiException) as info:
            method(*args, **kwargs)
        error = info.value
        raw = json.loads(error.body)
        assert problems(raw, "ErrorBody") == [], f"{method.__name__}: error body {raw}"
        body = deserialize(self.client, error.body, "ErrorBody")
        assert body.status == error.status
        assert isinstance(body.code, str) and body.code
        assert isinstance(body.message, str) and body.message
        assert body.context_id == error.headers.get("ININ-Correlation-Id")
        assert body.details == [] and body.errors == []
        # The message template and its parameters, as the real API sends them.
        assert isinstance(body.message_with_params, str) and isinstance(body.message_params, dict)
        filled = body.message_with_params
        for name, value in body.message_params.items():
            filled = filled.replace("{" + name + "}", value)
        assert filled == body.message
        return error, body


@pytest.fixture
def api(mock: MockGenesys) -> Sdk:
    return Sdk(mock)


def create(api: Sdk, name: str) -> Any:
    request = sdk.CreateIntegrationRequest()
    request.name = name
    request.integration_type = sdk.IntegrationType()
    request.integration_type.id = TYPE_ID
    integration, _ = api.call(api.integrations.post_integrations, body=request)
    return integration


# --- The checker can fail ---------------------------------------------------------------------


def test_the_checker_names_unknown_keys_wrong_types_and_nulls() -> None:
    good = {"id": "i-1", "name": "n", "reportedState": {"code": "ACTIVE", "lastUpdated": "2026-01-02T03:04:05Z"}}
    assert problems(good, "Integration") == []
    bad = {
        "id": 7,
        "name": None,
        "surprise": 1,
        "integrationType": {"id": "t", "extra": True},
        "reportedState": {"lastUpdated": "yesterday", "detail": {"messageParams": {"a": 1}}},
        "attributes": [],
    }
    assert problems(bad, "Integration") == [
        "$.id: int 7, the SDK expects str",
        "$.name: null where the SDK expects str",
        f"$.surprise: unknown key, not in Integration.attribute_map {sorted(json_keys('Integration'))}",
        f"$.integrationType.extra: unknown key, not in IntegrationType.attribute_map "
        f"{sorted(json_keys('IntegrationType'))}",
        "$.reportedState.lastUpdated: 'yesterday' is not an ISO-8601 datetime",
        "$.reportedState.detail.messageParams.a: int 1, the SDK expects str",
        "$.attributes: list, the SDK expects dict(str, str)",
    ]
    assert problems({"lastUpdated": "2026-01-02T03:04:05.123456789Z"}, "IntegrationStatusInfo") == [
        "$.lastUpdated: '2026-01-02T03:04:05.123456789Z' is not in the SDK's documented yyyy-MM-ddTHH:mm:ss[.mmm]Z"
    ]
    assert problems({"lastUpdated": "2026-01-02T03:04:05.123Z"}, "IntegrationStatusInfo") == []
    assert problems({"total": True}, "IntegrationEntityListing") == [
        "$.total: True is a bool, the SDK expects int"
    ]
    assert problems({"entities": [{"id": "x", "transport": []}]}, "AvailableTopicEntityListing")[0].startswith(
        "$.entities[0].transport: unknown key"
    )


def test_the_sdk_is_held_to_the_mock(mock: MockGenesys) -> None:
    """The guard the tests rely on refuses the SDK's default host before connecting."""
    client = sdk.ApiClient()  # the real cloud's API host, whose login host is login.<domain>
    client.gateway_configuration = None
    client.set_http_client(LoopbackHttpClient(mock.base_url))
    assert client.get_conf_url("login", client.host).startswith("https://login.")
    with pytest.raises(AssertionError, match="the SDK was about to reach https://login"):
        client.get_client_credentials_token(mock.client_id, mock.client_secret)
    assert mock.token_requests() == 0


# --- Token --------------------------------------------------------------------------------------


def test_the_sdk_logs_in_with_client_credentials(mock: MockGenesys, api: Sdk) -> None:
    [login] = api.http.exchanges
    assert (login.method, login.url, login.status) == ("POST", f"{api.base}/oauth/token", 200)
    token = login.json()
    assert set(token) <= OAUTH_TOKEN_KEYS, set(token) - OAUTH_TOKEN_KEYS
    assert token["token_type"].lower() == "bearer"
    assert isinstance(token["expires_in"], int) and not isinstance(token["expires_in"], bool)
    assert api.client.access_token == token["access_token"] == mock.issued_tokens()[0]
    assert mock.token_requests() == 1
    # The token works for the API, and a wrong secret is refused at the token route.
    api.call(api.integrations.get_integrations)
    stranger = sdk.ApiClient(host=api.base)
    stranger.gateway_configuration = None
    stranger.set_http_client(LoopbackHttpClient(api.base))
    with pytest.raises(ApiException) as info:
        stranger.get_client_credentials_token(mock.client_id, "not-the-secret")
    assert info.value.status == 401
    assert json.loads(info.value.body)["error"] == "invalid_client"


# --- Integrations ------------------------------------------------------------------------------


def test_listing_pages_through_the_sdk(mock: MockGenesys, api: Sdk) -> None:
    ids = [mock.insert_platform_integration(f"bridge-{i}") for i in range(5)]
    mock.insert_platform_integration("other", type_id="purecloud-data-actions")
    seen: list[str] = []
    page_number = 1
    while True:
        page, raw = api.call(
            api.integrations.get_integrations, page_size=2, page_number=page_number, integration_type=TYPE_ID
        )
        assert (page.page_size, page.page_number, page.total, page.page_count) == (2, page_number, 5, 3)
        assert all(e.integration_type.id == TYPE_ID for e in page.entities)
        assert ("previousUri" in raw) == (page_number > 1)
        seen += [e.id for e in page.entities]
        if page.next_uri is None:
            break
        assert f"pageNumber={page_number + 1}" in page.next_uri
        page_number += 1
    assert (page_number, seen) == (3, ids)
    everything, _ = api.call(api.integrations.get_integrations, page_size=25)
    assert everything.total == 6


def test_create_get_enable_and_disable_through_the_sdk(mock: MockGenesys, api: Sdk) -> None:
    created = create(api, "orders-bridge")
    assert (created.name, created.integration_type.id) == ("orders-bridge", TYPE_ID)
    assert (created.intended_state, created.reported_state.code) == ("DISABLED", "INACTIVE")
    assert created.config.current.id == created.id
    [stored] = mock.platform_integrations_named("orders-bridge")
    assert stored["id"] == created.id

    fetched, raw = api.call(api.integrations.get_integration, created.id)
    assert fetched.id == created.id and raw["selfUri"] == f"/api/v2/integrations/{created.id}"
    assert fetched.reported_state.last_updated.tzinfo is not None

    enable = sdk.Integration()
    enable.intended_state = "ENABLED"
    patched, _ = api.call(api.integrations.patch_integration, created.id, body=enable)
    assert (patched.intended_state, patched.reported_state.code) == ("ENABLED", "ACTIVATING")
    states = [api.call(api.integrations.get_integration, created.id)[0].reported_state.code for _ in range(3)]
    assert states[-1] == "ACTIVE" and set(states) <= {"ACTIVATING", "ACTIVE"}
    assert fetched.reported_state.effective != patched.reported_state.effective

    disable = sdk.Integration()
    disable.intended_state = "DISABLED"
    patched, _ = api.call(api.integrations.patch_integration, created.id, body=disable)
    assert (patched.intended_state, patched.reported_state.code) == ("DISABLED", "INACTIVE")


def test_an_activation_error_reads_as_the_sdks_message_info(mock: MockGenesys, api: Sdk) -> None:
    created = create(api, "failing-bridge")
    mock.set_activation(error="The partner event source is not associated")
    enable = sdk.Integration()
    enable.intended_state = "ENABLED"
    api.call(api.integrations.patch_integration, created.id, body=enable)
    fetched, raw = api.call(api.integrations.get_integration, created.id)
    assert fetched.reported_state.code == "ERROR"
    assert fetched.reported_state.detail.message == "The partner event source is not associated"
    assert set(raw["reportedState"]["detail"]) <= set(json_keys("MessageInfo"))


def test_config_versions_through_the_sdk(mock: MockGenesys, api: Sdk) -> None:
    created = create(api, "config-bridge")
    config, _ = api.call(api.integrations.get_integration_config_current, created.id)
    assert (config.id, config.version, config.properties) == (created.id, 1, {})

    write = sdk.IntegrationConfiguration()
    write.name = "config-bridge"
    write.version = config.version
    write.properties = {"awsAccountId": "123456789012", "awsAccountRegion": "eu-west-1"}
    write.advanced = {}
    write.notes = "owned by the orders team"
    write.credentials = {}
    written, _ = api.call(api.integrations.put_integration_config_current, created.id, body=write)
    assert (written.version, written.properties, written.notes) == (2, write.properties, write.notes)
    again, _ = api.call(api.integrations.get_integration_config_current, created.id)
    assert (again.version, again.properties) == (2, write.properties)
    assert mock.platform_config(created.id) == api.http.last().json()

    # The version read earlier is stale now: the mock's conflict status, as an ErrorBody.
    error, body = api.refused(api.integrations.put_integration_config_current, created.id, body=write)
    assert error.status == 409 and body.code == "general.conflict"
    assert body.message == "The configuration version 1 does not match the current version 2"
    assert body.message_params == {"version": "1", "current": "2"}
    assert body.message_with_params == (
        "The configuration version {version} does not match the current version {current}"
    )
    # A concurrent writer moves the version on just before the write: the same answer.
    write.version = 2
    mock.race_config_writes(1)
    error, _ = api.refused(api.integrations.put_integration_config_current, created.id, body=write)
    assert error.status == 409


def test_delete_through_the_sdk(mock: MockGenesys, api: Sdk) -> None:
    doomed = create(api, "doomed-bridge")
    kept = create(api, "kept-bridge")
    deleted, _ = api.call(api.integrations.delete_integration, doomed.id)
    assert (deleted.id, deleted.name, deleted.intended_state) == (doomed.id, "doomed-bridge", "DELETED")
    error, body = api.refused(api.integrations.get_integration, doomed.id)
    assert (error.status, body.code) == (404, "not.found")
    error, _ = api.refused(api.integrations.delete_integration, doomed.id)
    assert error.status == 404
    listing, _ = api.call(api.integrations.get_integrations)
    assert [e.id for e in listing.entities] == [kept.id]

    # `intendedState: DELETED` deletes too.
    delete = sdk.Integration()
    delete.intended_state = "DELETED"
    patched, _ = api.call(api.integrations.patch_integration, kept.id, body=delete)
    assert patched.intended_state == "DELETED"
    error, _ = api.refused(api.integrations.get_integration, kept.id)
    assert error.status == 404
    assert mock.platform_integrations() == []


def test_integration_types_through_the_sdk(api: Sdk) -> None:
    listing, _ = api.call(api.integrations.get_integrations_types)
    ids = [t.id for t in listing.entities]
    assert TYPE_ID in ids and listing.total == len(ids) > 1
    first, raw = api.call(api.integrations.get_integrations_types, page_size=1, page_number=1)
    assert (first.page_count, len(first.entities)) == (listing.total, 1) and "nextUri" in raw
    one, _ = api.call(api.integrations.get_integrations_type, TYPE_ID)
    assert one.id == TYPE_ID and one.name and one.self_uri == f"/api/v2/integrations/types/{TYPE_ID}"
    error, _ = api.refused(api.integrations.get_integrations_type, "no-such-type")
    assert error.status == 404


def test_the_organization_through_the_sdk(api: Sdk) -> None:
    org, raw = api.call(api.organization.get_organizations_me)
    assert isinstance(org.id, str) and len(org.id) == 36 and org.self_uri == f"/api/v2/organizations/{org.id}"
    assert (org.state, org.product_platform) == ("active", "GenesysCloud")


def test_empty_notes_come_back_as_the_placeholder(api: Sdk) -> None:
    created = create(api, "quiet-bridge")
    config, _ = api.call(api.integrations.get_integration_config_current, created.id)
    assert config.notes == "node_dynamodb_empty_string"


# --- Error bodies ------------------------------------------------------------------------------


def test_error_bodies_read_as_the_sdks_error_body(mock: MockGenesys, api: Sdk) -> None:
    error, body = api.refused(api.integrations.get_integration, "no-such-id")
    assert (error.status, body.code) == (404, "not.found")
    error, _ = api.refused(api.integrations.get_integration_config_current, "no-such-id")
    assert error.status == 404

    nameless = sdk.CreateIntegrationRequest()
    nameless.name = "no-type"
    error, body = api.refused(api.integrations.post_integrations, body=nameless)
    assert (error.status, body.code) == (400, "bad.request")

    for status, code in [(500, "internal.server.error"), (503, "service.unavailable")]:
        mock.push_fault("integration_get", status=status)
        error, body = api.refused(api.integrations.get_integration, "anything")
        assert (error.status, body.code) == (status, code)

    # A 429 with Retry-After is what the SDK's HTTP layer (urllib3) waits out and resends.
    created = create(api, "throttled")
    before = mock.requests("integration_get")
    mock.push_fault("integration_get", status=429, retry_after="1")
    fetched, _ = api.call(api.integrations.get_integration, created.id)
    assert fetched.id == created.id
    assert (mock.requests("integration_get") - before, mock.pending_faults()) == (2, 0)

    mock.revoke_tokens()
    error, body = api.refused(api.integrations.get_integrations)
    assert (error.status, body.code) == (401, "credentials.expired")


# --- Notification topics -----------------------------------------------------------------------


def test_available_topics_through_the_sdk(mock: MockGenesys, api: Sdk) -> None:
    listing, raw = api.call(api.notifications.get_notifications_availabletopics)
    ids = [t.id for t in listing.entities]
    assert "v2.users.{id}.presence" in ids and len(ids) == len(raw["entities"])
    assert all(isinstance(t.description, str) for t in listing.entities)
    assert all("transports" not in t for t in raw["entities"])
    mock.set_available_topics(["v2.users.{id}.presence"])
    listing, _ = api.call(api.notifications.get_notifications_availabletopics)
    assert [t.id for t in listing.entities] == ["v2.users.{id}.presence"]

    # Which transports each topic can be delivered over, on request.
    expanded, raw = api.call(api.notifications.get_notifications_availabletopics, expand=["transports"])
    assert mock.request_log()[-1]["uri"] == "/api/v2/notifications/availabletopics?expand=transports"
    assert [t.transports for t in expanded.entities] == [["All"]]
    assert all(isinstance(t["transports"], list) for t in raw["entities"])


@pytest.fixture(autouse=True)
def _no_stray_requests(mock: MockGenesys) -> Iterator[None]:
    """Every test's SDK traffic went to the mock's routes only (none hit its 404 fallback)."""
    yield
    for r in mock.request_log():
        assert r["uri"].startswith(("/oauth/token", "/api/v2/")), r
