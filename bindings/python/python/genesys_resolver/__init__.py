"""Validate, verify and deploy Genesys Cloud event-routing endpoint configurations.

Payloads are plain dicts in the seed's JSON shape (``name``, ``type``, ``uri``, ``uris``,
``retryPolicy``, ``eventFilters``, ``headers``)::

    import genesys_resolver as gr

    payload = gr.build_payload(
        "orders-webhook",
        "https://hooks.example.com/genesys",
        ["v2.routing.queues.{id}.conversations"],
    )
    gr.validate(payload)            # raises gr.ValidationError listing every violation
    print(gr.to_wire_json(payload))  # byte for byte what the seed's Go code sends

A :class:`Resolver` proves a payload sound (schema rules, DNS, address policy, TLS, health of
every destination) and deploys it to Genesys Cloud::

    resolver = gr.Resolver("eu_west_1", client_id, client_secret)
    report = resolver.resolve(payload)      # or resolver.check(payload): a dry run
    print(report.action, report.integration_id)

An :class:`EventBridgeDeployer` plans and applies an Amazon EventBridge source integration (the
real way to route Genesys events to an event bus) idempotently::

    desired = gr.EventBridgeIntegration(
        "orders-to-aws", "123456789012", "eu-west-1", "orders",
        ["v2.routing.queues.{id}.conversations"],
    )
    desired.validate()                       # raises gr.ValidationError listing every violation
    deployer = gr.EventBridgeDeployer("eu_west_1", client_id, client_secret, check_topics=True)
    plan = deployer.plan(desired)            # reads only: create, update (changes), enable, nothing
    report = deployer.apply(desired)         # report.action, report.reported_state["code"]
    deployer.disable(desired.name)           # idempotent; delete() waits until it is gone
    deployer.sync([desired], prune=True)     # desired state; prune deletes undeclared ones

Every error is a :class:`ResolverError` naming the failed ``stage``, its ``kind`` and its
``upstream`` (``genesys``, ``aws``, ``destination`` or ``local``), with one class per kind: :class:`ValidationError` (also a ``ValueError``), :class:`AddressPolicyError`,
:class:`DnsError`, :class:`TlsError`, :class:`HealthCheckError` (with its subclasses
:class:`ConnectError` and :class:`ProbeTimeoutError`), :class:`AuthError` (with
:class:`GenesysUnreachableError`: the login host could not be reached),
:class:`GenesysApiError` (with :class:`RateLimitedError` and :class:`TransportError`),
:class:`ConfigError`, :class:`CoordinationError`, and :class:`DeployError` (``step``,
``integration_id``, ``detail``) with :class:`ConflictError`, :class:`ActivationFailedError`,
:class:`ActivationTimeoutError`, :class:`DeletionTimeoutError`, :class:`AmbiguousError` and
:class:`InvalidResponseError`, and :class:`AwsError` for every AWS failure of a route (``code``,
``operation``, ``resource``).
Errors, reports and violations pickle and copy (a ``ProcessPoolExecutor`` returns them whole). Blocking calls release the GIL
and stop on Ctrl-C; ``resolve_async``, ``check_async``, ``resolve_many_async``, ``plan_async``
and ``apply_async`` are awaitable. Diagnostics and audit records go to the ``logging`` logger
``genesys_resolver`` (one INFO line per operation); ``audit=`` on a resolver or deployer takes a
callable given each operation's record as an object (:mod:`genesys_resolver.audit`).
:mod:`genesys_resolver.testing` has a mock Genesys and local HTTPS
destinations for testing scripts; :mod:`genesys_resolver.types` the ``Payload`` ``TypedDict``
and the ``Literal`` names of kinds, stages and actions, for annotations.
"""

from ._native import (
    ActivationFailedError,
    ActivationTimeoutError,
    AddressPolicyError,
    AmbiguousError,
    AuthError,
    AwsError,
    ConfigError,
    ConflictError,
    ConnectError,
    CoordinationError,
    DeletionTimeoutError,
    DeployError,
    DeployReport,
    DnsError,
    EventBridgeDeployer,
    EventBridgeIntegration,
    GenesysApiError,
    GenesysUnreachableError,
    HealthCheckError,
    InvalidResponseError,
    LifecycleReport,
    Plan,
    ProbeReport,
    ProbeTimeoutError,
    RateLimitedError,
    ResolveReport,
    Resolver,
    ResolverError,
    RouteCheckReport,
    RehearseReport,
    RouteDeployer,
    RouteDestroyReport,
    RoutePlan,
    RouteReport,
    SyncPlan,
    SyncReport,
    TlsError,
    TransportError,
    ValidationError,
    Violation,
    __version__,
    build_payload,
    to_wire_json,
    validate,
)

__all__ = [
    "ActivationFailedError",
    "ActivationTimeoutError",
    "AddressPolicyError",
    "AmbiguousError",
    "AuthError",
    "AwsError",
    "ConfigError",
    "ConflictError",
    "ConnectError",
    "CoordinationError",
    "DeletionTimeoutError",
    "DeployError",
    "DeployReport",
    "DnsError",
    "EventBridgeDeployer",
    "EventBridgeIntegration",
    "GenesysApiError",
    "GenesysUnreachableError",
    "HealthCheckError",
    "InvalidResponseError",
    "LifecycleReport",
    "Plan",
    "ProbeReport",
    "ProbeTimeoutError",
    "RateLimitedError",
    "ResolveReport",
    "Resolver",
    "ResolverError",
    "RouteCheckReport",
    "RehearseReport",
    "RouteDeployer",
    "RouteDestroyReport",
    "RoutePlan",
    "RouteReport",
    "SyncPlan",
    "SyncReport",
    "TlsError",
    "TransportError",
    "ValidationError",
    "Violation",
    "__version__",
    "build_payload",
    "to_wire_json",
    "validate",
]
