"""The shared runtime: the GIL is released while Rust waits, Ctrl-C interrupts, asyncio works."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time

import pytest

from genesys_resolver import _native


def test_other_threads_run_while_a_call_blocks() -> None:
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    worker = threading.Thread(target=count)
    worker.start()
    try:
        time.sleep(0.05)
        before = ticks
        _native._sleep(0.5)  # holds the GIL for 0.5 s unless it releases it
        during = ticks - before
    finally:
        stop.set()
        worker.join()
    # About 500 ticks on an idle machine; none at all if the GIL were held.
    assert during > 10, during


def test_ctrl_c_interrupts_a_blocking_call() -> None:
    # In a child process, so the signal cannot reach the test runner.
    code = (
        "import signal, sys, time\n"
        # As in an interactive Python, even if this runner was started with SIGINT ignored.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from genesys_resolver import _native\n"
        "print('ready', flush=True)\n"
        "start = time.monotonic()\n"
        "try:\n"
        "    _native._sleep(60)\n"
        "except KeyboardInterrupt:\n"
        "    print(f'interrupted {time.monotonic() - start:.2f}', flush=True)\n"
        "    sys.exit(3)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 3, err
    # Interrupted within about a second, not after the 60 s sleep.
    assert out.startswith("interrupted"), out
    assert float(out.split()[1]) < 10


@pytest.mark.asyncio
async def test_awaitable_calls_run_concurrently() -> None:
    start = time.monotonic()
    results = await asyncio.gather(*(_native._sleep_async(0.5) for _ in range(10)))
    elapsed = time.monotonic() - start
    assert results == [0.5] * 10
    assert elapsed < 4, elapsed  # ten 0.5 s sleeps one after another would take 5 s


@pytest.mark.asyncio
async def test_awaitable_calls_can_be_cancelled() -> None:
    start = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(_native._sleep_async(60), timeout=0.2)
    assert time.monotonic() - start < 10


async def _until_no_live_futures() -> int:
    """Live Rust futures once they are all gone, or after 10 s (whatever is left then)."""
    deadline = time.monotonic() + 10
    while _native._runtime_state()["live_futures"] and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    live: int = _native._runtime_state()["live_futures"]
    return live


@pytest.mark.asyncio
async def test_a_timed_out_or_cancelled_awaitable_drops_its_rust_future() -> None:
    assert await _until_no_live_futures() == 0
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(_native._sleep_async(60), timeout=0.1)
    # Dropped on the runtime, not left to sleep its 60 s.
    assert await _until_no_live_futures() == 0
    task = asyncio.ensure_future(_native._sleep_async(60))
    await asyncio.sleep(0.1)
    assert _native._runtime_state()["live_futures"] == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _until_no_live_futures() == 0


def test_blocking_calls_work_from_many_threads() -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _native._sleep(0.2)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(8)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert time.monotonic() - start < 1.6 - 0.01  # eight 0.2 s sleeps in sequence take 1.6 s


def test_bad_durations_are_value_errors() -> None:
    with pytest.raises(ValueError, match="seconds"):
        _native._sleep(-1)
    with pytest.raises(ValueError, match="seconds"):
        _native._sleep(float("nan"))
