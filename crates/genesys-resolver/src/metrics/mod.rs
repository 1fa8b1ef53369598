//! Metrics: the [`MetricsSink`] trait every component reports to, and [`Metrics`], the sink that
//! counts what happened and shows it as a JSON [`MetricsSnapshot`] (the seed's `/metrics` keys plus
//! percentiles and breakdowns) or as Prometheus / OpenMetrics text.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use genesys_resolver::metrics::{Metrics, MetricsSink};
//! use genesys_resolver::outcome::{Action, Operation, OperationOutcome, Stage};
//!
//! let metrics = Metrics::new();
//! // The pipeline holds the sink as `Arc<dyn MetricsSink>`; a clone shares the same counters.
//! let sink: Arc<dyn MetricsSink> = Arc::new(metrics.clone());
//! sink.operation_finished(&OperationOutcome::succeeded(Action::Created, Duration::from_millis(120), false));
//! sink.operation_finished(&OperationOutcome::failed(Stage::Probe, Duration::from_millis(80), false));
//! sink.api_response(429);
//! // A deploy is counted as a deploy, not as a resolve.
//! let deploy = OperationOutcome::succeeded(Action::Updated, Duration::from_millis(300), false);
//! sink.operation_finished(&deploy.for_operation(Operation::Deploy));
//!
//! let snap = metrics.snapshot();
//! assert_eq!((snap.successful_resolves, snap.total_resolves), (1, 2));
//! assert_eq!((snap.deploys.successful, snap.deploys.total), (1, 1));
//! assert_eq!(snap.reachability_rate, 0.5);
//! assert_eq!(snap.avg_latency_ms, 100.0);
//! assert_eq!(snap.rate_limited, 1);
//!
//! let text = metrics.prometheus_text();
//! assert!(text.contains(r#"genesys_resolver_resolves_total{outcome="failure",action="none",stage="probe"} 1"#));
//! assert!(text.contains(r#"genesys_resolver_deploys_total{outcome="success",action="updated",stage="none"} 1"#));
//! assert!(text.ends_with("# EOF\n"));
//! ```
//!
//! # Operations
//! [`MetricsSink::operation_finished`] hears of every operation; [`Metrics`] routes it by
//! [`OperationOutcome::operation`]: resolves (and their dry runs) feed the seed's figures
//! (`total_resolves`, `reachability_rate`, `avg_latency_ms`, ...) and the `resolves_total` /
//! `dry_runs_total` series; deploys (and their plans) feed only the snapshot's `deploys` object
//! ([`DeployStats`]) and the `deploys_total` / `deploy_plans_total` / `deploy_duration_seconds`
//! series.
//!
//! # Layout
//! `sink` (the trait), `histogram` (the percentile histogram), `snapshot` (the counters behind
//! the lock and the JSON view), `prometheus` (the registry and its label sets); this file ties
//! them under one lock.
//!
//! # Consistency
//! Every [`MetricsSink`] call on a [`Metrics`] updates the JSON view and the Prometheus view under
//! one lock, and [`Metrics::snapshot`] and [`Metrics::prometheus_text`] read under the same lock,
//! so within one snapshot `successful_resolves <= total_resolves` and
//! `reachability_rate == successful_resolves / total_resolves` always hold, and the Prometheus
//! counters agree with the histogram counts. The critical sections are a handful of integer
//! updates; encoding the text exposition holds the lock for the length of one encode.

mod fanout;
mod histogram;
mod prometheus;
mod sink;
mod snapshot;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

pub use self::fanout::FanoutMetrics;
pub use self::prometheus::{OPENMETRICS_CONTENT_TYPE, PROMETHEUS_PREFIX};
use self::prometheus::{
    OutcomeLabels, PhaseLabels, Prometheus, ReasonLabels, ResultLabels, StatusLabels,
};
pub use self::sink::{MetricsSink, NoopMetrics};
use self::snapshot::State;
pub use self::snapshot::{DeployStats, MetricsSnapshot, PhaseStats};
pub use crate::outcome::RetryReason;
use crate::outcome::{Operation, OperationOutcome, ProbePhase};

/// The two views, updated and read under one lock.
struct Shared {
    state: State,
    prometheus: Prometheus,
}

/// The real [`MetricsSink`]: counters of resolves by outcome, action and failing stage (dry runs
/// apart), a resolve-latency histogram with percentiles, the same for deploys (apart from
/// resolves, plans apart from deploys), probe phase histograms, probe results,
/// token fetches, API responses and retries.
///
/// Cheap to clone: clones share the same counters, so hand one to the pipeline (as
/// `Arc<dyn MetricsSink>`) and keep another to serve [`snapshot`](Self::snapshot) or
/// [`prometheus_text`](Self::prometheus_text). Each `Metrics::new()` has its own Prometheus
/// registry, so several can live in one process (one per test, say).
#[derive(Clone)]
pub struct Metrics {
    shared: Arc<Mutex<Shared>>,
}

