"""The exception hierarchy: one base, one class per core error kind, details as attributes."""

from __future__ import annotations

from typing import Any, Optional

import pytest

import genesys_resolver as gr
from genesys_resolver import _native

SUBCLASSES = [
    gr.ValidationError,
    gr.AddressPolicyError,
    gr.DnsError,
    gr.TlsError,
    gr.HealthCheckError,
    gr.AuthError,
    gr.GenesysUnreachableError,
    gr.GenesysApiError,
    gr.RateLimitedError,
    gr.DeployError,
    gr.ConnectError,
    gr.ProbeTimeoutError,
    gr.TransportError,
    gr.ConfigError,
    gr.CoordinationError,
    gr.ConflictError,
    gr.ActivationFailedError,
    gr.ActivationTimeoutError,
    gr.AmbiguousError,
    gr.InvalidResponseError,
    gr.AwsError,
]

# Each refining class and the older class it refines: `except Older:` still catches it.
REFINES = {
    gr.GenesysUnreachableError: gr.AuthError,
    gr.RateLimitedError: gr.GenesysApiError,
    gr.TransportError: gr.GenesysApiError,
    gr.ConnectError: gr.HealthCheckError,
    gr.ProbeTimeoutError: gr.HealthCheckError,
    gr.ConflictError: gr.DeployError,
    gr.ActivationFailedError: gr.DeployError,
    gr.ActivationTimeoutError: gr.DeployError,
    gr.AmbiguousError: gr.DeployError,
    gr.InvalidResponseError: gr.DeployError,
}


def test_one_base_for_everything() -> None:
    assert issubclass(gr.ResolverError, Exception)
    for cls in SUBCLASSES:
        assert issubclass(cls, gr.ResolverError), cls
        assert cls.__module__ == "genesys_resolver"
        assert cls.__doc__
    assert gr.ResolverError.__module__ == "genesys_resolver"


def test_validation_error_is_also_a_value_error(payload: dict[str, Any]) -> None:
    assert issubclass(gr.ValidationError, ValueError)
    assert issubclass(gr.ValidationError, gr.ResolverError)
    payload["uri"] = "http://a.example.com/"
    with pytest.raises(ValueError) as info:
        gr.validate(payload)
    assert isinstance(info.value, gr.ResolverError)
    assert isinstance(info.value, gr.ValidationError)


def test_refining_classes_subclass_the_class_they_refine_and_nothing_else() -> None:
    for a in SUBCLASSES:
        for b in SUBCLASSES:
            if a is not b:
                assert issubclass(a, b) == (REFINES.get(a) is b), (a, b)


def raised(kind: str, **fields: Any) -> gr.ResolverError:
    with pytest.raises(gr.ResolverError) as info:
        _native._raise_error(kind, f"{kind} failed", **fields)
    return info.value


# Every kind of the core's ErrorKind maps to exactly one class.
KINDS = [
    ("validation", gr.ValidationError, "validate"),
    ("address_policy", gr.AddressPolicyError, "probe"),
    ("dns", gr.DnsError, "probe"),
    ("connect", gr.ConnectError, "probe"),
    ("tls", gr.TlsError, "probe"),
    ("health", gr.HealthCheckError, "probe"),
    ("probe_timeout", gr.ProbeTimeoutError, "probe"),
    ("auth", gr.AuthError, "token"),
    ("genesys_unreachable", gr.GenesysUnreachableError, "token"),
    ("api", gr.GenesysApiError, "submit"),
    ("rate_limited", gr.RateLimitedError, "submit"),
    ("transport", gr.TransportError, "route_mapping"),
    ("config", gr.ConfigError, None),
    ("coordination", gr.CoordinationError, "submit"),
    # The EventBridge deployer's failures that are not the resolver's.
    ("conflict", gr.ConflictError, "submit"),
    ("activation_failed", gr.ActivationFailedError, "submit"),
    ("activation_timeout", gr.ActivationTimeoutError, "submit"),
    ("deletion_timeout", gr.DeletionTimeoutError, "submit"),
    ("ambiguous", gr.AmbiguousError, "route_mapping"),
    ("invalid_response", gr.InvalidResponseError, "route_mapping"),
    # The route deployer's AWS failures: one class, the kind tells them apart.
    ("aws_api", gr.AwsError, "submit"),
    ("aws_throttled", gr.AwsError, "submit"),
    ("aws_unreachable", gr.AwsError, "route_mapping"),
    ("aws_access_denied", gr.AwsError, "submit"),
    ("aws_limit_exceeded", gr.AwsError, "submit"),
    ("some_future_kind", gr.ResolverError, "submit"),
]


@pytest.mark.parametrize(("kind", "cls", "stage"), KINDS)
def test_each_kind_raises_its_class_with_stage(kind: str, cls: type, stage: Optional[str]) -> None:
    err = raised(kind, stage=stage, retryable=kind == "rate_limited")
    assert type(err) is cls
    assert err.stage == stage
    assert err.kind == (kind if kind != "some_future_kind" else "other")
    assert err.retryable is (kind == "rate_limited")
    assert str(err) == f"{kind} failed"
    if cls in REFINES:  # existing `except` clauses for the broader class still catch it
        assert isinstance(err, REFINES[cls])


