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


# --- Resolver fixtures: a mock Genesys and local HTTPS destinations, all on loopback. ----------

from collections.abc import Iterator  # noqa: E402

from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination  # noqa: E402


@pytest.fixture(scope="session")
def ca() -> TestCa:
    """One throw-away CA for every destination of the run."""
    return TestCa()


@pytest.fixture(scope="session")
def ca_file(ca: TestCa, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The CA's PEM file, for `Resolver(ca_file=...)`."""
    return ca.write_ca_pem(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def mock() -> Iterator[MockGenesys]:
    """A fresh mock Genesys for one test."""
    with MockGenesys() as m:
        yield m


@pytest.fixture
def dest(ca: TestCa) -> Iterator[TlsDestination]:
    """A healthy HTTPS destination."""
    with TlsDestination(ca) as d:
        yield d


LOCAL = {
    "allow_cidrs": ["127.0.0.0/8"],  # probes may reach loopback
    "hosts": {"localhost": ["127.0.0.1"]},  # resolve names from this table: no DNS queries
    "max_attempts": 1,  # no retry back-off in tests
    "request_timeout": 5.0,
}


@pytest.fixture
def resolver(mock: MockGenesys, ca_file: str) -> gr.Resolver:
    """A resolver bound to the mock, trusting the test CA, allowed to probe loopback."""
    return gr.Resolver(mock.environment, mock.client_id, mock.client_secret, ca_file=ca_file, **LOCAL)  # type: ignore[arg-type]


def payload_for(uri: str, name: str = "orders-webhook", **kwargs: Any) -> dict[str, Any]:
    """A valid payload naming `uri`."""
    return gr.build_payload(name, uri, [EVENT_TYPE], **kwargs)


# --- The strict AWS emulator, one per run (moto's state is process-wide). ----------------------

import trustme  # noqa: E402

from genesys_resolver.aws_emulator import AwsEmulator  # noqa: E402


@pytest.fixture(scope="session")
def receiver_ca() -> trustme.CA:
    """A CA for the emulator's own test receivers (they need the requests' headers and bodies)."""
    return trustme.CA()


@pytest.fixture(scope="session")
def aws_emulator(
    ca: TestCa, receiver_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AwsEmulator]:
    """The strict AWS emulator serving on loopback; its deliveries trust the run's test CAs
    (standing in for public trust roots). Tests reset it (``POST /moto-api/reset``) as needed."""
    bundle = tmp_path_factory.mktemp("aws") / "trusted.pem"
    bundle.write_bytes(ca.ca_pem.encode() + receiver_ca.cert_pem.bytes())
    with AwsEmulator(ca_bundle=str(bundle), time_scale=0.0005) as emulator:
        yield emulator
