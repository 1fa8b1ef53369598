"""Resolver against the mock Genesys and local TLS destinations: resolve, check, resolve_many,
the async variants, metrics, and the GIL released while the network works."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

import genesys_resolver as gr
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

from conftest import LOCAL, payload_for

STAGES = ["validate", "probe", "token", "route_mapping", "submit"]


def insecure(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with an `http` URI: well-formed, but it breaks a rule the pipeline checks."""
    payload["uri"] = payload["uri"].replace("https://", "http://")
    return payload


def test_resolve_creates_then_leaves_alone_then_updates(
    resolver: gr.Resolver, mock: MockGenesys, dest: TlsDestination
) -> None:
    payload = payload_for(dest.uri("/hook"))
    report = resolver.resolve(payload)
    assert isinstance(report, gr.ResolveReport)
    assert report.integration_name == "orders-webhook"
    assert report.action == "created"
    assert report.dry_run is False
    assert report.integration_id
    assert report.recovered is False
    assert report.correlation_id
    assert report.latency_ms > 0
    assert list(report.stages) == STAGES
    assert all(ms >= 0 for ms in report.stages.values())
    [endpoint] = report.endpoints
    assert isinstance(endpoint, gr.ProbeReport)
    assert endpoint.ok and endpoint.failure is None
    assert (endpoint.uri, endpoint.host, endpoint.port) == (dest.uri("/hook"), "localhost", dest.port)
    assert endpoint.addresses == ["127.0.0.1"]
    assert endpoint.connected_to == dest.addr
    assert endpoint.tls is not None and endpoint.tls["verified"] is True
    assert endpoint.tls["protocol_version"] in ("TLSv1.3", "TLSv1.2")
    assert endpoint.health == {"status": 200, "redirect": None}
    assert endpoint.phases["total"] is not None
    assert dest.requests() == ["/hook"]
    [stored] = mock.integrations_named("orders-webhook")
    assert stored["id"] == report.integration_id

    again = resolver.resolve(payload)
    assert (again.action, again.integration_id) == ("unchanged", report.integration_id)

    payload["retryPolicy"]["maxRetries"] = 5
    changed = resolver.resolve(payload)
    assert (changed.action, changed.integration_id) == ("updated", report.integration_id)
    assert mock.create_requests("orders-webhook") == 1


def test_check_is_a_dry_run(resolver: gr.Resolver, mock: MockGenesys, dest: TlsDestination) -> None:
    report = resolver.check(payload_for(dest.uri("/")))
    assert report.dry_run is True
    assert report.action == "created"  # what a resolve would do
    assert report.integration_id is None
    assert "submit" not in report.stages
    assert report.endpoints[0].ok
    assert mock.integrations() == []
    assert mock.requests("create") == 0


def test_reports_serialize_like_the_core(resolver: gr.Resolver, dest: TlsDestination) -> None:
    report = resolver.resolve(payload_for(dest.uri("/")))
    d = report.to_dict()
    json.dumps(d)  # plain JSON types only
    assert d["integration_name"] == report.integration_name
    assert d["action"] == report.action
    assert d["integration_id"] == report.integration_id
    assert [s["stage"] for s in d["stages"]] == list(report.stages)
    assert d["endpoints"] == [e.to_dict() for e in report.endpoints]
    assert d["endpoints"][0]["tls"] == report.endpoints[0].tls
    assert "created" in repr(report) and "orders-webhook" in repr(report)
    assert "ok=True" in repr(report.endpoints[0])


def test_resolve_many_keeps_input_order_and_does_not_stop_at_failures(
    resolver: gr.Resolver, mock: MockGenesys, ca: TestCa, dest: TlsDestination
) -> None:
    with TlsDestination(ca, health_status=503) as sick:
        payloads: list[Any] = [
            payload_for(dest.uri("/a"), name="first"),
            payload_for(sick.uri("/b"), name="sick"),
            {"name": "broken"},  # malformed: its ValidationError takes its place
            payload_for(dest.uri("/c"), name="last"),
        ]
        out = resolver.resolve_many(payloads, concurrency=2)
    assert [type(o) for o in out] == [
        gr.ResolveReport,
        gr.HealthCheckError,
        gr.ValidationError,
        gr.ResolveReport,
    ]
    first, sick_err, broken, last = out
    assert isinstance(first, gr.ResolveReport) and first.integration_name == "first"
    assert isinstance(last, gr.ResolveReport) and last.integration_name == "last"
    assert isinstance(sick_err, gr.HealthCheckError) and sick_err.stage == "probe"
    assert isinstance(broken, gr.ValidationError)
    assert {v.path for v in broken.violations} >= {"uri", "type"}
    assert sorted(i["name"] for i in mock.integrations()) == ["first", "last"]
    assert resolver.resolve_many([]) == []


def test_resolve_many_with_a_concurrency_of_one(resolver: gr.Resolver, dest: TlsDestination) -> None:
    out = resolver.resolve_many((payload_for(dest.uri(f"/{i}"), name=f"n{i}") for i in range(3)), 1)
    assert [r.integration_name for r in out if isinstance(r, gr.ResolveReport)] == ["n0", "n1", "n2"]


