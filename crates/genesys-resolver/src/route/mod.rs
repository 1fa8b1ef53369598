//! Routes that deliver (feature `aws`): a payload deployed as a real Genesys Cloud -> Amazon
//! EventBridge -> HTTPS route, both halves, with the destinations proven first.
//!
//! A [`Route`] is a [`ResolvePayload`](crate::payload::ResolvePayload) plus where it lands in
//! AWS (account, region, event source suffix, the Genesys organisation id, the IAM role targets
//! assume, an optional dead-letter queue and invocation rate); a route file is read strictly by
//! [`Route::from_value`] or [`DocumentReader`](crate::document::DocumentReader) (JSON, YAML).
//! [`RouteDeployer`] plans, applies, checks and destroys it:
//!
//! 1. validate: the payload's rules, the integration's, and EventBridge's own (RoleArn
//!    required, `MaximumRetryAttempts` 0-185, input transformer at most 100 paths and a
//!    1-8,192 character template, ...), every violation naming its field;
//! 2. probe every destination with the [`EndpointProber`](crate::probe::EndpointProber) and
//!    its address policy; a failing destination costs no write on either side;
//! 3. the Genesys integration, through the [`EventBridgeDeployer`](crate::eventbridge::EventBridgeDeployer)
//!    (created or updated, enabled, waited for until `ACTIVE`);
//! 4. a bounded wait for the partner event source
//!    `aws.partner/genesys.com/cloud/{orgId}/{suffix}` that Genesys creates in the account;
//! 5. the event bus associated with it (`Name` = `EventSourceName` = the source's name);
//! 6. per URI a connection (API-key auth from the first credential-like header, the other
//!    headers as invocation header parameters) and an API destination (`POST`, optional rate);
//! 7. a rule (`source` prefix `aws.partner/genesys.com`, `detail-type` the subscribed topics)
//!    and one target per API destination (role, retry policy, dead-letter queue, and an input
//!    transformer when the filters name fields).
//!
//! Every step reads before it writes: a second apply sends only reads on both sides, and a
//! create whose response was lost is found by name before anything is resent. Destroy removes
//! the AWS resources in reverse order and deletes the integration.
//!
//! # The mapping
//!
//! | payload | Genesys | AWS |
//! |---|---|---|
//! | `name` | integration name | `genesys-{name}-{hash}` for the rule, `...-{i}` for connection and API destination `i` |
//! | `eventFilters[].eventType` | `eventFilter` topics | the rule's `detail-type` list |
//! | `eventFilters[].fields` | | an input transformer: `topicName`, `timestamp`, `correlationId` and the named fields of `detail.eventBody` |
//! | `uri`, `uris[]` | | one API destination each, a target each |
//! | `headers` | | the connection: `Authorization` (else `X-Api-Key`, else another credential-like header) as API-key auth, the rest as header parameters (credential-like ones secret) |
//! | `retryPolicy.maxRetries` | | `MaximumRetryAttempts` (0-185) |
//! | `retryPolicy.retryInterval`, `backoffFactor` | | `MaximumEventAgeInSeconds`: the seconds the series spans, `interval * (1 + f + ... + f^(n-1))`, rounded up and clamped to 60-86,400 |
//!
//! EventBridge connections always carry auth; a payload without a credential-like header gets
//! the non-secret marker key `X-Genesys-Route: {name}`. EventBridge never returns an API key, so
//! each connection's description holds a fingerprint (12 hex digits of SHA-256) of its
//! secrets: a changed key shows in a plan as a changed description, never by value.
//!
//! The Genesys organisation id comes from the route, or, when the route leaves it empty, from
//! `GET /api/v2/organizations/me` (through the EventBridge deployer, read once).
//!
//! ```no_run
//! use genesys_resolver::payload::ResolvePayload;
//! use genesys_resolver::route::{Route, RouteDeployer};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // GENESYS_* and RESOLVER_* for the Genesys half (RESOLVER_REDIS_URL: a lease per name
//! // across processes); credentials and region from the standard AWS chain.
//! let deployer = RouteDeployer::from_env().await?;
//! let payload = ResolvePayload::builder("orders-webhook", "https://hooks.example.com/genesys")
//!     .event_types(["v2.routing.queues.{id}.conversations"])
//!     .header("X-Api-Key", "k-123")
//!     .build()?;
//! let route = Route::new(payload, "123456789012", "us-east-1", "orders", "my-org-id",
//!     "arn:aws:iam::123456789012:role/eventbridge-api-destinations");
//! let check = deployer.check(&route).await?; // probes and both plans, no writes
//! println!("{}", serde_json::to_string_pretty(&check.plan)?);
//! let report = deployer.apply(&route).await?;
//! println!("rule {} on {}", report.rule_arn, report.event_bus_arn);
//! # Ok(()) }
//! ```

mod aws;
mod builder;
mod deploy;
mod error;
mod report;
mod spec;

// The route document (model, rules, strict reader) lives with the other documents.
pub use crate::document::route::{
    GENESYS_SOURCE_PREFIX, InputTransformerSpec, MAX_INPUT_PATH_CHARS, MAX_INPUT_PATHS,
    MAX_INPUT_TEMPLATE_CHARS, MAX_INVOCATION_RATE, MAX_RETRY_ATTEMPTS, ROUTE_KEYS, Route,
    is_role_arn, is_sqs_arn, partner_source_name,
};
pub use builder::{
    AWS_ATTEMPT_TIMEOUT, AWS_OPERATION_TIMEOUT, DEFAULT_SOURCE_POLL_INTERVAL,
    DEFAULT_SOURCE_TIMEOUT, RouteDeployerBuilder,
};
pub use deploy::RouteDeployer;
pub use error::{AwsCallError, RouteError};
pub use report::{
    ChangeAction, CheckReport, DestinationReport, DestroyReport, ResourceKind, RoutePlan,
    RouteReport,
};
pub use spec::{
    AwsSpec, ConnectionSpec, DestinationSpec, HeaderParam, MARKER_KEY_NAME, MAX_EVENT_AGE_SECS,
    MAX_RESOURCE_NAME_CHARS, MIN_EVENT_AGE_SECS, maximum_event_age, resource_stem,
};
