"""genesys_resolver.testing: the mock Genesys and local HTTPS destinations for Python users."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

import genesys_resolver as gr
from genesys_resolver.testing import LOOPBACK_CIDRS, MockGenesys, TestCa, TlsDestination

from conftest import LOCAL, payload_for


def test_the_modules_example_runs() -> None:
    with MockGenesys() as mock:
        ca = TestCa()
        with TlsDestination(ca, health_status=200) as dest:
            resolver = gr.Resolver(
                mock.environment,
                mock.client_id,
                mock.client_secret,
                loopback=True,
                ca_pem=ca.ca_pem,
                hosts={"localhost": ["127.0.0.1"]},
            )
            payload = gr.build_payload("orders", dest.uri("/hook"), ["v2.users.{id}.presence"])
            assert resolver.resolve(payload).action == "created"
            assert len(mock.integrations_named("orders")) == 1


def test_mock_genesys_settings_and_record(ca_file: str, dest: TlsDestination) -> None:
    with MockGenesys(client_id="id-1", client_secret="secret-1", integrations_path="/api/v2/hooks") as mock:
        assert mock.base_url.startswith("http://127.0.0.1:") and mock.base_url.endswith("/")
        assert mock.environment == mock.base_url
        assert (mock.client_id, mock.client_secret) == ("id-1", "secret-1")
        assert mock.integrations_path == "/api/v2/hooks"
        assert "127.0.0.1" in repr(mock)
        resolver = gr.Resolver(
            mock.environment, "id-1", "secret-1", ca_file=ca_file, integrations_path="/api/v2/hooks", **LOCAL  # type: ignore[arg-type]
        )
        resolver.resolve(payload_for(dest.uri("/")))
        assert mock.token_requests() == 1
        assert (mock.requests("list"), mock.requests("create")) == (1, 1)
        assert [(r["route"], r["method"]) for r in mock.request_log()] == [
            ("token", "POST"),
            ("list", "GET"),
            ("create", "POST"),
        ]
        assert all(r["uri"].startswith(("/oauth/token", "/api/v2/hooks")) for r in mock.request_log())
        assert len(mock.issued_tokens()) == 1


def test_inserted_integrations_are_updated(resolver: gr.Resolver, mock: MockGenesys, dest: TlsDestination) -> None:
    payload = payload_for(dest.uri("/"), name="existing")
    old = dict(payload, uri="https://old.example.com/")
    integration_id = mock.insert_integration(old)
    report = resolver.resolve(payload)
    assert (report.action, report.integration_id) == ("updated", integration_id)
    [stored] = mock.integrations_named("existing")
    assert stored["uri"] == dest.uri("/")
    with pytest.raises(ValueError, match="entity: expected a dict"):
        mock.insert_integration([1, 2])  # type: ignore[arg-type]


def test_fault_injection(resolver: gr.Resolver, mock: MockGenesys, dest: TlsDestination) -> None:
    mock.push_fault("create", status=503, times=2)
    assert mock.pending_faults() == 2
    with pytest.raises(gr.GenesysApiError) as info:
        resolver.resolve(payload_for(dest.uri("/")))
    assert info.value.status == 503
    assert mock.pending_faults() == 1

    mock.push_fault("list", unauthorized=True)
    mock.push_fault("list", delay=0.01)
    with pytest.raises(gr.GenesysApiError):  # the queued 503 of the create
        resolver.resolve(payload_for(dest.uri("/")))
    assert mock.pending_faults() == 0
    assert resolver.resolve(payload_for(dest.uri("/"))).action == "created"

    mock.set_create_rate_limit(0)
    with pytest.raises(gr.GenesysApiError) as info:
        resolver.resolve(payload_for(dest.uri("/"), name="limited"))
    assert info.value.status == 429
    mock.set_create_rate_limit(None)
    assert resolver.resolve(payload_for(dest.uri("/"), name="limited")).action == "created"


def test_clear_faults_drops_the_queued_faults(resolver: gr.Resolver, mock: MockGenesys, dest: TlsDestination) -> None:
    mock.push_fault("create", status=503, times=3)
    mock.push_fault("token", unauthorized=True)
    assert mock.pending_faults() == 4
    assert mock.clear_faults() == 4
    assert mock.pending_faults() == 0
    assert mock.clear_faults() == 0
    # Nothing left to fire: the resolve goes through on its one attempt.
    assert resolver.resolve(payload_for(dest.uri("/"))).action == "created"


def test_loopback_allows_both_loopback_families(mock: MockGenesys, ca: TestCa) -> None:
    """`localhost` answers 127.0.0.1 and ::1; the policy checks both, so `loopback=True` allows
    both where `allow_cidrs=["127.0.0.0/8"]` alone fails on ::1."""
    both = {"localhost": ["127.0.0.1", "::1"]}
    common: dict[str, Any] = {"ca_pem": ca.ca_pem, "hosts": both, "max_attempts": 1}
    with TlsDestination(ca) as d:
        payload = payload_for(d.uri("/"))
        v4_only = gr.Resolver(
            mock.environment, mock.client_id, mock.client_secret, allow_cidrs=["127.0.0.0/8"], **common
        )
        with pytest.raises(gr.AddressPolicyError) as info:
            v4_only.check(payload)
        assert "::1" in str(info.value)
        looped = gr.Resolver(mock.environment, mock.client_id, mock.client_secret, loopback=True, **common)
        assert looped.check(payload).endpoints[0].ok
        listed = gr.Resolver(
            mock.environment, mock.client_id, mock.client_secret, allow_cidrs=list(LOOPBACK_CIDRS), **common
        )
        assert listed.check(payload).endpoints[0].ok
    # Loopback only: a private address stays refused.
    with pytest.raises(gr.AddressPolicyError):
        looped.check(payload_for("https://10.0.0.1/"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of"),
        ({"status": 500, "unauthorized": True}, "exactly one of"),
        ({"drop_connection": True, "retry_after": "1"}, "retry_after goes with status"),
        ({"delay": -1.0}, "delay: "),
    ],
)
def test_bad_faults_are_value_errors(mock: MockGenesys, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mock.push_fault("create", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown route `remove`"):
        mock.push_fault("remove", status=500)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown route"):
        mock.requests("nowhere")


def test_stopped_mock_keeps_its_record(mock: MockGenesys) -> None:
    mock.insert_integration({"name": "kept"})
    mock.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(mock.base_url, timeout=5)
    assert len(mock.integrations()) == 1


def test_tls_destination(ca: TestCa) -> None:
    assert ca.ca_pem.startswith("-----BEGIN CERTIFICATE-----")
    assert TestCa.__test__ is False
    with TlsDestination(ca, health_status=204, names=["localhost"], tls_versions="1.3") as d:
        assert d.addr == f"127.0.0.1:{d.port}"
        assert d.uri("/x") == f"https://localhost:{d.port}/x"
        assert d.uri_for_host("hooks.test") == f"https://hooks.test:{d.port}/"
        assert d.ip_uri() == f"https://127.0.0.1:{d.port}/"
        assert d.connections() == 0
    d.stop()  # stopping twice is fine


def test_destination_counts_survive_stop(resolver: gr.Resolver, ca: TestCa) -> None:
    d = TlsDestination(ca)
    resolver.check(payload_for(d.uri("/health?x=1")))
    d.stop()
    assert (d.connections(), d.handshakes(), d.requests()) == (1, 1, ["/health?x=1"])


def test_certificate_near_expiry_is_a_warning(resolver: gr.Resolver, ca: TestCa) -> None:
    with TlsDestination(ca, certificate="expiring", expiring_in_days=3) as d:
        report = resolver.check(payload_for(d.uri("/")))
    assert report.endpoints[0].ok
    assert report.endpoints[0].warnings
    assert report.endpoints[0].tls is not None
    assert report.endpoints[0].tls["certificate"]["days_until_expiry"] == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"certificate": "bogus"}, "unknown kind `bogus`"),
        ({"certificate": "expiring"}, "needs expiring_in_days"),
        ({"expiring_in_days": 3}, "goes with certificate"),
        ({"tls_versions": "1.0"}, "tls_versions: unknown"),
        ({"bind": "10.0.0.1"}, "not a loopback address"),
        ({"bind": "nowhere"}, "not an IP address"),
    ],
)
def test_bad_destination_settings(ca: TestCa, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TlsDestination(ca, **kwargs)  # type: ignore[arg-type]
