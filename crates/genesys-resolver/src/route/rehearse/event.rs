//! The Genesys events of a rehearsal, one per topic: the user's sample, else one built from the
//! topic's schema (read from Genesys once per rehearsal), else the topic's built-in sample;
//! each wrapped in Genesys' EventBridge envelope.

use serde_json::Value;

use super::super::semantics::{self, GenesysEvent, Sample};
use super::error::RehearseError;
use super::report::EventSource;
use crate::api::PlatformApi;

/// One event to rehearse.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(super) topic: String,
    pub(super) topic_name: String,
    pub(super) source: EventSource,
    /// The EventBridge event (Genesys' envelope).
    pub(super) event: Value,
}

/// Where the envelope says the event comes from.
pub(super) struct Origin<'a> {
    pub(super) source: &'a str,
    pub(super) account: &'a str,
    pub(super) region: &'a str,
    pub(super) id: &'a str,
    pub(super) time: &'a str,
    pub(super) timestamp: &'a str,
}

impl Origin<'_> {
    /// `event` in Genesys' EventBridge envelope, from `source`.
    fn wrap(&self, event: &GenesysEvent, source: EventSource) -> Prepared {
        Prepared {
            topic: event.topic_pattern.clone(),
            topic_name: event.topic.clone(),
            source,
            event: semantics::envelope(
                event,
                self.source,
                self.account,
                self.region,
                self.id,
                self.time,
            ),
        }
    }
}

/// The events of `sample` for the topics `topics`.
pub(super) fn from_sample(
    bytes: &[u8],
    origin_name: &str,
    topics: &[String],
    origin: &Origin<'_>,
) -> Result<Vec<Prepared>, RehearseError> {
    let refuse = |reason: String| RehearseError::Event {
        origin: origin_name.to_owned(),
        reason,
    };
    if bytes.len() > semantics::MAX_SAMPLE_BYTES {
        return Err(refuse(format!(
            "the file is larger than {} bytes, EventBridge's largest event",
            semantics::MAX_SAMPLE_BYTES
        )));
    }
    let sample = semantics::read_sample(bytes, origin_name)
        .map_err(|e| refuse(format!("{}: {}", e.field, e.reason)))?;
    let wrap = |event: GenesysEvent| origin.wrap(&event, EventSource::Sample);
    Ok(match sample {
        Sample::Body(body) => topics
            .iter()
            .map(|t| wrap(event_of(t, body.clone(), origin)))
            .collect(),
        Sample::Notification(n) => {
            // The subscribed pattern its topic fits (a topic of none is rehearsed under its
            // own name, and matches no rule).
            let pattern = topics
                .iter()
                .find(|t| semantics::topic_fits(t, &n.topic))
                .cloned()
                .unwrap_or_else(|| n.topic.clone());
            let (correlation_id, timestamp) = (n.correlation_id.clone(), n.timestamp.clone());
            let mut event = n.into_event(pattern);
            // What the sample leaves out: the rehearsal's id and time.
            event.correlation_id = correlation_id.unwrap_or_else(|| origin.id.to_owned());
            event.timestamp = timestamp.unwrap_or_else(|| origin.timestamp.to_owned());
            vec![wrap(event)]
        }
        Sample::Envelope(event) => {
            let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
            vec![Prepared {
                topic: text(event.get("detail-type")),
                topic_name: text(event.pointer("/detail/topicName")),
                source: EventSource::Sample,
                event,
            }]
        }
    })
}

fn event_of(topic: &str, body: Value, origin: &Origin<'_>) -> GenesysEvent {
    GenesysEvent {
        topic_pattern: topic.to_owned(),
        topic: semantics::concrete_topic(topic),
        event_body: body,
        correlation_id: origin.id.to_owned(),
        timestamp: origin.timestamp.to_owned(),
    }
}

/// The events of `topics` built from their schemas (one read of the topics listing), else
/// their built-in samples; what could not be used is said in `warnings`.
pub(super) async fn from_topics(
    platform: &dyn PlatformApi,
    topics: &[String],
    origin: &Origin<'_>,
    warnings: &mut Vec<String>,
) -> Vec<Prepared> {
    let listing = match platform.topic_schemas().await {
        Ok(reply) => Some(reply.value),
        Err(e) => {
            warnings.push(format!(
                "the topics' schemas could not be read ({}); built-in samples are used",
                crate::redact::text(&e.to_string())
            ));
            None
        }
    };
    let schema_of = |topic: &str| {
        listing
            .as_ref()?
            .get("entities")?
            .as_array()?
            .iter()
            .find(|t| t.get("id").and_then(Value::as_str) == Some(topic))?
            .get("schema")
            .filter(|s| s.is_object())
            .cloned()
    };
    let mut out = Vec::with_capacity(topics.len());
    for topic in topics {
        let from_schema = schema_of(topic).map(|s| semantics::body_from_schema(&s));
        let (body, source) = match from_schema {
            Some(Ok(body)) => (body, EventSource::Schema),
            other => {
                if let Some(Err(e)) = other {
                    warnings.push(format!("{topic}: {e}; the built-in sample is used"));
                }
                let body = semantics::builtin_body(topic).unwrap_or_else(|| {
                    warnings.push(format!(
                        "{topic}: no schema and no built-in sample; an empty eventBody is used"
                    ));
                    Value::Object(serde_json::Map::new())
                });
                (body, EventSource::Builtin)
            }
        };
        out.push(origin.wrap(&event_of(topic, body, origin), source));
    }
    out
}
