"""moto's EventBridge held to what a real account does where the route looks. moto's own state
stays the store; each fix below names the gap it closes and where the behaviour is documented.
(The service model's constraints are checked before moto sees a request, in ``_server``.)

Sources: [M] moto 5.2.5's code; [BOTO] the ``events`` model botocore ships; [API] the EventBridge
API reference; [UG] the EventBridge User Guide; [Q] its quota table (``eb-quota``); [E] emulated
(AWS documents the behaviour but not the exact error text).

Importing this module changes moto for the whole process (patches are applied by [`install`]).
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.events import models, responses
from moto.events.exceptions import ResourceNotFoundException
from moto.events.utils import EventTemplateParser
from moto.moto_api._internal import mock_random

from . import _patterns, _transform
from ._delivery import Deliveries, is_api_destination
from ._model import RequestRefused

#: [Q] "Each rule can have up to five (5) targets associated with it at one time."
MAX_TARGETS_PER_RULE = 5
#: [API PutTargets] "The maximum number of entries per request is 10."
MAX_TARGETS_PER_CALL = 10
#: [Q] "Event pattern size: 2,048 characters" (adjustable; the model allows 4,096).
MAX_EVENT_PATTERN = 2048
#: [Q] "Rules: 300 per event bus" and "Event buses: 100" per account and Region (adjustable).
MAX_RULES_PER_BUS = 300
MAX_EVENT_BUSES = 100
#: [API DescribeEventSource] a PENDING source "is deleted" after two weeks without a bus.
PENDING_LIFETIME = 14 * 24 * 3600

Backend = models.EventsBackend
Handler = responses.EventsHandler

_state: dict[str, Deliveries] = {}


def _refuse(code: str, message: str) -> JsonRESTError:
    return JsonRESTError(code, message)


def deliveries() -> Deliveries:
    """The process's delivery engine (installed by [`install`])."""
    return _state["deliveries"]


# --- event buses and partner event sources ---------------------------------------------------


# Gap [M]: moto cuts a bus name or ARN at its last "/", so the partner bus
# "aws.partner/genesys.com/cloud/{org}/{suffix}" becomes "{suffix}" and every rule, target and
# PutEvents call on it fails ("Event bus {suffix} does not exist"). Keep the whole name; take it
# out of an ARN at ":event-bus/".
def _normalize_event_bus_arn(self: Any, event_bus_arn: str | None) -> str:
    if event_bus_arn is None:
        return "default"
    marker = ":event-bus/"
    if event_bus_arn.startswith("arn:") and marker in event_bus_arn:
        return event_bus_arn.split(marker, 1)[1]
    return event_bus_arn


# Gap [M]: a partner source's ARN doubles its prefix (".../event-source/aws.partner/aws.partner/
# ..."), DescribeEventSource answers "CreatedOn" (not the model's "CreationTime"), names the
# creator "aws.partner" (not the partner, "genesys.com") and omits ExpirationTime [BOTO].
_source_init = models.PartnerEventSource.__init__


def _partner_source_init(self: Any, region: str, name: str) -> None:
    _source_init(self, region, name)
    self.arn = f"arn:aws:events:{region}::event-source/{name}"


def _partner_source_to_dict(self: Any) -> dict[str, Any]:
    parts = self.name.split("/")
    out = {
        "Arn": self.arn,
        "CreatedBy": parts[1] if len(parts) > 1 else parts[0],
        "CreationTime": self.created_on,
        "Name": self.name,
        "State": self.state,
    }
    if self.state == "PENDING":
        out["ExpirationTime"] = self.created_on + PENDING_LIFETIME
    return out


# Gap [M]: DescribeEventSource of an unknown name raises a KeyError (HTTP 500); EventBridge
# answers ResourceNotFoundException [BOTO errors], which a deployer waiting for the source reads
# as "not yet".
def _describe_event_source(self: Any, name: str) -> Any:
    source = self.event_sources.get(name)
    if source is None:
        raise ResourceNotFoundException(f"Event source {name} does not exist.")
    return source


# Gap [M]: sources are ACTIVE from creation. [UG eb-saas] a partner source is PENDING until a bus
# is created for it ("The status of the event source changes from Pending to Active"), and
# [API DescribeEventSource] PENDING again when "you haven't yet created a matching event bus".
# A second CreatePartnerEventSource of a live name for the same account is refused [BOTO errors:
# ResourceAlreadyExistsException].
_create_partner_event_source = Backend.create_partner_event_source


