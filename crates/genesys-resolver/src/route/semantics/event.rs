//! Genesys' events as they reach EventBridge: the notification ([`GenesysEvent`]), the envelope
//! Genesys' partner source puts around it ([`envelope`]), a concrete topic for a subscribed
//! pattern ([`concrete_topic`], [`topic_fits`]) and a user's sample file ([`read_sample`]).
//!
//! The envelope, as Genesys' own samples and blueprints show it: `version` `"0"`, `id`,
//! `detail-type` = the subscribed topic *pattern* (with its `{id}` placeholders), `source` =
//! the partner source `aws.partner/genesys.com/cloud/{orgId}/{suffix}`, `account`, `time`,
//! `region`, `resources` `[]`, and `detail` = `{topicName: the concrete topic, version: "2",
//! eventBody, metadata: {CorrelationId}, timestamp: ISO-8601 with milliseconds}`.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use super::samples::{body_from_schema, builtin_body};
use super::transform::ENVELOPE_KEYS;
use crate::document::{Format, ReadLimits, parse_value};
use crate::violation::key_path;

/// The largest sample file read: EventBridge's largest event (256 KiB).
pub const MAX_SAMPLE_BYTES: usize = 256 * 1024;
/// The deepest nesting of a sample file.
pub const MAX_SAMPLE_DEPTH: usize = 32;
/// The ids [`concrete_topic`] puts in place of `{id}`, in turn: fixed, so a rehearsal is
/// repeatable, and shaped like Genesys' ids (UUIDs).
pub const SAMPLE_IDS: [&str; 4] = [
    "278522be-1683-4877-8257-4164a177be89",
    "6c1a2a3b-7d4e-4f50-9a61-b2c3d4e5f607",
    "a3f1c2d4-5b6e-4c7f-8d90-1e2f3a4b5c6d",
    "0f9e8d7c-6b5a-4938-a7b6-c5d4e3f2a1b0",
];
/// The keys of a Genesys notification sample (`detail` of the envelope).
pub const NOTIFICATION_KEYS: [&str; 5] =
    ["topicName", "version", "eventBody", "metadata", "timestamp"];

/// One Genesys notification before EventBridge's envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenesysEvent {
    /// The subscribed pattern with `{id}`: the envelope's `detail-type`.
    pub topic_pattern: String,
    /// The concrete topic: `detail.topicName`.
    pub topic: String,
    /// The notification's payload: `detail.eventBody`.
    pub event_body: Value,
    /// `detail.metadata.CorrelationId`.
    pub correlation_id: String,
    /// `detail.timestamp`: ISO-8601 with milliseconds.
    pub timestamp: String,
}

impl GenesysEvent {
    /// An event of `topic_pattern` on its [`concrete_topic`], with a fixed correlation id and
    /// timestamp.
    pub fn new(topic_pattern: impl Into<String>, event_body: Value) -> Self {
        let topic_pattern = topic_pattern.into();
        Self {
            topic: concrete_topic(&topic_pattern),
            topic_pattern,
            event_body,
            correlation_id: "b61df0b3-9e33-444b-a455-1c92a33ef4e2".to_owned(),
            timestamp: SAMPLE_TIMESTAMP.to_owned(),
        }
    }
}

/// The timestamp of built events.
pub const SAMPLE_TIMESTAMP: &str = "2026-01-01T10:00:00.000Z";

/// `pattern` with each `{id}` filled by a fixed, valid-looking UUID (deterministic: the first
/// `{id}` gets [`SAMPLE_IDS`]`[0]`, the second `[1]`, ...).
pub fn concrete_topic(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 64);
    for (i, part) in pattern.split("{id}").enumerate() {
        if i > 0 {
            out.push_str(SAMPLE_IDS[(i - 1) % SAMPLE_IDS.len()]);
        }
        out.push_str(part);
    }
    out
}

/// Whether the concrete `topic` is an instance of `pattern`: equal, each `{id}` standing for
/// one non-empty run of characters without a `.`.
pub fn topic_fits(pattern: &str, topic: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    let topic: Vec<&str> = topic.split('.').collect();
    pattern.len() == topic.len()
        && pattern.iter().zip(&topic).all(|(p, t)| {
            if p.contains("{id}") {
                let parts: Vec<&str> = p.split("{id}").collect();
                fits_segment(&parts, t)
            } else {
                p == t
            }
        })
}

/// Whether `segment` is `parts` joined by non-empty runs.
fn fits_segment(parts: &[&str], segment: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return segment.is_empty();
    };
    let Some(mut tail) = segment.strip_prefix(first) else {
        return false;
    };
    for (i, part) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        if last {
            return tail.len() > part.len() && tail.ends_with(part);
        }
        // Non-empty run, then the literal part (first occurrence after at least one char).
        let Some(at) = tail.get(1..).and_then(|t| t.find(part)) else {
            return false;
        };
        tail = &tail[1 + at + part.len()..];
    }
    true
}

