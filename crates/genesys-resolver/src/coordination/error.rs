//! [`CoordinationError`]: why a lease or a pacing slot could not be had, and whether to retry.

use std::time::Duration;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Why coordination failed. Never carries a secret: a Redis URL is shown without its user
/// information and query, and Redis' own messages are scrubbed of the password.
///
/// Serialized as a flat object with `"kind": "coordination"`, a `reason` (the variant in
/// snake case), the `message`, `retryable`, and the variant's fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoordinationError {
    /// Another holder kept the turn on `key` for the whole `waited`. Nothing was done.
    /// Retryable: try again later, or give the caller a longer wait.
    #[error("timed out after {waited:?} waiting for the turn on {key}")]
    Timeout {
        /// The lease key, as [`LeaseKey`](super::LeaseKey) displays it.
        key: String,
        /// How long the caller waited.
        waited: Duration,
    },
    /// The lease was held, then lost before it was released: a renewal found the Redis key
    /// gone or owned by another holder, renewals failed for longer than the ttl, or the
    /// release found the key no longer ours. Another caller may have worked on the same name
    /// meanwhile, so the work done under the lease is not known to be exclusive: look the
    /// name up again before trusting it. Retryable (the retry looks up again). A lease lost
    /// often means the ttl is too short for the work or Redis is overloaded.
    #[error("lease on {key} lost: {reason}")]
    LeaseLost {
        /// The lease key, as [`LeaseKey`](super::LeaseKey) displays it.
        key: String,
        /// What showed the loss.
        reason: String,
    },
    /// The coordination store (Redis) could not be reached, refused a command or did not
    /// answer within the command timeout. Nothing was done without the lease: the
    /// coordinators never fall back to working unlocked. Retryable: check that Redis runs
    /// and is reachable, then try again.
    #[error("coordination store {store} unavailable: {message}")]
    Unavailable {
        /// The store, e.g. the Redis URL without credentials.
        store: String,
        /// What failed.
        message: String,
    },
    /// A coordination setting is invalid (`field` breaks `reason`). A configuration
    /// mistake; retrying does not help.
    #[error("invalid coordination setting {field}: {reason}")]
    Config {
        /// The setting's name.
        field: &'static str,
        /// The rule it breaks.
        reason: String,
    },
}

impl CoordinationError {
    /// The error kind every coordination error shares in JSON and in callers' vocabularies.
    pub const KIND: &'static str = "coordination";

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::LeaseLost { .. } | Self::Unavailable { .. } => true,
            Self::Config { .. } => false,
        }
    }

    /// Always [`Self::KIND`] (`"coordination"`).
    pub fn kind(&self) -> &'static str {
        Self::KIND
    }

    /// Which failure this is, in snake case: `timeout`, `lease_lost`, `unavailable`, `config`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "timeout",
            Self::LeaseLost { .. } => "lease_lost",
            Self::Unavailable { .. } => "unavailable",
            Self::Config { .. } => "config",
        }
    }
}

impl Serialize for CoordinationError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", Self::KIND)?;
        map.serialize_entry("reason", self.reason())?;
        map.serialize_entry("message", &self.to_string())?;
        map.serialize_entry("retryable", &self.is_retryable())?;
        match self {
            Self::Timeout { key, waited } => {
                map.serialize_entry("key", key)?;
                map.serialize_entry("waited_ms", &(waited.as_secs_f64() * 1000.0))?;
            }
            Self::LeaseLost { key, reason } => {
                map.serialize_entry("key", key)?;
                map.serialize_entry("detail", reason)?;
            }
            Self::Unavailable { store, message } => {
                map.serialize_entry("store", store)?;
                map.serialize_entry("detail", message)?;
            }
            Self::Config { field, reason } => {
                map.serialize_entry("field", field)?;
                map.serialize_entry("detail", reason)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_flat_with_kind_and_reason() {
        let err = CoordinationError::Timeout {
            key: "k".into(),
            waited: Duration::from_millis(1500),
        };
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({
                "kind": "coordination",
                "reason": "timeout",
                "message": "timed out after 1.5s waiting for the turn on k",
                "retryable": true,
                "key": "k",
                "waited_ms": 1500.0,
            })
        );
        let err = CoordinationError::Config {
            field: "lease_ttl",
            reason: "must be at least 100ms".into(),
        };
        let v = serde_json::to_value(&err).unwrap();
        assert_eq!(v["reason"], "config");
        assert_eq!(v["retryable"], false);
        assert_eq!(v["field"], "lease_ttl");
    }

    #[test]
    fn retryable_by_variant() {
        let lost = CoordinationError::LeaseLost {
            key: "k".into(),
            reason: "gone".into(),
        };
        let down = CoordinationError::Unavailable {
            store: "redis://127.0.0.1:1/".into(),
            message: "refused".into(),
        };
        assert!(lost.is_retryable() && down.is_retryable());
        assert_eq!(lost.reason(), "lease_lost");
        assert_eq!(down.reason(), "unavailable");
        assert_eq!(down.kind(), "coordination");
    }
}
