//! The desired AWS half of a route, derived from a [`Route`]: resource names, the rule's event
//! pattern and input transformer, the target retry policy and each destination's connection.
//! Pure data; no AWS call is made here. The route's rules are the document's
//! ([`crate::document::route`]).

use std::fmt;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Route;
use super::auth::{ConnectionAuth, CredentialKey, HeaderParam};
use crate::document::route::{GENESYS_SOURCE_PREFIX, InputTransformerSpec, MAX_RETRY_ATTEMPTS};

/// EventBridge's lower bound of `RetryPolicy.MaximumEventAgeInSeconds`.
pub const MIN_EVENT_AGE_SECS: i32 = 60;
/// EventBridge's upper bound of `RetryPolicy.MaximumEventAgeInSeconds` (24 hours).
pub const MAX_EVENT_AGE_SECS: i32 = 86_400;
/// The longest name of a rule, connection or API destination.
pub const MAX_RESOURCE_NAME_CHARS: usize = 64;
/// The `[A-Za-z0-9._-]` stem of every AWS resource name of a route: `genesys-{name}-{hash}`,
/// where `{name}` is the payload's name with other characters as `-` (shortened so suffixes
/// fit in 64 characters) and `{hash}` 8 hex digits of the full name's SHA-256, so two names
/// that map to the same characters still differ.
pub fn resource_stem(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let digest = Sha256::digest(name.as_bytes());
    let hash = hex(&digest[..4]);
    format!("genesys-{slug}-{hash}")
}

/// The maximum event age a payload's retry series maps to: the time its retries span
/// (`retryInterval * (1 + backoffFactor + ... + backoffFactor^(maxRetries-1))` seconds, rounded
/// up), clamped to EventBridge's 60 to 86,400 seconds. EventBridge retries with its own
/// backoff; the age bounds how long it keeps trying, so it gets the window the payload's series
/// asks for.
pub fn maximum_event_age(retry_interval: f64, backoff_factor: f64, max_retries: i64) -> i32 {
    let max = f64::from(MAX_EVENT_AGE_SECS);
    let mut total = 0.0_f64;
    let mut step = retry_interval.max(0.0);
    for _ in 0..max_retries.clamp(0, MAX_RETRY_ATTEMPTS) {
        total += step;
        step *= backoff_factor.max(0.0);
        if !total.is_finite() || total >= max {
            return MAX_EVENT_AGE_SECS;
        }
    }
    let secs = total.ceil().clamp(f64::from(MIN_EVENT_AGE_SECS), max);
    // In 60..=86,400 by the clamp: the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    let secs = secs as i32;
    secs
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// A connection as the route wants it: its one auth (from the `Authorization` header, the
/// `oauth` block, or a non-secret marker: see [`ConnectionAuth`]) and the other headers as
/// invocation header parameters. Debug never shows a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSpec {
    /// The connection's name.
    pub name: String,
    /// Its auth.
    pub auth: ConnectionAuth,
    /// Further headers, sorted by name.
    pub headers: Vec<HeaderParam>,
    /// The description: who manages it and a keyed digest of its credentials, so a changed
    /// credential is seen without EventBridge ever returning one.
    pub description: String,
}

/// One destination: its connection and API destination. Debug shows the URI redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct DestinationSpec {
    /// The payload path of its URI (`uri`, `uris[0]`, ...).
    pub path: String,
    /// The HTTPS endpoint.
    pub uri: String,
    /// The connection.
    pub connection: ConnectionSpec,
    /// The API destination's name.
    pub api_destination_name: String,
    /// `InvocationRateLimitPerSecond`, when set.
    pub rate_limit: Option<i32>,
    /// The rule target's id.
    pub target_id: String,
}

impl fmt::Debug for DestinationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DestinationSpec")
            .field("path", &self.path)
            .field("uri", &crate::redact::uri(&self.uri))
            .field("connection", &self.connection)
            .field("api_destination_name", &self.api_destination_name)
            .field("rate_limit", &self.rate_limit)
            .field("target_id", &self.target_id)
            .finish()
    }
}

/// The whole desired AWS state of a route.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsSpec {
    /// The partner event source and event bus name.
    pub bus_name: String,
    /// The rule's name.
    pub rule_name: String,
    /// The rule's event pattern.
    pub event_pattern: Value,
    /// `MaximumRetryAttempts`.
    pub max_retry_attempts: i32,
    /// `MaximumEventAgeInSeconds`.
    pub max_event_age: i32,
    /// The role targets assume.
    pub role_arn: String,
    /// The dead-letter queue.
    pub dead_letter_arn: Option<String>,
    /// The input transformer, when the filters name fields.
    pub input_transformer: Option<InputTransformerSpec>,
    /// Every destination, `uri` first.
    pub destinations: Vec<DestinationSpec>,
    /// Mapping notes worth a look (a filter without fields next to filters with fields).
    pub warnings: Vec<String>,
}

impl AwsSpec {
    /// The prefix of every connection and API destination name of the route.
    pub fn destination_prefix(stem: &str) -> String {
        format!("{stem}-")
    }
}

