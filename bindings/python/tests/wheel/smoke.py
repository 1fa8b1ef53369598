"""Smoke test of an installed wheel, run by scripts/test-wheel inside a fresh venv without Rust.

Not collected by pytest (no `test_` prefix, and it must not import the repository's conftest):
it checks the package as a user gets it from the wheel, with nothing but the standard library.
Exits non-zero, with the reason, on the first failed check.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

import genesys_resolver as gr
from genesys_resolver import _native
from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"wheel smoke test failed: {what}")


def main() -> None:
    # The package imported is the installed one, not a checkout on sys.path.
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    package = Path(gr.__file__).resolve().parent
    check(package.parent == site, f"genesys_resolver imported from {package}, not from {site}")
    native = Path(_native.__file__).resolve()
    check(native.name == "_native.abi3.so", f"native module is {native.name}, not the abi3 one")
    check((package / "py.typed").is_file() and (package / "_native.pyi").is_file(), "typing files missing")
    # Nothing in this environment could have built the module from source.
    check(shutil.which("cargo") is None and shutil.which("rustc") is None, "cargo or rustc on PATH")

    payload = gr.build_payload(
        "orders-webhook", "https://hooks.example.com/genesys", ["v2.routing.queues.{id}.conversations"]
    )
    gr.validate(payload)

    ca = TestCa()
    with tempfile.TemporaryDirectory() as tmp, MockGenesys() as mock, TlsDestination(ca) as dest:
        resolver = gr.Resolver(
            mock.environment,
            mock.client_id,
            mock.client_secret,
            ca_file=ca.write_ca_pem(tmp),
            allow_cidrs=["127.0.0.0/8"],
            hosts={"localhost": ["127.0.0.1"]},
            max_attempts=1,
            request_timeout=5.0,
        )
        payload["uri"] = dest.uri("/hook")
        report = resolver.resolve(payload)
        check(report.action == "created", f"first resolve: action {report.action!r}, not 'created'")
        check(bool(report.integration_id), "first resolve: no integration id")
        [endpoint] = report.endpoints
        check(endpoint.ok, f"probe of {dest.uri('/hook')} failed: {endpoint.failure}")
        check(endpoint.tls is not None and endpoint.tls["verified"] is True, "TLS not verified")
        check(dest.requests() == ["/hook"], f"destination saw {dest.requests()}")
        stored = mock.integrations_named("orders-webhook")
        check(
            [i["id"] for i in stored] == [report.integration_id],
            f"mock holds {stored}, not the created integration",
        )
        again = resolver.resolve(payload)
        check(again.action == "unchanged", f"second resolve: action {again.action!r}, not 'unchanged'")
        check(mock.create_requests("orders-webhook") == 1, "the second resolve created again")

        payload["uri"] = "http://hooks.example.com/genesys"
        try:
            resolver.check(payload)
        except gr.ValidationError:
            pass
        else:
            check(False, "an http:// URI passed validation")

    # Without the aws-emulator extra, the kit's AWS emulator is an ImportError that says what to
    # install (scripts/test-wheel installs the extra afterwards and runs the route example).
    try:
        from genesys_resolver.testing import AwsEmulator  # noqa: F401
    except ImportError as err:
        check("genesys-resolver[aws-emulator]" in str(err), f"unhelpful ImportError: {err}")
    else:
        check(False, "genesys_resolver.testing.AwsEmulator imported without the aws-emulator extra")

    print(f"wheel smoke test passed: genesys_resolver {gr.__version__} from {native}")


if __name__ == "__main__":
    main()
