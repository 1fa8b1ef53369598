"""Rust tracing/log records reach Python's logging under `genesys_resolver`, without secrets."""

from __future__ import annotations

import logging
from base64 import b64encode
from typing import Any

import pytest

import genesys_resolver as gr
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

from conftest import LOCAL, payload_for


def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("genesys_resolver")]


def test_records_reach_the_genesys_resolver_logger(
    caplog: pytest.LogCaptureFixture, payload: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG, logger="genesys_resolver")
    gr.validate(payload)
    [record] = records(caplog)
    assert record.name == "genesys_resolver.python"  # a child of `genesys_resolver`
    assert record.levelno == logging.DEBUG
    assert "validated a payload" in record.getMessage()
    assert "valid=true" in record.getMessage()


def test_python_logging_levels_are_honoured(
    caplog: pytest.LogCaptureFixture, payload: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG, logger="genesys_resolver")
    gr.validate(payload)
    assert records(caplog)
    caplog.clear()
    # A level changed between calls applies to the next call.
    caplog.set_level(logging.INFO, logger="genesys_resolver")
    gr.validate(payload)
    assert records(caplog) == []
    caplog.set_level(logging.DEBUG, logger="genesys_resolver")
    gr.validate(payload)
    assert len(records(caplog)) == 1


def test_records_carry_no_payload_secrets(
    caplog: pytest.LogCaptureFixture, payload: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "s3cr3t-header-value"
    payload["headers"]["X-Api-Key"] = secret
    payload["uris"] = [f"https://user:{secret}@b.example.com/"]
    with pytest.raises(gr.ValidationError) as info:
        gr.validate(payload)
    assert records(caplog)
    for record in caplog.records:
        assert secret not in record.getMessage()
    # Violation messages never repeat a URI's user-info either.
    assert secret not in str(info.value)


def test_resolve_records_carry_no_secrets(
    caplog: pytest.LogCaptureFixture, ca: TestCa, ca_file: str
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, dependencies included
    with MockGenesys(client_secret="s3cr3t-client-secret") as mock:
        dest = TlsDestination(ca)
        resolver = gr.Resolver(
            mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file, **LOCAL  # type: ignore[arg-type]
        )
        payload = payload_for(dest.uri("/"))
        resolver.resolve(payload)  # a token is fetched and used
        mock.revoke_tokens()  # the next call meets a 401 and fetches a new token
        payload["retryPolicy"]["maxRetries"] = 4
        resolver.resolve(payload)
        mock.push_fault("update", status=400)
        payload["retryPolicy"]["maxRetries"] = 5
        with pytest.raises(gr.GenesysApiError):
            resolver.resolve(payload)
        wrong = gr.Resolver(mock.environment, mock.client_id, "wrong-s3cr3t", ca_file=ca_file, **LOCAL)  # type: ignore[arg-type]
        with pytest.raises(gr.AuthError):
            wrong.resolve(payload)
        tokens = mock.issued_tokens()
        dest.stop()

    assert len(tokens) >= 2
    basic = b64encode(f"{mock.client_id}:s3cr3t-client-secret".encode()).decode()
    secrets = ["s3cr3t-client-secret", "wrong-s3cr3t", basic, *tokens]
    messages = [r.getMessage() for r in caplog.records]
    assert any(r.name == "genesys_resolver.audit" for r in caplog.records)
    assert any(r.name.startswith("genesys_resolver.auth") for r in caplog.records)  # the token path logged
    assert any("resolve_operation" in m for m in messages)
    for message in messages:
        for secret in secrets:
            assert secret not in message, message
