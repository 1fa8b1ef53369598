//! The route document: a payload and where it lands in AWS, its rules (the payload's, the
//! integration's and EventBridge's own) and its strict reader. The deployer that builds both
//! halves is `crate::route` (feature `aws`); the document needs no AWS SDK.
//!
//! A route document is flat: the payload's keys (`name`, `type`, `uri`, `uris`, `retryPolicy`,
//! `eventFilters`, `headers`) with the route's beside them ([`ROUTE_KEYS`]: `awsAccountId`,
//! `awsRegion`, `eventSourceSuffix` and `roleArn`, required; `organizationId`, `deadLetterArn`,
//! `invocationRateLimit`, `oauth` and `connectivity`, optional), as the command line and the Python package take
//! it. Unlike the seed's payload, a route may set `Authorization`: it becomes the connection's
//! auth ([`super::route_auth`]).

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use super::eventbridge::{EventBridgeIntegration, check_aws};
use super::payload::{PAYLOAD_REQUIRED, payload_fields};
use super::route_auth::{OAuthClientCredentials, check_connection, read_oauth};
use super::route_connectivity::{Connectivity, read_connectivity};
use super::walk::{Reading, Walker};
use super::{DocumentError, DocumentKind, Format, read_text_as};
use crate::payload::{PAYLOAD_KEYS, ResolvePayload};
use crate::validate::{self, Limits, ValidationErrors, Violation, ViolationCode};

/// The source prefix every Genesys partner event carries.
pub const GENESYS_SOURCE_PREFIX: &str = "aws.partner/genesys.com";
/// EventBridge's range of `RetryPolicy.MaximumRetryAttempts`.
pub const MAX_RETRY_ATTEMPTS: i64 = 185;
/// The most entries of an input transformer's `InputPathsMap`.
pub const MAX_INPUT_PATHS: usize = 100;
/// The longest `InputTemplate`, in characters.
pub const MAX_INPUT_TEMPLATE_CHARS: usize = 8192;
/// The longest JSON path of an `InputPathsMap` entry.
pub const MAX_INPUT_PATH_CHARS: usize = 256;
/// The default account quota of `InvocationRateLimitPerSecond` per API destination. The service
/// model has only a minimum of 1; the quota can be raised on request, so a higher rate is
/// deployed with a warning, never refused.
pub const DEFAULT_INVOCATION_RATE_QUOTA: i32 = 300;

/// The route's own keys in a route document; every other key is the payload's.
pub const ROUTE_KEYS: [&str; 9] = [
    "awsAccountId",
    "awsRegion",
    "eventSourceSuffix",
    "organizationId",
    "roleArn",
    "deadLetterArn",
    "invocationRateLimit",
    "oauth",
    "connectivity",
];

/// Every key of a route document: the payload's, then the route's.
const ALL_KEYS: [&str; 16] = [
    PAYLOAD_KEYS[0],
    PAYLOAD_KEYS[1],
    PAYLOAD_KEYS[2],
    PAYLOAD_KEYS[3],
    PAYLOAD_KEYS[4],
    PAYLOAD_KEYS[5],
    PAYLOAD_KEYS[6],
    ROUTE_KEYS[0],
    ROUTE_KEYS[1],
    ROUTE_KEYS[2],
    ROUTE_KEYS[3],
    ROUTE_KEYS[4],
    ROUTE_KEYS[5],
    ROUTE_KEYS[6],
    ROUTE_KEYS[7],
    ROUTE_KEYS[8],
];

/// The keys a route document must have: the payload's and the route's.
const REQUIRED: [&str; 9] = [
    PAYLOAD_REQUIRED[0],
    PAYLOAD_REQUIRED[1],
    PAYLOAD_REQUIRED[2],
    PAYLOAD_REQUIRED[3],
    PAYLOAD_REQUIRED[4],
    "awsAccountId",
    "awsRegion",
    "eventSourceSuffix",
    "roleArn",
];

/// The partner event source (and partner event bus) name Genesys creates for an organisation
/// and suffix: `aws.partner/genesys.com/cloud/{orgId}/{suffix}`.
pub fn partner_source_name(organization_id: &str, suffix: &str) -> String {
    format!("{GENESYS_SOURCE_PREFIX}/cloud/{organization_id}/{suffix}")
}

