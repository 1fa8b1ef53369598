"""The strict AWS emulator itself: every check refuses the request AWS refuses and accepts the one
AWS accepts; API-destination delivery carries the body, headers and connection auth EventBridge
sends (API key, Basic, OAuth against a local HTTPS receiver); input-transformer rendering;
retries, dead-lettering and quotas; the command line."""

from __future__ import annotations

import base64
import http.server
import json
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import botocore.config  # type: ignore[import-untyped]
import botocore.exceptions  # type: ignore[import-untyped]
import pytest
import trustme

from genesys_resolver.aws_emulator import AwsEmulator
from genesys_resolver.aws_emulator import _patterns, _transform
from genesys_resolver.aws_emulator._model import RequestRefused

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/api-destinations"
SOURCE = "aws.partner/genesys.com/cloud/org-1/orders"
TOPIC = "v2.users.{id}.presence"
EMULATOR = Path(__file__).resolve().parents[1] / "python" / "genesys_resolver" / "aws_emulator"


# --- fixtures ------------------------------------------------------------------------------


class Receiver:
    """A local HTTPS endpoint that records every request and answers from a script."""

    def __init__(self, ca: trustme.CA) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, dict[str, str], float]] = []
        self.token_answers: list[tuple[int, str]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                receiver.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": list(self.headers.items()),
                        "body": body,
                    }
                )
                if self.path.startswith("/token"):
                    status, text = (
                        receiver.token_answers.pop(0)
                        if receiver.token_answers
                        else (200, json.dumps({"access_token": "tok-1", "expires_in": 3600}))
                    )
                    headers: dict[str, str] = {"Content-Type": "application/json"}
                    delay = 0.0
                else:
                    status, headers, delay = (
                        receiver.script.pop(0) if receiver.script else (200, {}, 0.0)
                    )
                    text = ""
                if delay:
                    time.sleep(delay)
                payload = text.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"https://localhost:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(receiver_ca: trustme.CA) -> Iterator[Receiver]:
    r = Receiver(receiver_ca)
    yield r
    r.close()


@pytest.fixture
def events(aws_emulator: AwsEmulator) -> Any:
    """A boto3 client without client-side validation (so the emulator's own checks are what
    refuses), one attempt per call, on a freshly reset emulator."""
    aws_emulator.reset()
    return client(aws_emulator, "events")


def client(aws_emulator: AwsEmulator, service: str) -> Any:
    """A boto3 client of `service` on the emulator, without client-side validation."""
    return boto3.client(
        service,
        endpoint_url=aws_emulator.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


def refused(call: Any, code: str, **kwargs: Any) -> str:
    """The message of the error `call(**kwargs)` must fail with, `code` checked."""
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    assert error["Code"] == code, error
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(error["Message"])


def partner_bus(events: Any) -> str:
    events.create_partner_event_source(Name=SOURCE, Account=ACCOUNT)
    events.create_event_bus(Name=SOURCE, EventSourceName=SOURCE)
    return SOURCE


def connection(events: Any, name: str = "c1", **auth: Any) -> str:
    kind = auth.pop("kind", "API_KEY")
    params = auth or {"ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": "key-1"}}
    return str(
        events.create_connection(Name=name, AuthorizationType=kind, AuthParameters=params)[
            "ConnectionArn"
        ]
    )


def destination(events: Any, conn: str, endpoint: str, name: str = "d1", method: str = "POST") -> str:
    return str(
        events.create_api_destination(
            Name=name, ConnectionArn=conn, InvocationEndpoint=endpoint, HttpMethod=method
        )["ApiDestinationArn"]
    )


def route(events: Any, endpoint: str, target: dict[str, Any] | None = None, **auth: Any) -> str:
    """A partner bus, a rule on the topic, and one API-destination target; the destination's ARN."""
    bus = partner_bus(events)
    arn = destination(events, connection(events, **auth), endpoint)
    events.put_rule(
        Name="r1",
        EventBusName=bus,
        EventPattern=json.dumps({"source": [{"prefix": "aws.partner/genesys.com"}], "detail-type": [TOPIC]}),
    )
    events.put_targets(
        Rule="r1",
        EventBusName=bus,
        Targets=[{"Id": "t1", "Arn": arn, "RoleArn": ROLE, **(target or {})}],
    )
    return arn


