"""Runs exit_child.py many times per scenario and class; every run must exit with status 0.

Usage: exit_safety.py [--runs N] [--jobs J] [SCENARIO:TARGET ...]

Without arguments: every scenario (wait_for, cancel, sigint, daemon) for every class with
blocking and ``*_async`` calls (resolver, eventbridge, route), N runs each (default 20), J at a
time (default 4). Run by the pytest suite (tests/test_exit_and_fork.py, against the module under
test) and by scripts/test-wheel (against the installed release wheel, where a crash at exit used
to show). Exits 1, listing each failed run's status and error output, if any run fails.
Needs only the standard library and the package.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHILD = Path(__file__).resolve().with_name("exit_child.py")
SCENARIOS = ("wait_for", "cancel", "sigint", "daemon")
TARGETS = ("resolver", "eventbridge", "route")
RUN_TIMEOUT = 60.0
"""Far above a run's half second: a run that takes this long is a hang, reported as such."""


def run_once(scenario: str, target: str) -> tuple[int, str]:
    """One child run: its exit status (-N for signal N, -11 a segmentation fault; -1000 for a
    hang) and error output."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), scenario, target],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if scenario == "sigint":
            assert child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                child.kill()
                _, err = child.communicate()
                return child.wait(), "did not print 'ready'\n" + err
            time.sleep(0.3)  # into the blocking call, which waits 30 s on the mock
            child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=RUN_TIMEOUT)
        return child.returncode, err
    except subprocess.TimeoutExpired:
        child.kill()
        _, err = child.communicate()
        return -1000, f"hung for {RUN_TIMEOUT:.0f} s\n{err}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("cases", nargs="*", metavar="SCENARIO:TARGET")
    args = parser.parse_args()
    cases = [tuple(c.split(":", 1)) for c in args.cases] or [
        (s, t) for t in TARGETS for s in SCENARIOS
    ]
    for case in cases:
        if len(case) != 2 or case[0] not in SCENARIOS or case[1] not in TARGETS:
            parser.error(f"unknown case {':'.join(case)!r}")
    runs = [(s, t) for s, t in cases for _ in range(args.runs)]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda case: run_once(*case), runs))
    failed = 0
    for scenario, target in cases:
        mine = [r for c, r in zip(runs, results) if c == (scenario, target)]
        bad = [(status, err) for status, err in mine if status != 0]
        failed += len(bad)
        statuses = Counter(status for status, _ in bad)
        print(
            f"{scenario:>8} {target:<11} {len(mine) - len(bad)}/{len(mine)} exited 0"
            + (f"; failed (status: runs) {dict(sorted(statuses.items()))}" if bad else "")
        )
        for status, err in bad[:3]:
            tail = "\n".join(err.strip().splitlines()[-5:])
            print(f"    status {status}: {tail}")
    print(f"{len(runs)} runs in {time.monotonic() - start:.1f} s, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
