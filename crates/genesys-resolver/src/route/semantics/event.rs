//! Genesys events before and in EventBridge's envelope, and sample events (stand-in).

use serde_json::{Value, json};

use crate::document::{DocumentError, Format, ReadLimits, parse_value};

/// The fixed id `{id}` placeholders are filled with.
const SAMPLE_ID: &str = "4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

/// One Genesys notification before EventBridge's envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct GenesysEvent {
    /// The subscribed pattern with `{id}`: the envelope's `detail-type`.
    pub topic_pattern: String,
    /// The concrete topic: `detail.topicName`.
    pub topic: String,
    /// The notification's body.
    pub event_body: Value,
    /// `detail.metadata.CorrelationId`.
    pub correlation_id: String,
    /// ISO-8601 with milliseconds.
    pub timestamp: String,
}

/// A sample file's content, by what it held.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// A bare `eventBody`.
    Body(Value),
    /// A Genesys notification.
    Notification(GenesysEvent),
    /// A whole EventBridge event.
    Envelope(Value),
}

/// A schema no body can be built from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("topic schema: {reason}")]
pub struct SampleError {
    /// What is wrong.
    pub reason: String,
}

/// `pattern` with each `{id}` filled by a fixed, valid-looking UUID.
pub fn concrete_topic(pattern: &str) -> String {
    pattern.replace("{id}", SAMPLE_ID)
}

/// A built-in eventBody for common topics; `None` for others.
pub fn builtin_body(topic_pattern: &str) -> Option<Value> {
    if topic_pattern.ends_with(".presence") {
        return Some(json!({
            "source": "PURECLOUD",
            "presenceDefinition": {"id": SAMPLE_ID, "systemPresence": "Available"},
            "modifiedDate": "2026-01-01T10:00:00.000Z",
        }));
    }
    if topic_pattern.contains("conversations") {
        return Some(json!({"id": SAMPLE_ID, "participants": []}));
    }
    None
}

/// An eventBody built from a topic's schema.
pub fn body_from_schema(schema: &Value) -> Result<Value, SampleError> {
    if !schema.is_object() {
        return Err(SampleError {
            reason: "the schema is not an object".to_owned(),
        });
    }
    Ok(from_schema(schema, 0))
}

fn from_schema(schema: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") | None => {
            let mut out = serde_json::Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    out.insert(name.clone(), from_schema(prop, depth + 1));
                }
            }
            Value::Object(out)
        }
        Some("array") => match schema.get("items") {
            Some(items) => json!([from_schema(items, depth + 1)]),
            None => json!([]),
        },
        Some("string") => Value::from("string"),
        Some("integer" | "number") => json!(0),
        Some("boolean") => json!(false),
        Some(_) => Value::Null,
    }
}

/// Genesys' EventBridge envelope around `event`.
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

/// A user's sample file, read strictly and boundedly.
pub fn read_sample(bytes: &[u8], origin: &str) -> Result<Sample, DocumentError> {
    let format = Format::of_path(std::path::Path::new(origin));
    let (value, violations) = parse_value(bytes, format, &ReadLimits::default())?;
    if !violations.is_empty() {
        return Err(DocumentError::Invalid {
            kind: crate::document::DocumentKind::Payload,
            errors: crate::violation::ValidationErrors::new(violations),
        });
    }
    if value.get("detail-type").is_some() && value.get("detail").is_some() {
        return Ok(Sample::Envelope(value));
    }
    if let Some(body) = value.get("eventBody") {
        let topic = value
            .get("topicName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Ok(Sample::Notification(GenesysEvent {
            topic_pattern: String::new(),
            topic: topic.to_owned(),
            event_body: body.clone(),
            correlation_id: value
                .pointer("/metadata/CorrelationId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            timestamp: value
                .get("timestamp")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }));
    }
    Ok(Sample::Body(value))
}