/// A route: the payload and where it lands in AWS. Debug shows the payload's headers
/// redacted (an API key travels in them).
///
/// Its serde form is the flat route document (the payload's keys beside the route's); reading
/// one through serde is as strict as [`Route::read_value`] (the rules are not applied).
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// The seed's payload: name, destinations, headers, retry policy, event filters.
    #[serde(flatten)]
    pub payload: ResolvePayload,
    /// The 12-digit AWS account receiving the events.
    pub aws_account_id: String,
    /// Its region (`us-east-1`, ...).
    pub aws_region: String,
    /// The partner event source's suffix (up to 64 of `[A-Za-z0-9._-]`).
    pub event_source_suffix: String,
    /// The Genesys organisation id (part of the partner event source's name); empty: the
    /// organisation of the deployer's Genesys credentials (`GET /api/v2/organizations/me`).
    pub organization_id: String,
    /// The IAM role EventBridge assumes to invoke the API destinations.
    pub role_arn: String,
    /// An SQS queue for events that could not be delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_arn: Option<String>,
    /// `InvocationRateLimitPerSecond` of every API destination (at least 1; above the default
    /// quota of 300 with a warning; AWS's default when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invocation_rate_limit: Option<i32>,
    /// OAuth client credentials for the connections (instead of an `Authorization` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth: Option<Box<OAuthClientCredentials>>,
    /// How EventBridge reaches the destinations (`connectivity`: `public`, the default, or
    /// `private`). `route check` judges each destination as EventBridge will reach it; with
    /// `private` its public-address rule is skipped (reported so, not passed).
    #[serde(skip_serializing_if = "Connectivity::is_public")]
    pub connectivity: Connectivity,
}

impl<'de> Deserialize<'de> for Route {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::read_value(&value)
            .into_result()
            .map_err(D::Error::custom)
    }
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
            .field("oauth", &self.oauth)
            .field("connectivity", &self.connectivity)
            .finish()
    }
}

