"""Reports, violations and errors pickle and copy whole: same class, same attributes, same
`to_dict()`, in this process and across a `ProcessPoolExecutor`."""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Optional

import pytest

import genesys_resolver as gr
from genesys_resolver import _native
from genesys_resolver.testing import MockGenesys, TlsDestination

from conftest import payload_for
from test_errors import KINDS
from test_eventbridge import desired, make_deployer

ATTRIBUTES = [
    "stage",
    "kind",
    "retryable",
    "violations",
    "endpoints",
    "status",
    "code",
    "correlation_id",
    "retry_after",
    "step",
    "integration_id",
    "detail",
]


def attributes(err: BaseException) -> dict[str, Any]:
    """Every attribute the error has (class defaults included), and its message."""
    out = {name: getattr(err, name) for name in ATTRIBUTES if hasattr(err, name)}
    out["str"] = str(err)
    out["args"] = err.args
    return out


def round_trips(obj: Any) -> list[Any]:
    """`obj` through pickle (every protocol), `copy.copy` and `copy.deepcopy`."""
    pickled = [pickle.loads(pickle.dumps(obj, protocol=p)) for p in range(2, pickle.HIGHEST_PROTOCOL + 1)]
    return [*pickled, copy.copy(obj), copy.deepcopy(obj)]


def assert_same_error(a: BaseException, b: BaseException) -> None:
    assert type(b) is type(a)
    assert attributes(b) == attributes(a)
    assert b.to_dict() == a.to_dict()  # type: ignore[attr-defined]


def raised(kind: str, **fields: Any) -> gr.ResolverError:
    with pytest.raises(gr.ResolverError) as info:
        _native._raise_error(kind, f"{kind} failed", **fields)
    return info.value


def test_violations_round_trip() -> None:
    v = gr.Violation("uris[3]", "uri_not_https", "must use https")
    for copied in round_trips(v):
        assert type(copied) is gr.Violation
        assert copied == v
        assert copied.to_dict() == v.to_dict()


@pytest.mark.parametrize(("kind", "cls", "stage"), KINDS)
def test_every_error_class_round_trips_with_its_attributes(kind: str, cls: type, stage: Optional[str]) -> None:
    err = raised(
        kind,
        stage=stage,
        retryable=True,
        status=429,
        code="too.many.requests",
        correlation_id="c0ffee",
        retry_after=2.5,
        step="activate",
        integration_id="i-1",
        detail="no event bus",
    )
    assert type(err) is cls
    for copied in round_trips(err):
        assert_same_error(err, copied)
    # Details survive, where the class carries them.
    back = pickle.loads(pickle.dumps(err))
    if isinstance(err, (gr.GenesysApiError, gr.AuthError)):
        assert (back.status, back.code, back.correlation_id) == (429, "too.many.requests", "c0ffee")
    if isinstance(err, gr.RateLimitedError):
        assert back.retry_after == 2.5
    if isinstance(err, gr.DeployError):
        assert (back.integration_id, back.detail) == ("i-1", "no event bus")
    assert back.step == "activate"


def test_a_validation_error_keeps_every_violation(payload: dict[str, Any]) -> None:
    payload["uri"] = "http://a.example.com/"
    payload["retryPolicy"]["maxRetries"] = 99
    with pytest.raises(gr.ValidationError) as info:
        gr.validate(payload)
    err = info.value
    assert len(err.violations) == 2
    for copied in round_trips(err):
        assert_same_error(err, copied)
        assert isinstance(copied, ValueError)
        assert copied.violations == err.violations
        assert all(type(v) is gr.Violation for v in copied.violations)