def send(events: Any, detail: dict[str, Any], detail_type: str = TOPIC) -> str:
    """Puts a Genesys-shaped event on the partner bus, as the partner does; its event id."""
    out = events.put_partner_events(
        Entries=[{"Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail)}]
    )
    assert out["FailedEntryCount"] == 0, out
    return str(out["Entries"][0]["EventId"])


def header(request: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in request["headers"] if k.lower() == name.lower()), None)


# --- the service model -----------------------------------------------------------------------


def test_required_members_and_lengths_are_checked(events: Any) -> None:
    message = refused(events.put_rule, "ValidationException", EventPattern='{"a":["b"]}')
    assert message == (
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
        "Member must not be null"
    )
    message = refused(events.put_rule, "ValidationException", Name="r" * 65, EventPattern='{"a":["b"]}')
    assert "at 'name' failed to satisfy constraint: Member must have length less than or equal to 64" in message
    message = refused(events.put_rule, "ValidationException", Name="has space", EventPattern='{"a":["b"]}')
    assert "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+" in message
    assert events.put_rule(Name="r" * 64, EventPattern='{"a":["b"]}')["RuleArn"].endswith("r" * 64)


def test_ranges_enums_and_sizes_are_checked(events: Any) -> None:
    conn = connection(events)
    message = refused(
        events.create_api_destination,
        "ValidationException",
        Name="d",
        ConnectionArn=conn,
        InvocationEndpoint="https://localhost/x",
        HttpMethod="TRACE",
    )
    assert "Member must satisfy enum value set: [POST, GET, HEAD, OPTIONS, PUT, PATCH, DELETE]" in message
    message = refused(
        events.create_api_destination,
        "ValidationException",
        Name="d",
        ConnectionArn=conn,
        InvocationEndpoint="https://localhost/x",
        HttpMethod="POST",
        InvocationRateLimitPerSecond=0,
    )
    assert "at 'invocationRateLimitPerSecond' failed to satisfy constraint: Member must have value greater than or equal to 1" in message
    # No upper cap on the rate in the model.
    destination_arn = events.create_api_destination(
        Name="d",
        ConnectionArn=conn,
        InvocationEndpoint="https://localhost/x",
        HttpMethod="POST",
        InvocationRateLimitPerSecond=5000,
    )["ApiDestinationArn"]
    events.put_rule(Name="r", EventPattern='{"a":["b"]}')
    bad = {"Id": "t", "Arn": destination_arn, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 186, "MaximumEventAgeInSeconds": 59}}
    message = refused(events.put_targets, "ValidationException", Rule="r", Targets=[bad])
    assert message.startswith("2 validation errors detected: ")
    assert "'targets.1.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185" in message
    assert "'targets.1.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60" in message
    paths = {f"v{i}": "$.detail.x" for i in range(101)}
    message = refused(
        events.put_targets,
        "ValidationException",
        Rule="r",
        Targets=[{"Id": "t", "Arn": destination_arn, "RoleArn": ROLE, "InputTransformer": {"InputPathsMap": paths, "InputTemplate": "{}"}}],
    )
    assert "inputPathsMap' failed to satisfy constraint: Member must have length less than or equal to 100" in message
    good = {"Id": "t", "Arn": destination_arn, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60}}
    assert events.put_targets(Rule="r", Targets=[good])["FailedEntryCount"] == 0


def test_wrong_types_are_serialization_errors_and_secrets_are_not_echoed(events: Any) -> None:
    refused(events.put_rule, "SerializationException", Name=5, EventPattern='{"a":["b"]}')
    secret = "s" * 513
    message = refused(
        events.create_connection,
        "ValidationException",
        Name="c",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "X-Key", "ApiKeyValue": secret}},
    )
    assert "apiKeyValue' failed to satisfy constraint: Member must have length less than or equal to 512" in message
    assert secret not in message


def test_sts_is_held_to_its_model(aws_emulator: AwsEmulator) -> None:
    sts = client(aws_emulator, "sts")
    assert sts.get_caller_identity()["Account"] == ACCOUNT
    with pytest.raises(botocore.exceptions.ClientError) as info:
        sts.assume_role(RoleArn=ROLE, RoleSessionName="x")
    assert info.value.response["Error"]["Code"] == "ValidationError"
    assert "'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2" in info.value.response["Error"]["Message"]
    assert sts.assume_role(RoleArn=ROLE, RoleSessionName="xy")["Credentials"]["AccessKeyId"]


