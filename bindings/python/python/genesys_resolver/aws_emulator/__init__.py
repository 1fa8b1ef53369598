"""A strict AWS emulator for tests of EventBridge routes: moto, held to the service model botocore
ships and to EventBridge's documented quotas and behaviour, delivering to API destinations as
EventBridge does (body, headers, connection auth, retries), every attempt recorded.

Install with the ``aws-emulator`` extra (``pip install genesys-resolver[aws-emulator]``), then::

    from genesys_resolver.aws_emulator import AwsEmulator

    with AwsEmulator(ca_bundle="test-ca.pem") as aws:     # trust a test CA for deliveries
        events = boto3.client("events", endpoint_url=aws.url, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        ...                                               # create a bus, a rule, API destinations
        events.put_partner_events(Entries=[...])          # stand in for the partner (Genesys)
        for attempt in aws.deliveries():                  # what each destination was sent
            print(attempt["method"], attempt["url"], attempt["status"], attempt["body"])

From the command line (or by path, before the package is built)::

    python -m genesys_resolver.aws_emulator --port 0 --ca-bundle test-ca.pem
    python path/to/genesys_resolver/aws_emulator --port 0 --exit-on-stdin-eof

print one JSON line, ``{"url": "http://127.0.0.1:PORT"}``, then serve. ``GET
/_emulator/deliveries`` (``?wait=SECONDS`` to let retries settle) answers the recorded attempts,
``DELETE`` forgets them, ``POST /moto-api/reset`` forgets everything.

What is checked against what is listed in ``docs/src/aws-emulator.md``. Importing this module changes
moto for the whole process.
"""

from __future__ import annotations

from ._delivery import DeliverySettings
from ._model import RequestRefused, validate_input
from ._server import AwsEmulator, main

__all__ = ["AwsEmulator", "DeliverySettings", "RequestRefused", "main", "validate_input"]
