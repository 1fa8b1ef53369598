"""The standalone mock (`genesys-resolver mock`) driven from Python over HTTP only, as a test
suite in any language would: a token by client credentials, a create, a list, a fault through
`POST /_mock/faults`, a reset, then SIGTERM.

The binary is the workspace's debug build (`target/debug/genesys-resolver`, which `cargo test`
builds earlier in scripts/test). Without it the test is skipped, unless the `CI` variable is
set: then a missing binary fails the run.
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import signal
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
BINARY = REPO / "target" / "debug" / "genesys-resolver"
CLIENT_ID = "py-mock-client"
CLIENT_SECRET = "py-mock-secret-51c2e8"
PREFIX = "genesys-resolver mock listening on "
TIMEOUT = 30


class Mock:
    """A running `genesys-resolver mock` and its base URL."""

    def __init__(self, process: subprocess.Popen[str], base: str, stderr: Any) -> None:
        self.process = process
        self.base = base
        self.stderr = stderr

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """Sends one request; answers (status, headers, JSON body or None)."""
        data = None
        all_headers = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        req = urllib.request.Request(
            f"{self.base}{path}", data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as answer:
                status, answer_headers, raw = answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as e:
            status, answer_headers, raw = e.code, dict(e.headers), e.read()
        text = raw.decode()
        return status, answer_headers, json.loads(text) if text.strip() else None

    def token(self) -> tuple[int, Any]:
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        status, _, body = self.request(
            "POST",
            "/oauth/token",
            headers={"Authorization": f"Basic {basic}"},
            form={"grant_type": "client_credentials"},
        )
        return status, body


def payload(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "webhook",
        "uri": "https://hooks.example.com/x",
        "uris": [],
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations", "fields": []}],
        "headers": {"Content-Type": "application/json"},
    }


@pytest.fixture
def mock() -> Iterator[Mock]:
    if not BINARY.is_file():
        message = f"{BINARY} is missing: build it with `cargo test` (or `cargo build -p genesys-resolver-cli`)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {message}")
        pytest.skip(message)
    # Only what the mock needs: no GENESYS_* or RESOLVER_* settings from the caller.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GENESYS_CLIENT_SECRET": CLIENT_SECRET}
    with tempfile.TemporaryFile(mode="w+") as stderr:
        process = subprocess.Popen(
            [str(BINARY), "mock", "--port", "0", "--client-id", CLIENT_ID],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            text=True,
        )
        try:
            assert process.stdout is not None
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                ready = selector.select(timeout=60)
            assert ready, "the mock printed its line within a minute"
            line = process.stdout.readline().strip()
            assert line.startswith(PREFIX), f"unexpected first line {line!r}"
            base = line[len(PREFIX) :]
            assert base.startswith("http://127.0.0.1:"), base
            int(base.rsplit(":", 1)[1])  # the port
            yield Mock(process, base, stderr)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=TIMEOUT)


def test_the_mock_binary_over_http_only(mock: Mock) -> None:
    # A token by client credentials; a wrong secret is refused.
    status, body = mock.token()
    assert status == 200, body
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    wrong = base64.b64encode(f"{CLIENT_ID}:not-the-secret".encode()).decode()
    status, _, _ = mock.request(
        "POST",
        "/oauth/token",
        headers={"Authorization": f"Basic {wrong}"},
        form={"grant_type": "client_credentials"},
    )
    assert status == 401

    # Create, then list.
    status, _, created = mock.request(
        "POST", "/api/v2/outbound/integrations", payload("orders"), headers=bearer
    )
    assert status == 201, created
    status, _, listed = mock.request(
        "GET", "/api/v2/outbound/integrations?pageSize=25&pageNumber=1", headers=bearer
    )
    assert status == 200
    assert [(e["name"], e["id"]) for e in listed["entities"]] == [("orders", created["id"])]

    # A fault: the next create answers 503 with Retry-After, the one after it succeeds.
    fault = {"route": "create", "fault": {"kind": "status", "status": 503, "retry_after": "1"}}
    status, _, queued = mock.request("POST", "/_mock/faults", fault)
    assert (status, queued) == (200, {"queued": 1, "pending": 1})
    status, headers, _ = mock.request(
        "POST", "/api/v2/outbound/integrations", payload("billing"), headers=bearer
    )
    assert status == 503
    assert {k.lower(): v for k, v in headers.items()}.get("retry-after") == "1"
    status, _, _ = mock.request(
        "POST", "/api/v2/outbound/integrations", payload("billing"), headers=bearer
    )
    assert status == 201
    assert mock.request("GET", "/_mock/faults")[2] == {"pending": 0}

    # The request log never holds the secret or the token.
    log = json.dumps(mock.request("GET", "/_mock/requests")[2])
    assert CLIENT_SECRET not in log and body["access_token"] not in log

    # Reset: nothing stored, the old token no longer valid.
    status, _, _ = mock.request("POST", "/_mock/reset", {})
    assert status == 204
    assert mock.request("GET", "/_mock/integrations")[2]["seed"] == []
    status, _, _ = mock.request("GET", "/api/v2/outbound/integrations", headers=bearer)
    assert status == 401

    # SIGTERM stops it cleanly.
    mock.process.send_signal(signal.SIGTERM)
    assert mock.process.wait(timeout=TIMEOUT) == 0
    mock.stderr.seek(0)
    assert CLIENT_SECRET not in mock.stderr.read()