@pytest.mark.asyncio
async def test_resolve_many_async_matches_resolve_many(
    resolver: gr.Resolver, mock: MockGenesys, ca: TestCa, dest: TlsDestination
) -> None:
    with TlsDestination(ca, health_status=503) as sick:
        payloads: list[Any] = [
            payload_for(dest.uri("/a"), name="first"),
            payload_for(sick.uri("/b"), name="sick"),
            {"name": "broken"},
            payload_for(dest.uri("/c"), name="last"),
        ]
        pending = resolver.resolve_many_async(payloads, concurrency=2)
        # Other coroutines run while the resolves are under way.
        out, slept = await asyncio.gather(pending, asyncio.sleep(0, result="ran"))
    assert slept == "ran"
    assert [type(o) for o in out] == [gr.ResolveReport, gr.HealthCheckError, gr.ValidationError, gr.ResolveReport]
    assert [o.integration_name for o in out if isinstance(o, gr.ResolveReport)] == ["first", "last"]
    assert sorted(i["name"] for i in mock.integrations()) == ["first", "last"]
    again = await resolver.resolve_many_async([payload_for(dest.uri("/a"), name="first")])
    assert [r.action for r in again if isinstance(r, gr.ResolveReport)] == ["unchanged"]
    assert await resolver.resolve_many_async([]) == []


@pytest.mark.asyncio
async def test_async_variants(resolver: gr.Resolver, mock: MockGenesys, dest: TlsDestination) -> None:
    checked = await resolver.check_async(payload_for(dest.uri("/")))
    assert (checked.dry_run, checked.action) == (True, "created")
    reports = await asyncio.gather(
        *(resolver.resolve_async(payload_for(dest.uri("/"), name=f"async-{i}")) for i in range(4))
    )
    assert [r.action for r in reports] == ["created"] * 4
    assert len(mock.integrations()) == 4
    with pytest.raises(gr.ValidationError) as info:
        await resolver.resolve_async(insecure(payload_for(dest.uri("/"))))
    assert info.value.stage == "validate"
    with pytest.raises(gr.ValidationError):  # malformed payloads raise before anything is awaited
        resolver.resolve_async({"name": 1})


@pytest.mark.asyncio
async def test_async_calls_can_be_cancelled(resolver: gr.Resolver, ca: TestCa) -> None:
    with TlsDestination(ca, response_delay=30) as slow:
        start = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(resolver.check_async(payload_for(slow.uri("/"))), timeout=0.3)
        assert time.monotonic() - start < 10


def test_metrics_and_prometheus(resolver: gr.Resolver, dest: TlsDestination) -> None:
    resolver.resolve(payload_for(dest.uri("/")))
    resolver.check(payload_for(dest.uri("/")))
    with pytest.raises(gr.ValidationError):
        resolver.resolve(insecure(payload_for(dest.uri("/"))))
    m = resolver.metrics()
    json.dumps(m)
    assert m["total_resolves"] == 2
    assert m["successful_resolves"] == 1
    assert m["failed_resolves"] == 1
    assert m["dry_runs"] == 1
    assert m["by_action"]["created"] == 1
    assert m["probes_healthy"] >= 2
    text = resolver.prometheus()
    assert "# TYPE genesys_resolver_resolves counter" in text
    assert 'genesys_resolver_resolves_total{outcome="success",action="created"' in text


def test_other_threads_run_during_a_slow_resolve(resolver: gr.Resolver, ca: TestCa) -> None:
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    # The destination's health check answers after a second.
    with TlsDestination(ca, response_delay=1.0) as slow:
        worker = threading.Thread(target=count)
        worker.start()
        try:
            time.sleep(0.05)
            before = ticks
            start = time.monotonic()
            report = resolver.check(payload_for(slow.uri("/")))
            elapsed = time.monotonic() - start
            during = ticks - before
        finally:
            stop.set()
            worker.join()
    assert report.endpoints[0].ok
    assert elapsed >= 0.9
    # About a thousand ticks on an idle machine; none at all if the GIL were held.
    assert during > 10, during


def test_resolvers_are_shared_across_threads(resolver: gr.Resolver, dest: TlsDestination) -> None:
    results: list[object] = []

    def run(i: int) -> None:
        try:
            results.append(resolver.resolve(payload_for(dest.uri("/"), name=f"t{i}")).action)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion below
            results.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["created"] * 6


def test_ctrl_c_interrupts_a_slow_resolve() -> None:
    # In a child process, so the signal cannot reach the test runner.
    code = f"""
import signal, sys, tempfile, time
# As in an interactive Python, even if this runner was started with SIGINT ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
import genesys_resolver as gr
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination
mock, ca = MockGenesys(), TestCa()
slow = TlsDestination(ca, response_delay=60)
resolver = gr.Resolver(mock.environment, mock.client_id, mock.client_secret,
    ca_file=ca.write_ca_pem(tempfile.mkdtemp()), health_timeout=120, **{LOCAL!r})
payload = gr.build_payload("slow", slow.uri("/"), ["v2.users.{{id}}.presence"])
print("ready", flush=True)
start = time.monotonic()
try:
    resolver.resolve(payload)
except KeyboardInterrupt:
    print(f"interrupted {{time.monotonic() - start:.2f}}", flush=True)
    sys.exit(3)
"""
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
    assert float(out.split()[1]) < 10  # not the 60 s the destination would take


def test_repr_shows_no_secret(mock: MockGenesys, ca_file: str) -> None:
    r = gr.Resolver(mock.environment, "my-client", "very-secret-value", ca_file=ca_file)
    assert repr(r) == f"Resolver(environment='{mock.environment}', client_id='my-client')"
    assert "very-secret-value" not in repr(r)
