"""Shared fixtures of the genesys_resolver test suite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import genesys_resolver as gr

REPO = Path(__file__).resolve().parents[3]
SEED_WIRE = REPO / "crates" / "genesys-resolver" / "tests" / "fixtures" / "seed_wire"
"""Wire JSON written by the seed's own Go code (see main.go there); the Rust tests use it too."""

EVENT_TYPE = "v2.routing.queues.{id}.conversations"


def seed_wire(name: str) -> str:
    """The Go-generated wire fixture `name`, as text."""
    return (SEED_WIRE / name).read_text(encoding="utf-8")


@pytest.fixture
def payload() -> dict[str, Any]:
    """A fresh, valid payload with the seed's defaults."""
    return gr.build_payload("orders-webhook", "https://hooks.example.com/genesys", [EVENT_TYPE])


@pytest.fixture
def sample_dict() -> dict[str, Any]:
    """The seed's sample payload, parsed from the Go fixture."""
    value: dict[str, Any] = json.loads(seed_wire("sample.json"))
    return value
