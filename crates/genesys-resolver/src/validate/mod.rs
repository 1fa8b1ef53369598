//! Schema rules for a [`ResolvePayload`]: every violation at once, each with a JSON path, a
//! stable code and a message.
//!
//! The seed's rules are here with the seed's limits as defaults ([`Limits`]), together with the
//! rules the seed lacks. The validator never connects anywhere: hosts that are IP literals pass,
//! and the [address policy](crate::policy) of the prober decides about them.
//!
//! ```
//! use genesys_resolver::payload::ResolvePayload;
//! use genesys_resolver::validate::{validate, ViolationCode};
//!
//! let mut payload = ResolvePayload::seed_build(
//!     "orders", "http://hooks.example.com", ["v2.routing.queues.{id}.conversations"], [], 9,
//! );
//! let errors = validate(&payload).unwrap_err();
//! let codes: Vec<_> = errors.violations().iter().map(|v| (v.path.as_str(), v.code)).collect();
//! assert_eq!(codes, [
//!     ("uri", ViolationCode::UriNotHttps),
//!     ("retryPolicy.maxRetries", ViolationCode::MaxRetriesOutOfRange),
//! ]);
//! ```

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::payload::ResolvePayload;
use crate::violation::is_token;
pub use crate::violation::{ValidationErrors, Violation, ViolationCode, header_path};

/// Bounds the validator enforces. The defaults are the seed's, plus Genesys' request size limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Limits {
    /// Most entries allowed in `uris` (the seed's `maxEndpointCount`, 10).
    pub max_uris: usize,
    /// Largest `retryPolicy.maxRetries` (the seed's `maxRetryCount`, 5).
    pub max_retries: i64,
    /// Smallest `retryPolicy.backoffFactor` (1.0).
    pub min_backoff_factor: f64,
    /// Largest `retryPolicy.backoffFactor` (10.0).
    pub max_backoff_factor: f64,
    /// Largest `retryPolicy.retryInterval` in seconds (3600); it must also be above zero.
    pub max_retry_interval: f64,
    /// Longest `name` in characters (255).
    pub max_name_chars: usize,
    /// Accepted values of `type` (`webhook`).
    pub allowed_types: Vec<String>,
    /// Largest serialized payload in bytes (512000, Genesys' `request.bytes.max`).
    pub max_payload_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_uris: 10,
            max_retries: 5,
            min_backoff_factor: 1.0,
            max_backoff_factor: 10.0,
            max_retry_interval: 3600.0,
            max_name_chars: 255,
            allowed_types: vec![crate::payload::DEFAULT_TYPE.to_owned()],
            max_payload_bytes: 512_000,
        }
    }
}

impl Limits {
    /// Sets the most entries allowed in `uris`.
    #[must_use]
    pub fn with_max_uris(mut self, n: usize) -> Self {
        self.max_uris = n;
        self
    }

    /// Sets the largest `maxRetries`.
    #[must_use]
    pub fn with_max_retries(mut self, n: i64) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the accepted values of `type`.
    #[must_use]
    pub fn with_allowed_types<S: Into<String>>(
        mut self,
        types: impl IntoIterator<Item = S>,
    ) -> Self {
        self.allowed_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the largest serialized payload in bytes.
    #[must_use]
    pub fn with_max_payload_bytes(mut self, n: usize) -> Self {
        self.max_payload_bytes = n;
        self
    }

    /// Sets the largest `retryInterval` in seconds.
    #[must_use]
    pub fn with_max_retry_interval(mut self, seconds: f64) -> Self {
        self.max_retry_interval = seconds;
        self
    }

    /// Sets the accepted range of `backoffFactor`.
    #[must_use]
    pub fn with_backoff_factor_range(mut self, min: f64, max: f64) -> Self {
        self.min_backoff_factor = min;
        self.max_backoff_factor = max;
        self
    }

    /// Sets the longest `name` in characters.
    #[must_use]
    pub fn with_max_name_chars(mut self, n: usize) -> Self {
        self.max_name_chars = n;
        self
    }
}

/// Validates with the default [`Limits`].
pub fn validate(payload: &ResolvePayload) -> Result<(), ValidationErrors> {
    validate_with(payload, &Limits::default())
}

/// Validates with the given limits, returning every violation found.
pub fn validate_with(payload: &ResolvePayload, limits: &Limits) -> Result<(), ValidationErrors> {
    let violations = violations(payload, limits);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors::new(violations))
    }
}

