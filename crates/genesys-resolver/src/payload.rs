//! The routing payload: the seed's `ResolvePayload`, `RetryPolicy` and `EventFilter`.
//!
//! The JSON wire form is exactly the seed's: camelCase keys in the seed's field order, `uris`,
//! `fields` and `headers` left out when empty, header names sorted (Go sorts map keys), and whole
//! floats written without a fraction (`5`, not `5.0`). [`ResolvePayload::to_wire_json`] also
//! escapes `<`, `>` and `&` as Go's `encoding/json` does, so its output is byte for byte what the
//! seed's Go code sends.
//!
//! Parsing is strict. [`ResolvePayload::from_json`] reports every unknown key, missing key and
//! wrong type at once, each as a [`Violation`] with its JSON path, in the same form the
//! [validator](crate::validate) uses for rule violations.
//!
//! ```
//! use genesys_resolver::payload::ResolvePayload;
//!
//! let payload = ResolvePayload::builder("orders-webhook", "https://hooks.example.com/genesys")
//!     .event_types(["v2.routing.queues.{id}.conversations"])
//!     .uris(["https://backup.example.com/genesys"])
//!     .max_retries(3)
//!     .build()?;
//! assert_eq!(payload.retry_policy.retry_interval, 5.0);
//!
//! let again = ResolvePayload::from_json(payload.to_wire_json().as_bytes())?;
//! assert_eq!(again, payload);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::validate::{self, Limits, ValidationErrors, Violation, ViolationCode};

/// The default integration `type`, as the seed's `BuildResolvePayload` sets it.
pub const DEFAULT_TYPE: &str = "webhook";
/// The default `retryPolicy.retryInterval` in seconds (the seed's).
pub const DEFAULT_RETRY_INTERVAL: f64 = 5.0;
/// The default `retryPolicy.backoffFactor` (the seed's).
pub const DEFAULT_BACKOFF_FACTOR: f64 = 2.0;
/// The default `retryPolicy.maxRetries` used by the builder when none is given.
pub const DEFAULT_MAX_RETRIES: i64 = 3;

/// An event-routing endpoint configuration, as the seed posts it to Genesys Cloud.
///
/// Field order is the wire order. `uri` is the primary destination; `uris` are further
/// destinations. Build one with [`ResolvePayload::builder`], parse one with
/// [`ResolvePayload::from_json`], check one with [`crate::validate::validate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResolvePayload {
    /// The integration's name; integrations are matched by it.
    pub name: String,
    /// The integration type (`webhook` unless configured otherwise).
    #[serde(rename = "type")]
    pub kind: String,
    /// The primary destination URI.
    pub uri: String,
    /// Further destination URIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uris: Vec<String>,
    /// How the event bus retries a failed delivery.
    pub retry_policy: RetryPolicy,
    /// Which events are delivered.
    pub event_filters: Vec<EventFilter>,
    /// Headers sent with every delivery, sorted by name as the seed's Go map is on the wire.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// Delivery retry directives of a [`ResolvePayload`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryPolicy {
    /// How many times a failed delivery is retried (0..=5 by default limits).
    pub max_retries: i64,
    /// Seconds before the first retry.
    #[serde(serialize_with = "go_float")]
    pub retry_interval: f64,
    /// Multiplier applied to the interval after each retry.
    #[serde(serialize_with = "go_float")]
    pub backoff_factor: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            retry_interval: DEFAULT_RETRY_INTERVAL,
            backoff_factor: DEFAULT_BACKOFF_FACTOR,
        }
    }
}

/// One event type to deliver, optionally restricted to some fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventFilter {
    /// A Genesys notification topic such as `v2.routing.queues.{id}.conversations`.
    pub event_type: String,
    /// Fields of the event to deliver; all when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

impl EventFilter {
    /// A filter for every field of `event_type`.
    pub fn new(event_type: impl Into<String>) -> Self {
        Self {
            event_type: event_type.into(),
            fields: Vec::new(),
        }
    }
}

