//! [`RehearseReport`]: per event, the rules it matched and, per destination, the request and
//! EventBridge's verdict. Serializable; Debug and Display hold no credential.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::request::RequestView;
use super::verdict::{RetryBudget, Verdict};
use crate::durations::opt_duration_ms;
use crate::envelope::OperationReport;
use crate::names::named_enum;
use crate::outcome::Action;

named_enum! {
    /// Where a rehearsal's Genesys event came from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum EventSource {
        /// The user's sample (`--event FILE`).
        Sample = "sample",
        /// Built from the topic's schema (`availabletopics?expand=schema`).
        Schema = "schema",
        /// The built-in sample of the topic.
        Builtin = "builtin",
    }
}

/// One destination's rehearsal of one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationRehearsal {
    /// The payload path of the destination (`uri`, `uris[0]`, ...).
    pub path: String,
    /// The endpoint, redacted.
    pub uri: String,
    /// The API destination's name.
    pub api_destination: String,
    /// The rule that matched the event.
    pub rule: String,
    /// The event's topic (the subscribed pattern).
    pub topic: String,
    /// Where the event came from.
    pub source: EventSource,
    /// The request, credentials redacted.
    pub request: RequestView,
    /// The request body's size in bytes.
    pub request_bytes: usize,
    /// The destination's status, when it answered.
    pub status: Option<u16>,
    /// How long the attempt took, when sent (`latency_ms` in JSON).
    #[serde(rename = "latency_ms", with = "opt_duration_ms")]
    pub latency: Option<Duration>,
    /// Bytes of the answer's body read (at most 64 KiB; the body itself is never shown).
    pub response_bytes: Option<usize>,
    /// What EventBridge would do.
    pub verdict: Verdict,
    /// The verdict in words.
    pub reason: String,
}

/// One Genesys event of the rehearsal: the rules it matched and each destination's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRehearsal {
    /// The subscribed topic (the envelope's `detail-type`).
    pub topic: String,
    /// The concrete topic (`detail.topicName`).
    pub topic_name: String,
    /// Where the event came from.
    pub source: EventSource,
    /// The event's size in bytes as EventBridge measures it (its JSON).
    pub event_bytes: usize,
    /// Whether the event is larger than EventBridge takes (256 KiB).
    pub too_large: bool,
    /// The rules whose pattern matched it; empty: it reaches no destination.
    pub rules: Vec<String>,
    /// The rules AWS's `TestEventPattern` matched, when asked and answered
    /// ([`RehearseOptions::test_event_pattern`](super::RehearseOptions::test_event_pattern)).
    #[serde(default)]
    pub aws_rules: Option<Vec<String>>,
    /// Every matching rule's destinations (those `--destination` keeps).
    pub destinations: Vec<DestinationRehearsal>,
}

impl EventRehearsal {
    /// Whether this event reaches every destination kept (unsent: may reach).
    pub fn delivered(&self) -> bool {
        !self.too_large
            && !self.rules.is_empty()
            && self.aws_rules.as_ref().is_none_or(|aws| *aws == self.rules)
            && self.destinations.iter().all(|d| d.verdict.is_delivered())
    }
}

/// What `rehearse` found: per event, the rules it matched and each destination's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RehearseReport {
    /// The route's name.
    pub name: String,
    /// The rehearsal's id, sent in every request's rehearsal header.
    pub rehearsal_id: String,
    /// Whether the requests were sent.
    pub sent: bool,
    /// The targets' retry policy and dead-letter queue, which the verdicts apply.
    pub retry_policy: RetryBudget,
    /// One entry per event rehearsed.
    pub events: Vec<EventRehearsal>,
    /// Notes worth a look (a schema that could not be read, a topic without a built-in sample).
    pub warnings: Vec<String>,
}

impl RehearseReport {
    /// Whether every event reaches every destination kept: matched by a rule, not too large,
    /// and, when sent, delivered.
    pub fn delivered(&self) -> bool {
        self.events.iter().all(EventRehearsal::delivered)
    }

    /// Every destination rehearsal, event by event.
    pub fn destinations(&self) -> impl Iterator<Item = &DestinationRehearsal> {
        self.events.iter().flat_map(|e| &e.destinations)
    }
}

impl OperationReport for RehearseReport {
    /// A rehearsal changes nothing.
    fn outcome(&self) -> Action {
        Action::Unchanged
    }
}

impl fmt::Display for RehearseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "rehearsal {} of route {} ({}; {})",
            self.rehearsal_id,
            self.name,
            if self.sent { "sent" } else { "not sent" },
            self.retry_policy
        )?;
        for event in &self.events {
            write!(
                f,
                "  event {} ({}, {} bytes)",
                event.topic, event.source, event.event_bytes
            )?;
            if event.too_large {
                writeln!(f, ": larger than EventBridge's 256 KiB: never delivered")?;
                continue;
            }
            if event.rules.is_empty() {
                writeln!(f, ": matches no rule: never delivered")?;
                continue;
            }
            write!(f, ": rules {}", event.rules.join(", "))?;
            match &event.aws_rules {
                Some(aws) if *aws == event.rules => writeln!(f, " (AWS TestEventPattern agrees)")?,
                Some(aws) => writeln!(
                    f,
                    " (AWS TestEventPattern matched [{}] instead)",
                    aws.join(", ")
                )?,
                None => writeln!(f)?,
            }
            for d in &event.destinations {
                write!(f, "    {} {} [{}]", d.path, d.uri, d.verdict)?;
                if let Some(latency) = d.latency {
                    write!(f, " in {} ms", latency.as_millis())?;
                }
                writeln!(f, ": {}", d.reason)?;
                if !self.sent {
                    for line in d.request.to_string().lines() {
                        writeln!(f, "      {line}")?;
                    }
                }
            }
        }
        for w in &self.warnings {
            writeln!(f, "  warning: {w}")?;
        }
        Ok(())
    }
}
