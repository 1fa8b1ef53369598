"""The package README (its PyPI page, and the book's Python guide) holds examples that are right
for the package as built: every Python block type-checks against the stubs, and the blocks of
"Testing your own code", which need no organisation, run against the test kit's mock."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
README = PROJECT / "README.md"

# Names the examples take from the reader (credentials) or from an earlier example.
PREAMBLE = """\
import genesys_resolver as gr
from genesys_resolver.types import Payload

client_id: str = "id"
client_secret: str = "secret"
api_key: str = "key"
resolver: gr.Resolver
payload: Payload
"""


def python_blocks() -> list[tuple[str, str]]:
    """Every fenced Python block, with the `## ` section it is in, in order."""
    blocks: list[tuple[str, str]] = []
    section = ""
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:].strip()
        if line.strip() == "```python":
            body: list[str] = []
            i += 1
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            blocks.append((section, "\n".join(body) + "\n"))
        i += 1
    return blocks


def test_the_readme_has_an_example_for_each_part() -> None:
    sections = {section for section, _ in python_blocks()}
    for part in [
        "Payloads and validation",
        "Resolving",
        "asyncio",
        "Errors",
        "EventBridge integrations",
        "Routes: Genesys -> EventBridge -> HTTPS",
        "Testing your own code",
    ]:
        assert part in sections, part


def test_every_example_type_checks(tmp_path: Path) -> None:
    for n, (_, code) in enumerate(python_blocks()):
        (tmp_path / f"example_{n:02}.py").write_text(PREAMBLE + code, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--no-incremental",
            "--cache-dir", str(tmp_path / ".mypy_cache"), str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_testing_examples_run() -> None:
    ran = 0
    for section, code in python_blocks():
        if section == "Testing your own code":
            exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})  # noqa: S102
            ran += 1
    assert ran >= 2


def test_the_validation_example_prints_what_it_says() -> None:
    """The comment under the validation example names the violations the document has."""
    ((_, code),) = [b for b in python_blocks() if b[0] == "Payloads and validation"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})  # noqa: S102
    printed = out.getvalue()
    assert "retryPolicy.maxRetry unknown_key" in printed
    assert "retryPolicy.maxRetries missing_key" in printed
