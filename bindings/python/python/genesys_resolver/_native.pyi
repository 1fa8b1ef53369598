"""Type stubs of the native module ``genesys_resolver._native`` (checked by ``mypy.stubtest``)."""

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Final, NoReturn, Optional, Protocol, Sequence, TypedDict, Union, final

from .audit import AuditCallback
from .reports import (
    DeployReportDict,
    ErrorReportDict,
    EventBridgeIntegrationDict,
    FieldChange,
    HealthReport,
    IntegrationProperties,
    LifecycleReportDict,
    MetricsSnapshot,
    PhaseTimings,
    PlanDict,
    ProbeFailure,
    ProbeReportDict,
    ReachReportDict,
    ReportedState,
    ResolveReportDict,
    ResourceChange,
    RouteCheckReportDict,
    RehearseReportDict,
    EventRehearsalDict,
    DestinationRehearsalDict,
    RouteDestroyReportDict,
    RoutePlanDict,
    RouteReportDict,
    StepTiming,
    SyncPlanDict,
    SyncReportDict,
    TlsReport,
    ViolationDict,
)
from .types import (
    Action,
    CertificateKind,
    ChangeAction,
    DeployStep,
    ErrorKind,
    MockRoute,
    Payload,
    Route,
    Stage,
    TlsVersions,
    Upstream,
)

__version__: Final[str]
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
    "MockGenesys",
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
    "TestCa",
    "TlsDestination",
    "TlsError",
    "TransportError",
    "ValidationError",
    "Violation",
    "__version__",
    "_raise_error",
    "_read_json",
    "_runtime_state",
    "_sleep",
    "_sleep_async",
    "build_payload",
    "to_wire_json",
    "validate",
]

_PayloadIn = Union[Payload, dict[str, Any]]
"""A payload in the seed's JSON shape (``genesys_resolver.types.Payload``: ``name``, ``type``,
``uri``, ``uris``, ``retryPolicy`` {``maxRetries``, ``retryInterval``, ``backoffFactor``},
``eventFilters`` [{``eventType``, ``fields``}] and ``headers``), or any dict (say, read from JSON):
every key and type is checked at run time, each problem a violation."""

_Limits = Mapping[str, Union[int, float, Sequence[str]]]

class _RouteTarget(TypedDict, total=False):
    """``Resolver(route=...)``: what the real route needs beside each payload (the core's
    ``RouteTargetSettings``; the ``RESOLVER_ROUTE_*`` variables of ``from_env``)."""

    aws_account_id: str
    """The 12-digit AWS account receiving the events (required)."""
    aws_region: str
    """Its region, ``us-east-1`` say (required); the EventBridge client's region too."""
    role_arn: str
    """The IAM role EventBridge assumes to invoke the API destinations (required)."""
    dead_letter_arn: Optional[str]
    """An SQS queue for events that could not be delivered."""
    event_source_suffix: Optional[str]
    """The rule of each payload's partner event source suffix: ``{name}`` once (default
    ``{name}``)."""
    organization_id: Optional[str]
    """The Genesys organisation id; unset: read from Genesys."""
    aws_endpoint_url: Optional[str]
    """The EventBridge endpoint (an emulator's), over the AWS chain's ``AWS_ENDPOINT_URL``."""
    check_topics: bool
    activation_timeout: Optional[float]
    poll_interval: Optional[float]
    max_poll_interval: Optional[float]
    source_timeout: Optional[float]
    """Seconds to wait for Genesys' partner event source (default 120)."""
    source_poll_interval: Optional[float]
"""Validation limits by ``Limits`` field name: ``max_uris``, ``max_retries``,
``min_backoff_factor``, ``max_backoff_factor``, ``max_retry_interval``, ``max_name_chars``,
``allowed_types``, ``max_payload_bytes``. Missing keys keep the defaults."""

