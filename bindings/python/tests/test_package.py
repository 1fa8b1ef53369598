"""The package as shipped: exports, version, typing markers, stubs in step with the module."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import genesys_resolver as gr
from genesys_resolver import _native, testing, types

from conftest import REPO

PACKAGE = Path(gr.__file__).parent
PROJECT = Path(__file__).resolve().parents[1]


def test_version_is_the_crate_version() -> None:
    cargo = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    match = re.search(r'^version = "([^"]+)"', cargo, re.MULTILINE)
    assert match
    assert gr.__version__ == match.group(1)


def test_all_names_every_public_export() -> None:
    kit = set(testing.__all__)
    native_kit = {"MockGenesys", "TestCa", "TlsDestination"}
    assert kit == native_kit | {"LOOPBACK_CIDRS"}
    public = {name for name in dir(_native) if not name.startswith("_")} | {"__version__"}
    assert set(gr.__all__) == public - native_kit
    for name in gr.__all__:
        assert getattr(gr, name) is getattr(_native, name)
    for name in native_kit:
        assert getattr(testing, name) is getattr(_native, name)
    for name in types.__all__:
        assert getattr(types, name) is not None


def test_typing_markers_ship_in_the_package() -> None:
    assert (PACKAGE / "py.typed").is_file()
    assert (PACKAGE / "_native.pyi").is_file()


def test_stubs_match_the_native_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "genesys_resolver._native"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT,  # mypy's cache goes beside the package's own files
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_type_checks_strictly() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(PACKAGE)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT,  # mypy's cache goes beside the package's own files
    )
    assert result.returncode == 0, result.stdout + result.stderr
