"""The documented Python examples are right for the package as built: every Python block of the
project's README, the package README (its PyPI page, and the book's Python guide) and the book
passes `mypy --strict` against the stubs; the blocks of "Testing your own code", which need no
organisation, run against the test kit's mock; and the example project of "Routes in pytest" (the
code under test and its pytest module, which the book's testing guide includes too) passes
`mypy --strict` and its own pytest run."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

from readme_examples import (
    README,
    example_files,
    example_tests,
    file_name,
    python_blocks,
    run_example_project,
    write_example_files,
)

PROJECT = Path(__file__).resolve().parents[1]
REPO = PROJECT.parents[1]

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


def documented_files() -> list[Path]:
    """Every Markdown file whose Python examples users read: the project's README, the
    package's, and every page of the book (a page that includes the package README, as the
    Python guide does, has no blocks of its own)."""
    return [REPO / "README.md", README, *sorted((REPO / "docs" / "src").rglob("*.md"))]


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
    Examples that need an organisation or an AWS account are type-checked only; the example
    project's files are checked together, on their own (below)."""
    written: list[str] = []
    for doc in documented_files():
        stem = doc.relative_to(REPO).with_suffix("").as_posix().replace("/", "_").replace("-", "_")
        for n, (_, code) in enumerate(python_blocks(doc)):
            if file_name(code) is not None:
                continue
            name = f"{stem}_{n:02}.py".lower()
            (tmp_path / name).write_text(PREAMBLE + code, encoding="utf-8")
            written.append(name)
    # The package README's blocks, the project README's and the command line guide's at least.
    own = [code for _, code in python_blocks() if file_name(code) is None]
    assert len(written) >= len(own) + 2, written
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
        if section == "Testing your own code" and file_name(code) is None:
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


# --- The example project of "Routes in pytest": a route deploy function and its tests. ---------

ROUTE_EXAMPLE = ["orders_routes.py", "test_orders_routes.py"]


def test_the_route_example_is_a_project_of_two_files() -> None:
    assert list(example_files()) == ROUTE_EXAMPLE


def test_the_route_example_type_checks_strictly(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    paths = write_example_files(project)
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--no-incremental",
            "--cache-dir", str(tmp_path / ".mypy_cache"), *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=project,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_route_example_passes_its_own_pytest_run(tmp_path: Path) -> None:
    """Run as a user runs it (its own directory and process), with no AWS settings from outside."""
    assert len(example_tests()) >= 4, example_tests()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    passed, out = run_example_project(tmp_path, env)
    assert passed, out


def test_the_book_shows_the_route_example_from_the_readme() -> None:
    """The testing guide includes the README's section rather than a copy that could drift."""
    readme = README.read_text(encoding="utf-8")
    assert readme.count("<!-- ANCHOR: route-pytest -->") == 1
    assert readme.count("<!-- ANCHOR_END: route-pytest -->") == 1
    section = readme.split("<!-- ANCHOR: route-pytest -->")[1].split("<!-- ANCHOR_END")[0]
    for name in ROUTE_EXAMPLE:
        assert f"# {name}\n" in section, name
    guide = (REPO / "docs" / "src" / "guide" / "testing.md").read_text(encoding="utf-8")
    assert "{{#include ../../../bindings/python/README.md:route-pytest}}" in guide
