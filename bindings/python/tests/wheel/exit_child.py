"""One program that ends while a call of the package is in flight; run by exit_safety.py.

Usage: exit_child.py SCENARIO TARGET

SCENARIO is what the program does to a call that waits on a slow mock Genesys (every token
request is held for 30 s):

- ``wait_for``: ``asyncio.wait_for(<call>_async(...), 0.3)`` times out;
- ``cancel``: the asyncio task running ``<call>_async(...)`` is cancelled;
- ``sigint``: the blocking call is interrupted by SIGINT (sent by the parent once the child
  prints ``ready``), and the program catches ``KeyboardInterrupt``;
- ``daemon``: a daemon thread is still inside the blocking call when the program ends.

TARGET is the class called: ``resolver`` (``Resolver.resolve``), ``eventbridge``
(``EventBridgeDeployer.apply``) or ``route`` (``RouteDeployer.apply``; fake AWS credentials, the
call never gets past Genesys).

The program must end with exit status 0. Exit status 2 means the scenario did not happen as
intended (say, the call returned), 3 that a thread of the package's runtime was still alive
when the interpreter finalized (the condition under which such a thread can enter Python during
finalization and crash the process). Needs only the package (no pytest, no repository files).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import threading
import time
from typing import Any, Callable

import genesys_resolver as gr
from genesys_resolver import _native
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

RUNTIME_THREAD = "genesys-resolve"  # the runtime's thread name, as Linux truncates it
TOPIC = "v2.routing.queues.{id}.conversations"


class FinalizationCheck:
    """Collected with the __main__ module, after the atexit hooks, while the interpreter
    finalizes: by then no thread of the runtime may be left."""

    def __init__(self) -> None:
        self.listdir = os.listdir
        self.write = os.write
        self.exit = os._exit
        self.open = open

    def runtime_threads(self) -> int:
        count = 0
        for task in self.listdir("/proc/self/task"):
            try:
                with self.open(f"/proc/self/task/{task}/comm", encoding="utf-8") as comm:
                    if comm.read().strip() == RUNTIME_THREAD:
                        count += 1
            except OSError:
                pass  # the thread ended meanwhile
        return count

    def __del__(self) -> None:
        left = self.runtime_threads()
        if left:
            self.write(2, f"exit_child: {left} runtime threads alive at finalization\n".encode())
            self.exit(3)


def fail(why: str) -> None:
    print(f"exit_child: {why}", file=sys.stderr, flush=True)
    os._exit(2)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            fail(f"timed out waiting until {what}: {_native._runtime_state()}")
        time.sleep(0.01)


def main() -> list[Any]:
    """Runs the scenario; returns the package's objects, to be collected at finalization as a
    script's module globals are."""
    scenario, target = sys.argv[1], sys.argv[2]
    if scenario == "sigint":
        # As an interactive Python does, even if the parent runs with SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    ca = TestCa()
    ca_file = ca.write_ca_pem(tempfile.mkdtemp())
    mock = MockGenesys(organization_id="exit-test-org")
    dest = TlsDestination(ca)
    mock.push_fault("token", delay=30.0, times=1000)
    payload = gr.build_payload("exit-test", dest.uri("/hook"), [TOPIC])
    hosts = {"localhost": ["127.0.0.1"]}
    blocking: Callable[[], Any]
    awaitable: Callable[[], Any]
    client: Any
    if target == "resolver":
        resolver = gr.Resolver(
            mock.environment, mock.client_id, mock.client_secret,
            ca_file=ca_file, loopback=True, hosts=hosts, max_attempts=1, request_timeout=60.0,
        )
        client = resolver
        blocking = lambda: resolver.resolve(payload)  # noqa: E731
        awaitable = lambda: resolver.resolve_async(payload)  # noqa: E731
    elif target == "eventbridge":
        deployer = gr.EventBridgeDeployer(
            mock.environment, mock.client_id, mock.client_secret,
            max_attempts=1, request_timeout=60.0,
        )
        desired = gr.EventBridgeIntegration("exit-test", "123456789012", "us-east-1", "exit", [TOPIC])
        client = deployer
        blocking = lambda: deployer.apply(desired)  # noqa: E731
        awaitable = lambda: deployer.apply_async(desired)  # noqa: E731
    elif target == "route":
        empty = os.path.join(tempfile.mkdtemp(), "empty")
        open(empty, "w").close()
        os.environ.update(
            AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=empty,
            AWS_SHARED_CREDENTIALS_FILE=empty,
        )
        route_deployer = gr.RouteDeployer(
            mock.environment, mock.client_id, mock.client_secret,
            region="us-east-1", endpoint_url="http://127.0.0.1:9", ca_file=ca_file,
            loopback=True, hosts=hosts, max_attempts=1, request_timeout=60.0,
        )
        route = dict(payload)
        route.update(
            awsAccountId="123456789012", awsRegion="us-east-1", eventSourceSuffix="exit",
            roleArn="arn:aws:iam::123456789012:role/eventbridge-api-destinations",
            organizationId="exit-test-org",
        )
        client = route_deployer
        blocking = lambda: route_deployer.apply(route)  # noqa: E731
        awaitable = lambda: route_deployer.apply_async(route)  # noqa: E731
    else:
        fail(f"unknown target {target!r}")

    if scenario == "wait_for":

        async def run() -> None:
            try:
                await asyncio.wait_for(awaitable(), 0.3)
            except asyncio.TimeoutError:
                return
            fail("the call returned before the timeout")

        asyncio.run(run())
    elif scenario == "cancel":

        async def run() -> None:
            task = asyncio.ensure_future(awaitable())
            await asyncio.sleep(0.3)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return
            fail("the call returned before it was cancelled")

        asyncio.run(run())
    elif scenario == "sigint":
        print("ready", flush=True)
        try:
            blocking()
        except KeyboardInterrupt:
            pass
        else:
            fail("the call returned before SIGINT")
    elif scenario == "daemon":
        threading.Thread(target=blocking, daemon=True).start()
        wait_until(lambda: _native._runtime_state()["blocked_calls"] == 1, "the call blocks")
    else:
        fail(f"unknown scenario {scenario!r}")

    if scenario in ("wait_for", "cancel"):
        # The cancelled call's Rust future is dropped, not left running.
        wait_until(lambda: _native._runtime_state()["live_futures"] == 0, "the future is dropped")
    print("done", flush=True)
    return [mock, dest, client]


kept = main()
check = FinalizationCheck()