/// Genesys' EventBridge envelope around `event` (version "0", id, detail-type = topic pattern,
/// source = the partner source, account, time, region, resources [], detail {topicName,
/// version "2", eventBody, metadata {CorrelationId}, timestamp}).
pub fn envelope(
    event: &GenesysEvent,
    source: &str,
    account: &str,
    region: &str,
    id: &str,
    time: &str,
) -> Value {
    json!({
        "version": "0",
        "id": id,
        "detail-type": event.topic_pattern,
        "source": source,
        "account": account,
        "time": time,
        "region": region,
        "resources": [],
        "detail": {
            "topicName": event.topic,
            "version": "2",
            "eventBody": event.event_body,
            "metadata": {"CorrelationId": event.correlation_id},
            "timestamp": event.timestamp,
        },
    })
}

/// A Genesys notification as a sample file holds it: the envelope's `detail`. What it leaves
/// out is filled when it becomes a [`GenesysEvent`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// `topicName`: the concrete topic.
    pub topic: String,
    /// `eventBody`.
    pub event_body: Value,
    /// `metadata.CorrelationId`, when given.
    pub correlation_id: Option<String>,
    /// `timestamp`, when given.
    pub timestamp: Option<String>,
}

impl Notification {
    /// The event for the subscribed `topic_pattern` (the envelope's `detail-type`), with the
    /// defaults of [`GenesysEvent::new`] where the sample left a field out.
    pub fn into_event(self, topic_pattern: impl Into<String>) -> GenesysEvent {
        let mut event = GenesysEvent::new(topic_pattern, self.event_body);
        event.topic = self.topic;
        if let Some(id) = self.correlation_id {
            event.correlation_id = id;
        }
        if let Some(t) = self.timestamp {
            event.timestamp = t;
        }
        event
    }
}

/// A user's sample event, as [`read_sample`] recognised it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Sample {
    /// A bare `eventBody` (an object that is neither of the others).
    Body(Value),
    /// A Genesys notification: `{topicName, eventBody, metadata?, timestamp?, version?}`.
    Notification(Notification),
    /// A whole EventBridge event (`version`, `id`, `detail-type`, `source`, `account`, `time`,
    /// `region`, `resources`, `detail`), as EventBridge would deliver it.
    Envelope(Value),
}

impl Sample {
    /// The EventBridge event for this sample on the subscribed `topic_pattern`: a body or a
    /// notification wrapped in Genesys' [`envelope`] (a body on the pattern's
    /// [`concrete_topic`]), an envelope as it is.
    pub fn into_envelope(
        self,
        topic_pattern: &str,
        source: &str,
        account: &str,
        region: &str,
        id: &str,
        time: &str,
    ) -> Value {
        let event = match self {
            Self::Envelope(value) => return value,
            Self::Body(body) => GenesysEvent::new(topic_pattern, body),
            Self::Notification(n) => n.into_event(topic_pattern),
        };
        envelope(&event, source, account, region, id, time)
    }

    /// The concrete topic the sample names (`detail.topicName`), when it names one.
    pub fn topic(&self) -> Option<&str> {
        match self {
            Self::Body(_) => None,
            Self::Notification(n) => Some(&n.topic),
            Self::Envelope(value) => value.pointer("/detail/topicName").and_then(Value::as_str),
        }
    }

    /// The topic pattern an envelope sample was subscribed under (its `detail-type`).
    pub fn topic_pattern(&self) -> Option<&str> {
        match self {
            Self::Envelope(value) => value.get("detail-type").and_then(Value::as_str),
            _ => None,
        }
    }
}

/// A sample or schema that cannot be used: where it came from, the field (a JSON path, `$` for
/// the whole) and the rule broken. No value of the file is repeated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{origin}: {field}: {reason}")]
pub struct SampleError {
    /// The file's name, or `schema` for a topic's schema.
    pub origin: String,
    /// The JSON path of the problem; `$` for the whole.
    pub field: String,
    /// The rule broken.
    pub reason: String,
}

impl SampleError {
    pub(super) fn new(origin: &str, field: &str, reason: impl Into<String>) -> Self {
        Self {
            origin: origin.to_owned(),
            field: if field.is_empty() {
                "$".to_owned()
            } else {
                field.to_owned()
            },
            reason: reason.into(),
        }
    }
}

