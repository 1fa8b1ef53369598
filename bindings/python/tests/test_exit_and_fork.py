"""Programs that end with a call in flight, and process pools started after the package was used.

The scenarios live in tests/wheel (exit_child.py and its driver exit_safety.py, fork_safety.py) so
that scripts/test-wheel runs them against the installed release wheel too; here they run against
the module under test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

WHEEL_TESTS = Path(__file__).resolve().parent / "wheel"
TARGETS = ("resolver", "eventbridge", "route")


@pytest.mark.parametrize("scenario", ["wait_for", "cancel", "sigint", "daemon"])
def test_the_interpreter_exits_cleanly_whatever_was_in_flight(scenario: str) -> None:
    # 20 runs per class; each must exit 0 with no runtime thread left at finalization.
    cases = [f"{scenario}:{target}" for target in TARGETS]
    run = subprocess.run(
        [sys.executable, str(WHEEL_TESTS / "exit_safety.py"), "--runs", "20", *cases],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("20/20 exited 0") == len(TARGETS), run.stdout


def test_a_pool_started_after_use_works_with_every_start_method() -> None:
    run = subprocess.run(
        [sys.executable, str(WHEEL_TESTS / "fork_safety.py")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for method in ("fork", "forkserver", "spawn"):
        assert f"{method}: a worker resolved twice" in run.stdout, run.stdout


def test_a_call_after_exit_began_raises_instead_of_restarting_the_runtime() -> None:
    # An atexit hook registered before the package is imported runs after the package's own.
    code = (
        "import atexit\n"
        "def late():\n"
        "    try:\n"
        "        _native._sleep(0.01)\n"
        "    except RuntimeError as e:\n"
        "        print('refused:', e, flush=True)\n"
        "    print('state:', _native._runtime_state(), flush=True)\n"
        "atexit.register(late)\n"
        "from genesys_resolver import _native\n"
        "_native._sleep(0.01)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "refused: genesys_resolver cannot start a call: the interpreter is exiting" in run.stdout
    assert "'started': False" in run.stdout and "'closing': True" in run.stdout, run.stdout
