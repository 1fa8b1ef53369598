"""Rust tracing/log records reach Python's logging under `genesys_resolver`, without secrets."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import genesys_resolver as gr


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
