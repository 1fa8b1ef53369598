"""The JSON forms of the package's reports, as ``TypedDict``\\ s: what ``to_dict()`` returns, and
the changes, states and timings the reports' properties hold.

::

    from genesys_resolver.reports import ResourceChange

    def summary(changes: list[ResourceChange]) -> list[str]:
        return [f"{c['action']} {c['kind']} {c['name']}" for c in changes]

    print(summary(deployer.plan(route).changes))

Each has the keys of the core's serde form (the service's answers and the command line's
``--json`` output), every key present unless it says otherwise. Everything here is for type
checkers; at run time these are plain ``dict``\\ s. A newer library may add keys, never remove or
rename one.
"""

from __future__ import annotations

from typing import Dict, List, Literal, Optional, TypedDict, Union

from .types import (
    Action,
    ChangeAction,
    DeployStep,
    ErrorKind,
    EventSource,
    ResourceKind,
    Stage,
    Upstream,
    Verdict,
)

__all__ = [
    "CertificateInfo",
    "DeployReportDict",
    "DeployStats",
    "DestinationRehearsalDict",
    "DestinationReport",
    "ErrorReportDict",
    "EventBridgeIntegrationDict",
    "EventRehearsalDict",
    "HeaderViewDict",
    "FieldChange",
    "HealthReport",
    "IntegrationProperties",
    "JsonValue",
    "LifecycleReportDict",
    "MetricsSnapshot",
    "PhaseStats",
    "PhaseTimings",
    "PlanDict",
    "ProbeFailure",
    "ProbeReportDict",
    "ReachFinding",
    "ReachReportDict",
    "ReachRuleResult",
    "RehearseReportDict",
    "ReportedState",
    "RequestViewDict",
    "RetryBudgetDict",
    "ResolveReportDict",
    "ResourceChange",
    "RouteCheckReportDict",
    "RouteDestroyReportDict",
    "RoutePlanDict",
    "RouteReportDict",
    "StageTiming",
    "StepTiming",
    "SyncPlanDict",
    "SyncReportDict",
    "TlsReport",
    "ViolationDict",
]

JsonValue = Union[None, bool, int, float, str, List["JsonValue"], Dict[str, "JsonValue"]]
"""A JSON value: what a field change's ``current`` and ``desired`` hold (a configuration
property's value, an event pattern, a retry policy, ...)."""


# --- Changes ------------------------------------------------------------------------------


class FieldChange(TypedDict):
    """One field that differs (or, for a create, is set)."""

    field: str
    """A configuration property (``awsAccountId``, ``eventFilter``, ...), ``notes``,
    ``intendedState``, ``reportedState``, or an AWS field (``invocationEndpoint``, ...)."""
    current: JsonValue
    """What is there; None when absent."""
    desired: JsonValue
    """What it becomes; None when it goes."""


class ResourceChange(TypedDict):
    """One resource of a plan or a report and what happens (happened) to it."""

    kind: ResourceKind
    name: str
    action: ChangeAction
    changes: List[FieldChange]
    """Its field changes (empty for a delete, or for ``nothing``)."""


# --- EventBridge integrations --------------------------------------------------------------


class _EventBridgeIntegrationRequired(TypedDict):
    name: str
    awsAccountId: str
    awsRegion: str
    eventSourceSuffix: str
    topics: List[str]


class EventBridgeIntegrationDict(_EventBridgeIntegrationRequired, total=False):
    """``EventBridgeIntegration.to_dict()``, the form ``EventBridgeIntegration.from_dict`` and
    the deployer's methods take."""

    notes: str


IntegrationProperties = TypedDict(
    "IntegrationProperties",
    {
        "awsAccountId": str,
        "awsAccountRegion": str,
        "eventFilter": List[str],
        "eventSourceSuffix": str,
    },
)
"""``EventBridgeIntegration.properties()``: the ``properties`` of ``config/current`` it writes."""


class _ReportedStateRequired(TypedDict):
    code: str
    """``ACTIVE``, ``ACTIVATING``, ``INACTIVE``, ``ERROR``, ..."""


class ReportedState(_ReportedStateRequired, total=False):
    """The state Genesys reports for an integration."""

    detail: str
    """Genesys' explanation, when it gave one (an ERROR's reason)."""


class StepTiming(TypedDict):
    """How long one deploy step took."""

    step: DeployStep
    elapsed_ms: float


class PlanDict(ResourceChange):
    """``Plan.to_dict()``: the integration's change, then what the plan found."""

    target: str
    """``aws://<region>/<account id>/<event source suffix>``."""
    event_source: Optional[str]
    integration_id: Optional[str]
    current_version: Optional[int]
    intended_state: Optional[str]
    reported_state: Optional[ReportedState]
    enable: bool
    correlation_id: Optional[str]


