//! [`RehearseError`]: what a rehearsal refuses before anything is built or sent.

use serde::Serialize;

/// Why a rehearsal could not start: each names the option or field at fault. Never echoes a
/// sample's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RehearseError {
    /// The sample event (`--event FILE`) cannot be used: too large, not JSON or YAML, or not a
    /// Genesys event body, notification or EventBridge event.
    #[error("event ({origin}): {reason}")]
    Event {
        /// Where the sample came from (its file name).
        origin: String,
        /// What is wrong, without the sample's values.
        reason: String,
    },
    /// `--topic` names no topic the route subscribes to.
    #[error("topic {topic:?} is not one of the route's eventFilters ({})", .subscribed.join(", "))]
    UnknownTopic {
        /// The topic asked for.
        topic: String,
        /// The route's subscribed topics.
        subscribed: Vec<String>,
    },
    /// `--destination` names no destination of the route.
    #[error("destination {name:?} is not one of the route's destinations ({})", .known.join(", "))]
    UnknownDestination {
        /// The destination asked for.
        name: String,
        /// The route's destinations by path (`uri`, `uris[0]`, ...).
        known: Vec<String>,
    },
    /// A rule's event pattern or input transformer cannot be evaluated as EventBridge would.
    #[error("rule {rule}: {reason}")]
    Rule {
        /// The rule's name.
        rule: String,
        /// What is wrong.
        reason: String,
    },
}

impl RehearseError {
    /// The option or field at fault: `event`, `topic`, `destination` or `eventFilters`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Event { .. } => "event",
            Self::UnknownTopic { .. } => "topic",
            Self::UnknownDestination { .. } => "destination",
            Self::Rule { .. } => "eventFilters",
        }
    }
}
