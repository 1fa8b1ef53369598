//! The desired AWS half of a route, derived from a [`Route`]: resource names, the rule's event
//! pattern and input transformer, the target retry policy and each destination's connection.
//! Pure data; no AWS call is made here. The route's rules are the document's
//! ([`crate::document::route`]).

use std::fmt;

use serde_json::Value;

use super::Route;
use super::auth::{ConnectionAuth, CredentialKey, HeaderParam};
pub use super::identity::{
    DESCRIPTION_PREFIX, Owner, ROUTE_ID_TAG, ROUTE_NAME_TAG, RouteIdentity, resource_stem,
};
use crate::document::aws_limits::{
    MAX_EVENT_PATTERN_CHARS, MAX_RULES_PER_BUS, MAX_TARGETS_PER_RULE, aws_len, event_pattern,
};
use crate::document::route::{
    DEFAULT_INVOCATION_RATE_QUOTA, InputTransformerSpec, MAX_RETRY_ATTEMPTS,
};
use crate::validate::{ValidationErrors, Violation, ViolationCode};

/// EventBridge's lower bound of `RetryPolicy.MaximumEventAgeInSeconds`.
pub const MIN_EVENT_AGE_SECS: i32 = 60;
/// EventBridge's upper bound of `RetryPolicy.MaximumEventAgeInSeconds` (24 hours).
pub const MAX_EVENT_AGE_SECS: i32 = 86_400;
/// The longest name of a rule, connection or API destination.
pub const MAX_RESOURCE_NAME_CHARS: usize = 64;
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
pub(super) fn hex(bytes: &[u8]) -> String {
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
    /// The API destination's description (the route's identity).
    pub description: String,
    /// `InvocationRateLimitPerSecond`, when set.
    pub rate_limit: Option<i32>,
    /// The id of its target, the same in every rule that delivers to it.
    pub target_id: String,
}

impl fmt::Debug for DestinationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DestinationSpec")
            .field("path", &self.path)
            .field("uri", &crate::redact::uri(&self.uri))
            .field("connection", &self.connection)
            .field("api_destination_name", &self.api_destination_name)
            .field("description", &self.description)
            .field("rate_limit", &self.rate_limit)
            .field("target_id", &self.target_id)
            .finish()
    }
}

/// One rule of a route: the topics of one field projection (as many as fit in one event
/// pattern) delivered to up to five destinations, each a target with the projection's input
/// transformer.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    /// The rule's name, `{stem}-r{i}`.
    pub name: String,
    /// The topics its pattern matches.
    pub topics: Vec<String>,
    /// The event pattern.
    pub event_pattern: Value,
    /// The projection's input transformer (`None`: the whole event).
    pub input_transformer: Option<InputTransformerSpec>,
    /// Indexes into [`AwsSpec::destinations`]: at most [`MAX_TARGETS_PER_RULE`].
    pub destinations: Vec<usize>,
}

/// The whole desired AWS state of a route.
///
/// The layout: one rule per field projection, topic chunk and group of five destinations.
/// EventBridge allows five targets per rule and 2,048 characters per event pattern, and one rule
/// delivers one shape of event (its targets share its topics), so the filters are grouped by the
/// fields they name, each group's topics are split into patterns that fit, and the destinations
/// into groups of five (`uri` and the first four `uris` in the first); each destination is one
/// connection and one API destination, a target in every rule of its group. The seed's maximum,
/// `uri` plus 10 `uris` with one projection, is three rules.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsSpec {
    /// Who the resources belong to.
    pub identity: RouteIdentity,
    /// The stem of every resource name ([`resource_stem`]).
    pub stem: String,
    /// The partner event source and event bus name.
    pub bus_name: String,
    /// The Genesys integration's id, once known: recorded in the rules' descriptions, so that
    /// destroy deletes the integration the route made.
    pub integration_id: Option<String>,
    /// The rules, in order.
    pub rules: Vec<RuleSpec>,
    /// `MaximumRetryAttempts`.
    pub max_retry_attempts: i32,
    /// `MaximumEventAgeInSeconds`.
    pub max_event_age: i32,
    /// The role targets assume.
    pub role_arn: String,
    /// The dead-letter queue.
    pub dead_letter_arn: Option<String>,
    /// Every destination, `uri` first.
    pub destinations: Vec<DestinationSpec>,
    /// Mapping notes worth a look (a rate above the default quota).
    pub warnings: Vec<String>,
}

