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
"""

from typing import Final, Tuple

from ._native import MockGenesys, TestCa, TlsDestination

LOOPBACK_CIDRS: Final[Tuple[str, str]] = ("127.0.0.0/8", "::1/128")
"""What ``Resolver(..., loopback=True)`` allows: every IPv4 loopback address and IPv6's ``::1``."""

__all__ = ["LOOPBACK_CIDRS", "MockGenesys", "TestCa", "TlsDestination"]