def test_a_probe_error_keeps_its_endpoint_reports(mock: MockGenesys, ca_file: str, dest: TlsDestination) -> None:
    default_policy = gr.Resolver(mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file)
    with pytest.raises(gr.AddressPolicyError) as info:
        default_policy.check(payload_for(dest.ip_uri("/")))
    err = info.value
    assert err.endpoints
    for copied in round_trips(err):
        assert_same_error(err, copied)
        assert copied.endpoints == err.endpoints
        assert [e.to_dict() for e in copied.endpoints] == [e.to_dict() for e in err.endpoints]


def test_resolve_and_probe_reports_round_trip(resolver: gr.Resolver, dest: TlsDestination) -> None:
    report = resolver.resolve(payload_for(dest.uri("/hook"), uris=[dest.uri("/second")]))
    assert len(report.endpoints) == 2
    for copied in round_trips(report):
        assert type(copied) is gr.ResolveReport
        assert copied == report
        assert copied.to_dict() == report.to_dict()
        assert copied.stages == report.stages
        assert copied.latency_ms == report.latency_ms
    probe = report.endpoints[0]
    for copied in round_trips(probe):
        assert type(copied) is gr.ProbeReport
        assert copied == probe
        assert copied.to_dict() == probe.to_dict()
        assert copied.tls == probe.tls
    assert report != resolver.check(payload_for(dest.uri("/hook")))


def test_plans_and_deploy_reports_round_trip(mock: MockGenesys) -> None:
    deployer = make_deployer(mock)
    create = deployer.plan(desired())
    report = deployer.apply(desired())
    update = deployer.plan(desired(aws_region="us-east-1"))
    assert (create.action, update.action) == ("create", "update")
    assert update.changes
    for original in (create, update):
        for copied in round_trips(original):
            assert type(copied) is gr.Plan
            assert copied == original
            assert copied.to_dict() == original.to_dict()
            assert copied.changes == original.changes
    for copied in round_trips(report):
        assert type(copied) is gr.DeployReport
        assert copied == report
        assert copied.to_dict() == report.to_dict()
        assert copied.elapsed_ms == report.elapsed_ms


def test_a_bad_pickle_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a pickled ResolveReport"):
        gr.ResolveReport._from_json('{"integration_name": 3}')


# --- Across processes: what a worker raises or returns arrives whole. ---------------------------


def validate_in_worker(payload: dict[str, Any]) -> None:
    gr.validate(payload)


def raise_in_worker(kind: str) -> None:
    _native._raise_error(kind, f"{kind} failed", stage="submit", status=503, step="create", detail="d")


def echo(obj: Any) -> Any:
    return obj


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    # `spawn`: a fresh interpreter, as on macOS and Windows; no forked tokio runtime.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as p:
        yield p


def test_a_validation_error_crosses_a_process_pool(pool: ProcessPoolExecutor, payload: dict[str, Any]) -> None:
    payload["uri"] = "http://a.example.com/"
    with pytest.raises(gr.ValidationError) as here:
        gr.validate(payload)
    with pytest.raises(gr.ValidationError) as info:
        pool.submit(validate_in_worker, payload).result(timeout=120)
    assert_same_error(here.value, info.value)
    assert [v.code for v in info.value.violations] == ["uri_not_https"]


@pytest.mark.parametrize("kind", ["transport", "connect", "activation_failed", "rate_limited", "coordination"])
def test_errors_raised_in_a_worker_keep_class_and_fields(pool: ProcessPoolExecutor, kind: str) -> None:
    with pytest.raises(gr.ResolverError) as here:
        raise_in_worker(kind)
    with pytest.raises(gr.ResolverError) as info:
        pool.submit(raise_in_worker, kind).result(timeout=120)
    assert_same_error(here.value, info.value)


def test_reports_cross_a_process_pool(pool: ProcessPoolExecutor, resolver: gr.Resolver, dest: TlsDestination) -> None:
    report = resolver.resolve(payload_for(dest.uri("/")))
    back = pool.submit(echo, report).result(timeout=120)
    assert type(back) is gr.ResolveReport
    assert back == report
    assert back.to_dict() == report.to_dict()