impl Metrics {
    /// Empty metrics with a registry of their own.
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Mutex::new(Shared {
                state: State::new(),
                prometheus: Prometheus::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // No code path panics while holding the lock; should one ever, the counters are still
        // whole integers, so keep serving them.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A consistent copy of every counter, taken under one lock.
    pub fn snapshot(&self) -> MetricsSnapshot {
        self.lock().state.snapshot()
    }

    /// The snapshot as one line of JSON (the body of the seed's `GET /metrics`).
    pub fn to_json(&self) -> String {
        self.snapshot().to_json()
    }

    /// The seed's reachability rate: successful / total real resolves, 0.0 when there were none.
    pub fn reachability_rate(&self) -> f64 {
        self.lock().state.resolves.success_rate()
    }

    /// The OpenMetrics text exposition (serve it with [`OPENMETRICS_CONTENT_TYPE`]), ending in
    /// `# EOF`. Families, all prefixed `genesys_resolver_`:
    ///
    /// | family | type | labels |
    /// |---|---|---|
    /// | `resolves_total` | counter | `outcome` (success, failure), `action` (created, updated, unchanged, none), `stage` (a [`Stage`](crate::outcome::Stage) or none) |
    /// | `dry_runs_total` | counter | as `resolves_total` |
    /// | `resolve_duration_seconds` | histogram | |
    /// | `probe_phase_duration_seconds` | histogram | `phase` (a [`ProbePhase`]) |
    /// | `probes_total` | counter | `result` (healthy, unhealthy) |
    /// | `token_fetches_total` | counter | `result` (ok, failed) |
    /// | `api_responses_total` | counter | `status` (HTTP status; 0 when no response arrived; 429s are the rate-limited ones) |
    /// | `api_retries_total` | counter | `reason` (a [`RetryReason`]) |
    /// | `last_resolve_timestamp_seconds` | gauge | |
    /// | `deploys_total` | counter | as `resolves_total`, for deploys (not plans) |
    /// | `deploy_plans_total` | counter | as `resolves_total`, for deploy plans (dry runs) |
    /// | `deploy_duration_seconds` | histogram | |
    /// | `last_deploy_timestamp_seconds` | gauge | |
    ///
    /// Deploys count only in the `deploy*` families, never in `resolves_total` or
    /// `resolve_duration_seconds`.
    pub fn prometheus_text(&self) -> String {
        let shared = self.lock();
        let mut text = String::new();
        if let Err(err) =
            prometheus_client::encoding::text::encode(&mut text, &shared.prometheus.registry)
        {
            // Writing to a String does not fail; an encoder error would be a bug in a metric.
            tracing::warn!(error = %err, "encoding the Prometheus exposition failed");
        }
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.lock();
        let state = &shared.state;
        f.debug_struct("Metrics")
            .field("total_resolves", &state.resolves.total)
            .field("successful_resolves", &state.resolves.successful)
            .field("dry_runs", &state.dry_runs.total)
            .field("deploys", &state.deploys.total)
            .finish_non_exhaustive()
    }
}

impl MetricsSink for Metrics {
    fn operation_finished(&self, outcome: &OperationOutcome) {
        let now = OffsetDateTime::now_utc();
        let now_seconds = now.unix_timestamp_nanos() as f64 / 1e9;
        let labels = OutcomeLabels::of(outcome);
        let mut shared = self.lock();
        let Shared { state, prometheus } = &mut *shared;
        match (outcome.operation, outcome.dry_run) {
            (Operation::Resolve, true) => {
                state.dry_runs.record(outcome);
                prometheus.dry_runs.get_or_create(&labels).inc();
            }
            (Operation::Resolve, false) => {
                state.resolves.record(outcome);
                state.latency.record(outcome.latency);
                state.last_resolve = Some(now);
                prometheus.resolves.get_or_create(&labels).inc();
                prometheus
                    .resolve_duration
                    .observe(outcome.latency.as_secs_f64());
                prometheus.last_resolve.set(now_seconds);
            }
            (Operation::Deploy, true) => {
                state.plans.record(outcome);
                prometheus.deploy_plans.get_or_create(&labels).inc();
            }
            (Operation::Deploy, false) => {
                state.deploys.record(outcome);
                state.deploy_latency.record(outcome.latency);
                state.last_deploy = Some(now);
                prometheus.deploys.get_or_create(&labels).inc();
                prometheus
                    .deploy_duration
                    .observe(outcome.latency.as_secs_f64());
                prometheus.last_deploy.set(now_seconds);
            }
        }
    }

    fn probe_phase(&self, phase: ProbePhase, elapsed: Duration) {
        let mut shared = self.lock();
        let Shared { state, prometheus } = &mut *shared;
        state
            .phases
            .entry(phase.as_str())
            .or_default()
            .record(elapsed);
        prometheus
            .phase_duration
            .get_or_create(&PhaseLabels {
                phase: phase.as_str(),
            })
            .observe(elapsed.as_secs_f64());
    }

    fn probe_finished(&self, healthy: bool) {
        let mut shared = self.lock();
        let Shared { state, prometheus } = &mut *shared;
        let result = if healthy {
            state.probes_healthy += 1;
            "healthy"
        } else {
            state.probes_unhealthy += 1;
            "unhealthy"
        };
        prometheus
            .probes
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    fn token_fetched(&self, ok: bool) {
        let mut shared = self.lock();
        let Shared { state, prometheus } = &mut *shared;
        state.token_fetches += 1;
        let result = if ok {
            "ok"
        } else {
            state.token_failures += 1;
            "failed"
        };
        prometheus
            .token_fetches
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    fn api_response(&self, status: u16) {
        let mut shared = self.lock();
        let Shared { state, prometheus } = &mut *shared;
        *state.api_responses.entry(status).or_default() += 1;
        prometheus
            .api_responses
            .get_or_create(&StatusLabels { status })
            .inc();
    }

    fn api_retry(&self, reason: RetryReason) {
        let mut shared = self.lock();
        let Shared { state, prometheus } = &mut *shared;
        *state.api_retries.entry(reason.as_str()).or_default() += 1;
        prometheus
            .api_retries
            .get_or_create(&ReasonLabels {
                reason: reason.as_str(),
            })
            .inc();
    }

    fn certificate_expiring(&self) {
        self.lock().prometheus.certificate_warnings.inc();
    }

    fn audit_write_failed(&self) {
        self.lock().prometheus.audit_write_errors.inc();
    }
}
