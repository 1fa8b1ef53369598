"""A test kit for scripts that use genesys_resolver: a mock Genesys Cloud and local HTTPS
destinations with generated certificates, all on loopback.

::

    import tempfile
    import genesys_resolver as gr
    from genesys_resolver.testing import MockGenesys, TestCa, TlsDestination

    with MockGenesys() as mock:
        ca = TestCa()
        with TlsDestination(ca, health_status=200) as dest:
            resolver = gr.Resolver(
                mock.environment, mock.client_id, mock.client_secret,
                allow_cidrs=["127.0.0.0/8"],                 # let probes reach loopback
                ca_file=ca.write_ca_pem(tempfile.mkdtemp()),  # trust the test CA
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
``drop_connection=True``, ``delay=1.5``, ``unauthorized=True``) into the next requests of a route.
"""

from ._native import MockGenesys, TestCa, TlsDestination

__all__ = ["MockGenesys", "TestCa", "TlsDestination"]
