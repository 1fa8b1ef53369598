"""The test kit's AWS side: ``genesys_resolver.testing.AwsEmulator`` (the package's strict
emulator, importable only with the ``aws-emulator`` extra) and ``MockGenesys(aws_emulator=...)``
linking the mock to it, so the partner event source appears there under the mock's own
organisation when an EventBridge integration becomes ACTIVE."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

import genesys_resolver as gr
from genesys_resolver import aws_emulator, testing
from genesys_resolver.testing import MockGenesys

REGION = "eu-west-1"
ACCOUNT = "123456789012"


@pytest.fixture
def events(aws_emulator: aws_emulator.AwsEmulator) -> Iterator[Any]:
    """A fresh emulator (moto's state reset) and an EventBridge client on it."""
    aws_emulator.reset()
    yield boto3.client(
        "events",
        region_name=REGION,
        endpoint_url=aws_emulator.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def activate(mock: MockGenesys, suffix: str) -> None:
    """Deploys an EventBridge integration to `mock` until it is ACTIVE."""
    deployer = gr.EventBridgeDeployer(
        mock.environment, mock.client_id, mock.client_secret, poll_interval=0.01
    )
    desired = gr.EventBridgeIntegration(
        f"{suffix}-to-aws", ACCOUNT, REGION, suffix, ["v2.users.{id}.presence"]
    )
    assert deployer.apply(desired).reported_state["code"] == "ACTIVE"


def sources(events: Any, expected: int = 1, timeout: float = 10.0) -> list[str]:
    """The partner event sources in the emulator, once `expected` are there (the mock creates
    them in the background) or `timeout` passed."""
    deadline = time.monotonic() + timeout
    while True:
        names = [s["Name"] for s in events.list_event_sources()["EventSources"]]
        if len(names) >= expected or time.monotonic() > deadline:
            return names
        time.sleep(0.02)


def test_aws_emulator_is_the_packages_emulator() -> None:
    assert testing.AwsEmulator is aws_emulator.AwsEmulator
    from genesys_resolver.testing import AwsEmulator

    assert AwsEmulator is aws_emulator.AwsEmulator
    assert "AwsEmulator" not in testing.__all__  # `import *` works without the extra
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        testing.Nothing  # type: ignore[attr-defined]  # noqa: B018


def test_without_the_extra_the_import_error_says_what_to_install() -> None:
    """moto missing (as without the extra): the rest of the kit works, AwsEmulator is an
    ImportError with the install command."""
    script = """
import sys
sys.modules["moto"] = None  # what an environment without the extra looks like to an import
from genesys_resolver.testing import *
with MockGenesys() as mock:
    assert mock.environment.startswith("http://127.0.0.1:")
try:
    from genesys_resolver.testing import AwsEmulator
except ImportError as err:
    print("ImportError:", err, "| name:", err.name)
else:
    raise SystemExit("AwsEmulator imported without moto")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pip install 'genesys-resolver[aws-emulator]'" in result.stdout, result.stdout
    assert "moto" in result.stdout and "| name: moto" in result.stdout, result.stdout


def test_the_mock_links_to_an_emulator_under_its_own_organisation(
    aws_emulator: aws_emulator.AwsEmulator, events: Any
) -> None:
    with MockGenesys(aws_emulator=aws_emulator) as mock:
        activate(mock, "orders")
        org = mock.organization_id
    assert org  # the mock's default organisation: no argument needed
    assert sources(events) == [f"aws.partner/genesys.com/cloud/{org}/orders"]
    (source,) = events.list_event_sources()["EventSources"]
    assert source["State"] == "PENDING"  # no bus for it yet, as in a real account


def test_the_mock_takes_the_emulators_url_and_names_sources_by_its_organisation(
    aws_emulator: aws_emulator.AwsEmulator, events: Any
) -> None:
    with MockGenesys(aws_emulator=aws_emulator.url, organization_id="org-9f1e") as mock:
        assert mock.organization_id == "org-9f1e"
        activate(mock, "billing")
    assert sources(events) == ["aws.partner/genesys.com/cloud/org-9f1e/billing"]


def test_a_mock_without_an_emulator_creates_no_source(events: Any) -> None:
    with MockGenesys() as mock:
        activate(mock, "quiet")
    assert sources(events, timeout=0.3) == []


class _NotAString:
    url = 5


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("https://127.0.0.1:5000", ValueError, r"must be http://host\[:port\]"),
        ("ftp://127.0.0.1/", ValueError, r"must be http://host\[:port\]"),
        ("127.0.0.1:5000", ValueError, "aws_emulator: not a URL"),
        (42, TypeError, "expected an AwsEmulator"),
        (_NotAString(), TypeError, "its `url` attribute is not a string"),
    ],
)
def test_bad_emulator_values_are_refused(value: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        MockGenesys(aws_emulator=value)


def test_an_emulator_that_is_not_running_says_so() -> None:
    stopped = aws_emulator.AwsEmulator()  # never started
    with pytest.raises(RuntimeError, match="not running"):
        MockGenesys(aws_emulator=stopped)


def test_a_url_with_a_password_is_not_echoed() -> None:
    with pytest.raises(ValueError) as info:
        MockGenesys(aws_emulator="https://user:pw-7c2d@127.0.0.1:5000")
    assert "pw-7c2d" not in str(info.value)
