//! The routing payload: the seed's `ResolvePayload`, `DeliveryRetry` (its `retryPolicy`) and `EventFilter`.
//!
//! The JSON wire form is exactly the seed's: camelCase keys in the seed's field order, `uris`,
//! `fields` and `headers` left out when empty, header names sorted (Go sorts map keys), and whole
//! floats written without a fraction (`5`, not `5.0`). [`ResolvePayload::to_wire_json`] also
//! escapes `<`, `>` and `&` as Go's `encoding/json` does, so its output is byte for byte what the
//! seed's Go code sends.
//!
//! Parsing is strict. [`ResolvePayload::from_json`] reports every unknown key, missing key,
//! wrong type and duplicate key at once, each as a [`Violation`] with its JSON path, in the same
//! form the [validator](crate::validate) uses for rule violations; the readers of every document
//! (this one, the EventBridge integration and the route) live in [`crate::document`]. The
//! builder, which validates, is [`builder::ResolvePayloadBuilder`].
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

use serde::{Deserialize, Serialize};

use crate::violation::{ValidationErrors, Violation};

// The builder validates, so it sits above the rules; this module does not use it.
pub mod builder;
pub(crate) mod strict;
mod wire;

use wire::{ByteCounter, GoFormatter, go_float};

/// The keys of a payload, in wire order; anything else beside them in an entity Genesys returns
/// is server metadata.
pub const PAYLOAD_KEYS: &[&str] = &[
    "name",
    "type",
    "uri",
    "uris",
    "retryPolicy",
    "eventFilters",
    "headers",
];

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
    #[serde(deserialize_with = "strict::object")]
    pub retry_policy: DeliveryRetry,
    /// Which events are delivered.
    #[serde(deserialize_with = "strict::objects")]
    pub event_filters: Vec<EventFilter>,
    /// Headers sent with every delivery, sorted by name as the seed's Go map is on the wire.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "unique_map"
    )]
    pub headers: BTreeMap<String, String>,
}

/// Delivery retry directives of a [`ResolvePayload`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliveryRetry {
    /// How many times a failed delivery is retried (0..=5 by default limits).
    pub max_retries: i64,
    /// Seconds before the first retry.
    #[serde(serialize_with = "go_float")]
    pub retry_interval: f64,
    /// Multiplier applied to the interval after each retry.
    #[serde(serialize_with = "go_float")]
    pub backoff_factor: f64,
}

impl Default for DeliveryRetry {
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
            retry_policy: DeliveryRetry {
                max_retries,
                ..DeliveryRetry::default()
            },
            event_filters: event_types
                .into_iter()
                .map(|t| EventFilter::new(t.into()))
                .collect(),
            headers: default_headers(),
        }
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

/// A map of strings that refuses a key given twice (serde's maps keep the last silently).
fn unique_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    struct Unique;
    impl<'de> serde::de::Visitor<'de> for Unique {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of strings")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((k, v)) = map.next_entry::<String, String>()? {
                if out.contains_key(&k) {
                    return Err(serde::de::Error::custom(format_args!(
                        "duplicate key `{k}`"
                    )));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Unique)
}

/// The seed's default headers.
pub fn default_headers() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("X-Genesys-Source".to_owned(), "event-resolver".to_owned()),
    ])
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
}
