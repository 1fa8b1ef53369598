"""A process pool started after the package was used: each worker resolves within 10 s.

The parent resolves against a mock Genesys and a local HTTPS destination (so its runtime runs,
its connection pool holds a connection and its token is cached), then, for each start method
(fork, forkserver, spawn), hands work to a ``ProcessPoolExecutor`` worker. A forked worker uses
the ``Resolver`` and ``EventBridgeDeployer`` it inherited, as a script with module-level clients
does; a spawned one builds its own. Each must answer within 10 s (a forked worker used to block
for ever on the parent's runtime).

Run by the pytest suite (tests/test_exit_and_fork.py) and by scripts/test-wheel. Prints one line
per start method; exits 1 with the reason on the first failure, 0 when all pass. Needs only the
standard library and the package.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Optional

import genesys_resolver as gr
from genesys_resolver import _native
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

TOPIC = "v2.routing.queues.{id}.conversations"
LIMIT = 10.0

# Set in the parent before the pool starts: a forked worker inherits them, a spawned one
# (which imports this file afresh as `__mp_main__`) does not.
RESOLVER: Optional[gr.Resolver] = None
DEPLOYER: Optional[gr.EventBridgeDeployer] = None


def resolver_options(ca_file: str) -> dict[str, Any]:
    return {
        "ca_file": ca_file,
        "loopback": True,
        "hosts": {"localhost": ["127.0.0.1"]},
        "max_attempts": 1,
        "request_timeout": 5.0,
    }


def work(env: str, client_id: str, secret: str, ca_file: str, uri: str, name: str) -> dict[str, Any]:
    """In the worker: a blocking resolve, an awaitable one, and an EventBridge plan."""
    inherited = RESOLVER is not None
    resolver = RESOLVER or gr.Resolver(env, client_id, secret, **resolver_options(ca_file))
    deployer = DEPLOYER or gr.EventBridgeDeployer(env, client_id, secret, max_attempts=1)
    payload = gr.build_payload(name, uri, [TOPIC])
    first = resolver.resolve(payload)

    async def again() -> gr.ResolveReport:
        return await resolver.resolve_async(payload)

    second = asyncio.run(again())
    plan = deployer.plan(gr.EventBridgeIntegration(name, "123456789012", "us-east-1", "fork", [TOPIC]))
    return {
        "pid": os.getpid(),
        "inherited": inherited,
        "actions": [first.action, second.action],
        "plan": plan.action,
        "resolves": resolver.metrics()["total_resolves"],
        "state": _native._runtime_state(),
    }


def fail(why: str) -> None:
    print(f"fork_safety: {why}", file=sys.stderr, flush=True)
    for child in multiprocessing.active_children():
        child.kill()
    os._exit(1)


def main() -> None:
    global RESOLVER, DEPLOYER
    ca = TestCa()
    ca_file = ca.write_ca_pem(tempfile.mkdtemp())
    with MockGenesys() as mock, TlsDestination(ca) as dest:
        env, client_id, secret = mock.environment, mock.client_id, mock.client_secret
        uri = dest.uri("/hook")
        RESOLVER = gr.Resolver(env, client_id, secret, **resolver_options(ca_file))
        DEPLOYER = gr.EventBridgeDeployer(env, client_id, secret, max_attempts=1)
        report = RESOLVER.resolve(gr.build_payload("fork-parent", uri, [TOPIC]))
        if report.action != "created":
            fail(f"parent: action {report.action!r}")
        parent = _native._runtime_state()
        for method in ("fork", "forkserver", "spawn"):
            if method not in multiprocessing.get_all_start_methods():
                print(f"{method:>10}: not available on this platform")
                continue
            context = multiprocessing.get_context(method)
            start = time.monotonic()
            pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            future = pool.submit(work, env, client_id, secret, ca_file, uri, f"fork-{method}")
            try:
                result = future.result(timeout=LIMIT)
            except Exception as e:  # noqa: BLE001 - a hang or the worker's error, reported
                fail(f"{method}: no result within {LIMIT:.0f} s: {type(e).__name__}: {e}")
            elapsed = time.monotonic() - start
            pool.shutdown()
            state = result["state"]
            checks = [
                (result["pid"] != os.getpid(), "the work ran in this process"),
                (result["actions"] == ["created", "unchanged"], f"actions {result['actions']}"),
                (result["plan"] == "create", f"plan {result['plan']!r}"),
                (result["inherited"] == (method == "fork"), f"inherited {result['inherited']}"),
                # A forked worker built its own runtime and clients (metrics start afresh).
                (state["started"] and result["resolves"] == 2, f"resolves {result['resolves']}"),
                (method != "fork" or state["forks"] == parent["forks"] + 1, f"state {state}"),
            ]
            for ok, what in checks:
                if not ok:
                    fail(f"{method}: {what}")
            print(f"{method:>10}: a worker resolved twice and planned in {elapsed:.2f} s", flush=True)
        # The parent's own clients still work after the pools came and went.
        again = RESOLVER.resolve(gr.build_payload("fork-parent", uri, [TOPIC]))
        if again.action != "unchanged":
            fail(f"parent after the pools: action {again.action!r}")
    print("fork_safety: ok")


if __name__ == "__main__":
    main()