/// A user's sample file, read strictly and boundedly with the core's document readers (JSON,
/// or YAML when `origin` ends in `.yaml`/`.yml`; at most [`MAX_SAMPLE_BYTES`], nesting at most
/// [`MAX_SAMPLE_DEPTH`], duplicate keys refused): a bare eventBody, a Genesys notification or a
/// whole EventBridge event; which one it was is in the result. A notification or envelope with
/// an unknown key, a missing one or one of the wrong type is refused, naming the field.
pub fn read_sample(bytes: &[u8], origin: &str) -> Result<Sample, SampleError> {
    let format = Format::of_path(Path::new(origin));
    let limits = ReadLimits::default()
        .with_max_bytes(MAX_SAMPLE_BYTES)
        .with_max_depth(MAX_SAMPLE_DEPTH)
        .with_max_expanded_bytes(2 * MAX_SAMPLE_BYTES);
    let (value, problems) = parse_value(bytes, format, &limits)
        .map_err(|e| SampleError::new(origin, "$", e.to_string()))?;
    if let Some(v) = problems.first() {
        return Err(SampleError::new(origin, &v.path, v.message.clone()));
    }
    let Value::Object(map) = value else {
        return Err(SampleError::new(
            origin,
            "$",
            "a sample is a JSON object: an eventBody, a Genesys notification or an EventBridge event",
        ));
    };
    let is_envelope = ["detail-type", "detail", "source"]
        .iter()
        .any(|k| map.contains_key(*k));
    if is_envelope {
        check_envelope(&map, origin)?;
        return Ok(Sample::Envelope(Value::Object(map)));
    }
    if map.contains_key("topicName") || map.contains_key("eventBody") {
        return notification(&map, origin, "").map(Sample::Notification);
    }
    Ok(Sample::Body(Value::Object(map)))
}

fn type_error(origin: &str, field: &str, expected: &str) -> SampleError {
    SampleError::new(origin, field, format!("expected {expected}"))
}

fn unknown_keys(
    map: &Map<String, Value>,
    allowed: &[&str],
    origin: &str,
    parent: &str,
    what: &str,
) -> Result<(), SampleError> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(SampleError::new(
            origin,
            &key_path(parent, k),
            format!("unknown key in {what}; it takes {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

fn string_at<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    origin: &str,
    parent: &str,
) -> Result<Option<&'a str>, SampleError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(type_error(origin, &key_path(parent, key), "a string")),
    }
}

fn notification(
    map: &Map<String, Value>,
    origin: &str,
    parent: &str,
) -> Result<Notification, SampleError> {
    unknown_keys(
        map,
        &NOTIFICATION_KEYS,
        origin,
        parent,
        "a Genesys notification",
    )?;
    let missing = |key: &str| SampleError::new(origin, &key_path(parent, key), "missing");
    let topic = string_at(map, "topicName", origin, parent)?.ok_or_else(|| missing("topicName"))?;
    let event_body = match map.get("eventBody") {
        Some(body @ Value::Object(_)) => body.clone(),
        Some(_) => {
            return Err(type_error(
                origin,
                &key_path(parent, "eventBody"),
                "an object",
            ));
        }
        None => return Err(missing("eventBody")),
    };
    if let Some(version) = string_at(map, "version", origin, parent)?
        && version != "2"
    {
        return Err(SampleError::new(
            origin,
            &key_path(parent, "version"),
            "Genesys' EventBridge notifications are version \"2\"",
        ));
    }
    let timestamp = string_at(map, "timestamp", origin, parent)?.map(str::to_owned);
    let correlation_id = match map.get("metadata") {
        None => None,
        Some(Value::Object(meta)) => {
            let at = key_path(parent, "metadata");
            unknown_keys(meta, &["CorrelationId"], origin, &at, "metadata")?;
            string_at(meta, "CorrelationId", origin, &at)?.map(str::to_owned)
        }
        Some(_) => {
            return Err(type_error(
                origin,
                &key_path(parent, "metadata"),
                "an object",
            ));
        }
    };
    Ok(Notification {
        topic: topic.to_owned(),
        event_body,
        correlation_id,
        timestamp,
    })
}

fn check_envelope(map: &Map<String, Value>, origin: &str) -> Result<(), SampleError> {
    unknown_keys(map, &ENVELOPE_KEYS, origin, "", "an EventBridge event")?;
    for key in ENVELOPE_KEYS {
        let value = map.get(key);
        match (key, value) {
            ("replay-name", None) => {}
            (_, None) => return Err(SampleError::new(origin, key, "missing")),
            ("resources", Some(Value::Array(items))) => {
                if let Some(i) = items.iter().position(|v| !v.is_string()) {
                    return Err(type_error(origin, &format!("resources[{i}]"), "a string"));
                }
            }
            ("resources", Some(_)) => return Err(type_error(origin, key, "an array")),
            ("detail", Some(Value::Object(detail))) => {
                notification(detail, origin, "detail")?;
            }
            ("detail", Some(_)) => return Err(type_error(origin, key, "an object")),
            (_, Some(Value::String(_))) => {}
            (_, Some(_)) => return Err(type_error(origin, key, "a string")),
        }
    }
    if map.get("version").and_then(Value::as_str) != Some("0") {
        return Err(SampleError::new(
            origin,
            "version",
            "an EventBridge event is version \"0\"",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
