"""A test kit for scripts that use genesys_resolver: a mock Genesys Cloud and local HTTPS
destinations with generated certificates, all on loopback.

::

    import genesys_resolver as gr
    from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

    with MockGenesys() as mock:
        ca = TestCa()
        with TlsDestination(ca, health_status=200) as dest:
            resolver = gr.Resolver(
                mock.environment, mock.client_id, mock.client_secret,
                loopback=True,                                # let probes reach 127.0.0.0/8, ::1
                ca_pem=ca.ca_pem,                             # trust the test CA
                hosts={"localhost": ["127.0.0.1"]},           # no DNS queries
            )
            payload = gr.build_payload("orders", dest.uri("/hook"), ["v2.users.{id}.presence"])
            assert resolver.resolve(payload).action == "created"
            assert len(mock.integrations_named("orders")) == 1

The mock also serves the real integrations API for ``EventBridgeDeployer``::

    with MockGenesys() as mock:
        deployer = gr.EventBridgeDeployer(
            mock.environment, mock.client_id, mock.client_secret, poll_interval=0.01
        )
        mock.set_activation(error="the partner event source is not associated")
        # deployer.apply(...) raises gr.DeployError with .detail; mock.write_requests() lists
        # every write, mock.platform_integrations() what is stored.

``MockGenesys.push_fault`` injects errors (``status=503``, ``status=429, retry_after="2"``,
``drop_connection=True``, ``delay=1.5``, ``unauthorized=True``) into the next requests of a route;
``clear_faults()`` drops the ones that have not fired.

Local destinations live on loopback, which the address policy forbids by default. Pass
``loopback=True`` to ``Resolver`` (or ``allow_cidrs=LOOPBACK_CIDRS``): it allows ``127.0.0.0/8``
*and* ``::1``, because ``localhost`` resolves to both and every address a name resolves to is
checked, so allowing only ``127.0.0.0/8`` fails with an ``AddressPolicyError`` on ``::1``.

Routes (``RouteDeployer``) need an AWS account too: ``AwsEmulator``, the strict AWS emulator of
``genesys_resolver.aws_emulator`` (moto held to botocore's model and EventBridge's quotas), needs
the ``aws-emulator`` extra (``pip install 'genesys-resolver[aws-emulator]'``). Linked to the mock,
the partner event source appears in it when the integration becomes ACTIVE, as Genesys does in
AWS::

    from genesys_resolver.testing import AwsEmulator, MockGenesys

    with AwsEmulator() as aws, MockGenesys(aws_emulator=aws) as mock:
        deployer = gr.RouteDeployer(mock.environment, mock.client_id, mock.client_secret,
                                    region="us-east-1", endpoint_url=aws.url, ...)
        deployer.apply(route)   # AWS credentials from the environment: any key works

One ``AwsEmulator`` runs per process (moto's state is process-wide): start it once per test
session and ``reset()`` it between tests. Importing it changes moto for the whole process, so
this module imports it only when ``AwsEmulator`` is asked for.
"""

from typing import TYPE_CHECKING, Final, Tuple

from ._native import MockGenesys, TestCa, TlsDestination

if TYPE_CHECKING:
    from .aws_emulator import AwsEmulator as AwsEmulator

LOOPBACK_CIDRS: Final[Tuple[str, str]] = ("127.0.0.0/8", "::1/128")
"""What ``Resolver(..., loopback=True)`` allows: every IPv4 loopback address and IPv6's ``::1``."""

_EXTRA_HINT: Final[str] = (
    "genesys_resolver.testing.AwsEmulator needs the package's aws-emulator extra (moto): "
    "pip install 'genesys-resolver[aws-emulator]'"
)

# ``AwsEmulator`` is left out: ``from genesys_resolver.testing import *`` works without the extra.
__all__ = ["LOOPBACK_CIDRS", "MockGenesys", "TestCa", "TlsDestination"]


def __getattr__(name: str) -> object:
    """``AwsEmulator``, imported on first use: it needs the ``aws-emulator`` extra, and importing
    it changes moto for the whole process. Without the extra, an ``ImportError`` that says which
    module is missing and how to install it."""
    if name != "AwsEmulator":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        from .aws_emulator import AwsEmulator
    except ImportError as err:
        raise ImportError(f"{_EXTRA_HINT} ({err})", name=err.name) from err
    globals()[name] = AwsEmulator
    return AwsEmulator