class DeployReportDict(ResourceChange):
    """``DeployReport.to_dict()``: the change apply carried out, then what it did."""

    target: str
    event_source: str
    integration_id: str
    writes: List[DeployStep]
    reported_state: ReportedState
    config_version: Optional[int]
    recovered_create: bool
    conflict_retries: int
    polls: int
    timings: List[StepTiming]
    elapsed_ms: float
    correlation_id: Optional[str]


class LifecycleReportDict(ResourceChange):
    """``LifecycleReport.to_dict()``: what a disable or delete changed, then what it found."""

    integration_id: Optional[str]
    target: str
    event_source: Optional[str]
    reported_state: Optional[ReportedState]
    polls: int
    timings: List[StepTiming]
    elapsed_ms: float
    correlation_id: Optional[str]


class SyncPlanDict(TypedDict):
    """``SyncPlan.to_dict()``."""

    plans: List[PlanDict]
    prune: bool


class SyncReportDict(TypedDict):
    """``SyncReport.to_dict()``."""

    applied: List[DeployReportDict]
    deleted: List[LifecycleReportDict]
    prune: bool
    elapsed_ms: float


# --- Probes and resolves -------------------------------------------------------------------


class PhaseTimings(TypedDict):
    """Milliseconds per probe phase; None for a phase that did not run."""

    resolve: Optional[float]
    connect: Optional[float]
    tls: Optional[float]
    first_byte: Optional[float]
    total: float


class CertificateInfo(TypedDict):
    """The certificate a destination presented."""

    subject: str
    issuer: str
    sans: List[str]
    serial: str
    not_before: str
    """RFC 3339, UTC."""
    not_after: str
    days_until_expiry: int
    sha256_fingerprint: str


class TlsReport(TypedDict):
    """What the TLS handshake with a destination found."""

    verified: bool
    verification_error: Optional[str]
    protocol_version: Optional[str]
    cipher_suite: Optional[str]
    alpn: Optional[str]
    chain_length: int
    certificate: Optional[CertificateInfo]


class HealthReport(TypedDict):
    """The health check's answer."""

    status: int
    redirect: Optional[str]


class _ProbeFailureRequired(TypedDict):
    stage: str
    """``invalid_uri``, ``dns``, ``address_policy``, ``connect``, ``tls``, ``health``, ``http``,
    ``timeout`` or ``internal``; the other keys are those of that stage."""


class ProbeFailure(_ProbeFailureRequired, total=False):
    """Why a probe failed, tagged by ``stage``; only the keys of its stage are present."""

    message: str
    """``connect``, ``tls``, ``http``, ``internal``, and a ``dns`` failure of kind ``other``."""
    reason: str
    """``invalid_uri``."""
    kind: str
    """``dns``: ``nx_domain``, ``no_records``, ``timeout``, ``other``; ``tls``: ``expired``,
    ``not_yet_valid``, ``hostname_mismatch``, ``unknown_issuer``, ``protocol_version``,
    ``other``."""
    host: str
    """``dns``."""
    timeout_ms: float
    """``dns`` of kind ``timeout``."""
    address: str
    """``address_policy``: the refused address, its ``range`` and ``class``."""
    range: str
    # `class` is a keyword: read it as failure.get("class").
    embedded_ipv4: str
    embedding: str
    addresses: List[str]
    """``connect``: the addresses tried."""
    status: int
    """``health``."""
    phase: str
    """``timeout``: the phase that ran out of time, and its ``limit_ms``."""
    limit_ms: float


class ProbeReportDict(TypedDict):
    """``ProbeReport.to_dict()``."""

    uri: str
    host: str
    port: int
    addresses: List[str]
    connected_to: Optional[str]
    phases: PhaseTimings
    tls: Optional[TlsReport]
    health: Optional[HealthReport]
    failure: Optional[ProbeFailure]
    warnings: List[str]
    from_cache: bool


class StageTiming(TypedDict):
    """How long one pipeline stage took."""

    stage: Stage
    ms: float


class _ResolveReportRoute(TypedDict, total=False):
    """The keys a resolver deploying the real route adds (absent for the seed's route)."""

    target: str
    route: Union[RouteReportDict, RoutePlanDict]


class ResolveReportDict(_ResolveReportRoute):
    """``ResolveReport.to_dict()``."""

    integration_name: str
    action: Action
    dry_run: bool
    integration_id: Optional[str]
    recovered: bool
    endpoints: List[ProbeReportDict]
    stages: List[StageTiming]
    warnings: List[str]
    correlation_id: Optional[str]
    latency_ms: float


