"""Types for annotating code that uses genesys_resolver: the payload's dict shape and the names
the package's enumerated strings take.

::

    from genesys_resolver.types import Payload

    payload: Payload = {
        "name": "orders-webhook",
        "type": "webhook",
        "uri": "https://hooks.example.com/genesys",
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5.0, "backoffFactor": 2.0},
        "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations"}],
    }

Everything here is for type checkers; at run time the payload is a plain ``dict``.
"""

from __future__ import annotations

from typing import Dict, List, Literal, TypedDict

__all__ = [
    "Action",
    "CertificateKind",
    "ChangeAction",
    "DeployStep",
    "ErrorKind",
    "EventFilter",
    "EventSource",
    "MockRoute",
    "Operation",
    "Payload",
    "RetryPolicy",
    "Route",
    "RouteOAuth",
    "ResourceKind",
    "Stage",
    "TlsVersions",
    "Upstream",
    "Verdict",
]

Verdict = Literal[
    "not_sent", "delivered", "retried", "dropped", "dead_lettered", "too_large", "refused"
]
"""EventBridge's verdict for one destination's delivery of a rehearsed event: ``delivered``
(2xx), ``retried`` (429, 5xx, a timeout, no connection), ``dropped`` or ``dead_lettered`` (other
answers), ``too_large`` (over 256 KiB, never sent), ``refused`` (the address policy), ``not_sent``."""

EventSource = Literal["sample", "schema", "builtin"]
"""Where a rehearsed event came from."""


class RetryPolicy(TypedDict):
    """How the event bus retries a failed delivery (``retryPolicy``)."""

    # How many times a failed delivery is retried (0 to 5 by default limits).
    maxRetries: int
    # Seconds before the first retry.
    retryInterval: float
    # Multiplier applied to the interval after each retry.
    backoffFactor: float


class _EventFilterRequired(TypedDict):
    # A Genesys notification topic such as v2.routing.queues.{id}.conversations.
    eventType: str


class EventFilter(_EventFilterRequired, total=False):
    """One event type to deliver (``eventFilters`` entry)."""

    # Fields of the event to deliver; all when absent or empty.
    fields: List[str]


class _PayloadRequired(TypedDict):
    # The integration's name; integrations are matched by it.
    name: str
    # The integration type (webhook unless the limits allow others).
    type: str
    # The primary destination, an https:// URI.
    uri: str
    retryPolicy: RetryPolicy
    eventFilters: List[EventFilter]


class Payload(_PayloadRequired, total=False):
    """An event-routing endpoint configuration in the seed's JSON shape, as ``build_payload``
    returns it and ``validate``, ``to_wire_json`` and ``Resolver.resolve`` take it."""

    # Further destination URIs.
    uris: List[str]
    # Headers sent with every delivery.
    headers: Dict[str, str]


# --- The route deployer ------------------------------------------------------------------


class _RouteRequired(Payload):
    # The 12-digit AWS account receiving the events.
    awsAccountId: str
    # Its region (us-east-1, ...).
    awsRegion: str
    # The partner event source's suffix (up to 64 of [A-Za-z0-9._-]).
    eventSourceSuffix: str
    # The IAM role EventBridge assumes to invoke the API destinations (missing or empty is a
    # ``roleArn`` violation).
    roleArn: str


class _OAuthRequired(TypedDict):
    # The token endpoint (https://).
    authorizationEndpoint: str
    # The token request's method: GET, POST or PUT.
    httpMethod: str
    clientId: str
    clientSecret: str


class RouteOAuth(_OAuthRequired, total=False):
    """A route's OAuth client-credentials block: the connections' auth instead of an
    ``Authorization`` header (never both)."""

    # Sent as the token request's body parameter ``scope``.
    scope: str
    bodyParameters: Dict[str, str]
    queryStringParameters: Dict[str, str]
    headerParameters: Dict[str, str]


class Route(_RouteRequired, total=False):
    """A route as ``RouteDeployer`` takes it: a payload plus where it lands in AWS. Unlike a
    payload's, its ``headers`` may hold ``Authorization`` (``Basic ...``: Basic auth; any other
    value: an API key named ``Authorization``)."""

    # The Genesys organisation id; empty or absent: read from Genesys.
    organizationId: str
    # An SQS queue ARN for events that could not be delivered.
    deadLetterArn: str
    # InvocationRateLimitPerSecond of every API destination (1-300).
    invocationRateLimit: int
    # OAuth client credentials as the connections' auth.
    oauth: RouteOAuth
    # How EventBridge reaches the destinations: "public" (the default) or "private" (private
    # connectivity: `check` skips its public-address rule). Anything else is a
    # ``connectivity_unknown`` violation.
    connectivity: Literal["public", "private"]


ResourceKind = Literal["integration", "event_bus", "connection", "api_destination", "rule", "target"]
"""A kind of resource a deployer manages (``kind`` of a change in plans and reports)."""


ErrorKind = Literal[
    "validation",
    "address_policy",
    "dns",
    "connect",
    "tls",
    "health",
    "probe_timeout",
    "auth",
    "genesys_unreachable",
    "api",
    "rate_limited",
    "transport",
    "config",
    "conflict",
    "activation_failed",
    "activation_timeout",
    "deletion_timeout",
    "ambiguous",
    "invalid_response",
    "coordination",
    "aws_api",
    "aws_throttled",
    "aws_unreachable",
    "aws_access_denied",
    "aws_limit_exceeded",
    "other",
]
"""``ResolverError.kind``: the core's error kinds, and ``other`` for a kind newer than this
package (raised as the base class)."""

Upstream = Literal["genesys", "aws", "destination", "local"]
"""``ResolverError.upstream``: the party a failure lies with."""

Stage = Literal["validate", "probe", "token", "route_mapping", "submit"]
"""``ResolverError.stage`` and the keys of ``ResolveReport.stages``, in pipeline order."""

Operation = Literal["resolve", "deploy"]
"""``audit.AuditRecord.operation``: a resolve (or its dry run) or a deploy (an EventBridge or route
operation, or its plan)."""

Action = Literal["created", "updated", "unchanged", "disabled", "deleted"]
"""How an operation ended: ``ResolveReport.action``, ``DeployReport.action``, ``LifecycleReport.action``,
``RouteReport.action``, ``RouteDestroyReport.action``."""

ChangeAction = Literal["create", "update", "delete", "nothing"]
"""What happens to one resource: ``Plan.action``, ``RoutePlan.action`` and the ``action`` of every
change in plans and reports."""

DeployStep = Literal[
    "validate",
    "topics",
    "lookup",
    "create",
    "read_config",
    "write_config",
    "enable",
    "activate",
    "organization",
    "disable",
    "delete",
]
"""``ResolverError.step``: the EventBridge deploy step that failed; ``DeployReport.writes``: the
steps that wrote."""


MockRoute = Literal[
    "token",
    "create",
    "list",
    "get",
    "update",
    "delete",
    "integration_list",
    "integration_create",
    "integration_get",
    "integration_patch",
    "integration_delete",
    "integration_types",
    "integration_type",
    "config_get",
    "config_put",
    "available_topics",
    "organization",
]
"""The routes of ``testing.MockGenesys`` (``push_fault``, ``requests``, ``request_log``)."""

CertificateKind = Literal["valid", "expired", "not_yet_valid", "wrong_host", "unknown_ca", "expiring"]
"""``testing.TlsDestination(certificate=...)``."""

TlsVersions = Literal["1.2+1.3", "1.2", "1.3"]
"""``testing.TlsDestination(tls_versions=...)``."""
