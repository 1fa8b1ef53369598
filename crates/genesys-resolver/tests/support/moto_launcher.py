"""Starts moto's AWS emulator in-process on a loopback port for the route deployer's tests.

Usage: python moto_launcher.py
Prints "PORT <n>" on stdout once serving, then serves until stdin closes (the test that started
it ended or dropped its handle), and exits.

moto 5.x differs from EventBridge where the route deployer's tests look. Each fix below is
small, applies only inside this process, and says which gap it closes; everything else is moto
as released. Behaviour moto does not emulate at all (RoleArn enforcement, retry ranges,
input-template sizes, the body and auth of API-destination calls) is checked in the library or
stated as untested in the tests, not patched in here.

Environment: the caller sets MOTO_EVENTS_INVOKE_HTTP=true so rules deliver to API destinations,
and REQUESTS_CA_BUNDLE to the test CA, so those HTTPS calls trust the local destination.
"""

import json
import logging
import sys

from moto.events import models
from moto.events.exceptions import ResourceNotFoundException
from moto.core.exceptions import JsonRESTError
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

Backend = models.EventsBackend


# Gap 1: moto cuts a bus name or ARN at its last "/", so a partner bus
# ("aws.partner/genesys.com/cloud/{org}/{suffix}") becomes "{suffix}" and every rule, target and
# PutEvents call on it fails with "Event bus {suffix} does not exist". Keep the whole name, and
# take the name out of an ARN at ":event-bus/" instead.
def _normalize_event_bus_arn(self, event_bus_arn):
    if event_bus_arn is None:
        return "default"
    marker = ":event-bus/"
    if event_bus_arn.startswith("arn:") and marker in event_bus_arn:
        return event_bus_arn.split(marker, 1)[1]
    return event_bus_arn


Backend._normalize_event_bus_arn = _normalize_event_bus_arn


# Gap 2: DescribeEventSource of an unknown name raises a KeyError (HTTP 500); EventBridge answers
# ResourceNotFoundException, which is what a deployer waiting for the source expects.
def describe_event_source(self, name):
    source = self.event_sources.get(name)
    if source is None:
        raise ResourceNotFoundException(f"Event source {name} does not exist.")
    return source


Backend.describe_event_source = describe_event_source


# Gap 3: event sources are ACTIVE from creation; in EventBridge a partner source is PENDING
# until an event bus is created with EventSourceName set to it (then ACTIVE).
_create_partner_event_source = Backend.create_partner_event_source


def create_partner_event_source(self, name, account_id):
    source = _create_partner_event_source(self, name, account_id)
    client_backend = models.events_backends[account_id][self.region_name]
    if name not in client_backend.event_buses:
        source.state = "PENDING"
    return source


Backend.create_partner_event_source = create_partner_event_source

_create_event_bus = Backend.create_event_bus


def create_event_bus(self, name, event_source_name=None, **kwargs):
    bus = _create_event_bus(self, name, event_source_name=event_source_name, **kwargs)
    if event_source_name:
        self.event_sources[event_source_name].state = "ACTIVE"
    return bus


Backend.create_event_bus = create_event_bus


# Gap 4: a second CreateConnection or CreateApiDestination with a taken name silently replaces
# the first (with a new ARN); EventBridge refuses it with ResourceAlreadyExistsException. The
# no-duplicate tests depend on that refusal.
_create_connection = Backend.create_connection
_create_api_destination = Backend.create_api_destination


def create_connection(self, name, *args, **kwargs):
    if name in self.connections:
        raise JsonRESTError(
            "ResourceAlreadyExistsException", f"Connection {name} already exists."
        )
    return _create_connection(self, name, *args, **kwargs)


def create_api_destination(self, name, *args, **kwargs):
    if name in self.destinations:
        raise JsonRESTError(
            "ResourceAlreadyExistsException", f"An api-destination {name} already exists."
        )
    return _create_api_destination(self, name, *args, **kwargs)


Backend.create_connection = create_connection
Backend.create_api_destination = create_api_destination


# Gap 5: PutPartnerEvents lands on the customer's default bus; EventBridge delivers a partner
# event to the partner event bus named after its source (when one exists).
def put_partner_events(self, entries):
    for entry in entries:
        source = entry["Source"]
        for account_id in self.partner_event_sources[source].accounts:
            backend = models.events_backends[account_id][self.region_name]
            if source in backend.event_buses:
                backend.put_events([dict(entry, EventBusName=source)])


Backend.put_partner_events = put_partner_events


# Gap 6: the input transformer pastes a value's raw text over "<name>" and then parses the
# result as JSON, so a string in an unquoted placeholder ({"topic": <topic>}) is invalid JSON and
# PutEvents answers 500. EventBridge inserts an unquoted placeholder as a JSON value (and null
# when the path matches nothing); do the same.
def _parse_template(input_template, input_paths_map, event):
    from jsonpath_ng.ext import parse

    if not input_template:
        return _original_parse(input_template, input_paths_map, event)
    template = input_template
    for name, path in (input_paths_map or {}).items():
        matches = parse(path).find(event)
        value = matches[0].value if matches else None
        template = template.replace(f"<{name}>", json.dumps(value))
    template = template.replace("<aws.events.event.json>", json.dumps(event))
    return json.loads(template)


_original_parse = models.EventTemplateParser.parse
models.EventTemplateParser.parse = staticmethod(_parse_template)


def main():
    # One line per request on stderr would drown the test output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"PORT {port}", flush=True)
    # Serve until the test closes our stdin (or dies, which closes it too).
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