# --- Routes ---------------------------------------------------------------------------------


class RoutePlanDict(TypedDict):
    """``RoutePlan.to_dict()``: the Genesys half's plan, then the AWS resources'."""

    name: str
    aws_account_id: str
    """The AWS account the route was checked against (the credentials')."""
    aws_region: str
    """The AWS region the route was checked against (the client's)."""
    genesys: PlanDict
    partner_event_source: str
    partner_event_source_state: Optional[str]
    aws: List[ResourceChange]
    warnings: List[str]


class DestinationReport(TypedDict):
    """One destination of an applied route."""

    path: str
    probe: ProbeReportDict
    connection_arn: str
    api_destination_arn: str
    target_id: str


class RouteReportDict(TypedDict):
    """``RouteReport.to_dict()``."""

    name: str
    integration_id: str
    integration_state: ReportedState
    changes: List[ResourceChange]
    """What was written, in apply order: the Genesys integration, then the AWS resources."""
    partner_event_source: str
    partner_event_source_arn: Optional[str]
    partner_event_source_state: str
    event_bus_arn: str
    rule_arn: str
    """The first rule's ARN (``rule_arns[0]``)."""
    rule_arns: List[str]
    """Every rule's ARN: one per field projection, pattern-sized topic run and group of five
    destinations."""
    destinations: List[DestinationReport]
    recovered: List[str]
    warnings: List[str]
    elapsed_ms: float


ReachRule = Literal[
    "reachable",
    "public_address",
    "public_trust",
    "certificate_lifetime",
    "no_mutual_tls",
    "time_budget",
]
"""A rule of EventBridge's delivery to an API destination (see the routes guide)."""


class ReachRuleResult(TypedDict):
    """How one rule came out for one destination."""

    rule: ReachRule
    outcome: Literal["passed", "warned", "failed", "skipped", "not_judged"]
    """``skipped``: the route's ``connectivity: private`` lifts the public-address rule."""


class _ReachFindingRequired(TypedDict):
    rule: ReachRule
    severity: Literal["warning", "failure"]
    reason: str
    """``invalid_uri``, ``dns``, ``private_address``, ``not_contacted``, ``unreachable``,
    ``tls_failed``, ``not_publicly_trusted``, ``hostname_mismatch``, ``certificate_expired``,
    ``certificate_not_yet_valid``, ``certificate_expires_soon``,
    ``client_certificate_required``, ``client_certificate_requested``, ``timed_out``; the
    other keys are those of that reason."""
    message: str
    """The reason for people."""


class ReachFinding(_ReachFindingRequired, total=False):
    """Why a rule failed or warned, tagged by ``reason``; only that reason's keys are present
    (see the error reference)."""

    detail: str
    """The underlying error (``invalid_uri``, ``unreachable``, ``tls_failed``,
    ``not_publicly_trusted``, ``hostname_mismatch``, ``client_certificate_required``)."""
    error: Dict[str, JsonValue]
    """``dns``: the DNS error (``kind``, ``host``, ...)."""
    address: str
    """``private_address``: the address, its non-public ``range`` and ``class``."""
    range: str
    # `class` is a keyword: read it as finding.get("class").
    addresses: List[str]
    """``not_contacted``: the addresses the resolver's address policy refused."""
    issuer: Optional[str]
    """``not_publicly_trusted``: the leaf's issuer, and the verifier's ``kind``."""
    kind: str
    not_after: str
    """``certificate_expired``, RFC 3339."""
    not_before: str
    """``certificate_not_yet_valid``, RFC 3339."""
    days_left: int
    """``certificate_expires_soon``."""
    limit_ms: float
    """``timed_out``: EventBridge's limit (5,000)."""


class ReachReportDict(TypedDict):
    """One destination judged as EventBridge will reach it (``RouteCheckReport.reach``)."""

    path: str
    """The payload path: ``uri``, ``uris[0]``, ..."""
    uri: str
    """Redacted: no user-info, no secret query value."""
    connectivity: Literal["public", "private"]
    verdict: Literal["pass", "warn", "fail"]
    rules: List[ReachRuleResult]
    reasons: List[ReachFinding]
    days_left: Optional[int]
    """Whole days until the certificate expires (negative once expired)."""
    addresses: List[str]
    elapsed_ms: float


class RouteCheckReportDict(TypedDict):
    """``RouteCheckReport.to_dict()``."""

    probes: List[ProbeReportDict]
    reach: List[ReachReportDict]
    plan: RoutePlanDict


class HeaderViewDict(TypedDict):
    """One header of a rehearsed request."""

    name: str
    value: str
    """The value, or ``[REDACTED]`` for a credential."""