/// The rule's input transformer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputTransformerSpec {
    /// Variable name to JSON path.
    pub paths: BTreeMap<String, String>,
    /// The JSON template.
    pub template: String,
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
            oauth: None,
            connectivity: Connectivity::Public,
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

    /// Sets a header of the route's connections. Unlike the seed's payload (whose builder
    /// refuses it), a route may set `Authorization`: it becomes the connections' auth.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.payload.headers.insert(name.into(), value.into());
        self
    }

    /// Sets how EventBridge reaches the destinations (default [`Connectivity::Public`]).
    #[must_use]
    pub fn connectivity(mut self, connectivity: Connectivity) -> Self {
        self.connectivity = connectivity;
        self
    }

    /// Sets OAuth client credentials as the connections' auth.
    #[must_use]
    pub fn oauth(mut self, oauth: OAuthClientCredentials) -> Self {
        self.oauth = Some(Box::new(oauth));
        self
    }

    /// Reads a route document strictly and checks its rules (the payload's with default
    /// [`Limits`]): every unknown, missing and wrongly typed key and every broken rule, each at
    /// its JSON path, at once. Wrong types are named by type, never by value (a header may hold
    /// an API key).
    ///
    /// ```
    /// use genesys_resolver::document::Route;
    /// use genesys_resolver::validate::ViolationCode;
    ///
    /// let doc = serde_json::json!({
    ///     "name": "orders", "type": "webhook", "uri": "http://hooks.example.com/x",
    ///     "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
    ///     "eventFilters": [{"eventType": "v2.users.{id}.presence"}],
    ///     "headers": {"X-Api-Key": 12345},
    ///     "awsAccountId": "123456789012", "awsRegion": "us-east-1", "eventSourceSuffix": "orders",
    ///     "rolArn": "arn:aws:iam::123456789012:role/r",
    /// });
    /// let err = Route::from_value(&doc).unwrap_err();
    /// let found: Vec<_> = err.violations().iter().map(|v| (v.path.as_str(), v.code)).collect();
    /// assert_eq!(found, [
    ///     ("rolArn", ViolationCode::UnknownKey),
    ///     ("roleArn", ViolationCode::MissingKey),
    ///     ("headers.X-Api-Key", ViolationCode::WrongType),
    ///     ("uri", ViolationCode::UriNotHttps),
    /// ]);
    /// assert_eq!(err.violations()[2].message, "expected a string, found a number");
    /// ```
    pub fn from_value(value: &Value) -> Result<Self, ValidationErrors> {
        Self::read_value(value).check(Self::violations)
    }

    /// Reads a route document from a parsed value as far as it goes, without its rules: the
    /// [`Reading`] holds the route (placeholders where a value is missing or of the wrong type)
    /// and every problem of its shape.
    pub fn read_value(value: &Value) -> Reading<Self> {
        let mut w = Walker::default();
        let map = w.object("", value, &ALL_KEYS, &REQUIRED);
        let payload = payload_fields(&mut w, map);
        let get = |key: &str| map.and_then(|m| m.get(key));
        let route = Self {
            payload,
            aws_account_id: w.string("awsAccountId".into(), get("awsAccountId")),
            aws_region: w.string("awsRegion".into(), get("awsRegion")),
            event_source_suffix: w.string("eventSourceSuffix".into(), get("eventSourceSuffix")),
            organization_id: w
                .optional_string("organizationId".into(), get("organizationId"))
                .unwrap_or_default(),
            role_arn: w.string("roleArn".into(), get("roleArn")),
            dead_letter_arn: w.optional_string("deadLetterArn".into(), get("deadLetterArn")),
            invocation_rate_limit: rate(&mut w, get("invocationRateLimit")),
            oauth: read_oauth(&mut w, get("oauth")),
            connectivity: read_connectivity(&mut w, get("connectivity")),
        };
        w.finish(route)
    }

    /// [`from_value`](Self::from_value) of JSON text, with duplicate keys reported and the
    /// [`ReadLimits`](super::ReadLimits) applied.
    pub fn from_json(json: &[u8]) -> Result<Self, DocumentError> {
        Self::from_text(json, Format::Json)
    }

    /// [`from_value`](Self::from_value) of YAML text (feature `yaml`), through the same strict
    /// reader as JSON.
    #[cfg(feature = "yaml")]
    pub fn from_yaml(yaml: &str) -> Result<Self, DocumentError> {
        Self::from_text(yaml.as_bytes(), Format::Yaml)
    }

    fn from_text(text: &[u8], format: Format) -> Result<Self, DocumentError> {
        read_text_as(
            text,
            format,
            DocumentKind::Route,
            Self::read_value,
            Self::violations,
        )
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

    /// Every violation of the route: the payload's own rules (with default [`Limits`]), where
    /// its events land (account, region, suffix) and the AWS rules EventBridge applies (RoleArn
    /// present and an IAM role, retry ranges, DLQ ARN, rate limit at least 1, per field
    /// projection an input transformer of at most 100 paths of at most 256 characters and a
    /// template of 1 to 8,192 characters, and the lengths, patterns and quotas of botocore's
    /// model that the route's own values reach: see [`aws_limits`](super::aws_limits)), each
    /// naming its field, so that what AWS would refuse is found before the first write.
    pub fn violations(&self) -> Vec<Violation> {
        self.violations_with(&Limits::default())
    }

    /// [`violations`](Self::violations) with the payload's rules checked against `limits`.
    pub fn violations_with(&self, limits: &Limits) -> Vec<Violation> {
        // The payload's rules cover the name and the event types (the integration's topics);
        // `Authorization` is the seed's reserved header, a route's connection auth.
        let mut out = validate::violations(&self.payload, limits);
        out.retain(|v| {
            v.code != ViolationCode::HeaderReserved
                || !v.path.eq_ignore_ascii_case("headers.authorization")
        });
        check_connection(&self.payload.headers, self.oauth.as_deref(), &mut out);
        check_aws(
            &self.aws_account_id,
            &self.aws_region,
            &self.event_source_suffix,
            &mut out,
        );
        if !self
            .organization_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            out.push(Violation::new(
                "organizationId",
                ViolationCode::OrganizationIdInvalid,
                "the Genesys organisation id is of [A-Za-z0-9._-] (empty: read from Genesys)",
            ));
        }
        if self.role_arn.is_empty() {
            out.push(Violation::new(
                "roleArn",
                ViolationCode::RoleArnMissing,
                "EventBridge refuses an API destination target without a RoleArn",
            ));
        } else if !is_role_arn(&self.role_arn) {
            out.push(Violation::new(
                "roleArn",
                ViolationCode::RoleArnInvalid,
                "expected arn:aws:iam::<12-digit account>:role/<name>",
            ));
        }
        if let Some(dlq) = &self.dead_letter_arn
            && !is_sqs_arn(dlq)
        {
            out.push(Violation::new(
                "deadLetterArn",
                ViolationCode::DeadLetterArnInvalid,
                "expected an SQS queue ARN, arn:aws:sqs:<region>:<account>:<queue>",
            ));
        }
        if let Some(rate) = self.invocation_rate_limit
            && rate < 1
        {
            out.push(Violation::new(
                "invocationRateLimit",
                ViolationCode::InvocationRateOutOfRange,
                "EventBridge's invocation rate is at least 1 per second",
            ));
        }
        let retries = self.payload.retry_policy.max_retries;
        if !(0..=MAX_RETRY_ATTEMPTS).contains(&retries) {
            out.push(Violation::new(
                "retryPolicy.maxRetries",
                ViolationCode::MaxRetriesOutOfRange,
                format!(
                    "{retries} is outside EventBridge's MaximumRetryAttempts range 0 to {MAX_RETRY_ATTEMPTS}"
                ),
            ));
        }
        for (i, f) in self.payload.event_filters.iter().enumerate() {
            for (j, field) in f.fields.iter().enumerate() {
                let path = field_path(field);
                let bad = field.is_empty()
                    || path.len() > MAX_INPUT_PATH_CHARS
                    || !field
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
                if bad {
                    out.push(Violation::new(
                        format!("eventFilters[{i}].fields[{j}]"),
                        ViolationCode::InputPathInvalid,
                        format!(
                            "a field is a dotted path of [A-Za-z0-9_-] segments whose JSON path fits in {MAX_INPUT_PATH_CHARS} characters"
                        ),
                    ));
                }
            }
        }
        for projection in self.projections() {
            let Some(t) = &projection.transformer else {
                continue;
            };
            let at = format!("eventFilters[{}].fields", projection.filters[0]);
            if t.paths.len() > MAX_INPUT_PATHS {
                out.push(Violation::new(
                    at.clone(),
                    ViolationCode::InputPathsTooMany,
                    format!(
                        "the projection names {} fields (with the envelope's 3); an input transformer takes at most {MAX_INPUT_PATHS}",
                        t.paths.len()
                    ),
                ));
            }
            let chars = t.template.chars().count();
            if !(1..=MAX_INPUT_TEMPLATE_CHARS).contains(&chars) {
                out.push(Violation::new(
                    at,
                    ViolationCode::InputTemplateTooLong,
                    format!(
                        "the input template would be {chars} characters; EventBridge takes 1 to {MAX_INPUT_TEMPLATE_CHARS}"
                    ),
                ));
            }
        }
        super::aws_limits::check(self, &mut out);
        out
    }

    /// [`violations`](Self::violations) as a result.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let out = self.violations();
        if out.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors::new(out))
        }
    }

    /// The route's field projections, in the order of their first filter: the event filters
    /// that name the same fields (in any order; none: the whole event) share one, and each keeps
    /// its own fields (no union, no whole-event fallback). A projection with fields has an
    /// input transformer: `topicName`, `timestamp` and `correlationId` of the envelope and the
    /// named fields of `detail.eventBody`.
    pub fn projections(&self) -> Vec<Projection> {
        let mut out: Vec<(Vec<String>, Projection)> = Vec::new();
        for (i, filter) in self.payload.event_filters.iter().enumerate() {
            let mut key: Vec<String> = filter.fields.clone();
            key.sort();
            key.dedup();
            if let Some((_, p)) = out.iter_mut().find(|(k, _)| *k == key) {
                p.filters.push(i);
                continue;
            }
            let transformer = (!key.is_empty()).then(|| transformer_of(&key));
            out.push((
                key,
                Projection {
                    filters: vec![i],
                    transformer,
                },
            ));
        }
        out.into_iter().map(|(_, p)| p).collect()
    }
}