def _create_partner_source(self: Any, name: str, account_id: str) -> Any:
    existing = self.partner_event_sources.get(name)
    if existing is not None and account_id in existing.accounts and existing.state != "DELETED":
        raise _refuse("ResourceAlreadyExistsException", f"Event source {name} already exists.")
    if existing is not None and existing.state == "DELETED":
        del self.partner_event_sources[name]
    source = _create_partner_event_source(self, name, account_id)
    customer = models.events_backends[account_id][self.region_name]
    source.state = "ACTIVE" if name in customer.event_buses else "PENDING"
    return source


def _list_event_sources(self: Any, name_prefix: str | None) -> list[Any]:
    return [
        s
        for name, s in sorted(self.event_sources.items())
        if not name_prefix or name.startswith(name_prefix)
    ]


# Gap [M]: CreateEventBus does not check that a partner bus is named after its source; [API
# CreateEventBus] "for partner event buses, the name must exactly match the name of the partner
# event source" [E: message]. [Q] 100 event buses per account (the default one counted here [E]).
_create_event_bus = Backend.create_event_bus


def _create_bus(self: Any, name: str, event_source_name: str | None = None, **kwargs: Any) -> Any:
    if event_source_name and name != event_source_name:
        raise _refuse(
            "ValidationException",
            f"Event bus name {name} must match the name of the event source {event_source_name}.",
        )
    if name not in self.event_buses and len(self.event_buses) >= MAX_EVENT_BUSES:
        raise _refuse(
            "LimitExceededException", "The requested resource exceeds the maximum number allowed."
        )
    source = self.event_sources.get(event_source_name) if event_source_name else None
    if source is not None and source.state == "DELETED":
        raise _refuse("ResourceNotFoundException", f"Event source {event_source_name} does not exist.")
    bus = _create_event_bus(self, name, event_source_name=event_source_name, **kwargs)
    if source is not None:
        source.state = "ACTIVE"
    return bus


# Gap [M]: DeleteEventBus deletes a bus whatever rules it holds; [API DeleteEventBus] "All rules
# associated with this event bus need to be deleted" first [E: error code and message]. A
# deleted partner bus leaves its source PENDING again [API DescribeEventSource].
_delete_event_bus = Backend.delete_event_bus


def _delete_bus(self: Any, name: str) -> None:
    name = self._normalize_event_bus_arn(name)
    bus = self.event_buses.get(name)
    if bus is not None and bus.rules:
        raise _refuse(
            "ValidationException",
            f"Event bus {name} cannot be deleted since it has rules: {', '.join(sorted(bus.rules))}.",
        )
    _delete_event_bus(self, name)
    source = self.event_sources.get(name)
    if bus is not None and source is not None and source.state == "ACTIVE":
        source.state = "PENDING"


# Gap [M]: TagResource, UntagResource and ListTagsForResource find a resource by the last "/"
# segment of its ARN, so a partner bus (".../event-bus/aws.partner/genesys.com/...") or a rule on
# one is "Rule x does not exist on EventBus default", and a rule named like another bus's rule or
# like a bus takes its tags. [API TagResource] tags rules and event buses, named by their ARN.
def _tagged(self: Any, arn: str) -> Any:
    for bus in self.event_buses.values():
        if bus.arn == arn:
            return bus
        for rule in bus.rules.values():
            if rule.arn == arn:
                return rule
    raise ResourceNotFoundException(f"Resource {arn} does not exist.")


def _list_tags(self: Any, arn: str) -> dict[str, list[dict[str, str]]]:
    return self.tagger.list_tags_for_resource(_tagged(self, arn).arn)  # type: ignore[no-any-return]


def _tag(self: Any, arn: str, tags: dict[str, str]) -> None:
    self.tagger.tag_resource(_tagged(self, arn).arn, self.tagger.convert_dict_to_tags_input(tags))


def _untag(self: Any, arn: str, tag_keys: list[str]) -> None:
    self.tagger.untag_resource_using_names(_tagged(self, arn).arn, tag_keys)


# --- rules and targets ---------------------------------------------------------------------


# Gap [M]: moto's pattern checks are loose (any dict is a matcher, "{}" passes); [UG event
# patterns] lists the operators and their arguments [E: reasons]. And the quota [Q]: 2,048
# characters; 300 rules per bus.
_put_rule = Backend.put_rule