# --- quotas and behaviour moto lacks -------------------------------------------------------------


def test_targets_per_rule_and_per_call(events: Any) -> None:
    arn = destination(events, connection(events), "https://localhost/x")
    events.put_rule(Name="r", EventPattern='{"a":["b"]}')
    target = lambda i: {"Id": f"t{i}", "Arn": arn, "RoleArn": ROLE}  # noqa: E731
    message = refused(events.put_targets, "ValidationException", Rule="r", Targets=[target(i) for i in range(11)])
    assert "at 'targets' failed to satisfy constraint: Member must have length less than or equal to 10" in message
    assert events.put_targets(Rule="r", Targets=[target(i) for i in range(5)])["FailedEntryCount"] == 0
    # Putting the same ids again updates them: still five.
    assert events.put_targets(Rule="r", Targets=[target(i) for i in range(5)])["FailedEntryCount"] == 0
    message = refused(events.put_targets, "LimitExceededException", Rule="r", Targets=[target(5)])
    assert message == "The requested resource exceeds the maximum number allowed."
    assert len(events.list_targets_by_rule(Rule="r")["Targets"]) == 5


def test_api_destination_targets_need_a_role_and_one_input(events: Any) -> None:
    arn = destination(events, connection(events), "https://localhost/x")
    events.put_rule(Name="r", EventPattern='{"a":["b"]}')
    message = refused(events.put_targets, "ValidationException", Rule="r", Targets=[{"Id": "t", "Arn": arn}])
    assert message == f"RoleArn is required for target {arn}."
    both = {"Id": "t", "Arn": arn, "RoleArn": ROLE, "Input": "{}", "InputPath": "$.detail"}
    refused(events.put_targets, "ValidationException", Rule="r", Targets=[both])
    # A queue target needs no role.
    queue = {"Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"}
    assert events.put_targets(Rule="r", Targets=[queue, {"Id": "t", "Arn": arn, "RoleArn": ROLE}])["FailedEntryCount"] == 0


def test_event_patterns_are_checked_and_limited_to_2048_characters(events: Any) -> None:
    for bad in ('{"source": "x"}', '{"source": []}', '{"source": [{"prefixx": "a"}]}', "[]", "{}", "{nope"):
        assert refused(events.put_rule, "InvalidEventPatternException", Name="r", EventPattern=bad).startswith(
            "Event pattern is not valid. Reason: "
        )
    filler = "x" * (2048 - len('{"detail-type":[""]}'))
    exact = json.dumps({"detail-type": [filler]}, separators=(",", ":"))
    assert len(exact) == 2048
    events.put_rule(Name="r", EventPattern=exact)
    longer = json.dumps({"detail-type": [filler + "y"]}, separators=(",", ":"))
    assert "the quota is 2048" in refused(events.put_rule, "LimitExceededException", Name="r", EventPattern=longer)


