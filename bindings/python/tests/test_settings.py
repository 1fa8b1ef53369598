"""Settings: `from_env` on both classes (every variable the service reads), the constructor
options reaching the core (`ca_pem`, `write_rate_limit_per_minute`, `redis_url`, `lease_ttl`,
`lease_wait`), and a resolver and a deployer coordinated through a real redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

import genesys_resolver as gr
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

from conftest import EVENT_TYPE, LOCAL, payload_for

HOSTS: dict[str, list[str]] = {"localhost": ["127.0.0.1"]}  # as LOCAL: no DNS queries

VARIABLES = [
    "GENESYS_ENVIRONMENT",
    "GENESYS_CLIENT_ID",
    "GENESYS_CLIENT_SECRET",
    "GENESYS_CLIENT_SECRET_FILE",
    "GENESYSCLOUD_REGION",
    "GENESYSCLOUD_OAUTHCLIENT_ID",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET",
    "RESOLVER_ALLOW_CUSTOM_ENVIRONMENT",
    "RESOLVER_INTEGRATIONS_PATH",
    "RESOLVER_REQUEST_TIMEOUT_SECS",
    "RESOLVER_MAX_ATTEMPTS",
    "RESOLVER_RATE_LIMIT_PER_MINUTE",
    "RESOLVER_WRITE_RATE_LIMIT_PER_MINUTE",
    "RESOLVER_CA_FILE",
    "RESOLVER_ALLOW_CIDRS",
    "RESOLVER_HEALTH_TIMEOUT_SECS",
    "RESOLVER_PROBE_CONCURRENCY",
    "RESOLVER_PROBE_CACHE_TTL_SECS",
    "RESOLVER_REDIS_URL",
    "RESOLVER_LEASE_TTL_SECS",
    "RESOLVER_LEASE_WAIT_SECS",
    "RESOLVER_REDIS_KEY_PREFIX",
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The process environment without any variable the settings read."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def point_at(env: pytest.MonkeyPatch, mock: MockGenesys, ca_file: Optional[str] = None) -> None:
    """The variables of an organisation (the mock) whose destinations are on loopback."""
    env.setenv("GENESYS_ENVIRONMENT", mock.environment)
    env.setenv("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")  # the mock is a custom environment
    env.setenv("GENESYS_CLIENT_ID", mock.client_id)
    env.setenv("GENESYS_CLIENT_SECRET", mock.client_secret)
    env.setenv("RESOLVER_ALLOW_CIDRS", "10.9.0.0/16, 127.0.0.0/8")
    env.setenv("RESOLVER_MAX_ATTEMPTS", "1")
    if ca_file is not None:
        env.setenv("RESOLVER_CA_FILE", ca_file)


def config_error(call: Any) -> gr.ResolverError:
    """The config error `call()` raises."""
    with pytest.raises(gr.ResolverError) as info:
        call()
    err = info.value
    assert type(err) is gr.ConfigError
    assert (err.kind, err.stage, err.retryable) == ("config", None, False)
    return err


# --- from_env ----------------------------------------------------------------------------------


def test_resolver_from_env_reads_the_organisation_credentials_trust_and_ranges(
    env: pytest.MonkeyPatch, mock: MockGenesys, ca_file: str, dest: TlsDestination
) -> None:
    point_at(env, mock, ca_file)
    resolver = gr.Resolver.from_env(hosts=HOSTS)
    report = resolver.resolve(payload_for(dest.uri("/")))
    assert report.action == "created"
    assert mock.integrations_named("orders-webhook")
    assert mock.client_secret not in repr(resolver)
    assert repr(resolver).startswith("Resolver(environment=")

    # Without the CA file the destination is not trusted; without the ranges, loopback is refused.
    env.delenv("RESOLVER_CA_FILE")
    with pytest.raises(gr.TlsError):
        gr.Resolver.from_env(hosts=HOSTS).check(payload_for(dest.uri("/")))
    env.setenv("RESOLVER_CA_FILE", ca_file)
    env.delenv("RESOLVER_ALLOW_CIDRS")
    with pytest.raises(gr.AddressPolicyError):
        gr.Resolver.from_env(hosts=HOSTS).check(payload_for(dest.uri("/")))


def test_from_env_reads_the_integrations_path(
    env: pytest.MonkeyPatch, ca_file: str, dest: TlsDestination
) -> None:
    with MockGenesys(integrations_path="/api/v2/custom/integrations") as mock:
        point_at(env, mock, ca_file)
        with pytest.raises(gr.GenesysApiError) as info:
            gr.Resolver.from_env(hosts=HOSTS).resolve(payload_for(dest.uri("/")))
        assert info.value.status == 404  # the default route is not served
        env.setenv("RESOLVER_INTEGRATIONS_PATH", "/api/v2/custom/integrations")
        assert gr.Resolver.from_env(hosts=HOSTS).resolve(payload_for(dest.uri("/"))).action == "created"


def test_from_env_reads_the_attempts_and_the_request_timeout(
    env: pytest.MonkeyPatch, mock: MockGenesys, ca_file: str, dest: TlsDestination
) -> None:
    point_at(env, mock, ca_file)
    mock.push_fault("list", status=503)
    with pytest.raises(gr.GenesysApiError):
        gr.Resolver.from_env(hosts=HOSTS).resolve(payload_for(dest.uri("/")))
    env.setenv("RESOLVER_MAX_ATTEMPTS", "2")
    mock.push_fault("list", status=503)
    assert gr.Resolver.from_env(hosts=HOSTS).resolve(payload_for(dest.uri("/"))).action == "created"

    env.setenv("RESOLVER_MAX_ATTEMPTS", "1")
    env.setenv("RESOLVER_REQUEST_TIMEOUT_SECS", "0.5")
    mock.push_fault("list", delay=10.0)
    with pytest.raises(gr.GenesysApiError) as info:
        gr.Resolver.from_env(hosts=HOSTS).check(payload_for(dest.uri("/")))
    assert (info.value.kind, info.value.stage) == ("transport", "route_mapping")


def test_from_env_reads_the_probe_settings(
    env: pytest.MonkeyPatch, mock: MockGenesys, ca: TestCa, ca_file: str, dest: TlsDestination
) -> None:
    point_at(env, mock, ca_file)
    env.setenv("RESOLVER_PROBE_CONCURRENCY", "1")
    env.setenv("RESOLVER_PROBE_CACHE_TTL_SECS", "300")
    cached = gr.Resolver.from_env(hosts=HOSTS)
    cached.check(payload_for(dest.uri("/cached")))
    cached.check(payload_for(dest.uri("/cached")))
    assert dest.requests() == ["/cached"]  # the second probe came from the cache

    env.setenv("RESOLVER_HEALTH_TIMEOUT_SECS", "0.5")
    with TlsDestination(ca, response_delay=10) as slow:
        with pytest.raises(gr.HealthCheckError) as info:
            gr.Resolver.from_env(hosts=HOSTS).check(payload_for(slow.uri("/")))
    [endpoint] = info.value.endpoints
    assert endpoint.failure == {"stage": "timeout", "phase": "first_byte", "limit_ms": 500.0}


def test_keywords_replace_their_variables(
    env: pytest.MonkeyPatch, mock: MockGenesys, ca_file: str, dest: TlsDestination
) -> None:
    point_at(env, mock)
    env.setenv("GENESYS_CLIENT_SECRET", "not-the-secret")
    env.setenv("RESOLVER_MAX_ATTEMPTS", "many")  # bad variables fail even when overridden
    config_error(lambda: gr.Resolver.from_env(max_attempts=1))
    env.setenv("RESOLVER_MAX_ATTEMPTS", "1")
    resolver = gr.Resolver.from_env(client_secret=mock.client_secret, ca_file=ca_file, hosts=HOSTS)
    assert resolver.resolve(payload_for(dest.uri("/"))).action == "created"
    with pytest.raises(gr.AuthError):
        gr.Resolver.from_env(ca_file=ca_file, hosts=HOSTS).resolve(payload_for(dest.uri("/")))


def test_from_env_needs_the_organisation_and_the_credentials(env: pytest.MonkeyPatch, mock: MockGenesys) -> None:
    err = config_error(gr.Resolver.from_env)
    assert "GENESYS_ENVIRONMENT" in str(err)
    env.setenv("GENESYS_ENVIRONMENT", mock.environment)
    env.setenv("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")  # the mock is a custom environment
    err = config_error(gr.EventBridgeDeployer.from_env)
    assert "GENESYS_CLIENT_ID" in str(err) and "GENESYS_CLIENT_SECRET" in str(err)
    env.setenv("GENESYS_CLIENT_ID", mock.client_id)
    err = config_error(gr.Resolver.from_env)
    assert "client_secret" in str(err)
    # Every part can come from keywords instead.
    env.delenv("GENESYS_ENVIRONMENT")
    env.delenv("GENESYS_CLIENT_ID")
    resolver = gr.Resolver.from_env(
        environment=mock.environment, client_id=mock.client_id, client_secret=mock.client_secret
    )
    assert mock.environment in repr(resolver)


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("GENESYS_ENVIRONMENT", "atlantis_1", "GENESYS_ENVIRONMENT"),
        ("RESOLVER_INTEGRATIONS_PATH", "no-slash", "integrations_path"),
        ("RESOLVER_REQUEST_TIMEOUT_SECS", "soon", "RESOLVER_REQUEST_TIMEOUT_SECS"),
        ("RESOLVER_MAX_ATTEMPTS", "many", "RESOLVER_MAX_ATTEMPTS"),
        ("RESOLVER_RATE_LIMIT_PER_MINUTE", "-1", "RESOLVER_RATE_LIMIT_PER_MINUTE"),
        ("RESOLVER_WRITE_RATE_LIMIT_PER_MINUTE", "0", "write_rate_limit_per_minute"),
        ("RESOLVER_CA_FILE", "/nonexistent/ca.pem", "/nonexistent/ca.pem"),
        ("RESOLVER_ALLOW_CIDRS", "10.0.0.0/99", "RESOLVER_ALLOW_CIDRS"),
        ("RESOLVER_HEALTH_TIMEOUT_SECS", "x", "RESOLVER_HEALTH_TIMEOUT_SECS"),
        ("RESOLVER_PROBE_CONCURRENCY", "some", "RESOLVER_PROBE_CONCURRENCY"),
        ("RESOLVER_PROBE_CACHE_TTL_SECS", "-3", "RESOLVER_PROBE_CACHE_TTL_SECS"),
        ("RESOLVER_REDIS_URL", "http://127.0.0.1:6379/", "redis_url"),
        ("RESOLVER_LEASE_TTL_SECS", "0.5", "lease_ttl"),
        ("RESOLVER_LEASE_WAIT_SECS", "a while", "RESOLVER_LEASE_WAIT_SECS"),
    ],
)
def test_a_bad_variable_is_a_config_error_naming_it(
    env: pytest.MonkeyPatch, mock: MockGenesys, variable: str, value: str, named: str
) -> None:
    point_at(env, mock)
    env.setenv(variable, value)
    # Every constructor reads the variables of what it builds (the core's settings), so each
    # refuses the bad ones among them: an EventBridge deployer probes nothing.
    probes = variable.startswith(("RESOLVER_ALLOW_CIDRS", "RESOLVER_HEALTH", "RESOLVER_PROBE"))
    readers: tuple[Any, ...] = (gr.Resolver, gr.RouteDeployer)
    if not probes:
        readers += (gr.EventBridgeDeployer,)
    for cls in readers:
        err = config_error(cls.from_env)
        assert named in str(err), (cls, str(err))
        assert mock.client_secret not in str(err)


def test_the_route_credential_key_is_checked_and_never_shown(env: pytest.MonkeyPatch, mock: MockGenesys) -> None:
    point_at(env, mock)
    env.setenv("RESOLVER_ROUTE_CREDENTIAL_KEY", "tiny-key-7")
    for cls in (gr.Resolver, gr.RouteDeployer):
        err = config_error(cls.from_env)
        assert "RESOLVER_ROUTE_CREDENTIAL_KEY" in str(err) and "16 bytes" in str(err), str(err)
        assert "tiny-key-7" not in str(err)
    env.delenv("RESOLVER_ROUTE_CREDENTIAL_KEY")
    err = config_error(
        lambda: gr.RouteDeployer(
            mock.environment, mock.client_id, mock.client_secret, region="us-east-1", credential_key="tiny-key-7"
        )
    )
    assert "credential_key" in str(err) and "tiny-key-7" not in str(err), str(err)
    key = "k3y-" * 8
    deployer = gr.RouteDeployer(
        mock.environment, mock.client_id, mock.client_secret, region="us-east-1", credential_key=key
    )
    assert key not in repr(deployer)
    env.setenv("RESOLVER_ROUTE_CREDENTIAL_KEY", key)
    assert key not in repr(gr.RouteDeployer.from_env(region="us-east-1"))


def test_deployer_from_env_plans_against_the_organisation(env: pytest.MonkeyPatch, mock: MockGenesys) -> None:
    point_at(env, mock)
    deployer = gr.EventBridgeDeployer.from_env(check_topics=False, page_size=50)
    integration = gr.EventBridgeIntegration("orders-events", "123456789012", "us-east-1", "orders", ["v2.users.{id}.presence"])
    assert deployer.plan(integration).action == "create"
    assert deployer.apply(integration).writes == ["create", "write_config", "enable"]
    env.setenv("GENESYS_CLIENT_SECRET", "not-the-secret")
    with pytest.raises(gr.AuthError):
        gr.EventBridgeDeployer.from_env().plan(integration)


# --- constructor options -----------------------------------------------------------------------


def test_ca_pem_trusts_the_test_ca(mock: MockGenesys, ca: TestCa, dest: TlsDestination) -> None:
    args = (mock.environment, mock.client_id, mock.client_secret)
    for pem in (ca.ca_pem, [TestCa().ca_pem, ca.ca_pem]):
        resolver = gr.Resolver(*args, ca_pem=pem, **LOCAL)  # type: ignore[arg-type]
        assert resolver.check(payload_for(dest.uri("/"))).endpoints[0].ok
    untrusting = gr.Resolver(*args, ca_pem=TestCa().ca_pem, **LOCAL)  # type: ignore[arg-type]
    with pytest.raises(gr.TlsError):
        untrusting.check(payload_for(dest.uri("/")))


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"ca_pem": 42}, "ca_pem: expected PEM text or a list of PEM texts, found `int`"),
        ({"write_rate_limit_per_minute": 0}, "write_rate_limit_per_minute: must be at least 1"),
        ({"redis_url": "http://127.0.0.1:6379/"}, "redis_url: must be a redis:// or rediss:// URL"),
        ({"redis_url": "localhost:6379"}, "redis_url: must be a redis:// or rediss:// URL"),
        ({"lease_ttl": 0.5}, "lease_ttl: must be at least 1 s"),
        ({"lease_ttl": -1.0}, "lease_ttl: expected a positive number of seconds"),
        ({"lease_wait": 0.0}, "lease_wait: expected a positive number of seconds"),
        ({"max_attempts": 0, "probe_concurrency": 0}, "max_attempts: must be at least 1; probe_concurrency: must be at least 1"),
    ],
)
def test_bad_new_options_are_config_errors_naming_the_option(
    mock: MockGenesys, options: dict[str, Any], named: str
) -> None:
    args = (mock.environment, mock.client_id, mock.client_secret)
    err = config_error(lambda: gr.Resolver(*args, **options))
    assert named in str(err)
    if "probe_concurrency" not in options:
        err = config_error(lambda: gr.EventBridgeDeployer(*args, **options))
        assert named in str(err)


def test_an_unreachable_redis_is_a_retryable_coordination_error(mock: MockGenesys) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/"
    args = (mock.environment, mock.client_id, mock.client_secret)
    for cls in (gr.Resolver, gr.EventBridgeDeployer):
        with pytest.raises(gr.ResolverError) as info:
            cls(*args, redis_url=url)
        err = info.value
        assert (err.kind, err.retryable) == ("coordination", True)
        assert "hunter2" not in str(err)


# --- a real redis-server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def redis_command(port: int, *args: str) -> Any:
    """One command to the Redis on `port`, its reply decoded (strings, integers, arrays)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        parts = [f"*{len(args)}\r\n"] + [f"${len(a.encode())}\r\n{a}\r\n" for a in args]
        conn.sendall("".join(parts).encode())
        reader = conn.makefile("rb")

        def reply() -> Any:
            line = reader.readline().rstrip(b"\r\n")
            if not line:
                raise ConnectionError("Redis closed the connection")
            tag, rest = line[:1], line[1:]
            if tag in (b"+", b"-"):
                return rest.decode()
            if tag == b":":
                return int(rest)
            if tag == b"$":
                n = int(rest)
                return None if n < 0 else reader.read(n + 2)[:-2].decode()
            if tag == b"*":
                return [reply() for _ in range(int(rest))]
            raise AssertionError(f"unexpected Redis reply {line!r}")

        return reply()