def _put(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    pattern = kwargs.get("event_pattern")
    if pattern is not None and len(pattern) > MAX_EVENT_PATTERN:
        raise _refuse(
            "LimitExceededException",
            f"Event pattern is {len(pattern)} characters; the quota is {MAX_EVENT_PATTERN}.",
        )
    bus = self.event_buses.get(self._normalize_event_bus_arn(kwargs.get("event_bus_arn")))
    if bus is not None and name not in bus.rules and len(bus.rules) >= MAX_RULES_PER_BUS:
        raise _refuse(
            "LimitExceededException", "The requested resource exceeds the maximum number allowed."
        )
    return _put_rule(self, name, *args, **kwargs)


def _parse_pattern(self: Any) -> dict[str, Any]:
    if not self.pattern:
        return {}
    try:
        return _patterns.parse(self.pattern)
    except RequestRefused as e:
        raise _refuse(e.code, e.message) from None


def _matches_event(self: Any, event: Any) -> bool:
    if not self._pattern:
        return True
    return _patterns.matches(self._pattern, _transform.public_event(event))


# Gap [M]: DeleteRule on a bus that does not exist succeeds; [API DeleteRule] "When you call
# delete rule for a non-existent custom eventbus, ResourceNotFoundException is returned."
_delete_rule = Backend.delete_rule


def _delete(self: Any, name: str, event_bus_arn: str | None) -> None:
    self._get_event_bus(self._normalize_event_bus_arn(event_bus_arn))
    _delete_rule(self, name, event_bus_arn)


# Gap [M]: PutTargets takes any number of targets and no role. [API PutTargets] at most 10
# entries per call [E: message], at most 5 targets per rule (LimitExceededException "The
# requested resource exceeds the maximum number allowed.", as real accounts answer), a role on
# API-destination targets ("RoleArn is required for target arn:...", as real accounts answer),
# and Input, InputPath and InputTransformer are mutually exclusive [E: message].
_put_targets = Backend.put_targets


def _targets(self: Any, name: str, event_bus_arn: str | None, targets: list[dict[str, Any]]) -> None:
    if len(targets) > MAX_TARGETS_PER_CALL:
        raise _refuse(
            "ValidationException",
            "1 validation error detected: Value '[Target]' at 'targets' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_TARGETS_PER_CALL}",
        )
    for target in targets:
        given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
        if len(given) > 1:
            raise _refuse(
                "ValidationException",
                f"Parameter(s) {', '.join(given)} of target {target.get('Id')} are mutually "
                "exclusive: give at most one.",
            )
        if is_api_destination(str(target.get("Arn", ""))) and not target.get("RoleArn"):
            raise _refuse("ValidationException", f"RoleArn is required for target {target['Arn']}.")
    bus = self._get_event_bus(self._normalize_event_bus_arn(event_bus_arn))
    rule = bus.rules.get(name)
    if rule is not None:
        ids = {t["Id"] for t in rule.targets} | {t["Id"] for t in targets}
        if len(ids) > MAX_TARGETS_PER_RULE:
            raise _refuse(
                "LimitExceededException",
                "The requested resource exceeds the maximum number allowed.",
            )
    _put_targets(self, name, event_bus_arn, targets)


# Gap [M]: every rule fires whatever its state, moto's matcher does not look into arrays of
# objects, and API-destination targets get a request without body or connection auth (and only
# with MOTO_EVENTS_INVOKE_HTTP). Disabled rules are skipped, matching is EventBridge's
# (``_patterns``), and API destinations are delivered as EventBridge delivers (``_delivery``).
_send_to_targets = models.Rule.send_to_targets


def _send(self: Any, original_event: Any, transform_input: bool = True) -> None:
    if self.state == "DISABLED":
        return
    if not self.event_pattern.matches_event(original_event):
        return
    api = [t for t in self.targets if is_api_destination(str(t.get("Arn", "")))]
    rest = [t for t in self.targets if not is_api_destination(str(t.get("Arn", "")))]
    if rest:
        others = copy.copy(self)
        others.targets = rest
        _send_to_targets(others, original_event, transform_input)
    for target in api:
        deliveries().deliver(self, target, dict(original_event))


# Gap [M]: the input transformer pastes a value's raw text over "<name>" and then parses JSON, so
# a string in an unquoted placeholder is invalid JSON and PutEvents answers 500; without a
# transformer the delivered event lacks "account". Rendered as EventBridge renders (``_transform``;
# used by moto's other targets, SQS and logs).
def _parse_template(input_template: str, input_paths_map: dict[str, Any], event: Any) -> Any:
    public = _transform.public_event(event)
    if not input_template:
        return public
    text = _transform.render(
        input_template, dict(input_paths_map or {}), public, "", "", event.get("ingestion-time", 0)
    )
    try:
        return json.loads(text)
    except ValueError:
        return text


# --- partner events ---------------------------------------------------------------------------


# Gap [M]: PutPartnerEvents lands on the customer's default bus and answers "Entries: []"; a
# partner event reaches the partner event bus named after its source [UG eb-saas], and each
# entry gets an EventId [BOTO PutPartnerEventsResultEntry]. An unknown source fails its entry
# [E: code]. (PutPartnerEvents is the partner's call, which tests make standing in for Genesys;
# a customer's PutEvents cannot name a partner bus: the model's NonPartnerEventBusNameOrArn.)
def _put_partner_events(self: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for entry in entries:
        source = self.partner_event_sources.get(entry.get("Source", ""))
        if source is None or source.state == "DELETED":
            results.append(
                {
                    "ErrorCode": "InvalidArgument",
                    "ErrorMessage": f"Event source {entry.get('Source')} does not exist.",
                }
            )
            continue
        event_id = None
        for account_id in source.accounts:
            customer = models.events_backends[account_id][self.region_name]
            if source.name in customer.event_buses:
                answers = customer.put_events([dict(entry, EventBusName=source.name)])
                event_id = (answers[0] if answers else {}).get("EventId")
        results.append({"EventId": event_id or str(mock_random.uuid4())})
    return results


def _handle_put_partner_events(self: Any) -> str:
    entries = self.events_backend.put_partner_events(self._get_param("Entries"))
    failed = sum(1 for e in entries if "ErrorCode" in e)
    return json.dumps({"Entries": entries, "FailedEntryCount": failed})


# --- connections and API destinations ------------------------------------------------------

_AUTH_GROUPS = {
    "API_KEY": "ApiKeyAuthParameters",
    "BASIC": "BasicAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}


def _check_auth(authorization_type: str | None, auth: dict[str, Any] | None) -> None:
    """[API CreateConnectionAuthRequestParameters] "You must include only authorization
    parameters for the AuthorizationType you specify." [E: message]"""
    if authorization_type is None or auth is None:
        return
    wanted = _AUTH_GROUPS.get(authorization_type)
    given = [g for g in _AUTH_GROUPS.values() if auth.get(g) is not None]
    if wanted is not None and given not in ([], [wanted]):
        raise _refuse(
            "ValidationException",
            f"Connection authorization type {authorization_type} takes only {wanted} "
            f"(given: {', '.join(given)}).",
        )


# Gap [M]: a second CreateConnection or CreateApiDestination with a taken name replaces the
# first (with a new ARN); EventBridge refuses it [BOTO errors: ResourceAlreadyExistsException].
# CreateConnection also takes auth parameters of another type than AuthorizationType.
_create_connection = Backend.create_connection


def _create_conn(self: Any, name: str, description: str, authorization_type: str, auth_parameters: dict[str, Any]) -> Any:
    if name in self.connections:
        raise _refuse("ResourceAlreadyExistsException", f"Connection {name} already exists.")
    _check_auth(authorization_type, auth_parameters)
    if not auth_parameters or not auth_parameters.get(_AUTH_GROUPS.get(authorization_type, "")):
        raise _refuse(
            "ValidationException",
            f"Connection authorization type {authorization_type} needs "
            f"{_AUTH_GROUPS.get(authorization_type, 'its parameters')}.",
        )
    return _create_connection(self, name, description, authorization_type, auth_parameters)


def _merged(current: Any, update: Any) -> Any:
    if isinstance(current, dict) and isinstance(update, dict):
        out = dict(current)
        for key, value in update.items():
            out[key] = _merged(current.get(key), value)
        return out
    return update


# Gap [M]: UpdateConnection replaces AuthParameters wholesale (a partial update drops the
# secret) and takes a mismatched type; [API UpdateConnection] updates what is given.
def _update_connection(self: Any, name: str, **kwargs: Any) -> dict[str, Any]:
    connection = self.connections.get(name)
    if connection is None:
        raise ResourceNotFoundException(f"Connection '{name}' does not exist.")
    auth = kwargs.get("auth_parameters")
    kind = kwargs.get("authorization_type") or connection.authorization_type
    if auth is not None:
        merged = _merged(connection.auth_parameters, auth)
        if kwargs.get("authorization_type") and kind != connection.authorization_type:
            merged = {k: v for k, v in merged.items() if k not in _AUTH_GROUPS.values() or k in auth}
        _check_auth(kind, merged)
        kwargs["auth_parameters"] = merged
    for attr, value in kwargs.items():
        if value is not None and hasattr(connection, attr):
            setattr(connection, attr, value)
    connection.last_modified_time = time.time()
    out: dict[str, Any] = connection.describe_short()
    return out


def _check_destination(self: Any, connection_arn: str | None, endpoint: str | None) -> None:
    if endpoint is not None and not endpoint.lower().startswith("https://"):
        # [UG eb-api-destinations] "The URL must use HTTPS." [E: message]
        raise _refuse("ValidationException", "InvocationEndpoint must be an https:// URL.")
    if connection_arn is not None:
        # An API destination needs a connection that exists [E: code and message].
        if not any(c.arn == connection_arn for c in self.connections.values()):
            raise _refuse("ResourceNotFoundException", f"Connection '{connection_arn}' does not exist.")


_create_api_destination = Backend.create_api_destination
_update_api_destination = Backend.update_api_destination


def _create_dest(self: Any, name: str, description: str, connection_arn: str, invocation_endpoint: str, *args: Any) -> Any:
    if name in self.destinations:
        raise _refuse("ResourceAlreadyExistsException", f"An api-destination '{name}' already exists.")
    _check_destination(self, connection_arn, invocation_endpoint)
    return _create_api_destination(self, name, description, connection_arn, invocation_endpoint, *args)


def _update_dest(self: Any, name: str, **kwargs: Any) -> Any:
    _check_destination(self, kwargs.get("connection_arn"), kwargs.get("invocation_endpoint"))
    return _update_api_destination(self, name, **kwargs)


def _secret_free(parameters: Any) -> Any:
    """Invocation parameters without the values marked secret."""
    if not isinstance(parameters, dict):
        return parameters
    out: dict[str, Any] = {}
    for group, items in parameters.items():
        out[group] = [
            {k: v for k, v in p.items() if not (k == "Value" and p.get("IsValueSecret"))}
            for p in items or []
        ]
    return out


def _auth_response(auth: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "ApiKeyAuthParameters" in auth:
        out["ApiKeyAuthParameters"] = {"ApiKeyName": auth["ApiKeyAuthParameters"].get("ApiKeyName")}
    if "BasicAuthParameters" in auth:
        out["BasicAuthParameters"] = {"Username": auth["BasicAuthParameters"].get("Username")}
    if "OAuthParameters" in auth:
        oauth = auth["OAuthParameters"]
        response: dict[str, Any] = {
            "ClientParameters": {"ClientID": (oauth.get("ClientParameters") or {}).get("ClientID")},
            "AuthorizationEndpoint": oauth.get("AuthorizationEndpoint"),
            "HttpMethod": oauth.get("HttpMethod"),
        }
        if oauth.get("OAuthHttpParameters") is not None:
            response["OAuthHttpParameters"] = _secret_free(oauth["OAuthHttpParameters"])
        out["OAuthParameters"] = response
    if auth.get("InvocationHttpParameters") is not None:
        out["InvocationHttpParameters"] = _secret_free(auth["InvocationHttpParameters"])
    return out


# Gap [M]: DescribeConnection echoes AuthParameters verbatim: the API key, password, client
# secret and secret parameter values go back on the wire. [BOTO ConnectionAuthResponseParameters]
# has only the key's name, the user name, the client id, and parameters without secret values.
def _handle_describe_connection(self: Any) -> tuple[str, dict[str, Any]]:
    connection = self.events_backend.connections.get(self._get_param("Name"))
    if connection is None:
        raise ResourceNotFoundException(f"Connection '{self._get_param('Name')}' does not exist.")
    body: dict[str, Any] = {
        "AuthorizationType": connection.authorization_type,
        "AuthParameters": _auth_response(connection.auth_parameters or {}),
        "ConnectionArn": connection.arn,
        "ConnectionState": connection.state,
        "CreationTime": connection.creation_time,
        "LastModifiedTime": getattr(connection, "last_modified_time", connection.creation_time),
        "LastAuthorizedTime": connection.creation_time,
        "Name": connection.name,
        "SecretArn": connection.secret_arn,
    }
    if connection.description is not None:
        body["Description"] = connection.description
    return json.dumps(body), self.response_headers


# Gap [M]: DeleteConnection answers the state AUTHORIZED; [API DeleteConnection] DELETING.
_handle_delete_connection = Handler.delete_connection


def _delete_connection_handler(self: Any) -> tuple[str, dict[str, Any]]:
    body, headers = _handle_delete_connection(self)
    doc = json.loads(body)
    doc["ConnectionState"] = "DELETING"
    return json.dumps(doc), headers


# Gap [M]: ListEventSources is not implemented (HTTP 500). [BOTO ListEventSources]
def _handle_list_event_sources(self: Any) -> str:
    prefix = self._get_param("NamePrefix")
    limit = int(self._get_param("Limit") or 100)
    start = int(self._get_param("NextToken") or 0)
    sources = self.events_backend.list_event_sources(prefix)
    page = sources[start : start + limit]
    out: dict[str, Any] = {"EventSources": [s.to_dict() for s in page]}
    if start + limit < len(sources):
        out["NextToken"] = str(start + limit)
    return json.dumps(out)


# Gap [M]: TestEventPattern is a stub answering an empty body (the Rust SDK reads it as false).
# [API TestEventPattern] the event must carry id, account, source, time, region, resources and
# detail-type [E: message]; the pattern is matched with EventBridge's semantics.
def _handle_test_event_pattern(self: Any) -> str:
    try:
        pattern = _patterns.parse(self._get_param("EventPattern") or "")
        event = json.loads(self._get_param("Event") or "")
    except RequestRefused as e:
        raise _refuse(e.code, e.message) from None
    except ValueError:
        raise _refuse("ValidationException", "Parameter Event is not valid. Reason: not JSON.") from None
    required = ("id", "account", "source", "time", "region", "resources", "detail-type")
    missing = [f for f in required if not isinstance(event, dict) or f not in event]
    if missing:
        raise _refuse(
            "ValidationException",
            f"Parameter Event is not valid. Reason: Provided Event is missing required field(s) "
            f"{', '.join(missing)}.",
        )
    return json.dumps({"Result": _patterns.matches(pattern, event)})


_installed: list[bool] = []


def install(engine: Deliveries) -> None:
    """Applies the fixes to moto (once per process) and makes `engine` deliver."""
    _state["deliveries"] = engine
    if _installed:
        return
    _installed.append(True)
    fixes: list[tuple[Any, str, Any]] = [
        (Backend, "_normalize_event_bus_arn", _normalize_event_bus_arn),
        (models.PartnerEventSource, "__init__", _partner_source_init),
        (models.PartnerEventSource, "to_dict", _partner_source_to_dict),
        (Backend, "describe_event_source", _describe_event_source),
        (Backend, "create_partner_event_source", _create_partner_source),
        (Backend, "list_event_sources", _list_event_sources),
        (Backend, "create_event_bus", _create_bus),
        (Backend, "delete_event_bus", _delete_bus),
        (Backend, "put_rule", _put),
        (models.EventPatternParser, "parse", _parse_pattern),
        (models.EventPattern, "matches_event", _matches_event),
        (Backend, "delete_rule", _delete),
        (Backend, "list_tags_for_resource", _list_tags),
        (Backend, "tag_resource", _tag),
        (Backend, "untag_resource", _untag),
        (Backend, "put_targets", _targets),
        (models.Rule, "send_to_targets", _send),
        (EventTemplateParser, "parse", staticmethod(_parse_template)),
        (Backend, "put_partner_events", _put_partner_events),
        (Handler, "put_partner_events", _handle_put_partner_events),
        (Backend, "create_connection", _create_conn),
        (Backend, "update_connection", _update_connection),
        (Backend, "create_api_destination", _create_dest),
        (Backend, "update_api_destination", _update_dest),
        (Handler, "describe_connection", _handle_describe_connection),
        (Handler, "delete_connection", _delete_connection_handler),
        (Handler, "list_event_sources", _handle_list_event_sources),
        (Handler, "test_event_pattern", _handle_test_event_pattern),
    ]
    for owner, name, value in fixes:
        setattr(owner, name, value)
