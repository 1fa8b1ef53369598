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
//! 6. per URI a connection (its one auth from the `Authorization` header or the `oauth` block,
//!    the other headers as invocation header parameters, credential-like ones secret: see
//!    [`ConnectionAuth`]) and an API destination (`POST`, optional rate);
//! 7. rules (`source` prefix `aws.partner/genesys.com`, `detail-type` the subscribed topics):
//!    one per field projection, run of topics whose pattern fits 2,048 characters, and group of
//!    five destinations, each destination a target of every rule of its group (role, retry
//!    policy, dead-letter queue, and the projection's input transformer).
//!
//! Every step reads before it writes: a second apply sends only reads on both sides, and a
//! create whose response was lost is found by name before anything is resent. Every AWS
//! resource carries the route's [`RouteIdentity`] (full name and 128-bit id); what is the
//! route's is found by it, a resource of another route (or of none) is refused before any
//! write, and destroy removes only the route's own resources (the bus only when the route made
//! it and no other rule uses it) and the integration its rules recorded.
//!
//! # The mapping
//!
//! | payload | Genesys | AWS |
//! |---|---|---|
//! | `name` | integration name | the identity: `genesys-{12 characters}-{id}` names (`-r{i}` rules, `-d{i}` connection and API destination `i`), name and id in descriptions and tags |
//! | `eventFilters[].eventType` | `eventFilter` topics | the rules' `detail-type` lists |
//! | `eventFilters[].fields` | | per projection an input transformer: `topicName`, `timestamp`, `correlationId` and its fields of `detail.eventBody` (none: the whole event) |
//! | `uri`, `uris[]` | | one API destination each, a target in each rule of its group of five |
//! | `headers` | | the connection: `Authorization: Basic …` as Basic auth, any other `Authorization` as API-key auth named `Authorization`, the rest as header parameters (secret when credential-like by name or value) |
//! | `oauth` | | the connection's OAuth client-credentials auth |
//! | `retryPolicy.maxRetries` | | `MaximumRetryAttempts` (0-185) |
//! | `retryPolicy.retryInterval`, `backoffFactor` | | `MaximumEventAgeInSeconds`: the seconds the series spans, `interval * (1 + f + ... + f^(n-1))`, rounded up and clamped to 60-86,400 |
//!
//! EventBridge connections always carry auth; a route without `Authorization` or `oauth` gets
//! the non-secret marker key `X-Genesys-Route: {route id}`. EventBridge never returns a secret,
//! so each connection's description holds, beside the route's identity, a keyed digest
//! (HMAC-SHA256, 16 hex digits) of everything it is given: a changed credential shows in a plan
//! as a changed description, never by value ([`CredentialKey`]).
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
//! println!("{} rules on {}", report.rule_arns.len(), report.event_bus_arn);
//! # Ok(()) }
//! ```

mod account;
mod auth;
mod aws;
mod builder;
mod deploy;
mod error;
mod identity;
pub mod rehearse;
mod report;
pub mod semantics;
mod spec;
mod turn;

// The route document (model, rules, strict reader) lives with the other documents.
pub use crate::document::Connectivity;
pub use crate::document::aws_limits;
pub use crate::document::route::{
    DEFAULT_INVOCATION_RATE_QUOTA, GENESYS_SOURCE_PREFIX, InputTransformerSpec,
    MAX_INPUT_PATH_CHARS, MAX_INPUT_PATHS, MAX_INPUT_TEMPLATE_CHARS, MAX_RETRY_ATTEMPTS,
    Projection, ROUTE_KEYS, Route, is_role_arn, is_sqs_arn, partner_source_name,
};
pub use auth::{ConnectionAuth, CredentialKey, HeaderParam, MARKER_KEY_NAME, OAuthSpec};
pub use aws::MAX_LIST_PAGES;
pub use builder::{
    AWS_ATTEMPT_TIMEOUT, AWS_OPERATION_TIMEOUT, DEFAULT_SOURCE_POLL_INTERVAL,
    DEFAULT_SOURCE_TIMEOUT, RouteDeployerBuilder,
};
pub use deploy::{OAUTH_ENDPOINT_PATH, RouteDeployer};
pub use error::{AwsCallError, RouteError, TargetFailure};
pub use rehearse::{
    DestinationRehearsal, EventRehearsal, EventSource, RehearsalClient, RehearseError,
    RehearseOptions, RehearseReport, RequestView, RetryBudget, Verdict,
};
pub use report::{
    ChangeAction, CheckReport, DestinationReport, DestroyReport, ResourceKind, RoutePlan,
    RouteReport,
};
pub use spec::{
    AwsSpec, ConnectionSpec, DESCRIPTION_PREFIX, DestinationSpec, MAX_EVENT_AGE_SECS,
    MAX_RESOURCE_NAME_CHARS, MIN_EVENT_AGE_SECS, Owner, ROUTE_ID_TAG, ROUTE_NAME_TAG,
    RouteIdentity, RuleSpec, maximum_event_age, resource_stem,
};
pub use turn::shared_names;