class RequestViewDict(TypedDict):
    """A rehearsed request as shown: credentials and secret query values redacted."""

    method: str
    url: str
    headers: List[HeaderViewDict]
    body: str
    body_bytes: int


class RetryBudgetDict(TypedDict):
    """The route targets' retry policy, which the verdicts apply."""

    max_attempts: int
    max_event_age_secs: int
    dead_letter_queue: bool


class DestinationRehearsalDict(TypedDict):
    """One destination's rehearsal of one event."""

    path: str
    uri: str
    api_destination: str
    rule: str
    topic: str
    source: EventSource
    request: RequestViewDict
    request_bytes: int
    status: Optional[int]
    latency_ms: Optional[float]
    response_bytes: Optional[int]
    """Bytes of the answer read (its body is never shown)."""
    verdict: Verdict
    reason: str


class EventRehearsalDict(TypedDict):
    """One rehearsed event: the rules it matched and each destination's verdict."""

    topic: str
    topic_name: str
    source: EventSource
    event_bytes: int
    too_large: bool
    rules: List[str]
    #: The rules AWS's TestEventPattern matched, when asked (``test_event_pattern=True``).
    aws_rules: Optional[List[str]]
    destinations: List[DestinationRehearsalDict]


class RehearseReportDict(TypedDict):
    """``RehearseReport.to_dict()``."""

    name: str
    rehearsal_id: str
    sent: bool
    retry_policy: RetryBudgetDict
    events: List[EventRehearsalDict]
    warnings: List[str]


class RouteDestroyReportDict(TypedDict):
    """``RouteDestroyReport.to_dict()``."""

    name: str
    changes: List[ResourceChange]
    """What was deleted: the AWS resources, then the Genesys integration."""
    deleted_integration: Optional[str]


# --- Metrics --------------------------------------------------------------------------------


class PhaseStats(TypedDict):
    """Latency statistics of one probe phase, in milliseconds."""

    count: int
    avg_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


class DeployStats(TypedDict):
    """The deploys' (EventBridge and route operations') counters and latencies."""

    total: int
    successful: int
    failed: int
    success_rate: float
    avg_latency_ms: float
    p50_latency_ms: float
    p90_latency_ms: float
    p99_latency_ms: float
    max_latency_ms: float
    by_action: Dict[str, int]
    """Per ``Action`` name."""
    by_failed_stage: Dict[str, int]
    """Per ``Stage`` name."""
    plans: int
    failed_plans: int
    last_deploy: Optional[str]
    """RFC 3339, UTC; None before the first."""


class MetricsSnapshot(TypedDict):
    """``metrics()`` of a ``Resolver``, an ``EventBridgeDeployer`` or a ``RouteDeployer``:
    counters and latency statistics since it was built (the service's ``GET /metrics``)."""

    reachability_rate: float
    total_resolves: int
    successful_resolves: int
    avg_latency_ms: float
    failed_resolves: int
    p50_latency_ms: float
    p90_latency_ms: float
    p99_latency_ms: float
    max_latency_ms: float
    by_action: Dict[str, int]
    by_failed_stage: Dict[str, int]
    dry_runs: int
    failed_dry_runs: int
    token_fetches: int
    token_failures: int
    api_responses: Dict[str, int]
    """Genesys API answers per HTTP status (``"200"``, ``"429"``, ...)."""
    api_retries: Dict[str, int]
    """Retries per reason (``rate_limited``, ``server_error``, ``transport``, ``unauthorized``)."""
    rate_limited: int
    probe_phases_ms: Dict[str, PhaseStats]
    """Per probe phase (``resolve``, ``connect``, ``tls``, ``first_byte``, ``total``)."""
    probes_healthy: int
    probes_unhealthy: int
    last_resolve: Optional[str]
    """RFC 3339, UTC; None before the first."""
    deploys: DeployStats


# --- Errors ---------------------------------------------------------------------------------


class ViolationDict(TypedDict):
    """``Violation.to_dict()``."""

    path: str
    code: str
    message: str


class _ErrorReportRequired(TypedDict):
    kind: ErrorKind
    stage: Optional[Stage]
    upstream: Optional[Upstream]
    message: str
    retryable: bool


class ErrorReportDict(_ErrorReportRequired, total=False):
    """``ResolverError.to_dict()``: the error in the core's JSON form (the service's answers,
    the command line's ``--json``). The keys after ``retryable`` are present only when they
    apply."""

    correlation_id: str
    step: DeployStep
    violations: List[ViolationDict]
    endpoints: List[ProbeReportDict]
    status: int
    code: str
    integration_id: str
    detail: str
    retry_after_secs: float
    operation: str
    resource: str
