//! The JSON view: the plain counters behind the lock ([`State`]) and the [`MetricsSnapshot`]
//! copied out of them (the seed's `GET /metrics` keys, then the additions).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::histogram::LatencyHistogram;
use crate::outcome::{Action, OperationOutcome, ProbePhase, RetryReason, Stage};

/// Counts of one kind of operation (real resolves, dry runs, deploys or plans).
#[derive(Default)]
pub(super) struct OutcomeCounts {
    pub(super) total: u64,
    pub(super) successful: u64,
    by_action: BTreeMap<&'static str, u64>,
    by_failed_stage: BTreeMap<&'static str, u64>,
}

impl OutcomeCounts {
    fn new() -> Self {
        Self {
            by_action: Action::ALL.iter().map(|a| (a.as_str(), 0)).collect(),
            by_failed_stage: Stage::ALL.iter().map(|s| (s.as_str(), 0)).collect(),
            ..Self::default()
        }
    }

    pub(super) fn record(&mut self, outcome: &OperationOutcome) {
        self.total += 1;
        match outcome.failed_stage {
            None => {
                self.successful += 1;
                if let Some(action) = outcome.action {
                    *self.by_action.entry(action.as_str()).or_default() += 1;
                }
            }
            Some(stage) => *self.by_failed_stage.entry(stage.as_str()).or_default() += 1,
        }
    }

    /// `successful / total`; 0.0 when there were none.
    pub(super) fn success_rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.successful as f64 / self.total as f64
        }
    }
}

/// The plain counters and histograms the JSON snapshot is built from.
pub(super) struct State {
    pub(super) resolves: OutcomeCounts,
    pub(super) dry_runs: OutcomeCounts,
    pub(super) latency: LatencyHistogram,
    pub(super) last_resolve: Option<OffsetDateTime>,
    pub(super) deploys: OutcomeCounts,
    pub(super) plans: OutcomeCounts,
    pub(super) deploy_latency: LatencyHistogram,
    pub(super) last_deploy: Option<OffsetDateTime>,
    pub(super) phases: BTreeMap<&'static str, LatencyHistogram>,
    pub(super) probes_healthy: u64,
    pub(super) probes_unhealthy: u64,
    pub(super) token_fetches: u64,
    pub(super) token_failures: u64,
    pub(super) api_responses: BTreeMap<u16, u64>,
    pub(super) api_retries: BTreeMap<&'static str, u64>,
}

fn phase_stats(h: &LatencyHistogram) -> PhaseStats {
    PhaseStats {
        count: h.count(),
        avg_ms: h.mean_ms(),
        p50_ms: h.quantile_ms(0.50),
        p90_ms: h.quantile_ms(0.90),
        p99_ms: h.quantile_ms(0.99),
        max_ms: h.max_ms(),
    }
}

fn to_strings(m: &BTreeMap<&'static str, u64>) -> BTreeMap<String, u64> {
    m.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

impl State {
    pub(super) fn new() -> Self {
        Self {
            resolves: OutcomeCounts::new(),
            dry_runs: OutcomeCounts::new(),
            latency: LatencyHistogram::default(),
            last_resolve: None,
            deploys: OutcomeCounts::new(),
            plans: OutcomeCounts::new(),
            deploy_latency: LatencyHistogram::default(),
            last_deploy: None,
            phases: ProbePhase::ALL
                .iter()
                .map(|p| (p.as_str(), LatencyHistogram::default()))
                .collect(),
            probes_healthy: 0,
            probes_unhealthy: 0,
            token_fetches: 0,
            token_failures: 0,
            api_responses: BTreeMap::new(),
            api_retries: RetryReason::ALL.iter().map(|r| (r.as_str(), 0)).collect(),
        }
    }

    /// A copy of every counter (the caller holds the lock).
    pub(super) fn snapshot(&self) -> MetricsSnapshot {
        let resolves = &self.resolves;
        MetricsSnapshot {
            reachability_rate: resolves.success_rate(),
            total_resolves: resolves.total,
            successful_resolves: resolves.successful,
            failed_resolves: resolves.total - resolves.successful,
            avg_latency_ms: self.latency.mean_ms(),
            p50_latency_ms: self.latency.quantile_ms(0.50),
            p90_latency_ms: self.latency.quantile_ms(0.90),
            p99_latency_ms: self.latency.quantile_ms(0.99),
            max_latency_ms: self.latency.max_ms(),
            by_action: to_strings(&resolves.by_action),
            by_failed_stage: to_strings(&resolves.by_failed_stage),
            dry_runs: self.dry_runs.total,
            failed_dry_runs: self.dry_runs.total - self.dry_runs.successful,
            token_fetches: self.token_fetches,
            token_failures: self.token_failures,
            api_responses: self
                .api_responses
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            api_retries: to_strings(&self.api_retries),
            rate_limited: self.api_responses.get(&429).copied().unwrap_or(0),
            probe_phases_ms: self
                .phases
                .iter()
                .map(|(k, h)| ((*k).to_owned(), phase_stats(h)))
                .collect(),
            probes_healthy: self.probes_healthy,
            probes_unhealthy: self.probes_unhealthy,
            last_resolve: self.last_resolve,
            deploys: DeployStats {
                total: self.deploys.total,
                successful: self.deploys.successful,
                failed: self.deploys.total - self.deploys.successful,
                success_rate: self.deploys.success_rate(),
                avg_latency_ms: self.deploy_latency.mean_ms(),
                p50_latency_ms: self.deploy_latency.quantile_ms(0.50),
                p90_latency_ms: self.deploy_latency.quantile_ms(0.90),
                p99_latency_ms: self.deploy_latency.quantile_ms(0.99),
                max_latency_ms: self.deploy_latency.max_ms(),
                by_action: to_strings(&self.deploys.by_action),
                by_failed_stage: to_strings(&self.deploys.by_failed_stage),
                plans: self.plans.total,
                failed_plans: self.plans.total - self.plans.successful,
                last_deploy: self.last_deploy,
            },
        }
    }
}

/// Timing statistics of one [`ProbePhase`], in milliseconds (0 when no probe ran that phase).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PhaseStats {
    /// How many times the phase was timed.
    pub count: u64,
    /// Mean time.
    pub avg_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// Deploys (the EventBridge deployer's applies) and their dry runs (plans), counted apart from
/// resolves: the snapshot's `deploys` object. Figures are as for resolves: maps list every known
/// key, percentiles are interpolated, averages and maxima exact, every figure finite.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DeployStats {
    /// Deploys (not plans) finished, successful or not.
    pub total: u64,
    /// Deploys that succeeded.
    pub successful: u64,
    /// Deploys that failed (`total - successful`).
    pub failed: u64,
    /// `successful / total`; 0.0 when there were none.
    pub success_rate: f64,
    /// Mean deploy latency in milliseconds.
    pub avg_latency_ms: f64,
    /// Median deploy latency in milliseconds.
    pub p50_latency_ms: f64,
    /// 90th percentile deploy latency in milliseconds.
    pub p90_latency_ms: f64,
    /// 99th percentile deploy latency in milliseconds.
    pub p99_latency_ms: f64,
    /// Slowest deploy in milliseconds.
    pub max_latency_ms: f64,
    /// Successful deploys by [`Action`] (`created`, `updated`, `unchanged`).
    pub by_action: BTreeMap<String, u64>,
    /// Failed deploys by the [`Stage`] that failed.
    pub by_failed_stage: BTreeMap<String, u64>,
    /// Plans (deploy dry runs) finished, successful or not.
    pub plans: u64,
    /// Plans that failed.
    pub failed_plans: u64,
    /// When the last deploy (not plan) finished (RFC 3339, UTC); `null` before the first.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_deploy: Option<OffsetDateTime>,
}

