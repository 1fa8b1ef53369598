//! Metrics: the [`MetricsSink`] trait every component reports to.

use std::fmt;
use std::time::Duration;

use crate::pipeline::{ProbePhase, ResolveOutcome};

/// Why an API call was retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RetryReason {
    /// 429 Too Many Requests.
    RateLimited,
    /// 502, 503 or 504.
    ServerError,
    /// The connection failed or timed out.
    Transport,
    /// 401 with a token that was then refreshed.
    Unauthorized,
}

impl RetryReason {
    /// The reason's name as a metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::ServerError => "server_error",
            Self::Transport => "transport",
            Self::Unauthorized => "unauthorized",
        }
    }
}

/// Receives what the resolver's components observe. Every method has a no-op default, so a sink
/// implements only what it needs. Implementations must be cheap and must not block: they are
/// called on the request path, concurrently.
pub trait MetricsSink: Send + Sync + fmt::Debug {
    /// A resolve (or dry-run check) finished.
    fn resolve_finished(&self, outcome: &ResolveOutcome) {
        let _ = outcome;
    }

    /// A phase of an endpoint probe finished after `elapsed`.
    fn probe_phase(&self, phase: ProbePhase, elapsed: Duration) {
        let _ = (phase, elapsed);
    }

    /// An endpoint probe finished, healthy or not.
    fn probe_finished(&self, healthy: bool) {
        let _ = healthy;
    }

    /// A token request to the login host finished.
    fn token_fetched(&self, ok: bool) {
        let _ = ok;
    }

    /// An API response arrived with `status` (0 when no response arrived).
    fn api_response(&self, status: u16) {
        let _ = status;
    }

    /// An API call is being retried.
    fn api_retry(&self, reason: RetryReason) {
        let _ = reason;
    }
}

/// A sink that records nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopMetrics;

impl MetricsSink for NoopMetrics {}