/// Every violation of `payload` against `limits`, in field order; empty when it is valid.
pub fn violations(payload: &ResolvePayload, limits: &Limits) -> Vec<Violation> {
    let mut out = Vec::new();
    check_name(&payload.name, limits, &mut out);
    if payload.kind.chars().any(char::is_control) {
        out.push(Violation::new(
            "type",
            ViolationCode::ControlCharacters,
            "type contains control characters",
        ));
    } else if !limits.allowed_types.contains(&payload.kind) {
        out.push(Violation::new(
            "type",
            ViolationCode::TypeNotAllowed,
            format!(
                "type {:?} is not one of: {}",
                payload.kind,
                limits.allowed_types.join(", ")
            ),
        ));
    }
    check_endpoints(payload, limits, &mut out);
    check_retry_policy(payload, limits, &mut out);
    check_filters(payload, &mut out);
    check_headers(payload, &mut out);
    // Only a payload that is otherwise valid is measured, so one oversized field does not
    // report twice; and only one that could be too large at all is serialized to be measured.
    if out.is_empty() && wire_len_bound(payload) > limits.max_payload_bytes {
        let size = payload.wire_len();
        if size > limits.max_payload_bytes {
            out.push(Violation::new(
                "",
                ViolationCode::PayloadTooLarge,
                format!(
                    "serialized payload is {size} bytes; the limit is {}",
                    limits.max_payload_bytes
                ),
            ));
        }
    }
    out
}

/// At least [`ResolvePayload::wire_len`], without serializing: every string at its longest
/// escaped form (6 bytes for each of its bytes: `\u003c` for `<`, `\u2028` for its 3 bytes, a
/// control character as `\u0001`) with its quotes and a comma, and a generous allowance for the
/// keys, numbers and punctuation around them.
fn wire_len_bound(payload: &ResolvePayload) -> usize {
    // The top-level keys, braces and the retry policy's keys and three numbers (each at most 24
    // characters, as serde_json writes an `f64` or an `i64`).
    const FIXED: usize = 256;
    // `{"eventType":` ... `,"fields":[` ... `]},`
    const PER_FILTER: usize = 32;
    // Quotes, a comma and, for a header, the colon.
    const PER_STRING: usize = 4;
    let string = |s: &String| s.len() * 6 + PER_STRING;
    let strings = [&payload.name, &payload.kind, &payload.uri]
        .into_iter()
        .chain(&payload.uris)
        .chain(payload.headers.iter().flat_map(|(k, v)| [k, v]))
        .map(string)
        .sum::<usize>();
    let filters = payload
        .event_filters
        .iter()
        .map(|f| PER_FILTER + string(&f.event_type) + f.fields.iter().map(string).sum::<usize>())
        .sum::<usize>();
    FIXED + strings + filters
}

pub(crate) fn check_name(name: &str, limits: &Limits, out: &mut Vec<Violation>) {
    if name.trim().is_empty() {
        out.push(Violation::new(
            "name",
            ViolationCode::NameEmpty,
            "name is empty",
        ));
        return;
    }
    let chars = name.chars().count();
    if chars > limits.max_name_chars {
        out.push(Violation::new(
            "name",
            ViolationCode::NameTooLong,
            format!(
                "name is {chars} characters; the limit is {}",
                limits.max_name_chars
            ),
        ));
    }
    if name.chars().any(char::is_control) {
        out.push(Violation::new(
            "name",
            ViolationCode::NameControlCharacters,
            "name contains control characters",
        ));
    }
}

/// The JSON path of an endpoint, written out only when a violation names it.
#[derive(Clone, Copy)]
enum EndpointPath {
    /// `uri`.
    Uri,
    /// `uris[i]`.
    Uris(usize),
}

impl std::fmt::Display for EndpointPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Uri => f.write_str("uri"),
            Self::Uris(i) => write!(f, "uris[{i}]"),
        }
    }
}

fn check_endpoints(payload: &ResolvePayload, limits: &Limits, out: &mut Vec<Violation>) {
    let mut seen: HashMap<String, EndpointPath> = HashMap::new();
    let endpoints = std::iter::once((EndpointPath::Uri, &payload.uri)).chain(
        payload
            .uris
            .iter()
            .enumerate()
            .map(|(i, u)| (EndpointPath::Uris(i), u)),
    );
    for (path, raw) in endpoints {
        let Some(url) = check_uri(path, raw, out) else {
            continue;
        };
        let key = endpoint_key(url);
        if let Some(first) = seen.get(&key) {
            out.push(Violation::new(
                path.to_string(),
                ViolationCode::UriDuplicate,
                format!("same endpoint as {first}"),
            ));
        } else {
            seen.insert(key, path);
        }
    }
    if payload.uris.len() > limits.max_uris {
        out.push(Violation::new(
            "uris",
            ViolationCode::TooManyUris,
            format!(
                "{} entries in uris; the limit is {}",
                payload.uris.len(),
                limits.max_uris
            ),
        ));
    }
}

