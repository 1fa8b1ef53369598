"""The documented Python examples are right for the package as built: every Python block of the
project's README, the package README (its PyPI page, and the book's Python guide) and the book
passes `mypy --strict` against the stubs, and the blocks of "Testing your own code", which need
no organisation, run against the test kit's mock."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
README = PROJECT / "README.md"
ROOT = PROJECT.parents[1]

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


def fenced_python(path: Path) -> list[tuple[str, str]]:
    """Every fenced Python block of the Markdown file `path`, with the `## ` section it is in,
    in order."""
    blocks: list[tuple[str, str]] = []
    section = ""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:].strip()
        if line.strip() in ("```python", "```py"):
            body: list[str] = []
            i += 1
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            blocks.append((section, "\n".join(body) + "\n"))
        i += 1
    return blocks


def python_blocks() -> list[tuple[str, str]]:
    """Every fenced Python block of the package README, with its section, in order."""
    return fenced_python(README)


def documented_files() -> list[Path]:
    """Every Markdown file whose Python examples users read: the project's README, the
    package's, and every page of the book (a page that includes the package README, as the
    Python guide does, has no blocks of its own)."""
    return [ROOT / "README.md", README, *sorted((ROOT / "docs" / "src").rglob("*.md"))]


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
        "Audit records and logs",
    ]:
        assert part in sections, part


def test_every_documented_example_type_checks_strictly(tmp_path: Path) -> None:
    """`mypy --strict` on every Python example of the README, the package README and the book:
    each block a module of its own, after the preamble naming what it takes from the reader.
    Examples that need an organisation or an AWS account are type-checked only."""
    written: list[str] = []
    for doc in documented_files():
        stem = doc.relative_to(ROOT).with_suffix("").as_posix().replace("/", "_").replace("-", "_")
        for n, (_, code) in enumerate(fenced_python(doc)):
            name = f"{stem}_{n:02}.py".lower()
            (tmp_path / name).write_text(PREAMBLE + code, encoding="utf-8")
            written.append(name)
    # The package README's blocks, the project README's and the command line guide's at least.
    assert len(written) >= len(python_blocks()) + 2, written
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--no-incremental",
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
