"""Runs the README's route example project with pytest, as a user of the wheel runs it: run by
scripts/test-wheel inside a fresh venv that holds only the wheel, its ``aws-emulator`` extra and
pytest. The project's files (the route deploy function and its pytest module) are read from the
README exactly as the suite's ``tests/test_readme.py`` reads them (``tests/readme_examples.py``),
so the docs, the suite and this run cannot drift apart.

Not collected by pytest (no ``test_`` prefix). Exits non-zero, with pytest's output, when the
example fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: readme_examples only

from readme_examples import example_files, write_example_files  # noqa: E402


def main() -> None:
    import genesys_resolver
    from genesys_resolver.testing import AwsEmulator  # the extra is installed: no ImportError

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    package = Path(genesys_resolver.__file__).resolve().parent
    if package.parent != site:
        sys.exit(f"route example: genesys_resolver imported from {package}, not from {site}")
    print(f"    AwsEmulator from {AwsEmulator.__module__}")

    tests = re.findall(r"^def (test_\w+)\(", example_files()["test_orders_routes.py"], re.MULTILINE)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        names = [p.name for p in write_example_files(project)]
        # In the project's own directory and process, as `pytest` would run in a user's checkout.
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=project,
        )
    out = result.stdout + result.stderr
    if result.returncode != 0 or not re.search(rf"\b{len(tests)} passed\b", out):
        sys.exit(f"route example failed (pytest exit {result.returncode}):\n{out}")
    summary = out.strip().splitlines()[-1]
    print(f"route example passed: {' + '.join(names)}: {summary}")


if __name__ == "__main__":
    main()