/// The connection of `route`'s destinations: its auth and header parameters
/// ([`super::auth::connection_auth`]) and a description with their keyed digest.
fn connection_of(name: String, route: &Route, stem: &str, key: &CredentialKey) -> ConnectionSpec {
    let (auth, headers) = super::auth::connection_auth(route, stem);
    super::auth::pin_secrets(&auth, &headers);
    let description = super::auth::description(&route.payload.name, &auth, &headers, key);
    ConnectionSpec {
        name,
        auth,
        headers,
        description,
    }
}

impl Route {
    /// The desired AWS state, the credential digest under the public key. Call after
    /// [`validate`](Self::validate).
    pub fn aws_spec(&self) -> AwsSpec {
        self.aws_spec_with(&CredentialKey::public())
    }

    /// The desired AWS state, the credential digest under `key`.
    pub(super) fn aws_spec_with(&self, key: &CredentialKey) -> AwsSpec {
        let stem = resource_stem(&self.payload.name);
        let (input_transformer, warning) = self.input_transformer();
        let topics: Vec<&str> = self
            .payload
            .event_filters
            .iter()
            .map(|f| f.event_type.as_str())
            .collect();
        let destinations = self
            .payload
            .endpoints()
            .enumerate()
            .map(|(i, (path, uri))| DestinationSpec {
                path,
                uri: uri.to_owned(),
                connection: connection_of(format!("{stem}-{i}"), self, &stem, key),
                api_destination_name: format!("{stem}-{i}"),
                rate_limit: self.invocation_rate_limit,
                target_id: format!("destination-{i}"),
            })
            .collect();
        let retry = &self.payload.retry_policy;
        AwsSpec {
            bus_name: self.partner_source_name(),
            rule_name: stem,
            event_pattern: json!({
                "source": [{"prefix": GENESYS_SOURCE_PREFIX}],
                "detail-type": topics,
            }),
            max_retry_attempts: i32::try_from(retry.max_retries.clamp(0, MAX_RETRY_ATTEMPTS))
                .unwrap_or(0),
            max_event_age: maximum_event_age(
                retry.retry_interval,
                retry.backoff_factor,
                retry.max_retries,
            ),
            role_arn: self.role_arn.clone(),
            dead_letter_arn: self.dead_letter_arn.clone(),
            input_transformer,
            destinations,
            warnings: warning.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::route::tests::route;
    use crate::payload::EventFilter;

    #[test]
    fn event_age_is_the_series_clamped() {
        assert_eq!(maximum_event_age(5.0, 2.0, 3), 60); // 5+10+20 = 35 -> 60
        assert_eq!(maximum_event_age(30.0, 2.0, 3), 210); // 30+60+120
        assert_eq!(maximum_event_age(1.5, 1.0, 3), 60);
        assert_eq!(maximum_event_age(3600.0, 3.0, 5), 86_400);
        assert_eq!(maximum_event_age(5.0, 2.0, 0), 60);
        assert_eq!(maximum_event_age(1e300, 1e300, 185), 86_400);
    }

    #[test]
    fn names_are_aws_safe_and_distinct() {
        let a = resource_stem("orders hook");
        let b = resource_stem("orders/hook");
        assert_ne!(a, b);
        assert!(a.starts_with("genesys-orders-hook-"));
        let long = resource_stem(&"x".repeat(300));
        assert!(long.len() + 4 <= MAX_RESOURCE_NAME_CHARS, "{long}");
    }

    #[test]
    fn headers_split_into_key_and_parameters() {
        let spec = route().aws_spec();
        let c = &spec.destinations[0].connection;
        // No Authorization: the marker key; the API key a secret header parameter.
        assert_eq!(c.auth.authorization_type(), "API_KEY");
        let names: Vec<_> = c
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.secret))
            .collect();
        assert_eq!(
            names,
            [
                ("Content-Type", false),
                ("X-Api-Key", true),
                ("X-Genesys-Source", false),
                ("X-Tenant", false)
            ]
        );
        let debug = format!("{spec:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(!c.description.contains("s3cret"));
        assert_eq!(spec.destinations.len(), 2);
        assert_eq!(spec.destinations[1].path, "uris[0]");
        assert_eq!(
            spec.event_pattern["detail-type"],
            json!(["v2.users.{id}.presence"])
        );
    }

    #[test]
    fn the_transformer_keeps_the_envelope_and_names_each_field() {
        let mut r = route();
        r.payload.event_filters = vec![EventFilter {
            event_type: "v2.users.{id}.presence".into(),
            fields: vec!["presenceDefinition.systemPresence".into()],
        }];
        let t = r.aws_spec().input_transformer.unwrap();
        let template: Value =
            serde_json::from_str(&t.template.replace('<', "\"<").replace('>', ">\"")).unwrap();
        assert!(
            template["eventBody"]
                .get("presenceDefinition.systemPresence")
                .is_some()
        );
        assert_eq!(
            t.paths["f_presenceDefinition_systemPresence"],
            "$.detail.eventBody.presenceDefinition.systemPresence"
        );
    }
}