impl AwsSpec {
    /// The name prefix of the route's connections and API destinations, `{stem}-`: it holds
    /// the route's whole 128-bit id, so listing by it narrows a listing to names minted for this
    /// id. What is the route's is still decided by each resource's description.
    pub fn candidate_prefix(&self) -> String {
        format!("{}-", self.stem)
    }

    /// The description of each rule: the identity and, when known, the Genesys integration id.
    pub fn rule_description(&self) -> String {
        match &self.integration_id {
            Some(id) => self.identity.description(&[("integration", id)]),
            None => self.identity.description(&[]),
        }
    }

    /// What AWS would refuse of the layout itself: more rules than a bus holds, a name, a
    /// description or a pattern beyond the model's and the quotas' limits. Checked before the
    /// first write.
    pub fn violations(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        if self.rules.len() > MAX_RULES_PER_BUS {
            out.push(Violation::new(
                "eventFilters",
                ViolationCode::RuleQuotaExceeded,
                format!(
                    "the route needs {} rules (per field projection, {MAX_EVENT_PATTERN_CHARS}-character \
                     pattern and {MAX_TARGETS_PER_RULE} destinations); an event bus holds {MAX_RULES_PER_BUS}",
                    self.rules.len()
                ),
            ));
        }
        for rule in &self.rules {
            let chars = aws_len(&rule.event_pattern.to_string());
            if chars > MAX_EVENT_PATTERN_CHARS || rule.destinations.len() > MAX_TARGETS_PER_RULE {
                out.push(Violation::new(
                    "eventFilters",
                    ViolationCode::RuleQuotaExceeded,
                    format!(
                        "rule {} would have a {chars}-character pattern and {} targets",
                        rule.name,
                        rule.destinations.len()
                    ),
                ));
            }
        }
        if let Some(first) = self.destinations.first() {
            // Every destination's connection carries the same headers.
            connection_violations(&first.connection, &mut out);
        }
        let rule_description = self.rule_description();
        let descriptions = self
            .destinations
            .iter()
            .flat_map(|d| [&d.description, &d.connection.description]);
        let too_long = std::iter::once(&rule_description)
            .chain(descriptions)
            .any(|d| aws_len(d) > crate::document::aws_limits::MAX_DESCRIPTION_CHARS);
        if too_long {
            out.push(Violation::new(
                "name",
                ViolationCode::NameTooLong,
                "the route's name does not fit in its AWS resources' 512-character descriptions",
            ));
        }
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
}

/// botocore's `AuthHeaderParameters` (an API key's name and value, a Basic user and password):
/// 1 to 512 of anything but controls and `:`, not starting or ending in white space other than
/// spaces and tabs around words.
fn is_auth_header_parameter(value: &str) -> bool {
    let len = aws_len(value);
    (1..=512).contains(&len)
        && !value.trim_matches([' ', '\t']).is_empty()
        && value
            .chars()
            .all(|c| c == ' ' || c == '\t' || !(c.is_control() || c == ':'))
}

/// botocore's header key pattern of `ConnectionHttpParameters`: an HTTP token of at most 512.
fn is_header_key(key: &str) -> bool {
    (1..=512).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// What the service model refuses of a connection's auth and header parameters, at the
/// payload's `headers.{name}` path (the `oauth` block's values are the route's rules, checked
/// before: [`crate::document::route`]). Values are never quoted.
fn connection_violations(c: &ConnectionSpec, out: &mut Vec<Violation>) {
    let at = |name: &str| format!("headers.{name}");
    match &c.auth {
        ConnectionAuth::ApiKey { name, value } => {
            if !is_header_key(name) || !is_auth_header_parameter(name) {
                out.push(Violation::new(
                    at(name),
                    ViolationCode::HeaderNameInvalid,
                    "EventBridge takes an API key name of 1 to 512 characters of an HTTP token",
                ));
            }
            if !is_auth_header_parameter(value) {
                out.push(Violation::new(
                    at(name),
                    ViolationCode::HeaderValueInvalid,
                    "EventBridge takes an API key value of 1 to 512 characters without ':' or \
                     control characters",
                ));
            }
        }
        ConnectionAuth::Basic { username, password } => {
            if !is_auth_header_parameter(username) || !is_auth_header_parameter(password) {
                out.push(Violation::new(
                    at("Authorization"),
                    ViolationCode::HeaderValueInvalid,
                    "EventBridge takes a Basic user name and password of 1 to 512 characters \
                     each, without ':' or control characters",
                ));
            }
        }
        ConnectionAuth::OAuth(_) => {}
    }
    for h in &c.headers {
        if !is_header_key(&h.name) {
            out.push(Violation::new(
                at(&h.name),
                ViolationCode::HeaderNameInvalid,
                "EventBridge takes a header name of 1 to 512 characters of an HTTP token",
            ));
        }
        if aws_len(&h.value) > 512 {
            out.push(Violation::new(
                at(&h.name),
                ViolationCode::HeaderValueInvalid,
                "EventBridge takes a header value of at most 512 characters",
            ));
        }
    }
}

/// The topics split into runs whose event pattern fits [`MAX_EVENT_PATTERN_CHARS`] (a topic that
/// does not fit alone is a violation of the route, found before).
fn topic_chunks(topics: &[&str]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for topic in topics {
        current.push((*topic).to_owned());
        if current.len() > 1
            && aws_len(&event_pattern(&current).to_string()) > MAX_EVENT_PATTERN_CHARS
        {
            current.pop();
            out.push(std::mem::replace(&mut current, vec![(*topic).to_owned()]));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The connection of `route`'s destinations: its auth and header parameters
/// ([`super::auth::connection_auth`]; the marker key's value is the route's id) and a
/// description naming the route's identity with the keyed digest of what the connection holds.
fn connection_of(
    name: String,
    route: &Route,
    identity: &RouteIdentity,
    key: &CredentialKey,
) -> ConnectionSpec {
    let (auth, headers) = super::auth::connection_auth(route, &identity.id);
    super::auth::pin_secrets(&auth, &headers);
    let description = super::auth::description(identity, &auth, &headers, key);
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
        let identity = RouteIdentity::of(&self.payload.name);
        let stem = resource_stem(&self.payload.name);
        let destination_description = identity.description(&[]);
        let destinations: Vec<DestinationSpec> = self
            .payload
            .endpoints()
            .enumerate()
            .map(|(i, (path, uri))| DestinationSpec {
                path,
                uri: uri.to_owned(),
                connection: connection_of(format!("{stem}-d{i}"), self, &identity, key),
                api_destination_name: format!("{stem}-d{i}"),
                description: destination_description.clone(),
                rate_limit: self.invocation_rate_limit,
                target_id: format!("destination-{i}"),
            })
            .collect();
        let indexes: Vec<usize> = (0..destinations.len()).collect();
        let mut rules = Vec::new();
        for projection in self.projections() {
            let topics: Vec<&str> = projection
                .filters
                .iter()
                .map(|&i| self.payload.event_filters[i].event_type.as_str())
                .collect();
            for chunk in topic_chunks(&topics) {
                for group in indexes.chunks(MAX_TARGETS_PER_RULE) {
                    rules.push(RuleSpec {
                        name: format!("{stem}-r{}", rules.len()),
                        event_pattern: event_pattern(&chunk),
                        topics: chunk.clone(),
                        input_transformer: projection.transformer.clone(),
                        destinations: group.to_vec(),
                    });
                }
            }
        }
        let mut warnings = Vec::new();
        if let Some(rate) = self.invocation_rate_limit
            && rate > DEFAULT_INVOCATION_RATE_QUOTA
        {
            warnings.push(format!(
                "invocationRateLimit {rate} is above EventBridge's default quota of \
                 {DEFAULT_INVOCATION_RATE_QUOTA} per second: the account's quota must have been raised"
            ));
        }
        let retry = &self.payload.retry_policy;
        AwsSpec {
            identity,
            stem,
            bus_name: self.partner_source_name(),
            integration_id: None,
            rules,
            max_retry_attempts: i32::try_from(retry.max_retries.clamp(0, MAX_RETRY_ATTEMPTS))
                .unwrap_or(0),
            max_event_age: maximum_event_age(
                retry.retry_interval,
                retry.backoff_factor,
                retry.max_retries,
            ),
            role_arn: self.role_arn.clone(),
            dead_letter_arn: self.dead_letter_arn.clone(),
            destinations,
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::route::tests::route;
    use crate::payload::EventFilter;
    use crate::route::MARKER_KEY_NAME;

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
    fn layout_keeps_each_projection_and_five_targets_per_rule() {
        let mut r = route();
        r.payload.uris = (1..=10)
            .map(|i| format!("https://h{i}.example/x"))
            .collect();
        r.payload.event_filters = vec![
            EventFilter {
                event_type: "v2.users.{id}.presence".into(),
                fields: vec!["a".into()],
            },
            EventFilter {
                event_type: "v2.routing.queues.{id}.conversations".into(),
                fields: vec![],
            },
        ];
        let spec = r.aws_spec();
        assert!(spec.violations().is_empty(), "{:?}", spec.violations());
        assert_eq!(spec.destinations.len(), 11);
        // Two projections, three groups of destinations (5, 5, 1).
        assert_eq!(spec.rules.len(), 6);
        for rule in &spec.rules {
            assert!(rule.destinations.len() <= MAX_TARGETS_PER_RULE);
            assert!(rule.name.len() <= MAX_RESOURCE_NAME_CHARS);
        }
        assert!(spec.rules[0].input_transformer.is_some());
        assert_eq!(spec.rules[0].topics, ["v2.users.{id}.presence"]);
        assert!(spec.rules[3].input_transformer.is_none());
        let paths = &spec.rules[0].input_transformer.as_ref().unwrap().paths;
        assert_eq!(
            paths.len(),
            4,
            "the projection's own field, no union: {paths:?}"
        );
        // Every destination is a target of exactly one rule per projection.
        let mut seen = vec![0; 11];
        for rule in &spec.rules {
            for &i in &rule.destinations {
                seen[i] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 2), "{seen:?}");
    }

    #[test]
    fn topics_are_split_under_the_pattern_quota() {
        let topics: Vec<String> = (0..200)
            .map(|i| format!("v2.routing.queues.{{id}}.conversations.t{i:03}"))
            .collect();
        let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
        let chunks = topic_chunks(&refs);
        assert!(chunks.len() > 1);
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 200);
        for c in &chunks {
            assert!(event_pattern(c).to_string().len() <= MAX_EVENT_PATTERN_CHARS);
        }
        // Each chunk is as full as it can be: one more topic would not fit.
        let first = &chunks[0];
        let mut more = first.clone();
        more.push(chunks[1][0].clone());
        assert!(event_pattern(&more).to_string().len() > MAX_EVENT_PATTERN_CHARS);
    }

    #[test]
    fn a_layout_beyond_the_rules_quota_is_refused_before_any_write() {
        let mut r = route();
        r.payload.uris = (1..=10)
            .map(|i| format!("https://h{i}.example/x"))
            .collect();
        // 101 projections x 3 groups of destinations = 303 rules.
        r.payload.event_filters = (0..101)
            .map(|i| EventFilter {
                event_type: format!("v2.users.{{id}}.t{i}"),
                fields: vec![format!("f{i}")],
            })
            .collect();
        let spec = r.aws_spec();
        assert_eq!(spec.rules.len(), 303);
        let codes: Vec<_> = spec.violations().into_iter().map(|v| v.code).collect();
        assert_eq!(codes, [ViolationCode::RuleQuotaExceeded]);
    }

    #[test]
    fn what_the_model_refuses_of_a_route_is_a_violation() {
        let mut r = route();
        r.payload.uri = "https://[::1]:8443/hook".into();
        r.payload.name = "\u{1F600}".repeat(129);
        r.organization_id = "o".repeat(230);
        let got: Vec<_> = r
            .violations()
            .into_iter()
            .map(|v| (v.path, v.code))
            .collect();
        assert!(
            got.contains(&("uri".into(), ViolationCode::UriInvalid)),
            "{got:?}"
        );
        assert!(
            got.contains(&("name".into(), ViolationCode::NameTooLong)),
            "{got:?}"
        );
        assert!(
            got.contains(&(
                "organizationId".into(),
                ViolationCode::OrganizationIdInvalid
            )),
            "{got:?}"
        );
    }

    #[test]
    fn without_a_credential_header_the_marker_key_is_the_route_id() {
        let mut r = route();
        r.payload.name = "orders: EU".into();
        r.payload.headers.remove("X-Api-Key");
        let spec = r.aws_spec();
        let c = &spec.destinations[0].connection;
        assert_eq!(
            c.auth,
            ConnectionAuth::ApiKey {
                name: MARKER_KEY_NAME.to_owned(),
                value: RouteIdentity::of("orders: EU").id,
            }
        );
        assert!(spec.violations().is_empty(), "{:?}", spec.violations());
    }

    #[test]
    fn connection_values_the_model_refuses_are_violations_without_their_value() {
        let mut r = route();
        r.payload
            .headers
            .insert("Authorization".into(), "Bearer a:b-secret".into());
        r.payload.headers.insert("X-Long".into(), "v".repeat(513));
        let spec = r.aws_spec();
        let got: Vec<_> = spec
            .violations()
            .into_iter()
            .map(|v| (v.path, v.code, v.message))
            .collect();
        assert!(got.iter().any(
            |(p, c, _)| p == "headers.Authorization" && *c == ViolationCode::HeaderValueInvalid
        ));
        assert!(
            got.iter()
                .any(|(p, c, _)| p == "headers.X-Long" && *c == ViolationCode::HeaderValueInvalid)
        );
        assert!(!format!("{got:?}").contains("a:b-secret"));
        assert!(route().aws_spec().violations().is_empty());
    }

    #[test]
    fn a_rate_above_the_default_quota_is_a_warning() {
        let r = route().invocation_rate_limit(1000);
        assert!(r.violations().is_empty());
        let spec = r.aws_spec();
        assert!(
            spec.warnings[0].contains("default quota of 300"),
            "{:?}",
            spec.warnings
        );
        assert!(
            route()
                .invocation_rate_limit(0)
                .violations()
                .iter()
                .any(|v| v.code == ViolationCode::InvocationRateOutOfRange)
        );
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
            spec.rules[0].event_pattern["detail-type"],
            serde_json::json!(["v2.users.{id}.presence"])
        );
    }

    #[test]
    fn the_transformer_keeps_the_envelope_and_names_each_field() {
        let mut r = route();
        r.payload.event_filters = vec![EventFilter {
            event_type: "v2.users.{id}.presence".into(),
            fields: vec!["presenceDefinition.systemPresence".into()],
        }];
        let t = r.aws_spec().rules[0].input_transformer.clone().unwrap();
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
