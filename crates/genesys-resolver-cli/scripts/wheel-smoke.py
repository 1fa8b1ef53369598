"""Smoke test of the installed command-line wheel, run by scripts/test-wheel in a fresh venv
whose environment has no Rust: `genesys-resolver --version`, and `validate` on valid and invalid
files (JSON and YAML) with their exit statuses and output.

Usage: wheel-smoke.py VERSION   (the version the binary must report)
Exits non-zero, with the reason, on the first failed check. Needs only the standard library.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

VALID_JSON = """{"name": "orders-webhook", "type": "webhook", "uri": "https://hooks.example.com/genesys",
 "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
 "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations"}]}
"""
VALID_YAML = """name: orders-yaml
type: webhook
uri: https://hooks.example.com/yaml
retryPolicy: {maxRetries: 1, retryInterval: 10, backoffFactor: 1.5}
eventFilters:
  - eventType: v2.users.{id}.presence
"""
# Two problems in one file: both are reported.
INVALID_JSON = """{"name": "orders-webhook", "type": "webhook", "uri": "http://hooks.example.com/genesys",
 "retryPolicy": {"maxRetries": 9, "retryInterval": 5, "backoffFactor": 2},
 "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations"}]}
"""


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"CLI wheel smoke test failed: {what}")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["genesys-resolver", *args], capture_output=True, text=True, timeout=60)


def main() -> None:
    version = sys.argv[1]
    scripts = Path(sysconfig.get_paths()["scripts"]).resolve()
    found = shutil.which("genesys-resolver")
    check(found is not None, "genesys-resolver is not on PATH")
    assert found is not None
    check(Path(found).resolve().parent == scripts, f"genesys-resolver is {found}, not from {scripts}")
    check(shutil.which("cargo") is None and shutil.which("rustc") is None, "cargo or rustc on PATH")

    out = run("--version")
    check(out.returncode == 0, f"--version exited {out.returncode}: {out.stderr}")
    check(out.stdout.strip() == f"genesys-resolver {version}", f"--version printed {out.stdout!r}")

    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        Path("orders.json").write_text(VALID_JSON, encoding="utf-8")
        Path("orders.yaml").write_text(VALID_YAML, encoding="utf-8")
        Path("broken.json").write_text(INVALID_JSON, encoding="utf-8")

        out = run("validate", "orders.json", "orders.yaml")
        check(out.returncode == 0, f"validate of valid files exited {out.returncode}: {out.stdout}{out.stderr}")
        check("2 valid, 0 invalid" in out.stdout, f"validate of valid files printed {out.stdout!r}")

        out = run("validate", "broken.json")
        check(out.returncode == 1, f"validate of an invalid file exited {out.returncode}, not 1")
        for expected in ("uri_not_https", "retryPolicy.maxRetries", "max_retries_out_of_range"):
            check(expected in out.stdout, f"validate did not report {expected}: {out.stdout!r}")

        out = run("validate", "--output", "json", "orders.json", "broken.json")
        check(out.returncode == 1, f"validate --output json exited {out.returncode}, not 1")
        report = json.loads(out.stdout)
        statuses = {f["file"]: f["status"] for f in report["files"]}
        check(statuses == {"orders.json": "valid", "broken.json": "invalid"}, f"statuses {statuses}")
        os.chdir("/")
    print(f"CLI wheel smoke test passed: genesys-resolver {version} from {found}")


if __name__ == "__main__":
    main()
