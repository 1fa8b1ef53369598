//! The [`MetricsSink`] trait every component reports to, and [`NoopMetrics`].

use std::fmt;
use std::time::Duration;

use crate::outcome::{OperationOutcome, ProbePhase, RetryReason};

/// Receives what the resolver's components observe. Every method has a no-op default, so a sink
/// implements only what it needs. Implementations must be cheap and must not block: they are
/// called on the request path, concurrently.
pub trait MetricsSink: Send + Sync + fmt::Debug {
    /// An operation finished: a resolve (or its dry run, `check`) or, with
    /// [`Operation::Deploy`](crate::outcome::Operation::Deploy), a deploy (or its plan; a route
    /// operation is one deploy). The operation envelope ([`crate::envelope`]) calls this once
    /// per operation of every flow; a sink tells them apart by `outcome.operation`.
    fn operation_finished(&self, outcome: &OperationOutcome) {
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

    // What the alert rules of docs/operations.md need besides the above.
    /// A probe found the destination's certificate expiring within the warning threshold.
    fn certificate_expiring(&self) {}

    /// An audit sink failed to write a record.
    fn audit_write_failed(&self) {}
}

/// A sink that records nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopMetrics;

impl MetricsSink for NoopMetrics {}