/// Why a JSON document could not be read as a [`ResolvePayload`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The input is not well-formed JSON. Fix the syntax at the given position.
    #[error("payload is not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the JSON reader found.
        message: String,
    },
    /// The JSON is well-formed but its shape or values break the rules; every problem is listed.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
}

impl PayloadError {
    /// The violations, if the document was JSON; empty for a syntax error.
    pub fn violations(&self) -> &[Violation] {
        match self {
            Self::Syntax { .. } => &[],
            Self::Invalid(errors) => errors.violations(),
        }
    }
}

impl ResolvePayload {
    /// Starts a builder with the seed's defaults: `type` `webhook`, `retryInterval` 5,
    /// `backoffFactor` 2, `maxRetries` 3, and the headers `Content-Type: application/json` and
    /// `X-Genesys-Source: event-resolver`.
    pub fn builder(name: impl Into<String>, uri: impl Into<String>) -> ResolvePayloadBuilder {
        ResolvePayloadBuilder::new(name.into(), uri.into())
    }

    /// The seed's `BuildResolvePayload(name, uri, eventTypes, uris, maxRetries)`, unvalidated:
    /// the same values the seed's Go function returns.
    pub fn seed_build<S: Into<String>>(
        name: impl Into<String>,
        uri: impl Into<String>,
        event_types: impl IntoIterator<Item = S>,
        uris: impl IntoIterator<Item = S>,
        max_retries: i64,
    ) -> Self {
        Self {
            name: name.into(),
            kind: DEFAULT_TYPE.to_owned(),
            uri: uri.into(),
            uris: uris.into_iter().map(Into::into).collect(),
            retry_policy: RetryPolicy {
                max_retries,
                ..RetryPolicy::default()
            },
            event_filters: event_types
                .into_iter()
                .map(|t| EventFilter::new(t.into()))
                .collect(),
            headers: default_headers(),
        }
    }

    /// Reads a payload from JSON, strictly: unknown keys, missing keys and wrong types are all
    /// reported at once with their JSON paths. The rules of [`crate::validate`] are not applied;
    /// use [`ResolvePayload::parse_and_validate`] for both.
    pub fn from_json(json: &[u8]) -> Result<Self, PayloadError> {
        // Fast path: a well-formed payload parses directly (the derive is as strict as the
        // walker: unknown keys and wrong types fail). Anything it refuses — including inputs the
        // walker accepts, such as `null` for an optional list — is read again by the walker,
        // which either accepts it or reports every problem with its path.
        if let Ok(payload) = serde_json::from_slice::<Self>(json) {
            return Ok(payload);
        }
        let value: Value = serde_json::from_slice(json).map_err(|e| PayloadError::Syntax {
            line: e.line(),
            column: e.column(),
            message: syntax_message(&e),
        })?;
        Self::from_value(&value).map_err(PayloadError::Invalid)
    }

    /// Reads a payload from an already-parsed JSON value, with the checks of
    /// [`ResolvePayload::from_json`].
    pub fn from_value(value: &Value) -> Result<Self, ValidationErrors> {
        let mut reader = Reader::default();
        let payload = reader.payload(value);
        match payload {
            Some(p) if reader.violations.is_empty() => Ok(p),
            _ => Err(ValidationErrors::new(reader.violations)),
        }
    }

    /// Reads a payload and applies every rule of [`crate::validate`] with `limits`.
    pub fn parse_and_validate(json: &[u8], limits: &Limits) -> Result<Self, PayloadError> {
        let payload = Self::from_json(json)?;
        validate::validate_with(&payload, limits)?;
        Ok(payload)
    }

    /// The JSON the seed's Go code would send for this payload, byte for byte.
    pub fn to_wire_json(&self) -> String {
        let mut out = Vec::with_capacity(256);
        // Writing to memory cannot fail and every map key is a string, so this never errs.
        if let Err(e) = self.write_wire_json(&mut out) {
            tracing::error!(error = %e, "serializing a payload to memory failed");
        }
        // The serializer writes only whole UTF-8 characters.
        String::from_utf8(out).unwrap_or_default()
    }