/// A normalised form of an endpoint for duplicate detection: the `url` crate lowercases the
/// scheme and host and drops the scheme's default port.
fn endpoint_key(url: Url) -> String {
    url.into()
}

/// Checks one URI; returns it parsed when every rule passed.
fn check_uri(path: EndpointPath, raw: &str, out: &mut Vec<Violation>) -> Option<Url> {
    if raw.trim().is_empty() {
        out.push(Violation::new(
            path.to_string(),
            ViolationCode::UriMissing,
            "URI is empty",
        ));
        return None;
    }
    let url = match Url::parse(raw) {
        Ok(url) => url,
        Err(e) => {
            out.push(Violation::new(
                path.to_string(),
                ViolationCode::UriInvalid,
                format!("URI cannot be parsed: {e}"),
            ));
            return None;
        }
    };
    if let Some(bad) = raw
        .chars()
        .find(|c| *c == '\\' || c.is_whitespace() || c.is_control())
    {
        let what = match bad {
            '\\' => "a backslash".to_owned(),
            '\r' | '\n' | '\t' => format!("{bad:?} (CR, LF or tab)"),
            c if c.is_control() => format!("the control character U+{:04X}", u32::from(c)),
            c => format!("white space (U+{:04X})", u32::from(c)),
        };
        out.push(Violation::new(
            path.to_string(),
            ViolationCode::UriNotExact,
            format!(
                "URI contains {what}; a URL parser would read it as another URI than the one stored"
            ),
        ));
        return None;
    }
    let before = out.len();
    if url.scheme() != "https" {
        out.push(Violation::new(
            path.to_string(),
            ViolationCode::UriNotHttps,
            format!("URI must use https, not {}", url.scheme()),
        ));
    }
    if url.host().is_none() || url.host_str() == Some("") {
        out.push(Violation::new(
            path.to_string(),
            ViolationCode::UriNoHost,
            "URI has no host",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        out.push(Violation::new(
            path.to_string(),
            ViolationCode::UriUserInfo,
            "URI carries credentials (user-info); send them in a header instead",
        ));
    }
    if url.fragment().is_some() {
        out.push(Violation::new(
            path.to_string(),
            ViolationCode::UriFragment,
            "URI has a #fragment, which is never sent to the destination",
        ));
    }
    if url.port() == Some(0) {
        out.push(Violation::new(
            path.to_string(),
            ViolationCode::UriPortZero,
            "URI names port 0",
        ));
    }
    (out.len() == before).then_some(url)
}

fn check_retry_policy(payload: &ResolvePayload, limits: &Limits, out: &mut Vec<Violation>) {
    let rp = &payload.retry_policy;
    if !(0..=limits.max_retries).contains(&rp.max_retries) {
        out.push(Violation::new(
            "retryPolicy.maxRetries",
            ViolationCode::MaxRetriesOutOfRange,
            format!(
                "retry count {} must be between 0 and {}",
                rp.max_retries, limits.max_retries
            ),
        ));
    }
    let interval = rp.retry_interval;
    if !interval.is_finite() || interval <= 0.0 || interval > limits.max_retry_interval {
        out.push(Violation::new(
            "retryPolicy.retryInterval",
            ViolationCode::RetryIntervalOutOfRange,
            format!(
                "retry interval {interval} must be above 0 and at most {} seconds",
                limits.max_retry_interval
            ),
        ));
    }
    let factor = rp.backoff_factor;
    if !factor.is_finite()
        || factor < limits.min_backoff_factor
        || factor > limits.max_backoff_factor
    {
        out.push(Violation::new(
            "retryPolicy.backoffFactor",
            ViolationCode::BackoffFactorOutOfRange,
            format!(
                "backoff factor {factor} must be between {} and {}",
                limits.min_backoff_factor, limits.max_backoff_factor
            ),
        ));
    }
}

fn check_filters(payload: &ResolvePayload, out: &mut Vec<Violation>) {
    if payload.event_filters.is_empty() {
        out.push(Violation::new(
            "eventFilters",
            ViolationCode::EventFiltersEmpty,
            "eventFilters is empty, so no event would be delivered",
        ));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, filter) in payload.event_filters.iter().enumerate() {
        let path = || format!("eventFilters[{i}].eventType");
        if is_topic_name(&filter.event_type) {
            if let Some(first) = seen.get(filter.event_type.as_str()) {
                out.push(Violation::new(
                    path(),
                    ViolationCode::EventTypeDuplicate,
                    format!("same event type as eventFilters[{first}]"),
                ));
            } else {
                seen.insert(&filter.event_type, i);
            }
        } else {
            out.push(Violation::new(
                path(),
                ViolationCode::EventTypeInvalid,
                format!(
                    "{:?} is not a Genesys topic name (v2.<segment>... with letters, digits, _, - or {{id}} placeholders)",
                    filter.event_type
                ),
            ));
        }
        for (j, field) in filter.fields.iter().enumerate() {
            if field.trim().is_empty() {
                out.push(Violation::new(
                    format!("eventFilters[{i}].fields[{j}]"),
                    ViolationCode::FieldEmpty,
                    "field name is empty",
                ));
            } else if field.chars().any(char::is_control) {
                out.push(Violation::new(
                    format!("eventFilters[{i}].fields[{j}]"),
                    ViolationCode::ControlCharacters,
                    "field name contains control characters",
                ));
            }
        }
    }
}

/// Whether `s` is a Genesys notification topic name: `v2.` then dot-separated segments of
/// letters, digits, `_` or `-`, or `{placeholder}` segments.
pub fn is_topic_name(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("v2.") else {
        return false;
    };
    !rest.is_empty() && rest.split('.').all(is_topic_segment)
}

fn is_topic_segment(seg: &str) -> bool {
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        Some(inner) => plain(inner),
        None => plain(seg),
    }
}

/// Headers the platform sets itself, or that are hop-by-hop: never configurable per payload.
pub const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
];