def test_the_kinds_table_covers_every_kind_the_types_module_names() -> None:
    from typing import get_args

    from genesys_resolver.types import ErrorKind

    assert {k for k, _, _ in KINDS if k != "some_future_kind"} | {"other"} == set(get_args(ErrorKind))


def test_api_errors_carry_status_code_and_correlation_id() -> None:
    err = raised("api", stage="submit", status=409, code="conflict", correlation_id="c0ffee")
    assert isinstance(err, gr.GenesysApiError)
    assert (err.status, err.code, err.correlation_id) == (409, "conflict", "c0ffee")

    unreachable = raised("transport", stage="submit", retryable=True)
    assert isinstance(unreachable, gr.TransportError)
    assert isinstance(unreachable, gr.GenesysApiError)
    assert unreachable.status is None
    assert unreachable.retryable is True


def test_auth_errors_carry_the_oauth_details() -> None:
    err = raised("auth", stage="token", status=401, code="invalid_client", correlation_id="abc")
    assert isinstance(err, gr.AuthError)
    assert (err.status, err.code, err.correlation_id) == (401, "invalid_client", "abc")

    unreachable = raised("genesys_unreachable", stage="token", retryable=True)
    assert isinstance(unreachable, gr.GenesysUnreachableError)
    assert isinstance(unreachable, gr.AuthError)
    assert (unreachable.status, unreachable.code, unreachable.correlation_id) == (None, None, None)
    assert unreachable.retryable is True


def test_rate_limited_carries_retry_after_in_seconds() -> None:
    err = raised("rate_limited", stage="submit", status=429, code="too.many.requests", retry_after=1.5)
    assert isinstance(err, gr.RateLimitedError)
    assert isinstance(err, gr.GenesysApiError)
    assert err.retry_after == 1.5
    assert err.status == 429
    with pytest.raises(gr.GenesysApiError):  # callers may catch the broader class
        _native._raise_error("rate_limited", "slow down")


def test_class_level_defaults_for_errors_raised_by_hand() -> None:
    err = gr.ResolverError("boom")
    assert err.stage is None
    assert err.upstream is None
    assert err.retryable is False
    api = gr.GenesysApiError("boom")
    assert (api.status, api.code, api.correlation_id) == (None, None, None)
    assert gr.RateLimitedError("boom").retry_after is None
    assert gr.ValidationError("boom").violations == []
    assert err.step is None
    deploy = gr.DeployError("boom")
    assert (deploy.step, deploy.integration_id, deploy.detail) == (None, None, None)


def test_deploy_errors_carry_step_integration_and_detail() -> None:
    err = raised(
        "activation_failed", stage="submit", step="activate", integration_id="i-1", detail="no event bus"
    )
    assert type(err) is gr.ActivationFailedError
    assert isinstance(err, gr.DeployError)
    assert (err.step, err.integration_id, err.detail) == ("activate", "i-1", "no event bus")
    assert err.upstream == "genesys"
    assert err.to_dict() == {
        "stage": "submit",
        "kind": "activation_failed",
        "upstream": "genesys",
        "message": "activation_failed failed",
        "retryable": False,
        "step": "activate",
        "integration_id": "i-1",
        "detail": "no event bus",
    }
    # Any class carries the step of a failed deploy; only DeployError the integration details.
    api = raised("api", stage="submit", step="create", status=400, integration_id="ignored")
    assert type(api) is gr.GenesysApiError
    assert api.step == "create"
    assert not hasattr(api, "integration_id")
    with pytest.raises(ValueError, match="unknown step `nowhere`"):
        _native._raise_error("conflict", "x", step="nowhere")


def test_aws_errors_carry_code_operation_and_resource() -> None:
    err = raised(
        "aws_throttled",
        stage="submit",
        retryable=True,
        code="ThrottlingException",
        operation="PutRule",
        resource="rule genesys-orders-1a2b",
    )
    assert type(err) is gr.AwsError
    assert not isinstance(err, gr.GenesysApiError), "AWS is not Genesys"
    assert (err.kind, err.upstream, err.retryable) == ("aws_throttled", "aws", True)
    assert (err.code, err.operation, err.resource) == ("ThrottlingException", "PutRule", "rule genesys-orders-1a2b")
    assert err.to_dict() == {
        "stage": "submit",
        "kind": "aws_throttled",
        "upstream": "aws",
        "message": "aws_throttled failed",
        "retryable": True,
        "code": "ThrottlingException",
        "operation": "PutRule",
        "resource": "rule genesys-orders-1a2b",
    }
    assert gr.AwsError("boom").operation is None


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown stage `nowhere`"):
        _native._raise_error("api", "x", stage="nowhere")