@pytest.fixture
def redis_port(tmp_path: Path) -> Iterator[int]:
    """A redis-server of this test alone, on a free loopback port, without persistence."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30  # readiness, not a speed assertion
        while True:
            try:
                if redis_command(port, "PING") == "PONG":
                    break
            except OSError:
                pass
            assert proc.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_resolver_coordinated_through_redis_resolves(
    redis_port: int, mock: MockGenesys, ca_file: str, dest: TlsDestination
) -> None:
    resolver = gr.Resolver(
        mock.environment,
        mock.client_id,
        mock.client_secret,
        ca_file=ca_file,
        redis_url=f"redis://127.0.0.1:{redis_port}/0",
        lease_ttl=5.0,
        lease_wait=30.0,
        write_rate_limit_per_minute=1,  # the one write takes the budget's first slot at once
        **LOCAL,  # type: ignore[arg-type]
    )
    assert resolver.resolve(payload_for(dest.uri("/"))).action == "created"
    # The write budget lives in Redis, shared by every process on it, under the default prefix.
    keys = redis_command(redis_port, "KEYS", "*")
    assert [k for k in keys if k.startswith("genesys-resolver:pace:") and k.endswith(":writes")], keys
    assert not [k for k in keys if k.startswith("genesys-resolver:lease:")], "the lease was released"


def test_from_env_connects_to_redis_with_the_key_prefix(
    env: pytest.MonkeyPatch, redis_port: int, mock: MockGenesys, ca_file: str, dest: TlsDestination
) -> None:
    point_at(env, mock, ca_file)
    env.setenv("RESOLVER_REDIS_URL", f"redis://127.0.0.1:{redis_port}/")
    env.setenv("RESOLVER_REDIS_KEY_PREFIX", "team-a:")
    env.setenv("RESOLVER_LEASE_TTL_SECS", "5")
    env.setenv("RESOLVER_LEASE_WAIT_SECS", "30")
    env.setenv("RESOLVER_WRITE_RATE_LIMIT_PER_MINUTE", "1")
    resolver = gr.Resolver.from_env(hosts=HOSTS)
    assert resolver.resolve(payload_for(dest.uri("/"))).action == "created"
    keys = redis_command(redis_port, "KEYS", "*")
    assert [k for k in keys if k.startswith("team-a:pace:") and k.endswith(":writes")], keys


def test_a_deployer_coordinated_through_redis_applies(redis_port: int, mock: MockGenesys) -> None:
    deployer = gr.EventBridgeDeployer(
        mock.environment,
        mock.client_id,
        mock.client_secret,
        redis_url=f"redis://127.0.0.1:{redis_port}/",
        lease_wait=30.0,
        rate_limit_per_minute=6000,
        max_attempts=1,
    )
    integration = gr.EventBridgeIntegration("orders-events", "123456789012", "us-east-1", "orders", ["v2.users.{id}.presence"])
    assert deployer.apply(integration).writes == ["create", "write_config", "enable"]
    assert deployer.apply(integration).changed is False
    # Redis gone: no apply goes ahead unlocked.
    with pytest.raises(OSError):
        redis_command(redis_port, "SHUTDOWN", "NOSAVE")  # the server closes without a reply
    with pytest.raises(gr.ResolverError) as info:
        deployer.apply(integration)
    assert (info.value.kind, info.value.retryable) == ("coordination", True)


def lease_keys(port: int) -> list[str]:
    keys: list[str] = redis_command(port, "KEYS", "genesys-resolver:lease:*")
    return keys


def test_deployers_from_env_take_their_turn_in_redis(
    env: pytest.MonkeyPatch,
    redis_port: int,
    mock: MockGenesys,
    ca: TestCa,
    ca_file: str,
    aws_emulator: Any,
) -> None:
    """`RESOLVER_REDIS_URL` reaches both deployers: an apply holds its name's lease in Redis
    while it runs, and a route apply waits for a turn another process holds."""
    import threading

    point_at(env, mock, ca_file)
    env.setenv("RESOLVER_REDIS_URL", f"redis://127.0.0.1:{redis_port}/")
    env.setenv("RESOLVER_LEASE_WAIT_SECS", "1")
    mock.set_activation(after_delay=1.0)  # an apply in flight long enough to be seen
    deployer = gr.EventBridgeDeployer.from_env(poll_interval=0.05)
    integration = gr.EventBridgeIntegration("orders-redis", "123456789012", "us-east-1", "orders", [EVENT_TYPE])
    reports: list[gr.DeployReport] = []
    worker = threading.Thread(target=lambda: reports.append(deployer.apply(integration)))
    worker.start()
    seen: set[str] = set()
    while worker.is_alive():
        seen.update(lease_keys(redis_port))
        time.sleep(0.02)
    worker.join()
    assert reports and reports[0].action == "created"
    (held,) = [k for k in seen if k.endswith(":orders-redis")]
    assert lease_keys(redis_port) == [], "released after the apply"

    # Another process holds the route's name: the route apply waits, then gives up.
    route = gr.build_payload("orders-route", "https://127.0.0.1:9/hook", [EVENT_TYPE])
    route.update(
        awsAccountId="123456789012",
        awsRegion="us-east-1",
        eventSourceSuffix="orders-route",
        organizationId="org-1",
        roleArn="arn:aws:iam::123456789012:role/genesys-api-destinations",
    )
    # The account check asks the emulator's STS (account 123456789012) first.
    env.setenv("AWS_ACCESS_KEY_ID", "testing")
    env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    env.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with TlsDestination(ca) as dest:
        route["uri"] = dest.uri("/hook")
        routes = gr.RouteDeployer.from_env(hosts=HOSTS, region="us-east-1", endpoint_url=aws_emulator.url)
        other = held[: -len("orders-redis")] + "orders-route"
        assert redis_command(redis_port, "SET", other, "another-process", "PX", "30000") == "OK"
        with pytest.raises(gr.CoordinationError) as info:
            routes.apply(route)
        assert (info.value.kind, info.value.upstream, info.value.retryable) == ("coordination", "local", True)
        assert mock.platform_integrations_named("orders-route") == [], "nothing written unlocked"
        # The route's own turn (both halves under it), held by another process: the same.
        assert redis_command(redis_port, "DEL", other) == 1
        scope = held[: -len(":orders-redis")].rsplit(":", 1)[1]
        route_key = held[: -len(f"{scope}:orders-redis")] + "route:orders-route"
        assert redis_command(redis_port, "SET", route_key, "another-process", "PX", "30000") == "OK"
        with pytest.raises(gr.CoordinationError) as info:
            routes.destroy(route)
        assert info.value.kind == "coordination"
        with pytest.raises(gr.CoordinationError):
            routes.apply(route)
    assert mock.platform_integrations_named("orders-route") == [], "nothing written unlocked"


def test_a_route_deployer_with_an_unreachable_redis_raises_instead_of_working_unlocked(
    mock: MockGenesys,
) -> None:
    with pytest.raises(gr.CoordinationError) as info:
        gr.RouteDeployer(
            mock.environment,
            mock.client_id,
            mock.client_secret,
            region="us-east-1",
            redis_url=f"redis://:hunter2@127.0.0.1:{free_port()}/",
        )
    assert info.value.retryable is True
    assert "hunter2" not in str(info.value)