    /// The length in bytes of [`ResolvePayload::to_wire_json`], without building the string.
    pub fn wire_len(&self) -> usize {
        let mut counter = ByteCounter(0);
        // Counting cannot fail; see `to_wire_json`.
        if let Err(e) = self.write_wire_json(&mut counter) {
            tracing::error!(error = %e, "measuring a payload failed");
        }
        counter.0
    }

    /// Writes [`ResolvePayload::to_wire_json`] to `writer`.
    pub fn write_wire_json<W: io::Write>(&self, writer: W) -> io::Result<()> {
        let mut ser = serde_json::Serializer::with_formatter(writer, GoFormatter);
        self.serialize(&mut ser).map_err(io::Error::other)
    }

    /// The primary `uri` followed by every `uris` entry, each with its JSON path.
    pub fn endpoints(&self) -> impl Iterator<Item = (String, &str)> + '_ {
        std::iter::once(("uri".to_owned(), self.uri.as_str())).chain(
            self.uris
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("uris[{i}]"), u.as_str())),
        )
    }

    /// How many destinations the payload names (`uri` plus `uris`), as the audit log counts them.
    pub fn endpoint_count(&self) -> usize {
        1 + self.uris.len()
    }
}

/// The seed's default headers.
pub fn default_headers() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("X-Genesys-Source".to_owned(), "event-resolver".to_owned()),
    ])
}

/// Builds a [`ResolvePayload`] from the seed's defaults; [`build`](Self::build) validates it.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ResolvePayloadBuilder {
    payload: ResolvePayload,
    limits: Limits,
}

impl ResolvePayloadBuilder {
    fn new(name: String, uri: String) -> Self {
        Self {
            payload: ResolvePayload {
                name,
                kind: DEFAULT_TYPE.to_owned(),
                uri,
                uris: Vec::new(),
                retry_policy: RetryPolicy::default(),
                event_filters: Vec::new(),
                headers: default_headers(),
            },
            limits: Limits::default(),
        }
    }

    /// Sets the integration `type`.
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.payload.kind = kind.into();
        self
    }

    /// Adds one filter per event type, delivering every field.
    pub fn event_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.payload
            .event_filters
            .extend(types.into_iter().map(EventFilter::new));
        self
    }

    /// Adds one filter.
    pub fn event_filter(mut self, filter: EventFilter) -> Self {
        self.payload.event_filters.push(filter);
        self
    }

    /// Adds further destination URIs.
    pub fn uris<S: Into<String>>(mut self, uris: impl IntoIterator<Item = S>) -> Self {
        self.payload.uris.extend(uris.into_iter().map(Into::into));
        self
    }

    /// Sets `retryPolicy.maxRetries`.
    pub fn max_retries(mut self, n: i64) -> Self {
        self.payload.retry_policy.max_retries = n;
        self
    }

    /// Sets `retryPolicy.retryInterval` in seconds.
    pub fn retry_interval(mut self, seconds: f64) -> Self {
        self.payload.retry_policy.retry_interval = seconds;
        self
    }

    /// Sets `retryPolicy.backoffFactor`.
    pub fn backoff_factor(mut self, factor: f64) -> Self {
        self.payload.retry_policy.backoff_factor = factor;
        self
    }

    /// Sets a header, replacing one of the same name.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.payload.headers.insert(name.into(), value.into());
        self
    }

    /// Removes every header, the defaults included.
    pub fn clear_headers(mut self) -> Self {
        self.payload.headers.clear();
        self
    }

    /// Validates against these limits instead of the defaults.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Validates the payload and returns it, or every violation found.
    pub fn build(self) -> Result<ResolvePayload, ValidationErrors> {
        validate::validate_with(&self.payload, &self.limits)?;
        Ok(self.payload)
    }
}

/// A writer that only counts bytes.
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Serializes a float as Go's `encoding/json` does for values in the range it prints without an
/// exponent: a whole number has no fraction (`5`, not `5.0`).
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `serialize_with` passes a reference
fn go_float<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    let v = *value;
    // Below 2^53 every whole f64 is exact as an integer; Go prints those without a fraction.
    #[allow(clippy::cast_possible_truncation)]
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        serializer.serialize_i64(v as i64)
    } else {
        serializer.serialize_f64(v)
    }
}

