"""Runs the README's route example project with pytest, as a user of the wheel runs it: run by
scripts/test-wheel inside a fresh venv that holds only the wheel, its ``aws-emulator`` extra and
pytest. The project's files (the route deploy function and its pytest module) are read from the
README exactly as the suite's ``tests/test_readme.py`` reads them (``tests/readme_examples.py``),
so the docs, the suite and this run cannot drift apart.

Not collected by pytest (no ``test_`` prefix). Exits non-zero, with pytest's output, when the
example fails.
"""

from __future__ import annotations

import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: readme_examples only

from readme_examples import example_files, run_example_project  # noqa: E402


def main() -> None:
    import genesys_resolver
    from genesys_resolver.testing import AwsEmulator  # the extra is installed: no ImportError

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    package = Path(genesys_resolver.__file__).resolve().parent
    if package.parent != site:
        sys.exit(f"route example: genesys_resolver imported from {package}, not from {site}")
    print(f"    AwsEmulator from {AwsEmulator.__module__}")

    with tempfile.TemporaryDirectory() as tmp:
        passed, out = run_example_project(Path(tmp))
    if not passed:
        sys.exit(f"route example failed:\n{out}")
    names = " + ".join(example_files())
    summary = next(line for line in reversed(out.splitlines()) if " passed" in line)
    print(f"route example passed: {names}: {summary.strip()}")


if __name__ == "__main__":
    main()
