//! [`FanoutMetrics`]: one sink that feeds several.

use std::sync::Arc;
use std::time::Duration;

use super::sink::MetricsSink;
use crate::outcome::{OperationOutcome, ProbePhase, RetryReason};

/// Sends every observation to several sinks.
#[derive(Debug, Clone, Default)]
pub struct FanoutMetrics(Vec<Arc<dyn MetricsSink>>);

impl FanoutMetrics {
    /// A sink feeding each of `sinks`, in order.
    pub fn new(sinks: Vec<Arc<dyn MetricsSink>>) -> Self {
        Self(sinks)
    }
}

impl MetricsSink for FanoutMetrics {
    fn operation_finished(&self, outcome: &OperationOutcome) {
        self.0.iter().for_each(|s| s.operation_finished(outcome));
    }
    fn probe_phase(&self, phase: ProbePhase, elapsed: Duration) {
        self.0.iter().for_each(|s| s.probe_phase(phase, elapsed));
    }
    fn probe_finished(&self, healthy: bool) {
        self.0.iter().for_each(|s| s.probe_finished(healthy));
    }
    fn token_fetched(&self, ok: bool) {
        self.0.iter().for_each(|s| s.token_fetched(ok));
    }
    fn api_response(&self, status: u16) {
        self.0.iter().for_each(|s| s.api_response(status));
    }
    fn api_retry(&self, reason: RetryReason) {
        self.0.iter().for_each(|s| s.api_retry(reason));
    }
    fn certificate_expiring(&self) {
        self.0.iter().for_each(|s| s.certificate_expiring());
    }
    fn audit_write_failed(&self) {
        self.0.iter().for_each(|s| s.audit_write_failed());
    }
}