/// A consistent copy of a [`Metrics`](super::Metrics), serialized as the seed's `GET /metrics` JSON: the seed's
/// keys (`reachability_rate`, `total_resolves`, `successful_resolves`, `avg_latency_ms`) at the
/// top level, followed by the additions.
///
/// Real resolves and dry runs are counted apart: `total_resolves`, `successful_resolves`,
/// `failed_resolves`, the latency figures, `by_action`, `by_failed_stage` and `last_resolve`
/// count real resolves only; `dry_runs` and `failed_dry_runs` count checks. Percentiles are
/// interpolated from a log-linear histogram (within about 3 %); averages and maxima are exact.
/// Every figure is a finite number: with no resolves the rate, average and percentiles are 0
/// (the seed divided by zero there and produced NaN, which is not JSON).
///
/// Deploys ([`Operation::Deploy`](crate::outcome::Operation::Deploy) outcomes) are not resolves:
/// they count in none of the resolve figures above, only in the `deploys` object
/// ([`DeployStats`]).
///
/// Maps list every known key, zero or not; `api_responses` lists the statuses seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// `successful_resolves / total_resolves`; 0.0 when there were none.
    pub reachability_rate: f64,
    /// Real resolves finished, successful or not.
    pub total_resolves: u64,
    /// Real resolves that succeeded.
    pub successful_resolves: u64,
    /// Mean resolve latency in milliseconds (fractional; the seed truncated each to whole ms).
    pub avg_latency_ms: f64,
    /// Real resolves that failed (`total_resolves - successful_resolves`).
    pub failed_resolves: u64,
    /// Median resolve latency in milliseconds.
    pub p50_latency_ms: f64,
    /// 90th percentile resolve latency in milliseconds.
    pub p90_latency_ms: f64,
    /// 99th percentile resolve latency in milliseconds.
    pub p99_latency_ms: f64,
    /// Slowest resolve in milliseconds.
    pub max_latency_ms: f64,
    /// Successful real resolves by [`Action`] (`created`, `updated`, `unchanged`).
    pub by_action: BTreeMap<String, u64>,
    /// Failed real resolves by the [`Stage`] that failed.
    pub by_failed_stage: BTreeMap<String, u64>,
    /// Dry-run checks finished, successful or not.
    pub dry_runs: u64,
    /// Dry-run checks that failed.
    pub failed_dry_runs: u64,
    /// Token requests made, successful or not.
    pub token_fetches: u64,
    /// Token requests that failed.
    pub token_failures: u64,
    /// Genesys API responses by HTTP status (`"0"`: no response arrived).
    pub api_responses: BTreeMap<String, u64>,
    /// API calls retried, by [`RetryReason`](crate::outcome::RetryReason).
    pub api_retries: BTreeMap<String, u64>,
    /// API responses with status 429 Too Many Requests.
    pub rate_limited: u64,
    /// Probe timings by [`ProbePhase`].
    pub probe_phases_ms: BTreeMap<String, PhaseStats>,
    /// Endpoint probes that found the destination healthy.
    pub probes_healthy: u64,
    /// Endpoint probes that did not.
    pub probes_unhealthy: u64,
    /// When the last real resolve finished (RFC 3339, UTC); `null` before the first.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_resolve: Option<OffsetDateTime>,
    /// Deploys and plans, apart from resolves.
    pub deploys: DeployStats,
}

impl MetricsSnapshot {
    /// The snapshot as one line of JSON.
    pub fn to_json(&self) -> String {
        // Every field is a number, a string map or a formatted date, so serializing cannot fail.
        serde_json::to_string(self).unwrap_or_else(|err| {
            tracing::warn!(error = %err, "serializing the metrics snapshot failed");
            String::from("{}")
        })
    }
}
