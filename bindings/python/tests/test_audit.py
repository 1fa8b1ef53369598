"""Audit records reach Python as typed objects (``audit=`` on Resolver, EventBridgeDeployer and
RouteDeployer, blocking and async), carry no secret even when an upstream quotes one back, and
an operation logs one line at INFO (its spans only at DEBUG)."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import logging
import pickle
import threading
from base64 import b64decode
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Awaitable, Callable, TypeVar

import pytest

import genesys_resolver as gr
from genesys_resolver.audit import AuditLog, AuditRecord, JsonLinesAudit
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

from conftest import LOCAL, payload_for
from test_eventbridge import FAST, desired, make_deployer
from test_route import REGION, aws, deployer, moto_url, route_for, route_mock  # noqa: F401

HEADER_SECRET = "hdr-s3cr3t-5e1f"


T = TypeVar("T")


def run(call: Callable[[], Awaitable[T]]) -> T:
    """Awaits `call()` on a fresh event loop (the `*_async` methods need a running one)."""

    async def main() -> T:
        return await call()

    return asyncio.run(main())


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("genesys_resolver")]


# --- The record ---------------------------------------------------------------------------


def test_resolver_records_are_typed_objects_sync_and_async(
    mock: MockGenesys, dest: TlsDestination, ca_file: str
) -> None:
    log = AuditLog()
    resolver = gr.Resolver(
        mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file, audit=log, **LOCAL  # type: ignore[arg-type]
    )
    payload = payload_for(dest.uri("/hook"), headers={"X-Api-Key": HEADER_SECRET})
    resolver.check(payload)
    report = resolver.resolve(payload)
    run(lambda: resolver.resolve_async(payload))
    mock.push_fault("update", status=400)
    payload["retryPolicy"]["maxRetries"] = 5
    with pytest.raises(gr.GenesysApiError):
        resolver.resolve(payload)

    check, created, unchanged, failed = log.take()
    assert len(log) == 0
    for record in (check, created, unchanged, failed):
        assert isinstance(record, AuditRecord)
        assert record.operation == "resolve"
        assert record.integration_name == "orders-webhook"
        assert record.uri == dest.uri("/hook")
        assert record.endpoint_count == 1
        assert record.headers["X-Api-Key"] == "[REDACTED]"
        assert record.timestamp.tzinfo is not None
        assert record.timestamp.utcoffset() == timezone.utc.utcoffset(None)
        assert record.latency_ms >= 0.0
        assert record.message == "resolve_operation"
    assert (check.dry_run, check.action, check.success) == (True, "created", True)
    assert (created.dry_run, created.action) == (False, "created")
    assert created.integration_id == report.integration_id
    assert unchanged.action == "unchanged"
    assert (failed.success, failed.action, failed.failed_stage) == (False, None, "submit")
    assert failed.error and "400" in failed.error
    assert failed.correlation_id


def test_the_record_round_trips_through_its_json_form() -> None:
    line = (
        '{"timestamp":"2026-12-04T13:54:53.495670568Z","message":"resolve_operation",'
        '"integration_name":"orders","uri":"https://a.example/","endpoint_count":2,'
        '"action":"updated","success":true,"latency_ms":12.5,"failed_stage":null,"error":null,'
        '"correlation_id":"c-1","dry_run":false,"integration_id":"i-1",'
        '"headers":{"X-Api-Key":"[REDACTED]"},"operation":"resolve","target":null}'
    )
    record = AuditRecord.from_json(line)
    assert record.timestamp == datetime(2026, 12, 4, 13, 54, 53, 495670, tzinfo=timezone.utc)
    assert (record.action, record.endpoint_count, record.headers) == (
        "updated",
        2,
        {"X-Api-Key": "[REDACTED]"},
    )
    data = record.to_dict()
    assert list(data) == list(json.loads(line))  # the core's keys, in its order
    assert data["timestamp"] == "2026-12-04T13:54:53.495670Z"
    assert AuditRecord.from_dict(data) == record
    assert hash(AuditRecord.from_dict(data)) == hash(record)  # usable in sets, as keys
    assert AuditRecord.from_json(record.to_json()) == record
    assert pickle.loads(pickle.dumps(record)) == record
    assert copy.deepcopy(record) == record
    with pytest.raises(AttributeError):
        record.success = False  # type: ignore[misc]


def test_json_lines_audit_writes_one_line_per_operation(
    mock: MockGenesys, dest: TlsDestination, ca_file: str
) -> None:
    stream = io.StringIO()
    resolver = gr.Resolver(
        mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file,
        audit=JsonLinesAudit(stream), **LOCAL,  # type: ignore[arg-type]
    )
    resolver.resolve(payload_for(dest.uri("/")))
    resolver.check(payload_for(dest.uri("/")))
    lines = stream.getvalue().splitlines()
    assert [json.loads(line)["dry_run"] for line in lines] == [False, True]
    assert AuditRecord.from_json(lines[0]).action == "created"


def test_audit_must_be_callable(mock: MockGenesys) -> None:
    with pytest.raises(TypeError, match="audit must be a callable"):
        gr.Resolver(mock.environment, mock.client_id, mock.client_secret, audit=[])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="audit must be a callable"):
        gr.EventBridgeDeployer(mock.environment, mock.client_id, mock.client_secret, audit="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="audit must be a callable"):
        gr.RouteDeployer(mock.environment, mock.client_id, mock.client_secret, audit=1)  # type: ignore[arg-type]
    # None is no callable: the records are only logged.
    gr.Resolver(mock.environment, mock.client_id, mock.client_secret, audit=None)
    for cls in (gr.Resolver, gr.EventBridgeDeployer, gr.RouteDeployer):
        with pytest.raises(TypeError, match="audit must be a callable"):
            cls.from_env(  # type: ignore[attr-defined]
                environment=mock.environment, client_id="id", client_secret="s", audit=object()
            )


def test_from_env_takes_audit_too(mock: MockGenesys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")
    log = AuditLog()
    deployer = gr.EventBridgeDeployer.from_env(
        environment=mock.environment, client_id=mock.client_id, client_secret=mock.client_secret,
        audit=log, **FAST,  # type: ignore[arg-type]
    )
    deployer.plan(desired())
    [record] = log
    assert (record.operation, record.dry_run) == ("deploy", True)


def test_a_failing_callable_does_not_change_the_result(
    mock: MockGenesys, dest: TlsDestination, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[BaseException] = []

    def hook(unraisable: Any) -> None:
        seen.append(unraisable.exc_value)

    def broken(record: AuditRecord) -> None:
        raise RuntimeError(f"sink down for {record.integration_name}")

    monkeypatch.setattr("sys.unraisablehook", hook)
    resolver = gr.Resolver(
        mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file, audit=broken, **LOCAL  # type: ignore[arg-type]
    )
    report = resolver.resolve(payload_for(dest.uri("/")))
    assert report.action == "created"
    assert [str(e) for e in seen] == ["sink down for orders-webhook"]


def test_eventbridge_deployer_records_every_operation(mock: MockGenesys) -> None:
    log = AuditLog()
    deployer = gr.EventBridgeDeployer(
        mock.environment, mock.client_id, mock.client_secret, audit=log, **FAST  # type: ignore[arg-type]
    )
    deployer.plan(desired())
    report = deployer.apply(desired())
    run(lambda: deployer.apply_async(desired()))
    deployer.disable(desired().name)
    plan, applied, again, disabled = log.take()
    target = "aws://eu-west-1/123456789012/orders"
    for record in (plan, applied, again, disabled):
        assert (record.operation, record.integration_name) == ("deploy", "orders-to-aws")
        assert record.target == target
        assert record.headers == {}
    assert (plan.dry_run, plan.action) == (True, "created")
    assert (applied.action, applied.integration_id) == ("created", report.integration_id)
    assert again.action == "unchanged"
    assert disabled.action == "disabled"


def test_route_deployer_records_and_logs_one_line_at_info(
    deployer: gr.RouteDeployer,  # noqa: F811
    route_mock: MockGenesys,  # noqa: F811
    moto_url: str,  # noqa: F811
    ca: TestCa,
    aws: Any,  # noqa: F811
    dest: TlsDestination,
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = AuditLog()
    audited = gr.RouteDeployer(
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
        audit=log,
    )
    route = route_for(dest)
    caplog.set_level(logging.INFO)
    report = audited.apply(route)
    # One line at INFO for the whole apply: its audit record. Before, some sixty (the spans'
    # openings and every field recorded on them, one record each, and the steps).
    [line] = ours(caplog)
    assert (line.name, line.levelno) == ("genesys_resolver.audit", logging.INFO)
    assert "resolve_operation" in line.getMessage() and HEADER_SECRET not in line.getMessage()

    caplog.clear()
    caplog.set_level(logging.DEBUG)
    run(lambda: audited.plan_async(route))
    debug = ours(caplog)
    assert [r.name for r in debug if r.levelno == logging.INFO] == ["genesys_resolver.audit"]
    spans = [r for r in debug if r.name == "genesys_resolver.spans"]
    assert spans and all(r.levelno == logging.DEBUG for r in spans)
    assert any(r.getMessage().startswith("deploy;") for r in spans)

    applied, planned = log.take()
    assert (applied.operation, applied.action, applied.dry_run) == ("deploy", "created", False)
    assert applied.integration_id == report.integration_id
    assert applied.target and applied.target.startswith("route://us-east-1/")
    assert (planned.dry_run, planned.action) == (True, "unchanged")
    assert applied.headers["X-Api-Key"] == "[REDACTED]"


def test_an_operation_logs_one_line_at_info(
    mock: MockGenesys, dest: TlsDestination, ca_file: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    resolver = gr.Resolver(mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file, **LOCAL)  # type: ignore[arg-type]
    resolver.resolve(payload_for(dest.uri("/")))
    assert [r.name for r in ours(caplog)] == ["genesys_resolver.audit"]
    caplog.clear()
    make_deployer(mock).apply(desired())
    assert [r.name for r in ours(caplog)] == ["genesys_resolver.audit"]


# --- Secrets, also when an upstream quotes them back ---------------------------------------


class Echoing(BaseHTTPRequestHandler):
    """A hostile Genesys: issues a token, then fails every API call with a body quoting what it
    received (the Authorization header, the client secret, the request's body); with
    ``deny_token`` it refuses the token request the same way."""

    deny_token = False
    token = "tok-echoed-9b2e"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _quote(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length).decode(errors="replace") if length else ""
        auth = self.headers.get("Authorization", "")
        decoded = ""
        if auth.startswith("Basic "):
            decoded = b64decode(auth[6:]).decode(errors="replace")
        return f"you sent {auth} ({decoded}) with {sent} client_secret={decoded.partition(':')[2]}"

    def do_POST(self) -> None:
        if self.path.startswith("/oauth/token"):
            quoted = self._quote()
            if type(self).deny_token:
                self._answer(401, {"error": "invalid_client", "error_description": quoted})
            else:
                self._answer(200, {"access_token": self.token, "token_type": "bearer", "expires_in": 86400})
            return
        self._answer(400, {"message": self._quote(), "code": "bad.request", "status": 400})

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST


@pytest.fixture
def hostile() -> Iterator[tuple[str, type[Echoing]]]:
    handler = type("Handler", (Echoing,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", handler
    finally:
        server.shutdown()
        server.server_close()


def test_records_carry_no_secret_when_upstream_quotes_it(
    hostile: tuple[str, type[Echoing]], dest: TlsDestination, ca_file: str
) -> None:
    url, handler = hostile
    client_secret = "cl-s3cr3t-7d41"
    log = AuditLog()
    resolver = gr.Resolver(url, "client-1", client_secret, ca_file=ca_file, audit=log, **LOCAL)  # type: ignore[arg-type]
    deployer = gr.EventBridgeDeployer(url, "client-1", client_secret, audit=log, **FAST)  # type: ignore[arg-type]
    payload = payload_for(
        dest.uri(f"/hook?token={HEADER_SECRET}"),
        headers={"X-Api-Key": HEADER_SECRET},
    )
    with pytest.raises(gr.ResolverError):
        resolver.resolve(payload)
    with pytest.raises(gr.ResolverError):
        run(lambda: resolver.resolve_async(payload))
    with pytest.raises(gr.ResolverError):
        deployer.apply(desired())
    handler.deny_token = True
    fresh = gr.Resolver(url, "client-1", client_secret, ca_file=ca_file, audit=log, **LOCAL)  # type: ignore[arg-type]
    with pytest.raises(gr.AuthError):
        fresh.resolve(payload)

    records = log.take()
    assert len(records) == 4
    assert all(not r.success and r.error for r in records)
    assert [r.failed_stage for r in records] == ["route_mapping"] * 3 + ["token"]
    # The upstream's text reached the records (scrubbed), so the check below means something.
    assert all("you sent" in (r.error or "") for r in records), [r.error for r in records]
    secrets = [client_secret, HEADER_SECRET, handler.token, "client-1:" + client_secret]
    for record in records:
        text = record.to_json() + repr(record)
        for secret in secrets:
            assert secret not in text, (secret, text)


def test_route_records_carry_no_secret_when_genesys_quotes_it(
    hostile: tuple[str, type[Echoing]],
    moto_url: str,  # noqa: F811
    aws: Any,  # noqa: F811
    ca: TestCa,
    dest: TlsDestination,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, handler = hostile
    client_secret = "cl-s3cr3t-route-0c9a"
    log = AuditLog()
    caplog.set_level(logging.DEBUG)
    route_deployer = gr.RouteDeployer(
        url, "client-1", client_secret, region=REGION, endpoint_url=moto_url, ca_pem=ca.ca_pem,
        loopback=True, hosts={"localhost": ["127.0.0.1"]}, max_attempts=1, request_timeout=5.0,
        audit=log,
    )
    route = route_for(dest)
    route["organizationId"] = ""  # read from Genesys: the first call meets the hostile answer
    with pytest.raises(gr.ResolverError):
        route_deployer.apply(route)
    with pytest.raises(gr.ResolverError):
        run(lambda: route_deployer.plan_async(route))
    records = log.take()
    assert len(records) == 2 and all(not r.success for r in records)
    assert all("you sent" in (r.error or "") for r in records), [r.error for r in records]
    texts = [r.to_json() for r in records] + [r.getMessage() for r in caplog.records]
    for secret in (client_secret, handler.token, "k-route-secret-81b4"):
        for text in texts:
            assert secret not in text, (secret, text)
