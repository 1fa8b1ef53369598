"""The Python examples of the package README (its PyPI page, and the book's Python guide), read
the same way by the test suite (``tests/test_readme.py``) and by the wheel test
(``tests/wheel/route_example.py``, run in a fresh venv). Standard library only, and no ``test_``
prefix: pytest does not collect it.

A block whose first line is ``# NAME.py`` is a file of the README's example project (the code
under test and its pytest module): such blocks are written out under their names, type-checked
together with ``mypy --strict`` and run with pytest, exactly as the README shows them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
FILE_MARK = re.compile(r"# ([A-Za-z_][A-Za-z0-9_]*\.py)$")


def python_blocks(readme: Path = README) -> list[tuple[str, str]]:
    """Every fenced Python block, with the ``## `` section it is in, in order."""
    blocks: list[tuple[str, str]] = []
    section = ""
    lines = readme.read_text(encoding="utf-8").splitlines()
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


def file_name(code: str) -> str | None:
    """``NAME.py`` when the block is a file of the example project, else None."""
    match = FILE_MARK.match(code.split("\n", 1)[0])
    return match.group(1) if match else None


def example_files(readme: Path = README) -> dict[str, str]:
    """The example project's files, by name, in README order."""
    files: dict[str, str] = {}
    for _, code in python_blocks(readme):
        name = file_name(code)
        if name is not None:
            if name in files:
                raise ValueError(f"{readme}: two blocks are the file {name}")
            files[name] = code
    return files


def write_example_files(directory: Path, readme: Path = README) -> list[Path]:
    """Writes the example project's files into `directory`; returns their paths."""
    paths = []
    for name, code in example_files(readme).items():
        path = directory / name
        path.write_text(code, encoding="utf-8")
        paths.append(path)
    return paths


def example_tests(readme: Path = README) -> list[str]:
    """The test functions of the example project's pytest module(s)."""
    return [
        name
        for file, code in example_files(readme).items()
        if file.startswith("test_")
        for name in re.findall(r"^def (test_\w+)\(", code, re.MULTILINE)
    ]


def run_example_project(
    directory: Path, env: Mapping[str, str] | None = None, readme: Path = README
) -> tuple[bool, str]:
    """Writes the example project into `directory` and runs it with pytest as a user would: in
    its own directory, in a process of this interpreter (so none of a calling suite's fixtures or
    AWS emulator), with `env`. True when every test of it passed; pytest's output."""
    write_example_files(directory, readme)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(directory)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=directory,
        env=env,
    )
    out = result.stdout + result.stderr
    count = len(example_tests(readme))
    passed = result.returncode == 0 and re.search(rf"\b{count} passed\b", out) is not None
    return passed, out