fn check_headers(payload: &ResolvePayload, out: &mut Vec<Violation>) {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for (name, value) in &payload.headers {
        let path = || header_path(name);
        if !is_token(name) {
            out.push(Violation::new(
                path(),
                ViolationCode::HeaderNameInvalid,
                "header name is not an HTTP token",
            ));
        }
        let lower = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            out.push(Violation::new(
                path(),
                ViolationCode::HeaderReserved,
                format!("{name} is set by the platform and cannot be configured"),
            ));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            // The value itself is not repeated: it may be a credential.
            out.push(Violation::new(
                path(),
                ViolationCode::HeaderValueInvalid,
                "header value contains CR, LF or another control character",
            ));
        }
        if let Some(first) = seen.get(&lower) {
            out.push(Violation::new(
                path(),
                ViolationCode::HeaderDuplicate,
                format!("same header as {first} (names are case-insensitive)"),
            ));
        } else {
            seen.insert(lower, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_length_bound_is_never_below_the_wire_length() {
        let worst = "<>&\"\\\u{2028}\u{2029}\u{1}\u{8}\u{c}\n\tü注🚀";
        let mut shapes = vec![
            ResolvePayload::seed_build("", "", Vec::<String>::new(), [], 0),
            ResolvePayload::seed_build("a", "https://a.example/", ["v2.a"], [], 3),
        ];
        for n in [1, 3, 40] {
            let text = worst.repeat(n);
            let mut p = ResolvePayload::seed_build(
                text.clone(),
                text.clone(),
                [text.clone(), String::new()],
                [text.clone(), text.clone()],
                i64::MIN,
            );
            p.kind.clone_from(&text);
            p.retry_policy.retry_interval = -1.234_567_890_123_456_7e-300;
            p.retry_policy.backoff_factor = f64::MAX;
            p.event_filters[0].fields = vec![text.clone(), String::new(), text.clone()];
            p.headers.insert(text.clone(), text.clone());
            p.headers.insert(String::new(), String::new());
            shapes.push(p);
        }
        for p in &shapes {
            assert!(wire_len_bound(p) >= p.wire_len(), "{p:?}");
        }
    }

    #[test]
    fn topic_names() {
        for ok in [
            "v2.routing.queues.{id}.conversations",
            "v2.users.{id}.presence",
            "v2.detail.events.conversation.{id}.customer.start",
            "v2.a-b_c.1",
        ] {
            assert!(is_topic_name(ok), "{ok}");
        }
        for bad in [
            "",
            "v2.",
            "v2",
            "v3.routing",
            "routing.queues",
            "v2.routing..queues",
            "v2.routing.{}",
            "v2.routing.{id",
            "v2.rout ing",
            "v2.routing.",
        ] {
            assert!(!is_topic_name(bad), "{bad}");
        }
    }

    #[test]
    fn header_paths() {
        assert_eq!(header_path("X-Foo"), "headers.X-Foo");
        assert_eq!(header_path("bad name"), "headers[\"bad name\"]");
    }
}