/// One field projection of a route: the event filters (by index) whose events are delivered
/// alike, and the input transformer that shapes them (`None`: the whole event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// Indexes into `eventFilters`, in order.
    pub filters: Vec<usize>,
    /// The input transformer, when the filters name fields.
    pub transformer: Option<InputTransformerSpec>,
}

/// The input transformer of a projection's (sorted, distinct) fields.
fn transformer_of(fields: &[String]) -> InputTransformerSpec {
    let mut paths = BTreeMap::new();
    paths.insert("topicName".to_owned(), "$.detail.topicName".to_owned());
    paths.insert("timestamp".to_owned(), "$.detail.timestamp".to_owned());
    paths.insert(
        "correlationId".to_owned(),
        "$.detail.metadata.CorrelationId".to_owned(),
    );
    let mut body = Vec::new();
    for field in fields {
        let var = format!("f_{}", variable_of(field));
        if paths.insert(var.clone(), field_path(field)).is_none() {
            body.push(format!("{}: <{var}>", json!(field)));
        }
    }
    let template = format!(
        "{{\"topicName\": <topicName>, \"timestamp\": <timestamp>, \"correlationId\": <correlationId>, \"eventBody\": {{{}}}}}",
        body.join(", ")
    );
    InputTransformerSpec { paths, template }
}

