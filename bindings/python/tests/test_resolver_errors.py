"""Every exception class raised by a real failing resolve, with its fields."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

import genesys_resolver as gr
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

from conftest import LOCAL, payload_for


def failure_stage(err: gr.ResolverError) -> Any:
    failure = err.endpoints[0].failure
    assert failure is not None
    return failure["stage"]


def test_validation_error_from_the_pipeline(resolver: gr.Resolver, dest: TlsDestination) -> None:
    payload = payload_for(dest.uri("/"))
    payload["retryPolicy"]["maxRetries"] = 9
    with pytest.raises(gr.ValidationError) as info:
        resolver.resolve(payload)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.stage, err.kind, err.retryable) == ("validate", "validation", False)
    assert [(v.path, v.code) for v in err.violations] == [
        ("retryPolicy.maxRetries", "max_retries_out_of_range")
    ]
    assert dest.connections() == 0  # nothing probed


def test_validation_uses_the_resolvers_limits(mock: MockGenesys, ca_file: str, dest: TlsDestination) -> None:
    strict = gr.Resolver(
        mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file, limits={"max_retries": 2}, **LOCAL  # type: ignore[arg-type]
    )
    with pytest.raises(gr.ValidationError) as info:
        strict.check(payload_for(dest.uri("/"), max_retries=3))
    assert [v.code for v in info.value.violations] == ["max_retries_out_of_range"]


def test_address_policy_error(mock: MockGenesys, ca_file: str, dest: TlsDestination) -> None:
    # Without allow_cidrs, loopback is refused before anything connects.
    default_policy = gr.Resolver(
        mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file, hosts={"localhost": "127.0.0.1"}
    )
    with pytest.raises(gr.AddressPolicyError) as info:
        default_policy.check(payload_for(dest.ip_uri("/")))
    err = info.value
    assert (err.stage, err.kind) == ("probe", "address_policy")
    assert failure_stage(err) == "address_policy"
    assert dest.connections() == 0


def test_dns_error(resolver: gr.Resolver) -> None:
    # `hosts` answers from its table only: an unknown name fails without a DNS query.
    with pytest.raises(gr.DnsError) as info:
        resolver.check(payload_for("https://unknown.example.test/"))
    err = info.value
    assert (err.stage, err.kind) == ("probe", "dns")
    assert failure_stage(err) == "dns"
    assert err.endpoints[0].host == "unknown.example.test"


@pytest.mark.parametrize(
    ("certificate", "tls_kind"),
    [("expired", "expired"), ("unknown_ca", "unknown_issuer"), ("wrong_host", "hostname_mismatch")],
)
def test_tls_error(resolver: gr.Resolver, ca: TestCa, certificate: str, tls_kind: str) -> None:
    with TlsDestination(ca, certificate=certificate) as bad:
        with pytest.raises(gr.TlsError) as info:
            resolver.check(payload_for(bad.uri("/")))
    err = info.value
    assert (err.stage, err.kind) == ("probe", "tls")
    failure = err.endpoints[0].failure
    assert failure is not None and (failure["stage"], failure["kind"]) == ("tls", tls_kind)


def test_health_check_errors(resolver: gr.Resolver, mock: MockGenesys, ca: TestCa) -> None:
    with TlsDestination(ca, health_status=503) as sick:
        with pytest.raises(gr.HealthCheckError) as info:
            resolver.resolve(payload_for(sick.uri("/")))
    assert (info.value.stage, info.value.kind) == ("probe", "health")
    assert info.value.endpoints[0].health == {"status": 503, "redirect": None}
    assert mock.integrations() == []

    # A port bound but not listening refuses connections, and stays ours for the whole check (a
    # stopped server's port could be handed to another test's server meanwhile).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held, pytest.raises(gr.HealthCheckError) as info:
        held.bind(("127.0.0.1", 0))
        resolver.check(payload_for(f"https://localhost:{held.getsockname()[1]}/"))
    assert info.value.kind == "connect"
    assert type(info.value) is gr.ConnectError
    assert failure_stage(info.value) == "connect"


def test_probe_timeout_is_a_health_check_error(mock: MockGenesys, ca_file: str, ca: TestCa) -> None:
    impatient = gr.Resolver(
        mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file, health_timeout=0.3, **LOCAL  # type: ignore[arg-type]
    )
    with TlsDestination(ca, response_delay=5) as slow:
        with pytest.raises(gr.HealthCheckError) as info:
            impatient.check(payload_for(slow.uri("/")))
    assert info.value.kind == "probe_timeout"
    assert type(info.value) is gr.ProbeTimeoutError
    assert info.value.retryable is True


def test_an_unreachable_login_host_is_genesys_unreachable(ca_file: str, dest: TlsDestination) -> None:
    with socket.socket() as s:  # a loopback port nothing listens on once this closes
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    nowhere = gr.Resolver(f"http://127.0.0.1:{closed}", "id", "secret", ca_file=ca_file, **LOCAL)  # type: ignore[arg-type]
    with pytest.raises(gr.GenesysUnreachableError) as info:
        nowhere.resolve(payload_for(dest.uri("/")))
    err = info.value
    assert (err.stage, err.kind, err.retryable) == ("token", "genesys_unreachable", True)
    assert err.status is None
    assert "secret" not in str(err)
    # Scripts written when this was an AuthError still catch it.
    try:
        nowhere.check(payload_for(dest.uri("/")))
    except gr.AuthError as e:
        assert type(e) is gr.GenesysUnreachableError
    else:
        pytest.fail("no error")


def test_auth_error(mock: MockGenesys, ca_file: str, dest: TlsDestination) -> None:
    wrong = gr.Resolver(mock.environment, mock.client_id, "not-the-secret", ca_file=ca_file, **LOCAL)  # type: ignore[arg-type]
    with pytest.raises(gr.AuthError) as info:
        wrong.resolve(payload_for(dest.uri("/")))
    err = info.value
    assert (err.stage, err.kind) == ("token", "auth")
    assert err.status == 401
    assert err.code == "invalid_client"
    assert err.retryable is False
    assert "not-the-secret" not in str(err)
    assert "not-the-secret" not in json.dumps(err.to_dict())


def test_genesys_api_error(resolver: gr.Resolver, mock: MockGenesys, dest: TlsDestination) -> None:
    mock.push_fault("create", status=400)
    with pytest.raises(gr.GenesysApiError) as info:
        resolver.resolve(payload_for(dest.uri("/")))
    err = info.value
    assert type(err) is gr.GenesysApiError
    assert (err.stage, err.kind, err.status) == ("submit", "api", 400)
    assert err.code
    assert err.correlation_id
    assert err.to_dict()["status"] == 400


def test_rate_limited_error(resolver: gr.Resolver, mock: MockGenesys, dest: TlsDestination) -> None:
    # Genesys asks for a longer wait than the retry policy allows (60 s): no retry, raised at once.
    mock.push_fault("create", status=429, retry_after="120")
    with pytest.raises(gr.RateLimitedError) as info:
        resolver.resolve(payload_for(dest.uri("/")))
    err = info.value
    assert isinstance(err, gr.GenesysApiError)
    assert (err.stage, err.kind, err.status) == ("submit", "rate_limited", 429)
    assert err.retry_after == 120.0
    assert err.retryable is True
    assert err.to_dict()["retry_after_secs"] == 120.0


def test_unreachable_genesys_is_an_api_error_without_status(
    resolver: gr.Resolver, mock: MockGenesys, dest: TlsDestination
) -> None:
    # The integrations listing is cut off without an answer (the resolver makes one attempt).
    mock.push_fault("list", drop_connection=True)
    with pytest.raises(gr.GenesysApiError) as info:
        resolver.resolve(payload_for(dest.uri("/")))
    err = info.value
    assert type(err) is gr.TransportError
    assert (err.stage, err.kind) == ("route_mapping", "transport")
    assert err.status is None
    assert err.retryable is True


def test_unreachable_login_host_is_an_auth_error(ca_file: str, dest: TlsDestination) -> None:
    with MockGenesys() as stopped:
        environment, client_id, secret = stopped.environment, stopped.client_id, stopped.client_secret
    resolver = gr.Resolver(environment, client_id, secret, ca_file=ca_file, **LOCAL)  # type: ignore[arg-type]
    with pytest.raises(gr.AuthError) as info:
        resolver.resolve(payload_for(dest.uri("/")))
    assert (info.value.stage, info.value.status) == ("token", None)
    assert info.value.retryable is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"environment": "atlantis_1"}, "environment: "),
        ({"allow_cidrs": ["127.0.0.0/33"]}, "allow_cidrs[0]: `127.0.0.0/33` is not an address range"),
        ({"health_timeout": -1.0}, "health_timeout: expected a positive number of seconds"),
        ({"probe_concurrency": 0}, "probe_concurrency: must be at least 1"),
        ({"hosts": {"localhost": ["not-an-ip"]}}, "`not-an-ip` is not an IP address"),
        ({"ca_file": "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"),
    ],
)
def test_bad_settings_are_config_errors(mock: MockGenesys, kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "environment": mock.environment,
        "client_id": mock.client_id,
        "client_secret": mock.client_secret,
    }
    args.update(kwargs)
    with pytest.raises(gr.ResolverError) as info:
        gr.Resolver(**args)
    err = info.value
    assert type(err) is gr.ConfigError
    assert (err.kind, err.stage) == ("config", None)
    assert message in str(err)
    assert mock.client_secret not in str(err)