def test_duplicate_names_are_refused(events: Any) -> None:
    conn = connection(events)
    refused(events.create_connection, "ResourceAlreadyExistsException", Name="c1", AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    destination(events, conn, "https://localhost/x")
    refused(events.create_api_destination, "ResourceAlreadyExistsException", Name="d1", ConnectionArn=conn,
            InvocationEndpoint="https://localhost/y", HttpMethod="POST")
    events.create_event_bus(Name="custom")
    refused(events.create_event_bus, "ResourceAlreadyExistsException", Name="custom")
    # The first ones are unchanged.
    assert events.describe_api_destination(Name="d1")["InvocationEndpoint"] == "https://localhost/x"


def test_connections_and_destinations_are_consistent(events: Any) -> None:
    refused(events.create_connection, "ValidationException", Name="c", AuthorizationType="BASIC",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    conn = connection(events)
    refused(events.create_api_destination, "ValidationException", Name="d", ConnectionArn=conn,
            InvocationEndpoint="http://localhost/x", HttpMethod="POST")
    refused(events.create_api_destination, "ResourceNotFoundException", Name="d",
            ConnectionArn=conn.replace("/c1/", "/other/"), InvocationEndpoint="https://localhost/x", HttpMethod="POST")
    destination(events, conn, "https://localhost/x", name="d")


def test_partner_source_lifecycle(events: Any) -> None:
    message = refused(events.describe_event_source, "ResourceNotFoundException", Name=SOURCE)
    assert SOURCE in message
    events.create_partner_event_source(Name=SOURCE, Account=ACCOUNT)
    source = events.describe_event_source(Name=SOURCE)
    assert (source["State"], source["CreatedBy"]) == ("PENDING", "genesys.com")
    assert source["Arn"] == f"arn:aws:events:{REGION}::event-source/{SOURCE}"
    assert "CreationTime" in source and "ExpirationTime" in source
    listed = events.list_event_sources(NamePrefix="aws.partner/genesys.com/cloud/org-1")["EventSources"]
    assert [s["Name"] for s in listed] == [SOURCE]
    assert events.list_event_sources(NamePrefix="aws.partner/other")["EventSources"] == []
    refused(events.create_event_bus, "ValidationException", Name="aws.partner/genesys.com/cloud/org-1/x",
            EventSourceName=SOURCE)
    events.create_event_bus(Name=SOURCE, EventSourceName=SOURCE)
    assert events.describe_event_source(Name=SOURCE)["State"] == "ACTIVE"
    events.put_rule(Name="r", EventBusName=SOURCE, EventPattern='{"a":["b"]}')
    assert "cannot be deleted since it has rules: r" in refused(events.delete_event_bus, "ValidationException", Name=SOURCE)
    events.delete_rule(Name="r", EventBusName=SOURCE)
    events.delete_event_bus(Name=SOURCE)
    assert events.describe_event_source(Name=SOURCE)["State"] == "PENDING"


def test_tags_of_partner_buses_and_their_rules_by_exact_arn(events: Any) -> None:
    events.create_partner_event_source(Name=SOURCE, Account=ACCOUNT)
    bus = events.create_event_bus(Name=SOURCE, EventSourceName=SOURCE, Tags=[{"Key": "k", "Value": "bus"}])
    rule = events.put_rule(
        Name="r", EventBusName=SOURCE, EventPattern='{"a":["b"]}', Tags=[{"Key": "k", "Value": "rule"}]
    )["RuleArn"]
    # moto looked resources up by the ARN's last segment: a partner bus was "not found".
    assert events.list_tags_for_resource(ResourceARN=bus["EventBusArn"])["Tags"] == [{"Key": "k", "Value": "bus"}]
    assert events.list_tags_for_resource(ResourceARN=rule)["Tags"] == [{"Key": "k", "Value": "rule"}]
    # A rule of the same name on the default bus has its own tags.
    other = events.put_rule(Name="r", EventPattern='{"a":["b"]}')["RuleArn"]
    assert events.list_tags_for_resource(ResourceARN=other)["Tags"] == []
    events.tag_resource(ResourceARN=rule, Tags=[{"Key": "k2", "Value": "v"}])
    events.untag_resource(ResourceARN=rule, TagKeys=["k"])
    assert events.list_tags_for_resource(ResourceARN=rule)["Tags"] == [{"Key": "k2", "Value": "v"}]
    refused(events.list_tags_for_resource, "ResourceNotFoundException", ResourceARN=rule + "x")


def test_delete_rule_on_a_missing_bus_is_not_found(events: Any) -> None:
    refused(events.delete_rule, "ResourceNotFoundException", Name="r", EventBusName="no-such-bus")
    events.delete_rule(Name="no-such-rule")  # on an existing bus: succeeds, as AWS does


def test_describe_connection_never_echoes_secrets(events: Any) -> None:
    secrets = ["key-value-1", "password-2", "client-secret-3", "header-secret-4", "body-secret-5"]
    invocation = {
        "HeaderParameters": [
            {"Key": "X-Plain", "Value": "plain", "IsValueSecret": False},
            {"Key": "X-Secret", "Value": secrets[3], "IsValueSecret": True},
        ]
    }
    connection(events, "k", ApiKeyAuthParameters={"ApiKeyName": "X-Key", "ApiKeyValue": secrets[0]},
               InvocationHttpParameters=invocation)
    connection(events, "b", kind="BASIC", BasicAuthParameters={"Username": "u", "Password": secrets[1]})
    connection(events, "o", kind="OAUTH_CLIENT_CREDENTIALS", OAuthParameters={
        "ClientParameters": {"ClientID": "id", "ClientSecret": secrets[2]},
        "AuthorizationEndpoint": "https://localhost/token", "HttpMethod": "POST",
        "OAuthHttpParameters": {"BodyParameters": [{"Key": "extra", "Value": secrets[4], "IsValueSecret": True}]},
    })
    raw = ""
    for name in ("k", "b", "o"):
        request = urllib.request.Request(
            events.meta.endpoint_url,
            data=json.dumps({"Name": name}).encode(),
            headers={
                "X-Amz-Target": "AWSEvents.DescribeConnection",
                "Content-Type": "application/x-amz-json-1.1",
                "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/events/aws4_request, SignedHeaders=host, Signature=0",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            raw += answer.read().decode()
    for secret in secrets:
        assert secret not in raw
    k = events.describe_connection(Name="k")["AuthParameters"]
    assert k["ApiKeyAuthParameters"] == {"ApiKeyName": "X-Key"}
    assert k["InvocationHttpParameters"]["HeaderParameters"] == [
        {"Key": "X-Plain", "Value": "plain", "IsValueSecret": False},
        {"Key": "X-Secret", "IsValueSecret": True},
    ]
    assert events.describe_connection(Name="o")["AuthParameters"]["OAuthParameters"]["ClientParameters"] == {"ClientID": "id"}


def test_put_events_cannot_name_a_partner_bus(events: Any) -> None:
    bus = partner_bus(events)
    message = refused(events.put_events, "ValidationException",
                      Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": bus}])
    assert "entries.1.member.eventBusName" in message
    assert events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}])["FailedEntryCount"] == 0


def test_test_event_pattern_matches_as_eventbridge(events: Any) -> None:
    event = {"id": "1", "account": ACCOUNT, "source": SOURCE, "time": "2026-01-01T00:00:00Z",
             "region": REGION, "resources": [], "detail-type": TOPIC,
             "detail": {"items": [{"name": "a", "n": 1}, {"name": "b", "n": 2}]}}
    pattern = {"source": [{"prefix": "aws.partner/genesys.com"}], "detail": {"items": {"name": ["b"], "n": [2]}}}
    assert events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"] is True
    pattern["detail"] = {"items": {"name": ["b"], "n": [1]}}  # fields from two elements
    assert events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"] is False
    del event["time"]
    assert "time" in refused(events.test_event_pattern, "ValidationException",
                             EventPattern=json.dumps(pattern), Event=json.dumps(event))


# --- delivery ----------------------------------------------------------------------------------


def test_api_key_delivery_is_what_eventbridge_sends(events: Any, aws_emulator: AwsEmulator, receiver: Receiver) -> None:
    invocation = {
        "HeaderParameters": [{"Key": "X-Tenant", "Value": "from-connection", "IsValueSecret": False}],
        "QueryStringParameters": [{"Key": "q", "Value": "conn", "IsValueSecret": False}],
    }
    route(
        events,
        receiver.base + "/hook/*?fixed=1",
        target={"HttpParameters": {
            "PathParameterValues": ["$.detail.topicName"],
            "HeaderParameters": {"X-Tenant": "from-target", "X-Topic": "$.detail.topicName"},
            "QueryStringParameters": {"q": "target", "t": "2"},
        }},
        ApiKeyAuthParameters={"ApiKeyName": "Authorization", "ApiKeyValue": "Bearer tok-9"},
        InvocationHttpParameters=invocation,
    )
    detail = {"topicName": "v2.users.u1.presence", "eventBody": {"a": 1}}
    event_id = send(events, detail)
    (got,) = receiver.requests
    assert got["method"] == "POST"
    path, _, query = got["path"].partition("?")
    assert path == "/hook/v2.users.u1.presence"
    # The endpoint's own query kept; the connection's value wins over the target's.
    assert sorted(urllib.parse.parse_qsl(query)) == [("fixed", "1"), ("q", "conn"), ("t", "2")]
    names = [k.lower() for k, _ in got["headers"]]
    assert sorted(names) == sorted(
        ["host", "user-agent", "x-tenant", "x-topic", "authorization", "content-type",
         "range", "accept-encoding", "connection", "content-length"]
    )
    assert header(got, "User-Agent") == "Amazon/EventBridge/ApiDestinations"
    assert header(got, "Content-Type") == "application/json; charset=utf-8"
    assert header(got, "Range") == "bytes=0-1048575"
    assert header(got, "Accept-Encoding") == "gzip,deflate"
    assert header(got, "Connection") == "close"
    assert header(got, "Authorization") == "Bearer tok-9"
    assert header(got, "X-Tenant") == "from-connection"  # the connection's value wins
    assert header(got, "X-Topic") == "v2.users.u1.presence"
    body = json.loads(got["body"])
    assert list(body) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert (body["id"], body["account"], body["source"], body["detail-type"], body["detail"]) == (
        event_id, ACCOUNT, SOURCE, TOPIC, detail)
    assert header(got, "Content-Length") == str(len(got["body"].encode()))
    (record,) = aws_emulator.deliveries()
    assert (record["status"], record["outcome"], record["attempt"]) == (200, "delivered", 1)
    assert record["body"] == got["body"]
    assert [[k.lower(), v] for k, v in record["headers"]] == [[k.lower(), v] for k, v in got["headers"]]
    # The control route answers the same records.
    with urllib.request.urlopen(f"{aws_emulator.url}/_emulator/deliveries?wait=1", timeout=10) as answer:
        assert json.loads(answer.read())["deliveries"] == aws_emulator.deliveries()


def test_basic_delivery_and_a_custom_content_type(events: Any, receiver: Receiver) -> None:
    route(
        events,
        receiver.base + "/basic",
        kind="BASIC",
        BasicAuthParameters={"Username": "user", "Password": "pa ss!"},
        InvocationHttpParameters={"HeaderParameters": [{"Key": "Content-Type", "Value": "text/plain", "IsValueSecret": False},
                                                       {"Key": "User-Agent", "Value": "mine", "IsValueSecret": False}]},
        target={"InputTransformer": {"InputPathsMap": {"t": "$.detail.topicName"}, "InputTemplate": "topic <t> changed"}},
    )
    send(events, {"topicName": "v2.users.u2.presence"})
    (got,) = receiver.requests
    assert header(got, "Authorization") == "Basic " + base64.b64encode(b"user:pa ss!").decode()
    assert header(got, "Content-Type") == "text/plain"
    assert header(got, "User-Agent") == "Amazon/EventBridge/ApiDestinations"
    assert got["body"] == "topic v2.users.u2.presence changed"


def test_oauth_delivery_fetches_refreshes_and_sends_a_bearer_token(
    events: Any, aws_emulator: AwsEmulator, receiver: Receiver
) -> None:
    route(
        events,
        receiver.base + "/oauth",
        kind="OAUTH_CLIENT_CREDENTIALS",
        OAuthParameters={
            "ClientParameters": {"ClientID": "client-1", "ClientSecret": "secret-1"},
            "AuthorizationEndpoint": receiver.base + "/token",
            "HttpMethod": "POST",
            "OAuthHttpParameters": {"BodyParameters": [{"Key": "grant_type", "Value": "client_credentials", "IsValueSecret": False}]},
        },
        target={"RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60}},
    )
    receiver.token_answers = [
        (200, json.dumps({"access_token": "tok-1", "expires_in": 3600})),
        (200, json.dumps({"access_token": "tok-2", "expires_in": 3600})),
    ]
    receiver.script = [(401, {}, 0.0), (200, {}, 0.0)]
    send(events, {"topicName": "v2.users.u3.presence"})
    records = aws_emulator.deliveries(wait=10)
    paths = [r["path"] for r in receiver.requests]
    assert paths == ["/token", "/oauth", "/token", "/oauth"]
    token_request = receiver.requests[0]
    assert header(token_request, "Authorization") == "Basic " + base64.b64encode(b"client-1:secret-1").decode()
    assert urllib.parse.parse_qs(token_request["body"]) == {"grant_type": ["client_credentials"]}
    assert header(receiver.requests[1], "Authorization") == "Bearer tok-1"
    assert header(receiver.requests[3], "Authorization") == "Bearer tok-2"
    invocations = [r for r in records if r["kind"] == "invocation"]
    assert [(r["status"], r["outcome"]) for r in invocations] == [(401, "retrying"), (200, "delivered")]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{"instance": <instance>, "state": <state>}', '{"instance": "i-0123456789", "state": "RUNNING"}'),
        ('"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
        ('{"s": "instance \\"<instance>\\" is in <state>"}', '{"s": "instance \\"i-0123456789\\" is in RUNNING"}'),
        ('{"state": [ 9, <state>, true ], "n": <count>}', '{"state": [ 9, "RUNNING", true ], "n": 3}'),
        ('{"obj": <obj>, "missing": <nothing>, "in": "<nothing>"}', '{"obj": {"a":[1,2]}, "missing": null, "in": ""}'),
        ('{"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>"}',
         '{"rule": "example", "arn": "arn:aws:events:us-east-2:123456789012:rule/example"}'),
        ('{"e": <aws.events.event.json>}', None),
        ("plain <state> text", "plain RUNNING text"),
    ],
)
def test_input_transformer_renders_as_eventbridge(template: str, expected: str | None) -> None:
    event = {"version": "0", "id": "7bf7", "detail-type": "EC2", "source": "aws.ec2", "account": ACCOUNT,
             "time": "2015-11-11T21:29:54Z", "region": "us-east-1", "resources": [],
             "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "count": 3, "obj": {"a": [1, 2]}}}
    paths = {"instance": "$.detail.instance-id", "state": "$.detail.state", "count": "$.detail.count",
             "obj": "$.detail.obj", "nothing": "$.detail.nothing"}
    out = _transform.render(template, paths, event, "arn:aws:events:us-east-2:123456789012:rule/example", "example", 0)
    if expected is None:
        assert json.loads(out) == {"e": event}
    else:
        assert out == expected


def test_patterns_match_as_eventbridge() -> None:
    event = {"source": "aws.partner/genesys.com/cloud/o/s", "detail-type": "v2.users.{id}.presence",
             "detail": {"n": 5, "ip": "10.0.0.7", "tags": ["a", "b"], "changes": [{"p": "PRESENCE"}], "nil": None}}
    yes = [
        {"source": [{"prefix": "aws.partner/genesys.com"}]},
        {"detail-type": ["v2.users.{id}.presence"]},
        {"detail": {"changes": {"p": ["PRESENCE"]}}},
        {"detail": {"n": [{"numeric": [">", 1, "<=", 5]}], "tags": ["b"]}},
        {"detail": {"missing": [{"exists": False}], "n": [{"exists": True}]}},
        {"detail": {"ip": [{"cidr": "10.0.0.0/24"}], "nil": [None]}},
        {"detail-type": [{"anything-but": {"prefix": "v2.routing"}}]},
        {"$or": [{"detail": {"n": [6]}}, {"detail": {"n": [5]}}]},
        {"source": [{"wildcard": "aws.partner/*/cloud/*"}], "detail-type": [{"equals-ignore-case": "V2.USERS.{ID}.PRESENCE"}]},
    ]
    no = [
        {"detail-type": ["v2.users.{id}.activity"]},
        {"detail": {"changes": {"p": ["OTHER"]}}},
        {"detail": {"missing": ["x"]}},
        {"detail": {"n": ["5"]}},
        {"source": [{"suffix": "/x"}]},
        {"detail": {"n": [5.0]}},
    ]
    for pattern in yes:
        assert _patterns.matches(_patterns.parse(json.dumps(pattern)), event), pattern
    for pattern in no:
        assert not _patterns.matches(_patterns.parse(json.dumps(pattern)), event), pattern


def test_patterns_follow_the_user_guides_leaf_and_number_rules() -> None:
    """"Exists matching only works on leaf nodes" (an object, an empty array or a field under a
    missing parent does not exist), and numbers match by representation ("300, 300.0, and
    3.0e2 are not considered equal")."""
    def match(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
        return _patterns.matches(_patterns.parse(json.dumps(pattern)), event)

    with_object = {"detail": {"state": ["initializing"], "c-count": {"c1": 100}}}
    assert match({"detail": {"c-count": [{"exists": False}]}}, with_object)
    assert not match({"detail": {"c-count": [{"exists": True}]}}, with_object)
    assert match({"detail": {"c-count": [{"exists": False}]}}, {"source": "x"})
    assert not match({"detail": {"c-count": [{"anything-but": "x"}]}}, {"source": "x"})
    assert match({"resources": [{"exists": False}]}, {"resources": []})
    assert not match({"resources": [{"exists": True}]}, {"resources": []})
    assert match({"a": [{"exists": True}]}, {"a": None})
    assert match({"x": [300]}, {"x": 300})
    assert not match({"x": [300.0]}, {"x": 300})
    assert not match({"x": [300]}, {"x": 300.0})
    assert match({"x": [{"anything-but": [300.0]}]}, {"x": 300})
    for bad in (
        {"n": [{"numeric": ["<", 5, ">", 1]}]},
        {"n": [{"numeric": [">", 5, "<", 1]}]},
        {"n": [{"numeric": ["<", 6e9]}]},
        {"n": [{"wildcard": "a**b"}]},
        {"n": [{"anything-but": [1, "a"]}]},
    ):
        with pytest.raises(RequestRefused):
            _patterns.parse(json.dumps(bad))


def test_retry_on_503_then_success_honours_retry_after(events: Any, aws_emulator: AwsEmulator, receiver: Receiver) -> None:
    route(events, receiver.base + "/flaky", target={"RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}})
    receiver.script = [(503, {}, 0.0), (429, {"Retry-After": "30"}, 0.0), (200, {}, 0.0)]
    send(events, {"topicName": "v2.users.u4.presence"})
    records = aws_emulator.deliveries(wait=10)
    assert [(r["attempt"], r["status"], r["outcome"]) for r in records] == [
        (1, 503, "retrying"), (2, 429, "retrying"), (3, 200, "delivered")]
    assert records[1]["next_attempt_in"] == 30  # Retry-After beats the 2-second backoff
    assert len({r["body"] for r in records}) == 1 and len(receiver.requests) == 3


def test_failures_dead_letter_or_drop(events: Any, aws_emulator: AwsEmulator, receiver: Receiver) -> None:
    sqs = boto3.client("sqs", endpoint_url=aws_emulator.url, region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    queue_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq = f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq"
    route(events, receiver.base + "/gone", target={"DeadLetterConfig": {"Arn": dlq},
                                                  "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60}})
    receiver.script = [(400, {}, 0.0), (500, {}, 0.0), (500, {}, 0.0)]
    send(events, {"topicName": "v2.users.u5.presence"})  # 400: not retried
    send(events, {"topicName": "v2.users.u6.presence"})  # 500 twice: retries exhausted
    records = aws_emulator.deliveries(wait=10)
    assert [(r["status"], r["outcome"]) for r in records] == [
        (400, "dead-lettered"), (500, "retrying"), (500, "dead-lettered")]
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert len(messages) == 2
    assert messages[0]["MessageAttributes"]["RULE_ARN"]["StringValue"].endswith("rule/" + SOURCE + "/r1")
    events.remove_targets(Rule="r1", EventBusName=SOURCE, Ids=["t1"])
    arn = events.describe_api_destination(Name="d1")["ApiDestinationArn"]
    events.put_targets(Rule="r1", EventBusName=SOURCE, Targets=[{"Id": "t1", "Arn": arn, "RoleArn": ROLE,
                                                                "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}}])
    receiver.script = [(404, {}, 0.0)]
    send(events, {"topicName": "v2.users.u7.presence"})
    assert aws_emulator.deliveries()[-1]["outcome"] == "dropped"


def test_a_slow_answer_times_out_and_a_disabled_rule_delivers_nothing(
    events: Any, aws_emulator: AwsEmulator, receiver: Receiver
) -> None:
    route(events, receiver.base + "/slow", target={"RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}})
    aws_emulator.settings.attempt_timeout = 0.3
    try:
        receiver.script = [(200, {}, 1.0)]
        send(events, {"topicName": "v2.users.u8.presence"})
    finally:
        aws_emulator.settings.attempt_timeout = 5.0
    (record,) = aws_emulator.deliveries()
    assert (record["status"], record["error"], record["outcome"]) == (None, "timed out after 0.3 s", "dropped")
    events.disable_rule(Name="r1", EventBusName=SOURCE)
    send(events, {"topicName": "v2.users.u9.presence"})
    assert len(aws_emulator.deliveries()) == 1


def test_runs_by_path_and_prints_its_url() -> None:
    process = subprocess.Popen(
        [sys.executable, str(EMULATOR), "--port", "0", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        url = json.loads(process.stdout.readline())["url"]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{url}/_emulator/health", timeout=10) as answer:
            assert json.loads(answer.read()) == {"ok": True}
        process.stdin.close()
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        process.wait()