/// A JSON formatter that escapes strings as Go's `encoding/json` does: HTML-significant
/// characters and the line/paragraph separators as `\uXXXX`, backspace and form feed in hex.
struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, ch) in fragment.char_indices() {
            let escape = match ch {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escape.as_bytes())?;
            start = i + ch.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        use serde_json::ser::CharEscape;
        let s: String = match escape {
            CharEscape::Quote => "\\\"".into(),
            CharEscape::ReverseSolidus => "\\\\".into(),
            CharEscape::LineFeed => "\\n".into(),
            CharEscape::CarriageReturn => "\\r".into(),
            CharEscape::Tab => "\\t".into(),
            CharEscape::Backspace => "\\u0008".into(),
            CharEscape::FormFeed => "\\u000c".into(),
            CharEscape::AsciiControl(byte) => format!("\\u{byte:04x}"),
            // serde_json never asks for `/` to be escaped; Go does not escape it either.
            CharEscape::Solidus => "/".into(),
        };
        writer.write_all(s.as_bytes())
    }
}

fn syntax_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the position is reported separately.
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

/// Walks a JSON value into a payload, collecting every structural problem.
#[derive(Default)]
struct Reader {
    violations: Vec<Violation>,
}

/// The top-level keys of a payload, in wire order; anything else beside them in an entity
/// Genesys returns is server metadata.
pub(crate) const PAYLOAD_KEYS: &[&str] = &[
    "name",
    "type",
    "uri",
    "uris",
    "retryPolicy",
    "eventFilters",
    "headers",
];
const RETRY_KEYS: &[&str] = &["maxRetries", "retryInterval", "backoffFactor"];
const FILTER_KEYS: &[&str] = &["eventType", "fields"];

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Reader {
    fn push(&mut self, path: String, code: ViolationCode, message: String) {
        self.violations.push(Violation::new(path, code, message));
    }

    fn wrong_type(&mut self, path: String, expected: &str, found: &Value) {
        let message = format!("expected {expected}, found {}", type_name(found));
        self.push(path, ViolationCode::WrongType, message);
    }

    /// Checks an object's keys: unknown ones are violations; returns the map if it is an object.
    fn object<'v>(
        &mut self,
        path: &str,
        value: &'v Value,
        known: &[&str],
        required: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = value else {
            let shown = if path.is_empty() { "$" } else { path };
            self.wrong_type(shown.to_owned(), "an object", value);
            return None;
        };
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let hint = suggest(key, known)
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
                self.push(
                    join(path, key),
                    ViolationCode::UnknownKey,
                    format!("unknown key `{key}`{hint}"),
                );
            }
        }
        for key in required {
            if !map.contains_key(*key) {
                self.push(
                    join(path, key),
                    ViolationCode::MissingKey,
                    format!("required key `{key}` is missing"),
                );
            }
        }
        Some(map)
    }

    fn string(&mut self, path: String, value: Option<&Value>) -> Option<String> {
        match value? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong_type(path, "a string", other);
                None
            }
        }
    }

    fn string_list(&mut self, path: &str, value: Option<&Value>) -> Option<Vec<String>> {
        match value {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match self.string(format!("{path}[{i}]"), Some(item)) {
                        Some(s) => out.push(s),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            Some(other) => {
                self.wrong_type(path.to_owned(), "an array of strings", other);
                None
            }
        }
    }

    fn payload(&mut self, value: &Value) -> Option<ResolvePayload> {
        let map = self.object(
            "",
            value,
            PAYLOAD_KEYS,
            &["name", "type", "uri", "retryPolicy", "eventFilters"],
        )?;
        let name = self.string("name".into(), map.get("name"));
        let kind = self.string("type".into(), map.get("type"));
        let uri = self.string("uri".into(), map.get("uri"));
        let uris = self.string_list("uris", map.get("uris"));
        let retry_policy = map.get("retryPolicy").and_then(|v| self.retry_policy(v));
        let event_filters = map.get("eventFilters").and_then(|v| self.filters(v));
        let headers = self.headers(map.get("headers"));
        Some(ResolvePayload {
            name: name?,
            kind: kind?,
            uri: uri?,
            uris: uris?,
            retry_policy: retry_policy?,
            event_filters: event_filters?,
            headers: headers?,
        })
    }

    fn retry_policy(&mut self, value: &Value) -> Option<RetryPolicy> {
        let path = "retryPolicy";
        let map = self.object(path, value, RETRY_KEYS, RETRY_KEYS)?;
        let max_retries = map.get("maxRetries").and_then(|v| match v {
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            Value::Number(n) if n.as_u64().is_some() => {
                self.push(
                    join(path, "maxRetries"),
                    ViolationCode::WrongType,
                    format!("{n} is too large for a retry count"),
                );
                None
            }
            other => {
                self.wrong_type(join(path, "maxRetries"), "a whole number", other);
                None
            }
        });
        let retry_interval = self.number(join(path, "retryInterval"), map.get("retryInterval"));
        let backoff_factor = self.number(join(path, "backoffFactor"), map.get("backoffFactor"));
        Some(RetryPolicy {
            max_retries: max_retries?,
            retry_interval: retry_interval?,
            backoff_factor: backoff_factor?,
        })
    }

    fn number(&mut self, path: String, value: Option<&Value>) -> Option<f64> {
        match value? {
            Value::Number(n) => n.as_f64(),
            other => {
                self.wrong_type(path, "a number", other);
                None
            }
        }
    }

    fn filters(&mut self, value: &Value) -> Option<Vec<EventFilter>> {
        let Value::Array(items) = value else {
            self.wrong_type("eventFilters".into(), "an array of objects", value);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let path = format!("eventFilters[{i}]");
            let Some(map) = self.object(&path, item, FILTER_KEYS, &["eventType"]) else {
                ok = false;
                continue;
            };
            let event_type = self.string(join(&path, "eventType"), map.get("eventType"));
            let fields = self.string_list(&join(&path, "fields"), map.get("fields"));
            match (event_type, fields) {
                (Some(event_type), Some(fields)) => out.push(EventFilter { event_type, fields }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn headers(&mut self, value: Option<&Value>) -> Option<BTreeMap<String, String>> {
        match value {
            None | Some(Value::Null) => Some(BTreeMap::new()),
            Some(Value::Object(map)) => {
                let mut out = BTreeMap::new();
                let mut ok = true;
                for (name, v) in map {
                    match self.string(validate::header_path(name), Some(v)) {
                        Some(s) => {
                            out.insert(name.clone(), s);
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            Some(other) => {
                self.wrong_type("headers".into(), "an object of strings", other);
                None
            }
        }
    }
}

/// The known key closest to `key` by edit distance, if it is close enough to be a typo.
fn suggest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let lower = key.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over chars, for typo suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

impl fmt::Display for ResolvePayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} endpoint{})",
            self.name,
            self.endpoint_count(),
            if self.endpoint_count() == 1 { "" } else { "s" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_floats_have_no_fraction_and_html_is_escaped() {
        let mut p = ResolvePayload::seed_build("a<b>&c", "https://x.example", ["v2.a"], [], 1);
        p.retry_policy.retry_interval = 2.5;
        let json = p.to_wire_json();
        assert!(json.contains(r#""name":"a\u003cb\u003e\u0026c""#), "{json}");
        assert!(
            json.contains(r#""retryInterval":2.5,"backoffFactor":2}"#),
            "{json}"
        );
    }

    #[test]
    fn control_characters_are_escaped_like_go() {
        let p = ResolvePayload::seed_build("a\u{8}\u{c}\u{1}\n", "https://x", ["v2.a"], [], 1);
        let json = p.to_wire_json();
        assert!(json.contains(r#""name":"a\u0008\u000c\u0001\n""#), "{json}");
    }

    #[test]
    fn suggestion_finds_typo() {
        assert_eq!(suggest("maxRetry", RETRY_KEYS), Some("maxRetries"));
        assert_eq!(suggest("completelyOff", RETRY_KEYS), None);
        assert_eq!(suggest("URIS", PAYLOAD_KEYS), Some("uris"));
    }
}