@final
class Violation:
    """One broken rule: ``path`` (JSON path, empty for the whole payload), ``code`` (stable rule
    name such as ``uri_not_https``) and ``message``."""

    @property
    def path(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    def __new__(cls, path: str, code: str, message: str) -> Violation: ...
    def __reduce__(self) -> tuple[type[Violation], tuple[str, str, str]]: ...
    def to_dict(self) -> ViolationDict: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

class ResolverError(Exception):
    """Base class of every error genesys_resolver raises."""

    stage: Optional[Stage]
    """The pipeline stage that failed (``validate``, ``route_mapping``, ``probe``, ``token``,
    ``submit``), or None for errors outside the pipeline."""
    kind: ErrorKind
    """The core's error classification (``validation``, ``dns``, ``rate_limited``, ...); each
    kind has its own class, ``other`` (a kind newer than this package) the base class."""
    upstream: Optional[Upstream]
    """The party the failure lies with: ``genesys``, ``aws``, ``destination`` or ``local``."""
    retryable: bool
    """Whether trying again later can help."""
    endpoints: list[ProbeReport]
    """For probe-stage errors: the report of every endpoint, failing ones first."""
    step: Optional[DeployStep]
    """For EventBridge plans and applies: the deploy step that failed (``validate``, ``topics``,
    ``lookup``, ``create``, ``read_config``, ``write_config``, ``enable``, ``activate``)."""
    def to_dict(self) -> ErrorReportDict:
        """The error in the core's JSON form (the fields of the service's answers and the command
        line's JSON): ``kind``, ``stage``, ``upstream``, ``message``, ``retryable`` and, where
        present, ``violations``, ``endpoints``, ``status``, ``code``, ``correlation_id``,
        ``retry_after_secs``, ``step``, ``integration_id``, ``detail``, ``operation`` and
        ``resource``.

        Every error pickles and copies with its class, attributes and ``to_dict()`` intact
        (say, across a ``ProcessPoolExecutor``)."""

class ValidationError(ResolverError, ValueError):
    """The payload breaks the schema rules; ``violations`` lists every problem."""

    violations: list[Violation]

class AddressPolicyError(ResolverError):
    """A destination resolves to an address the policy forbids."""

class DnsError(ResolverError):
    """A destination's host name could not be resolved."""

class TlsError(ResolverError):
    """The TLS handshake with a destination failed."""

class HealthCheckError(ResolverError):
    """A destination's health check failed (kind ``health``); the base of ``ConnectError`` and
    ``ProbeTimeoutError``."""

class ConnectError(HealthCheckError):
    """A destination refused the TCP connection (kind ``connect``)."""

class ProbeTimeoutError(HealthCheckError):
    """A destination did not answer in time (kind ``probe_timeout``)."""

class AuthError(ResolverError):
    """Genesys Cloud refused the client credentials or the token (kind ``auth``); the base of
    ``GenesysUnreachableError``."""

    status: Optional[int]
    code: Optional[str]
    correlation_id: Optional[str]

class GenesysUnreachableError(AuthError):
    """Genesys Cloud's login host could not be reached or did not answer in time (kind
    ``genesys_unreachable``; ``status`` None). Retryable."""

class GenesysApiError(ResolverError):
    """The Genesys Cloud API answered with an error (kind ``api``); the base of
    ``RateLimitedError`` and ``TransportError``."""

    status: Optional[int]
    code: Optional[str]
    correlation_id: Optional[str]

class RateLimitedError(GenesysApiError):
    """Genesys Cloud rate-limited the request; ``retry_after`` is in seconds."""

    retry_after: Optional[float]

class TransportError(GenesysApiError):
    """Genesys Cloud could not be reached or did not answer in time (kind ``transport``;
    ``status`` None)."""

class ConfigError(ResolverError):
    """A bad setting, environment variable or option (kind ``config``), named in the message."""

class CoordinationError(ResolverError):
    """Concurrent callers could not be coordinated (kind ``coordination``): Redis unreachable,
    the turn on the name not had in time, or a lease lost. Retryable."""

class AwsError(ResolverError):
    """Amazon EventBridge failed a route's call (``upstream`` ``aws``): ``kind`` is ``aws_api``,
    ``aws_throttled``, ``aws_unreachable``, ``aws_access_denied`` or ``aws_limit_exceeded``."""

    status: Optional[int]
    code: Optional[str]
    """AWS's error code (``ThrottlingException``, ...), when AWS answered."""
    correlation_id: Optional[str]
    operation: Optional[str]
    """The API operation that failed (``CreateConnection``, ...)."""
    resource: Optional[str]
    """The resource concerned (``rule genesys-orders-1a2b3c4d``, ...)."""

class DeployError(ResolverError):
    """Deploying an EventBridge integration failed after Genesys answered: ``kind`` is
    ``conflict``, ``activation_failed``, ``activation_timeout``, ``ambiguous`` or
    ``invalid_response``."""

    integration_id: Optional[str]
    """The integration concerned, when one was known."""
    detail: Optional[str]
    """Genesys' explanation of an ERROR state (``activation_failed``)."""

class ConflictError(DeployError):
    """The configuration kept changing under the deploy (kind ``conflict``). Try again."""

class ActivationFailedError(DeployError):
    """The integration reported ERROR (kind ``activation_failed``); see ``detail``."""

class ActivationTimeoutError(DeployError):
    """The integration did not become ACTIVE in time (kind ``activation_timeout``)."""

class DeletionTimeoutError(DeployError):
    """A deleted integration was still there when the wait ran out (kind ``deletion_timeout``)."""

class AmbiguousError(DeployError):
    """Several integrations carry the name (kind ``ambiguous``); delete the extras with
    ``EventBridgeDeployer.delete_id``."""

class InvalidResponseError(DeployError):
    """Genesys answered success with a body the deployer cannot use (kind ``invalid_response``)."""

@final
class ProbeReport:
    """What probing one endpoint found."""

    @property
    def uri(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def addresses(self) -> list[str]: ...
    @property
    def connected_to(self) -> Optional[str]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def failure(self) -> Optional[ProbeFailure]: ...
    @property
    def tls(self) -> Optional[TlsReport]: ...
    @property
    def health(self) -> Optional[HealthReport]: ...
    @property
    def phases(self) -> PhaseTimings:
        """Milliseconds per phase (``resolve``, ``connect``, ``tls``, ``first_byte``; None for
        one that did not run) and ``total``."""
    @property
    def warnings(self) -> list[str]: ...
    @property
    def from_cache(self) -> bool: ...
    def to_dict(self) -> ProbeReportDict: ...
    def __reduce__(self) -> tuple[Callable[[str], ProbeReport], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> ProbeReport: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class ResolveReport:
    """What a resolve (or a dry-run check) found and did."""

    @property
    def integration_name(self) -> str: ...
    @property
    def action(self) -> Action:
        """``created``, ``updated`` or ``unchanged``."""
    @property
    def dry_run(self) -> bool: ...
    @property
    def integration_id(self) -> Optional[str]: ...
    @property
    def recovered(self) -> bool: ...
    @property
    def endpoints(self) -> list[ProbeReport]: ...
    @property
    def stages(self) -> dict[Stage, float]:
        """Milliseconds per stage that ran, in pipeline order."""
    @property
    def warnings(self) -> list[str]: ...
    @property
    def correlation_id(self) -> Optional[str]: ...
    @property
    def latency_ms(self) -> float: ...
    @property
    def target(self) -> Optional[str]:
        """Where the events go, for a resolver deploying the real route
        (``route://<region>/<account>/<suffix>``); None for the seed's integrations route."""
    @property
    def route(self) -> Optional[Union[RouteReportDict, RoutePlanDict]]:
        """The route's own report (for a check, its plan) in the core's JSON form, for a
        resolver deploying the real route; None for the seed's integrations route."""
    def to_dict(self) -> ResolveReportDict: ...
    def __reduce__(self) -> tuple[Callable[[str], ResolveReport], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> ResolveReport: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class Resolver:
    """Validates, probes and deploys payloads to one Genesys Cloud organisation.

    Options (keyword-only; None keeps the default):

    - ``environment``: the Genesys Cloud region (``eu_west_1``, ``mypurecloud.com``) or a base
      URL; ``client_id``, ``client_secret``: the OAuth client-credentials client.
    - ``allow_cidrs``: address ranges probes may reach although the policy forbids them
      (loopback, private, link-local); by default only public addresses are probed.
    - ``loopback``: True allows ``127.0.0.0/8`` and ``::1`` besides ``allow_cidrs``, for local
      test destinations. Both, because ``localhost`` resolves to ``::1`` as well as
      ``127.0.0.1`` and every address a name resolves to is checked: allowing only
      ``127.0.0.0/8`` fails on ``::1`` with an ``AddressPolicyError``.
    - ``ca_file``: a PEM file of extra trust anchors for destinations and Genesys; ``ca_pem``:
      the same as PEM text (one text or a list).
    - ``integrations_path``: the API route payloads are posted to.
    - ``probe_concurrency``: endpoints probed at once per call.
    - ``rate_limit_per_minute``: Genesys requests per minute; ``write_rate_limit_per_minute``:
      creates and updates per minute, paced on their own.
    - ``health_timeout``: seconds an endpoint has to answer its health check.
    - ``request_timeout``: seconds one Genesys request may take; ``max_attempts``: tries per
      Genesys request (retries on 429, 5xx and transport errors).
    - ``limits``: validation limits by name (see ``_Limits``).
    - ``hosts``: a name table (name to addresses) used instead of DNS.
    - ``redis_url`` (``redis://host:port/db``): connects to Redis for one lease per integration
      name (held at most ``lease_ttl`` seconds without renewal; an operation waits at most
      ``lease_wait`` seconds for its turn) and rate limits shared by every process using it.
    - ``route`` (see ``_RouteTarget``): deploy the real route (the Genesys EventBridge
      integration, the partner event bus, rules and API destinations to the payload's HTTPS
      endpoints) instead of the seed's integrations route; AWS credentials come from the
      standard AWS chain. Each report's ``route`` is then the route's report.
    - ``audit``: a callable given each operation's ``genesys_resolver.audit.AuditRecord``
      (``audit.AuditLog()`` keeps them); the record is logged to ``genesys_resolver.audit``
      either way.

    Bad options raise ``ConfigError`` naming the option; an unreachable Redis
    ``CoordinationError``; an ``audit`` that is not callable ``TypeError``."""

    def __new__(
        cls,
        environment: str,
        client_id: str,
        client_secret: str,
        *,
        allow_cidrs: Optional[Sequence[str]] = None,
        ca_file: Union[str, os.PathLike[str], None] = None,
        ca_pem: Union[str, Sequence[str], None] = None,
        integrations_path: Optional[str] = None,
        probe_concurrency: Optional[int] = None,
        rate_limit_per_minute: Optional[int] = None,
        write_rate_limit_per_minute: Optional[int] = None,
        health_timeout: Optional[float] = None,
        request_timeout: Optional[float] = None,
        max_attempts: Optional[int] = None,
        limits: Optional[_Limits] = None,
        hosts: Optional[Mapping[str, Union[str, Sequence[str]]]] = None,
        redis_url: Optional[str] = None,
        lease_ttl: Optional[float] = None,
        lease_wait: Optional[float] = None,
        loopback: bool = False,
        route: Optional[_RouteTarget] = None,
        audit: Optional[AuditCallback] = None,
    ) -> Resolver: ...
    @classmethod
    def from_env(
        cls,
        *,
        environment: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        allow_cidrs: Optional[Sequence[str]] = None,
        ca_file: Union[str, os.PathLike[str], None] = None,
        ca_pem: Union[str, Sequence[str], None] = None,
        integrations_path: Optional[str] = None,
        probe_concurrency: Optional[int] = None,
        rate_limit_per_minute: Optional[int] = None,
        write_rate_limit_per_minute: Optional[int] = None,
        health_timeout: Optional[float] = None,
        request_timeout: Optional[float] = None,
        max_attempts: Optional[int] = None,
        limits: Optional[_Limits] = None,
        hosts: Optional[Mapping[str, Union[str, Sequence[str]]]] = None,
        redis_url: Optional[str] = None,
        lease_ttl: Optional[float] = None,
        lease_wait: Optional[float] = None,
        loopback: bool = False,
        route: Optional[_RouteTarget] = None,
        audit: Optional[AuditCallback] = None,
    ) -> Resolver:
        """A resolver configured as the service is: ``GENESYS_ENVIRONMENT``,
        ``GENESYS_CLIENT_ID``, ``GENESYS_CLIENT_SECRET``, ``RESOLVER_INTEGRATIONS_PATH``,
        ``RESOLVER_REQUEST_TIMEOUT_SECS``, ``RESOLVER_MAX_ATTEMPTS``,
        ``RESOLVER_RATE_LIMIT_PER_MINUTE``, ``RESOLVER_WRITE_RATE_LIMIT_PER_MINUTE``,
        ``RESOLVER_CA_FILE`` (comma-separated), ``RESOLVER_ALLOW_CIDRS`` (comma-separated),
        ``RESOLVER_HEALTH_TIMEOUT_SECS``, ``RESOLVER_PROBE_CONCURRENCY``,
        ``RESOLVER_PROBE_CACHE_TTL_SECS``, ``RESOLVER_REDIS_URL``, ``RESOLVER_LEASE_TTL_SECS``,
        ``RESOLVER_LEASE_WAIT_SECS``, ``RESOLVER_REDIS_KEY_PREFIX``, and for the real route
        ``RESOLVER_DEPLOY_TARGET=route`` with ``RESOLVER_ROUTE_AWS_ACCOUNT_ID``,
        ``RESOLVER_ROUTE_AWS_REGION``, ``RESOLVER_ROUTE_ROLE_ARN``,
        ``RESOLVER_ROUTE_DEAD_LETTER_ARN``, ``RESOLVER_ROUTE_EVENT_SOURCE_SUFFIX`` and
        ``RESOLVER_ROUTE_ORGANIZATION_ID``. A keyword given replaces its variable; a bad variable
        raises ``ResolverError`` (kind ``config``) naming it."""
    def resolve(self, payload: _PayloadIn) -> ResolveReport: ...
    def check(self, payload: _PayloadIn) -> ResolveReport: ...
    def resolve_many(
        self, payloads: Iterable[_PayloadIn], concurrency: int = 8
    ) -> list[Union[ResolveReport, ResolverError]]: ...
    def resolve_many_async(
        self, payloads: Iterable[_PayloadIn], concurrency: int = 8
    ) -> Awaitable[list[Union[ResolveReport, ResolverError]]]:
        """``resolve_many`` as an asyncio awaitable."""
    def resolve_async(self, payload: _PayloadIn) -> Awaitable[ResolveReport]: ...
    def check_async(self, payload: _PayloadIn) -> Awaitable[ResolveReport]: ...
    def metrics(self) -> MetricsSnapshot: ...
    def prometheus(self) -> str: ...

_Change = FieldChange
"""One field that differs: ``field`` (a configuration property, ``notes``, ``intendedState``,
``reportedState``, an AWS field), ``current`` (what is there, None when absent) and ``desired``
(``genesys_resolver.reports.FieldChange``)."""

_ResourceChange = ResourceChange
"""One resource of a plan or report: ``kind`` (a ``ResourceKind``), ``name``, ``action`` (a
``ChangeAction``) and ``changes`` (its field changes) (``genesys_resolver.reports.ResourceChange``)."""

@final
class EventBridgeIntegration:
    """The desired state of an Amazon EventBridge source integration."""

    def __new__(
        cls,
        name: str,
        aws_account_id: str,
        aws_region: str,
        event_source_suffix: str,
        topics: Iterable[str],
        *,
        notes: Optional[str] = None,
    ) -> EventBridgeIntegration: ...
    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> EventBridgeIntegration:
        """Reads the JSON form (``name``, ``awsAccountId``, ``awsRegion``,
        ``eventSourceSuffix``, ``topics``, optional ``notes``)."""
    @property
    def name(self) -> str: ...
    @property
    def aws_account_id(self) -> str: ...
    @property
    def aws_region(self) -> str: ...
    @property
    def event_source_suffix(self) -> str: ...
    @property
    def topics(self) -> list[str]: ...
    @property
    def notes(self) -> Optional[str]: ...
    def validate(self) -> None:
        """Checks every rule; raises ``ValidationError`` listing every violation."""
    def violations(self) -> list[Violation]: ...
    def properties(self) -> IntegrationProperties:
        """The ``properties`` of ``config/current`` this integration writes."""
    def to_dict(self) -> EventBridgeIntegrationDict: ...
    def __eq__(self, value: object, /) -> bool: ...

_Integration = Union[EventBridgeIntegration, Mapping[str, Any]]
"""An ``EventBridgeIntegration`` or its JSON form."""

@final
class Plan:
    """What ``EventBridgeDeployer.apply`` (or ``delete``) would do."""

    @property
    def name(self) -> str: ...
    @property
    def target(self) -> str:
        """``aws://<region>/<account id>/<event source suffix>``."""
    @property
    def event_source(self) -> Optional[str]:
        """``aws.partner/genesys.com/cloud/<organisation id>/<suffix>``."""
    @property
    def action(self) -> ChangeAction:
        """``create``, ``update``, ``nothing``, or (a delete plan) ``delete``."""
    @property
    def changes(self) -> list[_Change]:
        """Every field for a create; the configuration fields, ``intendedState`` and
        ``reportedState`` that differ for an update."""
    @property
    def is_nothing(self) -> bool: ...
    @property
    def integration_id(self) -> Optional[str]: ...
    @property
    def current_version(self) -> Optional[int]: ...
    @property
    def intended_state(self) -> Optional[str]: ...
    @property
    def reported_state(self) -> Optional[ReportedState]: ...
    @property
    def enable(self) -> bool: ...
    @property
    def correlation_id(self) -> Optional[str]: ...
    def to_dict(self) -> PlanDict: ...
    def __reduce__(self) -> tuple[Callable[[str], Plan], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> Plan: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class DeployReport:
    """What ``EventBridgeDeployer.apply`` did."""

    @property
    def name(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def event_source(self) -> str:
        """``aws.partner/genesys.com/cloud/<organisation id>/<suffix>``."""
    @property
    def integration_id(self) -> str: ...
    @property
    def action(self) -> Action:
        """``created``, ``updated``, or ``unchanged`` when only reads were sent."""
    @property
    def writes(self) -> list[DeployStep]:
        """The steps that wrote, in order: ``create``, ``write_config``, ``enable``."""
    @property
    def changed(self) -> bool: ...
    @property
    def changes(self) -> list[_Change]:
        """The fields apply made true: the plan it carried out."""
    @property
    def reported_state(self) -> ReportedState: ...
    @property
    def config_version(self) -> Optional[int]: ...
    @property
    def recovered_create(self) -> bool: ...
    @property
    def conflict_retries(self) -> int: ...
    @property
    def polls(self) -> int: ...
    @property
    def timings(self) -> list[StepTiming]:
        """``{"step", "elapsed_ms"}`` per step, in order."""
    @property
    def elapsed_ms(self) -> float: ...
    @property
    def correlation_id(self) -> Optional[str]: ...
    def to_dict(self) -> DeployReportDict: ...
    def __reduce__(self) -> tuple[Callable[[str], DeployReport], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> DeployReport: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class LifecycleReport:
    """What ``EventBridgeDeployer.disable``, ``delete`` or ``delete_id`` did."""

    @property
    def name(self) -> str: ...
    @property
    def integration_id(self) -> Optional[str]:
        """None when no integration had the name (nothing was sent)."""
    @property
    def target(self) -> str: ...
    @property
    def event_source(self) -> Optional[str]: ...
    @property
    def action(self) -> Action:
        """``disabled``, ``deleted``, or ``unchanged`` when there was nothing to do."""
    @property
    def changed(self) -> bool: ...
    @property
    def reported_state(self) -> Optional[ReportedState]: ...
    @property
    def polls(self) -> int: ...
    @property
    def timings(self) -> list[StepTiming]: ...
    @property
    def elapsed_ms(self) -> float: ...
    @property
    def correlation_id(self) -> Optional[str]: ...
    def to_dict(self) -> LifecycleReportDict: ...
    def __reduce__(self) -> tuple[Callable[[str], LifecycleReport], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> LifecycleReport: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class SyncPlan:
    """What ``EventBridgeDeployer.sync`` would do."""

    @property
    def plans(self) -> list[Plan]:
        """The declared integrations' plans, in order, then the deletes."""
    @property
    def deletes(self) -> list[Plan]: ...
    @property
    def prune(self) -> bool: ...
    @property
    def is_nothing(self) -> bool: ...
    def to_dict(self) -> SyncPlanDict: ...
    def __reduce__(self) -> tuple[Callable[[str], SyncPlan], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> SyncPlan: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class SyncReport:
    """What ``EventBridgeDeployer.sync`` did."""

    @property
    def applied(self) -> list[DeployReport]: ...
    @property
    def deleted(self) -> list[LifecycleReport]: ...
    @property
    def prune(self) -> bool: ...
    @property
    def changed(self) -> bool: ...
    @property
    def elapsed_ms(self) -> float: ...
    def to_dict(self) -> SyncReportDict: ...
    def __reduce__(self) -> tuple[Callable[[str], SyncReport], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> SyncReport: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class EventBridgeDeployer:
    """Plans and applies Amazon EventBridge source integrations on one organisation.

    Options (keyword-only; None keeps the default):

    - ``check_topics``: True checks every topic against the organisation's available topics
      (read once per deployer) before planning.
    - ``activation_timeout``: seconds ``apply`` waits for the integration to become ACTIVE.
    - ``poll_interval``, ``max_poll_interval``: seconds between state polls while waiting, the
      first and the most (the interval grows between them).
    - ``page_size``: integrations per page when looking one up by name.
    - ``deletion_timeout``: seconds ``delete`` waits for a deleted integration to be gone.
    - ``environment``, ``client_id``, ``client_secret``, ``ca_file``, ``ca_pem``,
      ``rate_limit_per_minute``, ``write_rate_limit_per_minute``, ``request_timeout``,
      ``max_attempts``, ``redis_url``, ``lease_ttl`` and ``lease_wait`` work as for
      ``Resolver``: with ``redis_url``, applies of one name are serialised across processes and
      the rate limits are shared; ``audit`` a callable given each operation's
      ``genesys_resolver.audit.AuditRecord``.

    Bad options raise ``ConfigError``; an unreachable Redis ``CoordinationError``."""

    def __new__(
        cls,
        environment: str,
        client_id: str,
        client_secret: str,
        *,
        ca_file: Union[str, os.PathLike[str], None] = None,
        ca_pem: Union[str, Sequence[str], None] = None,
        check_topics: bool = False,
        activation_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        page_size: Optional[int] = None,
        rate_limit_per_minute: Optional[int] = None,
        write_rate_limit_per_minute: Optional[int] = None,
        request_timeout: Optional[float] = None,
        max_attempts: Optional[int] = None,
        redis_url: Optional[str] = None,
        lease_ttl: Optional[float] = None,
        lease_wait: Optional[float] = None,
        deletion_timeout: Optional[float] = None,
        audit: Optional[AuditCallback] = None,
    ) -> EventBridgeDeployer: ...
    @classmethod
    def from_env(
        cls,
        *,
        environment: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        ca_file: Union[str, os.PathLike[str], None] = None,
        ca_pem: Union[str, Sequence[str], None] = None,
        check_topics: Optional[bool] = None,
        activation_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        max_poll_interval: Optional[float] = None,
        page_size: Optional[int] = None,
        rate_limit_per_minute: Optional[int] = None,
        write_rate_limit_per_minute: Optional[int] = None,
        request_timeout: Optional[float] = None,
        max_attempts: Optional[int] = None,
        redis_url: Optional[str] = None,
        lease_ttl: Optional[float] = None,
        lease_wait: Optional[float] = None,
        deletion_timeout: Optional[float] = None,
        audit: Optional[AuditCallback] = None,
    ) -> EventBridgeDeployer:
        """A deployer configured from the same variables as ``Resolver.from_env`` (those of the
        client, trust and coordination); a keyword given replaces its variable."""
    def plan(self, integration: _Integration) -> Plan: ...
    def apply(self, integration: _Integration) -> DeployReport: ...
    def plan_async(self, integration: _Integration) -> Awaitable[Plan]: ...
    def apply_async(self, integration: _Integration) -> Awaitable[DeployReport]: ...
    def disable(self, name: str) -> LifecycleReport: ...
    def delete(self, name: str) -> LifecycleReport: ...
    def delete_id(self, id: str) -> LifecycleReport: ...
    def plan_delete(self, name: str) -> Plan: ...
    def sync(self, items: Iterable[_Integration], prune: bool = False) -> SyncReport: ...
    def plan_sync(self, items: Iterable[_Integration], prune: bool = False) -> SyncPlan: ...
    def disable_async(self, name: str) -> Awaitable[LifecycleReport]: ...
    def delete_async(self, name: str) -> Awaitable[LifecycleReport]: ...
    def delete_id_async(self, id: str) -> Awaitable[LifecycleReport]: ...
    def plan_delete_async(self, name: str) -> Awaitable[Plan]: ...
    def sync_async(
        self, items: Iterable[_Integration], prune: bool = False
    ) -> Awaitable[SyncReport]: ...
    def plan_sync_async(
        self, items: Iterable[_Integration], prune: bool = False
    ) -> Awaitable[SyncPlan]: ...
    def organization_id(self) -> str: ...
    def available_topics(self) -> list[str]: ...
    def metrics(self) -> MetricsSnapshot: ...
    def prometheus(self) -> str: ...

# The test kit, re-exported by `genesys_resolver.testing`.

class _Request(TypedDict):
    """A request the mock received."""

    route: MockRoute
    method: str
    uri: str
    body: Optional[str]
    """For the writes of the real integrations API; None otherwise."""

# --- The route deployer ----------------------------------------------------------------

_RouteIn = Union[Route, dict[str, Any], os.PathLike[str]]
"""A route: a payload's keys plus ``awsAccountId``, ``awsRegion``, ``eventSourceSuffix``,
``roleArn``, ``organizationId``, ``deadLetterArn``, ``invocationRateLimit``, ``oauth``; or the path of a route
file (JSON, or YAML for ``.yaml``/``.yml``), read by the library itself: duplicate keys refused,
at most 1 MiB, YAML aliases bounded. Every unknown, missing, wrongly typed or duplicate key and
every broken rule is reported at once in one ``ValidationError``, before any call; a file that
cannot be read raises ``OSError``."""

@final
class RoutePlan:
    """What ``RouteDeployer.apply`` would do on both sides."""

    @property
    def name(self) -> str: ...
    @property
    def is_nothing(self) -> bool: ...
    @property
    def aws_account_id(self) -> str:
        """The AWS account the route deploys to (checked to be the credentials' account)."""
    @property
    def aws_region(self) -> str:
        """The AWS region the route deploys to (checked to be the client's region)."""
    @property
    def action(self) -> ChangeAction:
        """What apply would do to the route as a whole."""
    @property
    def genesys_action(self) -> ChangeAction: ...
    @property
    def changes(self) -> list[_ResourceChange]:
        """Both halves in apply order: the Genesys integration, then the AWS resources."""
    @property
    def aws_changes(self) -> list[_ResourceChange]:
        """The AWS resources apply would write."""
    def to_dict(self) -> RoutePlanDict:
        """The core's JSON form; secret header values never appear."""
    def __reduce__(self) -> tuple[Callable[[str], RoutePlan], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> RoutePlan: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class RouteReport:
    """What ``RouteDeployer.apply`` did."""

    @property
    def name(self) -> str: ...
    @property
    def integration_id(self) -> str: ...
    @property
    def event_bus_arn(self) -> str: ...
    @property
    def rule_arn(self) -> str: ...
    @property
    def writes(self) -> int: ...
    @property
    def action(self) -> Action: ...
    @property
    def changes(self) -> list[_ResourceChange]:
        """What was written, resource by resource."""
    def to_dict(self) -> RouteReportDict:
        """The core's JSON form; secret header values never appear."""
    def __reduce__(self) -> tuple[Callable[[str], RouteReport], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> RouteReport: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class RouteCheckReport:
    """What ``RouteDeployer.check`` found; nothing was written."""

    @property
    def probes_ok(self) -> bool:
        """Whether every destination passed the resolver's probe."""
    @property
    def reach(self) -> list[ReachReportDict]:
        """Each destination judged as EventBridge will reach it, in payload order: verdict,
        each rule's outcome, the reasons naming their rule, the certificate's days left."""
    @property
    def reach_ok(self) -> bool:
        """Whether EventBridge can deliver to every destination (warnings allowed)."""
    @property
    def ok(self) -> bool:
        """``probes_ok`` and ``reach_ok``: what ``route check`` on the command line exits 0 on."""
    @property
    def plan(self) -> RoutePlan: ...
    def to_dict(self) -> RouteCheckReportDict:
        """The core's JSON form; secret header values never appear."""
    def __reduce__(self) -> tuple[Callable[[str], RouteCheckReport], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> RouteCheckReport: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class RehearseReport:
    """What ``RouteDeployer.rehearse`` found: per event the rules it matched, per destination the
    request (credentials redacted) and EventBridge's verdict."""

    @property
    def name(self) -> str: ...
    @property
    def rehearsal_id(self) -> str:
        """Sent in every request's ``X-Genesys-Resolver-Rehearsal`` header."""
    @property
    def sent(self) -> bool: ...
    @property
    def delivered(self) -> bool:
        """Every event matched, within EventBridge's size and, when sent, answered 2xx."""
    @property
    def events(self) -> list[EventRehearsalDict]: ...
    @property
    def destinations(self) -> list[DestinationRehearsalDict]: ...
    @property
    def warnings(self) -> list[str]: ...
    def to_dict(self) -> RehearseReportDict:
        """The core's JSON form; credentials never appear."""
    def __reduce__(self) -> tuple[Callable[[str], RehearseReport], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> RehearseReport: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class RouteDestroyReport:
    """What ``RouteDeployer.destroy`` removed."""

    @property
    def name(self) -> str: ...
    @property
    def deleted_integration(self) -> Optional[str]: ...
    @property
    def changes(self) -> list[_ResourceChange]:
        """What was deleted: the AWS resources, then the Genesys integration."""
    @property
    def action(self) -> Action: ...
    def to_dict(self) -> RouteDestroyReportDict:
        """The core's JSON form; secret header values never appear."""
    def __reduce__(self) -> tuple[Callable[[str], RouteDestroyReport], tuple[str]]:
        """Pickles and copies through the core's JSON form."""
    @classmethod
    def _from_json(cls, text: str) -> RouteDestroyReport: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class RouteDeployer:
    """Deploys routes (Genesys EventBridge integration + AWS bus, connections, API destinations,
    rule, targets), idempotently. AWS credentials come from the standard chain; ``region`` and
    ``endpoint_url`` (an emulator) override it. ``loopback=True`` allows probes of loopback
    destinations; ``hosts`` maps names to addresses for the probes; ``redis_url`` shares the
    turn on each name with every other process; ``audit`` is a callable given each operation's
    ``genesys_resolver.audit.AuditRecord``; ``credential_key`` (at least 16 bytes; else
    ``RESOLVER_ROUTE_CREDENTIAL_KEY``) keys the digest of connection credentials kept in their
    descriptions. Bad options raise ``ConfigError``; a bad route
    ``ValidationError`` naming each field; an AWS failure ``AwsError``."""

    def __new__(
        cls,
        environment: str,
        client_id: str,
        client_secret: str,
        *,
        region: Optional[str] = None,
        endpoint_url: Optional[str] = None,
        ca_file: Union[str, os.PathLike[str], None] = None,
        ca_pem: Union[str, Sequence[str], None] = None,
        activation_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        source_timeout: Optional[float] = None,
        source_poll_interval: Optional[float] = None,
        request_timeout: Optional[float] = None,
        max_attempts: Optional[int] = None,
        loopback: bool = False,
        hosts: Optional[Mapping[str, Union[str, Sequence[str]]]] = None,
        redis_url: Optional[str] = None,
        lease_ttl: Optional[float] = None,
        lease_wait: Optional[float] = None,
        audit: Optional[AuditCallback] = None,
        credential_key: Optional[str] = None,
    ) -> RouteDeployer: ...
    @classmethod
    def from_env(
        cls,
        *,
        environment: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        region: Optional[str] = None,
        endpoint_url: Optional[str] = None,
        ca_file: Union[str, os.PathLike[str], None] = None,
        ca_pem: Union[str, Sequence[str], None] = None,
        activation_timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        source_timeout: Optional[float] = None,
        source_poll_interval: Optional[float] = None,
        request_timeout: Optional[float] = None,
        max_attempts: Optional[int] = None,
        loopback: bool = False,
        hosts: Optional[Mapping[str, Union[str, Sequence[str]]]] = None,
        redis_url: Optional[str] = None,
        lease_ttl: Optional[float] = None,
        lease_wait: Optional[float] = None,
        audit: Optional[AuditCallback] = None,
        credential_key: Optional[str] = None,
    ) -> RouteDeployer:
        """A deployer configured from the environment (``GENESYS_*``, ``RESOLVER_*``: client,
        trust, coordination with ``RESOLVER_REDIS_URL``, deploy waits, probes; AWS's own through
        the SDK's chain); a keyword given replaces its variable."""
    def plan(self, route: _RouteIn) -> RoutePlan: ...
    def check(self, route: _RouteIn) -> RouteCheckReport: ...
    def apply(self, route: _RouteIn) -> RouteReport: ...
    def destroy(self, route: _RouteIn) -> RouteDestroyReport: ...
    def rehearse(
        self,
        route: _RouteIn,
        *,
        event: Union[str, os.PathLike[str], Mapping[str, Any], None] = None,
        topic: Optional[str] = None,
        destination: Optional[str] = None,
        send: bool = False,
        test_event_pattern: bool = False,
    ) -> RehearseReport:
        """The requests EventBridge would make per subscribed topic and matching destination
        (``event``: a sample file or dict; ``topic``, ``destination``: narrow it), sent only with
        ``send``, with EventBridge's verdict per destination."""
    def rehearse_async(
        self,
        route: _RouteIn,
        *,
        event: Union[str, os.PathLike[str], Mapping[str, Any], None] = None,
        topic: Optional[str] = None,
        destination: Optional[str] = None,
        send: bool = False,
        test_event_pattern: bool = False,
    ) -> Awaitable[RehearseReport]: ...
    def plan_async(self, route: _RouteIn) -> Awaitable[RoutePlan]: ...
    def check_async(self, route: _RouteIn) -> Awaitable[RouteCheckReport]: ...
    def apply_async(self, route: _RouteIn) -> Awaitable[RouteReport]: ...
    def destroy_async(self, route: _RouteIn) -> Awaitable[RouteDestroyReport]: ...
    def metrics(self) -> MetricsSnapshot: ...

class _Emulator(Protocol):
    """What ``MockGenesys(aws_emulator=...)`` reads of an emulator object (``AwsEmulator``)."""

    @property
    def url(self) -> str: ...

@final
class MockGenesys:
    """A mock Genesys Cloud on a loopback port, with fault injection. ``aws_emulator`` (an
    ``AwsEmulator`` or its ``http://`` URL) links it to an AWS emulator: when an EventBridge
    integration becomes ACTIVE, the partner event source appears there under the mock's own
    ``organization_id``."""

    def __new__(
        cls,
        *,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        integrations_path: Optional[str] = None,
        token_lifetime: Optional[float] = None,
        page_size: Optional[int] = None,
        organization_id: Optional[str] = None,
        deleting_lag: Optional[float] = None,
        topic_transports: Optional[Mapping[str, Sequence[str]]] = None,
        omit_topic_transports: bool = False,
        aws_emulator: Union[str, _Emulator, None] = None,
    ) -> MockGenesys: ...
    @property
    def base_url(self) -> str: ...
    @property
    def environment(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...
    @property
    def integrations_path(self) -> str: ...
    def push_fault(
        self,
        route: MockRoute,
        *,
        status: Optional[int] = None,
        retry_after: Optional[str] = None,
        drop_connection: bool = False,
        delay: Optional[float] = None,
        unauthorized: bool = False,
        times: int = 1,
    ) -> None: ...
    def pending_faults(self) -> int: ...
    def clear_faults(self) -> int:
        """Drops every queued fault that has not fired yet; returns how many."""
    def revoke_tokens(self) -> None: ...
    def set_create_rate_limit(self, per_second: Optional[int]) -> None: ...
    def issued_tokens(self) -> list[str]: ...
    def token_requests(self) -> int: ...
    def requests(self, route: MockRoute) -> int: ...
    def request_log(self) -> list[_Request]: ...
    def write_requests(self) -> list[_Request]: ...
    def set_activation(
        self,
        *,
        after_polls: Optional[int] = None,
        after_delay: Optional[float] = None,
        error: Optional[str] = None,
        error_after_polls: int = 1,
        never: bool = False,
    ) -> None: ...
    def set_available_topics(self, topics: Sequence[str]) -> None: ...
    def platform_integrations(self) -> list[dict[str, Any]]: ...
    def platform_integrations_named(self, name: str) -> list[dict[str, Any]]: ...
    def platform_config(self, id: str) -> Optional[dict[str, Any]]: ...
    def insert_platform_integration(
        self, name: str, type_id: str = "amazon-eventbridge-source"
    ) -> str: ...
    def race_config_writes(self, times: int = 1) -> None: ...
    @property
    def organization_id(self) -> str: ...
    def set_topic_transports(self, topic: str, transports: Sequence[str]) -> None: ...
    def set_deleting_lag(self, lag: float) -> None: ...
    def delete_platform_integration(self, id: str) -> bool: ...
    def create_requests(self, name: str) -> int: ...
    def integrations(self) -> list[dict[str, Any]]: ...
    def integrations_named(self, name: str) -> list[dict[str, Any]]: ...
    def insert_integration(self, entity: Mapping[str, Any]) -> str: ...
    def stop(self) -> None: ...
    def __enter__(self) -> MockGenesys: ...
    def __exit__(
        self,
        *_exc: Union[type[BaseException], BaseException, TracebackType, None],
    ) -> bool: ...

@final
class TestCa:
    """A throw-away certificate authority for test destinations."""

    __test__: Final[bool]
    """False: not a pytest test class, though its name starts with ``Test``."""

    def __new__(cls, common_name: Optional[str] = None) -> TestCa: ...
    @property
    def ca_pem(self) -> str: ...
    def write_ca_pem(self, directory: Union[str, os.PathLike[str]]) -> str: ...

@final
class TlsDestination:
    """A local HTTPS server with a certificate of a chosen kind, answering every request."""

    def __new__(
        cls,
        ca: TestCa,
        *,
        certificate: CertificateKind = "valid",
        expiring_in_days: Optional[int] = None,
        names: Optional[Sequence[str]] = None,
        health_status: int = 200,
        redirect_to: Optional[str] = None,
        response_delay: Optional[float] = None,
        tls_versions: TlsVersions = "1.2+1.3",
        bind: str = "127.0.0.1",
        port: int = 0,
        response_body: Optional[str] = None,
    ) -> TlsDestination: ...
    @property
    def addr(self) -> str: ...
    @property
    def port(self) -> int: ...
    def uri(self, path: str = "/") -> str: ...
    def uri_for_host(self, host: str, path: str = "/") -> str: ...
    def ip_uri(self, path: str = "/") -> str: ...
    def connections(self) -> int: ...
    def handshakes(self) -> int: ...
    def requests(self) -> list[str]: ...
    def stop(self) -> None: ...
    def __enter__(self) -> TlsDestination: ...
    def __exit__(
        self,
        *_exc: Union[type[BaseException], BaseException, TracebackType, None],
    ) -> bool: ...

def build_payload(
    name: str,
    uri: str,
    event_types: Iterable[str],
    *,
    uris: Optional[Iterable[str]] = None,
    max_retries: int = 3,
    retry_interval: float = 5.0,
    backoff_factor: float = 2.0,
    headers: Optional[Mapping[str, str]] = None,
    type: str = "webhook",
    limits: Optional[_Limits] = None,
) -> Payload:
    """The seed's ``BuildResolvePayload``, validated; raises ``ValidationError``."""

def validate(payload: _PayloadIn, *, limits: Optional[_Limits] = None) -> None:
    """Checks the payload's keys and types and every schema rule; raises ``ValidationError``
    listing every violation at once (an unknown key beside the rules the rest breaks)."""

def to_wire_json(payload: _PayloadIn) -> str:
    """The JSON the seed's Go code sends for ``payload``, byte for byte."""

# Test hooks of the package's own test suite; not part of the API.
def _raise_error(
    kind: str,
    message: str,
    *,
    stage: Optional[str] = None,
    retryable: bool = False,
    status: Optional[int] = None,
    code: Optional[str] = None,
    correlation_id: Optional[str] = None,
    retry_after: Optional[float] = None,
    step: Optional[str] = None,
    integration_id: Optional[str] = None,
    detail: Optional[str] = None,
    operation: Optional[str] = None,
    resource: Optional[str] = None,
) -> NoReturn: ...
def _read_json(text: str, *, limits: Optional[_Limits] = None, rules: bool = True) -> str:
    """The core's reader of JSON text (and, with ``rules``, every schema rule): the wire JSON."""

def _runtime_state() -> dict[str, Any]:
    """The runtime's state, for the test suite: ``started``, ``closing``, ``forks``,
    ``live_futures``, ``blocked_calls``."""

def _sleep(seconds: float) -> None: ...
def _sleep_async(seconds: float) -> Awaitable[float]: ...