/// The invocation rate: a whole number that fits, or `None` when absent or `null`.
fn rate(w: &mut Walker, value: Option<&Value>) -> Option<i32> {
    let path = "invocationRateLimit".to_owned();
    match value {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_i64().is_some() || n.as_u64().is_some() => {
            let rate = n.as_i64().and_then(|r| i32::try_from(r).ok());
            if rate.is_none() {
                w.unreadable(
                    path,
                    ViolationCode::InvocationRateOutOfRange,
                    "EventBridge's invocation rate is a whole number of at least 1 per second"
                        .to_owned(),
                );
            }
            rate
        }
        Some(other) => {
            w.wrong_type(path, "a whole number", other);
            None
        }
    }
}

/// Whether `arn` looks like an IAM role ARN: `arn:{partition}:iam::{12 digits}:role/{path+name}`.
pub fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].strip_prefix("role/").is_some_and(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
        })
}

/// Whether `arn` looks like an SQS queue ARN (a dead-letter queue).
pub fn is_sqs_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sqs"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[5].is_empty()
        && parts[5]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The input-transformer variable for a field: its characters outside `[A-Za-z0-9_]` as `_`.
fn variable_of(field: &str) -> String {
    field
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The JSON path of a field of the event body.
fn field_path(field: &str) -> String {
    format!("$.detail.eventBody.{field}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::payload::EventFilter;

    /// A valid route with an API key, for the unit tests here and of the route flow.
    pub(crate) fn route() -> Route {
        let payload = ResolvePayload::builder("orders hook", "https://a.example/x")
            .uris(["https://b.example/y"])
            .event_types(["v2.users.{id}.presence"])
            .header("X-Api-Key", "Bearer s3cret-value")
            .header("X-Tenant", "t1")
            .build()
            .unwrap();
        Route::new(
            payload,
            "123456789012",
            "us-east-1",
            "orders",
            "org-1",
            "arn:aws:iam::123456789012:role/route",
        )
    }

    #[test]
    fn aws_rules_name_their_fields() {
        let mut r = route();
        r.role_arn = String::new();
        r.dead_letter_arn = Some("arn:aws:sns:us-east-1:123456789012:x".into());
        r.invocation_rate_limit = Some(0);
        r.payload.event_filters = vec![EventFilter {
            event_type: "v2.users.{id}.presence".into(),
            fields: vec!["ok.path".into(), "bad path".into()],
        }];
        let got: Vec<_> = r
            .violations()
            .into_iter()
            .map(|v| (v.path, v.code))
            .collect();
        assert!(got.contains(&("roleArn".into(), ViolationCode::RoleArnMissing)));
        assert!(got.contains(&("deadLetterArn".into(), ViolationCode::DeadLetterArnInvalid)));
        assert!(got.contains(&(
            "invocationRateLimit".into(),
            ViolationCode::InvocationRateOutOfRange
        )));
        assert!(got.contains(&(
            "eventFilters[0].fields[1]".into(),
            ViolationCode::InputPathInvalid
        )));
        r.role_arn = "arn:aws:iam::123:role/x".into();
        assert!(
            r.violations()
                .iter()
                .any(|v| v.code == ViolationCode::RoleArnInvalid)
        );
    }

    #[test]
    fn input_transformer_limits() {
        let mut r = route();
        r.payload.event_filters = vec![EventFilter {
            event_type: "v2.users.{id}.presence".into(),
            fields: (0..120).map(|i| format!("f{i}")).collect(),
        }];
        let codes: Vec<_> = r.violations().into_iter().map(|v| v.code).collect();
        assert!(codes.contains(&ViolationCode::InputPathsTooMany));
        r.payload.event_filters[0].fields =
            (0..90).map(|i| format!("{}{i}", "y".repeat(120))).collect();
        let codes: Vec<_> = r.violations().into_iter().map(|v| v.code).collect();
        assert!(
            codes.contains(&ViolationCode::InputTemplateTooLong),
            "{codes:?}"
        );
    }

    #[test]
    fn arn_shapes() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/service-role/x"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/x"));
        assert!(is_sqs_arn("arn:aws:sqs:us-east-1:123456789012:dlq"));
        assert!(!is_sqs_arn("arn:aws:sqs:us-east-1:123456789012:"));
    }
}
