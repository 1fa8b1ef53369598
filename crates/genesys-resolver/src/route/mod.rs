//! Routes that deliver (feature `aws`): a payload deployed as a real Genesys Cloud -> Amazon
//! EventBridge -> HTTPS route, both halves, with the destinations proven first.
//!
//! A [`Route`] is a [`ResolvePayload`] plus where it lands in AWS (account, region, event source
//! suffix, the Genesys organisation id, the IAM role targets assume, an optional dead-letter
//! queue and invocation rate). [`RouteDeployer`] plans, applies, checks and destroys it:
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

use serde::{Deserialize, Serialize};

use crate::eventbridge::EventBridgeIntegration;
use crate::payload::ResolvePayload;

mod aws;
mod builder;
mod deploy;
mod error;
mod report;
mod spec;

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
    AwsSpec, ConnectionSpec, DestinationSpec, GENESYS_SOURCE_PREFIX, HeaderParam,
    InputTransformerSpec, MARKER_KEY_NAME, MAX_EVENT_AGE_SECS, MAX_INPUT_PATH_CHARS,
    MAX_INPUT_PATHS, MAX_INPUT_TEMPLATE_CHARS, MAX_INVOCATION_RATE, MAX_RESOURCE_NAME_CHARS,
    MAX_RETRY_ATTEMPTS, MIN_EVENT_AGE_SECS, is_role_arn, is_sqs_arn, maximum_event_age,
    partner_source_name, resource_stem,
};

/// A route: the payload and where it lands in AWS. Debug shows the payload's headers
/// redacted (an API key travels in them).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Route {
    /// The seed's payload: name, destinations, headers, retry policy, event filters.
    pub payload: ResolvePayload,
    /// The 12-digit AWS account receiving the events.
    pub aws_account_id: String,
    /// Its region (`us-east-1`, ...).
    pub aws_region: String,
    /// The partner event source's suffix (up to 64 of `[A-Za-z0-9._-]`).
    pub event_source_suffix: String,
    /// The Genesys organisation id (part of the partner event source's name); empty: the
    /// organisation of the deployer's Genesys credentials (`GET /api/v2/organizations/me`).
    #[serde(default)]
    pub organization_id: String,
    /// The IAM role EventBridge assumes to invoke the API destinations.
    pub role_arn: String,
    /// An SQS queue for events that could not be delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_arn: Option<String>,
    /// `InvocationRateLimitPerSecond` of every API destination (1-300; AWS's default when
    /// unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_rate_limit: Option<i32>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.payload;
        let uris: Vec<String> = p.endpoints().map(|(_, u)| crate::redact::uri(u)).collect();
        f.debug_struct("Route")
            .field("name", &p.name)
            .field("uris", &uris)
            .field("headers", &crate::redact::redact_headers(&p.headers))
            .field("retry_policy", &p.retry_policy)
            .field("event_filters", &p.event_filters)
            .field("aws_account_id", &self.aws_account_id)
            .field("aws_region", &self.aws_region)
            .field("event_source_suffix", &self.event_source_suffix)
            .field("organization_id", &self.organization_id)
            .field("role_arn", &self.role_arn)
            .field("dead_letter_arn", &self.dead_letter_arn)
            .field("invocation_rate_limit", &self.invocation_rate_limit)
            .finish()
    }
}

impl Route {
    /// A route without dead-letter queue or rate limit.
    pub fn new(
        payload: ResolvePayload,
        aws_account_id: impl Into<String>,
        aws_region: impl Into<String>,
        event_source_suffix: impl Into<String>,
        organization_id: impl Into<String>,
        role_arn: impl Into<String>,
    ) -> Self {
        Self {
            payload,
            aws_account_id: aws_account_id.into(),
            aws_region: aws_region.into(),
            event_source_suffix: event_source_suffix.into(),
            organization_id: organization_id.into(),
            role_arn: role_arn.into(),
            dead_letter_arn: None,
            invocation_rate_limit: None,
        }
    }

    /// Sets the dead-letter queue.
    #[must_use]
    pub fn dead_letter_arn(mut self, arn: impl Into<String>) -> Self {
        self.dead_letter_arn = Some(arn.into());
        self
    }

    /// Sets the invocation rate limit per destination.
    #[must_use]
    pub fn invocation_rate_limit(mut self, per_second: i32) -> Self {
        self.invocation_rate_limit = Some(per_second);
        self
    }

    /// The Genesys half: the EventBridge integration named after the payload, subscribed to its
    /// event types.
    pub fn integration(&self) -> EventBridgeIntegration {
        EventBridgeIntegration::new(
            self.payload.name.clone(),
            self.aws_account_id.clone(),
            self.aws_region.clone(),
            self.event_source_suffix.clone(),
        )
        .topics(
            self.payload
                .event_filters
                .iter()
                .map(|f| f.event_type.clone()),
        )
    }

    /// The partner event source (and event bus) name.
    pub fn partner_source_name(&self) -> String {
        partner_source_name(&self.organization_id, &self.event_source_suffix)
    }

    /// Where events go, as audit records name it: `route://<region>/<account>/<suffix>`.
    pub fn target(&self) -> String {
        format!(
            "route://{}/{}/{}",
            self.aws_region, self.aws_account_id, self.event_source_suffix
        )
    }
}
