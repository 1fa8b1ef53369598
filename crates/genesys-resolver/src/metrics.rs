//! Metrics: the [`MetricsSink`] trait every component reports to, and [`Metrics`], the sink that
//! counts what happened and shows it as a JSON [`MetricsSnapshot`] (the seed's `/metrics` keys plus
//! percentiles and breakdowns) or as Prometheus / OpenMetrics text.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use genesys_resolver::metrics::{Metrics, MetricsSink};
//! use genesys_resolver::pipeline::{Action, ResolveOutcome, Stage};
//!
//! let metrics = Metrics::new();
//! // The pipeline holds the sink as `Arc<dyn MetricsSink>`; a clone shares the same counters.
//! let sink: Arc<dyn MetricsSink> = Arc::new(metrics.clone());
//! sink.resolve_finished(&ResolveOutcome::succeeded(Action::Created, Duration::from_millis(120), false));
//! sink.resolve_finished(&ResolveOutcome::failed(Stage::Probe, Duration::from_millis(80), false));
//! sink.api_response(429);
//!
//! let snap = metrics.snapshot();
//! assert_eq!((snap.successful_resolves, snap.total_resolves), (1, 2));
//! assert_eq!(snap.reachability_rate, 0.5);
//! assert_eq!(snap.avg_latency_ms, 100.0);
//! assert_eq!(snap.rate_limited, 1);
//!
//! let text = metrics.prometheus_text();
//! assert!(text.contains(r#"genesys_resolver_resolves_total{outcome="failure",action="none",stage="probe"} 1"#));
//! assert!(text.ends_with("# EOF\n"));
//! ```
//!
//! # Consistency
//! Every [`MetricsSink`] call on a [`Metrics`] updates the JSON view and the Prometheus view under
//! one lock, and [`Metrics::snapshot`] and [`Metrics::prometheus_text`] read under the same lock,
//! so within one snapshot `successful_resolves <= total_resolves` and
//! `reachability_rate == successful_resolves / total_resolves` always hold, and the Prometheus
//! counters agree with the histogram counts. The critical sections are a handful of integer
//! updates; encoding the text exposition holds the lock for the length of one encode.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use crate::outcome::RetryReason;

mod fanout;
use crate::outcome::{Action, ProbePhase, ResolveOutcome, Stage};
pub use fanout::FanoutMetrics;

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

/// The `Content-Type` of [`Metrics::prometheus_text`], for an HTTP scrape endpoint.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metric name prefix of the Prometheus exposition.
pub const PROMETHEUS_PREFIX: &str = "genesys_resolver";

/// Every [`Action`], in the order the snapshot lists them.
const ACTIONS: [Action; 3] = [Action::Created, Action::Updated, Action::Unchanged];

/// Every [`RetryReason`], in the order the snapshot lists them.
const RETRY_REASONS: [RetryReason; 4] = [
    RetryReason::RateLimited,
    RetryReason::ServerError,
    RetryReason::Transport,
    RetryReason::Unauthorized,
];

/// Classic bucket bounds (seconds) of `genesys_resolver_resolve_duration_seconds`: a resolve
/// probes destinations and calls the API, so tens of milliseconds to a minute.
const RESOLVE_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
];

/// Classic bucket bounds (seconds) of `genesys_resolver_probe_phase_duration_seconds`: from a
/// loopback connect (well under a millisecond) to a probe timeout.
const PHASE_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

// ---------------------------------------------------------------------------------------------
// Percentile histogram
// ---------------------------------------------------------------------------------------------

/// Sub-buckets per power of two: 32, so a bucket is at most 1/32 (3.1 %) of its lower bound wide,
/// and an interpolated percentile is within that of the true value (within half of it when the
/// bucket holds a single value).
const SUB_BITS: u32 = 5;
const SUB_COUNT: u64 = 1 << SUB_BITS;
/// Buckets needed to cover every `u64` nanosecond value: 32 exact ones below 32 ns, then 32 per
/// power of two up to 2^64.
const BUCKET_COUNT: usize = (64 - SUB_BITS as usize + 1) * (1 << SUB_BITS);

/// A log-linear histogram of durations in nanoseconds (the layout of an HDR histogram with
/// 32 sub-buckets per power of two). Memory is bounded: [`BUCKET_COUNT`] counters (1,920, 15 KiB),
/// allocated on the first observation.
#[derive(Clone, Default)]
struct LatencyHistogram {
    counts: Vec<u64>,
    count: u64,
    sum_nanos: u128,
    min_nanos: u64,
    max_nanos: u64,
}

impl LatencyHistogram {
    fn bucket_index(nanos: u64) -> usize {
        let index = if nanos < SUB_COUNT {
            nanos
        } else {
            let shift = u64::from(nanos.ilog2() - SUB_BITS);
            let sub = (nanos >> shift) - SUB_COUNT;
            (shift + 1) * SUB_COUNT + sub
        };
        // At most BUCKET_COUNT - 1 (975), so the conversion cannot fail.
        usize::try_from(index).unwrap_or(BUCKET_COUNT - 1)
    }

    /// The lower bound and width of bucket `index`, in nanoseconds.
    fn bucket_bounds(index: usize) -> (f64, f64) {
        let index = index as u64;
        if index < SUB_COUNT {
            (index as f64, 1.0)
        } else {
            let shift = index / SUB_COUNT - 1;
            let sub = index % SUB_COUNT;
            let width = 2f64.powi(i32::try_from(shift).unwrap_or(i32::MAX));
            ((SUB_COUNT + sub) as f64 * width, width)
        }
    }

    fn record(&mut self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKET_COUNT];
            self.min_nanos = nanos;
            self.max_nanos = nanos;
        }
        self.counts[Self::bucket_index(nanos)] += 1;
        self.count += 1;
        self.sum_nanos += u128::from(nanos);
        self.min_nanos = self.min_nanos.min(nanos);
        self.max_nanos = self.max_nanos.max(nanos);
    }

    fn mean_ms(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        self.sum_nanos as f64 / self.count as f64 / 1e6
    }

    fn max_ms(&self) -> f64 {
        self.max_nanos as f64 / 1e6
    }

    /// The `q` quantile (0.0 to 1.0) in milliseconds; 0.0 when empty. The value of rank
    /// `ceil(q * count)`, interpolated linearly inside its bucket and clamped to the exact
    /// minimum and maximum.
    fn quantile_ms(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = (q.clamp(0.0, 1.0) * self.count as f64).ceil().max(1.0);
        let (min, max) = (self.min_nanos as f64, self.max_nanos as f64);
        let mut seen = 0u64;
        for (index, &count) in self.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            if (seen + count) as f64 >= rank {
                let (low, width) = Self::bucket_bounds(index);
                // Observations are taken as spread evenly over the bucket, each at the middle of
                // its share: a bucket holding one value reports the bucket's middle.
                let fraction = ((rank - seen as f64 - 0.5) / count as f64).clamp(0.0, 1.0);
                return (low + width * fraction).clamp(min, max) / 1e6;
            }
            seen += count;
        }
        max / 1e6
    }

    fn phase_stats(&self) -> PhaseStats {
        PhaseStats {
            count: self.count,
            avg_ms: self.mean_ms(),
            p50_ms: self.quantile_ms(0.50),
            p90_ms: self.quantile_ms(0.90),
            p99_ms: self.quantile_ms(0.99),
            max_ms: self.max_ms(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// State behind the lock
// ---------------------------------------------------------------------------------------------

/// Counts of one kind of resolve (real or dry run).
#[derive(Default)]
struct ResolveCounts {
    total: u64,
    successful: u64,
    by_action: BTreeMap<&'static str, u64>,
    by_failed_stage: BTreeMap<&'static str, u64>,
}

impl ResolveCounts {
    fn new() -> Self {
        Self {
            by_action: ACTIONS.iter().map(|a| (a.as_str(), 0)).collect(),
            by_failed_stage: Stage::ALL.iter().map(|s| (s.as_str(), 0)).collect(),
            ..Self::default()
        }
    }

    fn record(&mut self, outcome: &ResolveOutcome) {
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
}

/// The plain counters and histograms the JSON snapshot is built from.
struct State {
    resolves: ResolveCounts,
    dry_runs: ResolveCounts,
    latency: LatencyHistogram,
    phases: BTreeMap<&'static str, LatencyHistogram>,
    probes_healthy: u64,
    probes_unhealthy: u64,
    token_fetches: u64,
    token_failures: u64,
    api_responses: BTreeMap<u16, u64>,
    api_retries: BTreeMap<&'static str, u64>,
    last_resolve: Option<OffsetDateTime>,
}

impl State {
    fn new() -> Self {
        Self {
            resolves: ResolveCounts::new(),
            dry_runs: ResolveCounts::new(),
            latency: LatencyHistogram::default(),
            phases: ProbePhase::ALL
                .iter()
                .map(|p| (p.as_str(), LatencyHistogram::default()))
                .collect(),
            probes_healthy: 0,
            probes_unhealthy: 0,
            token_fetches: 0,
            token_failures: 0,
            api_responses: BTreeMap::new(),
            api_retries: RETRY_REASONS.iter().map(|r| (r.as_str(), 0)).collect(),
            last_resolve: None,
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResolveLabels {
    outcome: &'static str,
    action: &'static str,
    stage: &'static str,
}

impl ResolveLabels {
    fn of(outcome: &ResolveOutcome) -> Self {
        match outcome.failed_stage {
            None => Self {
                outcome: "success",
                action: outcome.action.map_or("none", Action::as_str),
                stage: "none",
            },
            Some(stage) => Self {
                outcome: "failure",
                action: "none",
                stage: stage.as_str(),
            },
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabels {
    phase: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: u16,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The Prometheus view: a registry of its own per [`Metrics`].
struct Prometheus {
    registry: Registry,
    resolves: Family<ResolveLabels, Counter>,
    dry_runs: Family<ResolveLabels, Counter>,
    resolve_duration: Histogram,
    phase_duration: HistogramFamily<PhaseLabels>,
    probes: Family<ResultLabels, Counter>,
    token_fetches: Family<ResultLabels, Counter>,
    api_responses: Family<StatusLabels, Counter>,
    api_retries: Family<ReasonLabels, Counter>,
    last_resolve: Gauge<f64, AtomicU64>,
}

impl Prometheus {
    fn new() -> Self {
        let mut registry = Registry::with_prefix(PROMETHEUS_PREFIX);
        let resolves = Family::<ResolveLabels, Counter>::default();
        let dry_runs = Family::<ResolveLabels, Counter>::default();
        let resolve_duration = Histogram::new(RESOLVE_BUCKETS);
        let phase_duration: HistogramFamily<PhaseLabels> =
            Family::new_with_constructor(|| Histogram::new(PHASE_BUCKETS));
        let probes = Family::<ResultLabels, Counter>::default();
        let token_fetches = Family::<ResultLabels, Counter>::default();
        let api_responses = Family::<StatusLabels, Counter>::default();
        let api_retries = Family::<ReasonLabels, Counter>::default();
        let last_resolve = Gauge::<f64, AtomicU64>::default();

        // Create every known series up front, so a rate over a series that is still zero works.
        let success = ACTIONS.iter().map(|a| ResolveLabels {
            outcome: "success",
            action: a.as_str(),
            stage: "none",
        });
        let failure = Stage::ALL.iter().map(|s| ResolveLabels {
            outcome: "failure",
            action: "none",
            stage: s.as_str(),
        });
        for labels in success.chain(failure) {
            resolves.get_or_create_owned(&labels);
            dry_runs.get_or_create_owned(&labels);
        }
        for phase in ProbePhase::ALL {
            phase_duration.get_or_create_owned(&PhaseLabels {
                phase: phase.as_str(),
            });
        }
        for result in ["healthy", "unhealthy"] {
            probes.get_or_create_owned(&ResultLabels { result });
        }
        for result in ["ok", "failed"] {
            token_fetches.get_or_create_owned(&ResultLabels { result });
        }
        for reason in RETRY_REASONS {
            api_retries.get_or_create_owned(&ReasonLabels {
                reason: reason.as_str(),
            });
        }

        registry.register(
            "resolves",
            "Finished resolves (not dry runs), by outcome, action taken and failing stage",
            resolves.clone(),
        );
        registry.register(
            "dry_runs",
            "Finished dry-run checks, by outcome, action that would be taken and failing stage",
            dry_runs.clone(),
        );
        registry.register_with_unit(
            "resolve_duration",
            "Wall time of a resolve (not dry runs)",
            Unit::Seconds,
            resolve_duration.clone(),
        );
        registry.register_with_unit(
            "probe_phase_duration",
            "Time of each phase of an endpoint probe",
            Unit::Seconds,
            phase_duration.clone(),
        );
        registry.register(
            "probes",
            "Finished endpoint probes, by result",
            probes.clone(),
        );
        registry.register(
            "token_fetches",
            "Token requests to the login host, by result",
            token_fetches.clone(),
        );
        registry.register(
            "api_responses",
            "Genesys API responses by HTTP status (0: no response arrived)",
            api_responses.clone(),
        );
        registry.register(
            "api_retries",
            "Genesys API calls retried, by reason",
            api_retries.clone(),
        );
        registry.register_with_unit(
            "last_resolve_timestamp",
            "Unix time the last resolve (not dry run) finished",
            Unit::Seconds,
            last_resolve.clone(),
        );

        Self {
            registry,
            resolves,
            dry_runs,
            resolve_duration,
            phase_duration,
            probes,
            token_fetches,
            api_responses,
            api_retries,
            last_resolve,
        }
    }
}

struct Shared {
    state: State,
    prometheus: Prometheus,
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// The real [`MetricsSink`]: counters of resolves by outcome, action and failing stage (dry runs
/// apart), a resolve-latency histogram with percentiles, probe phase histograms, probe results,
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
        let shared = self.lock();
        let state = &shared.state;
        let total = state.resolves.total;
        let successful = state.resolves.successful;
        let to_strings = |m: &BTreeMap<&'static str, u64>| -> BTreeMap<String, u64> {
            m.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
        };
        MetricsSnapshot {
            reachability_rate: if total == 0 {
                0.0
            } else {
                successful as f64 / total as f64
            },
            total_resolves: total,
            successful_resolves: successful,
            failed_resolves: total - successful,
            avg_latency_ms: state.latency.mean_ms(),
            p50_latency_ms: state.latency.quantile_ms(0.50),
            p90_latency_ms: state.latency.quantile_ms(0.90),
            p99_latency_ms: state.latency.quantile_ms(0.99),
            max_latency_ms: state.latency.max_ms(),
            by_action: to_strings(&state.resolves.by_action),
            by_failed_stage: to_strings(&state.resolves.by_failed_stage),
            dry_runs: state.dry_runs.total,
            failed_dry_runs: state.dry_runs.total - state.dry_runs.successful,
            token_fetches: state.token_fetches,
            token_failures: state.token_failures,
            api_responses: state
                .api_responses
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            api_retries: to_strings(&state.api_retries),
            rate_limited: state.api_responses.get(&429).copied().unwrap_or(0),
            probe_phases_ms: state
                .phases
                .iter()
                .map(|(k, h)| ((*k).to_owned(), h.phase_stats()))
                .collect(),
            probes_healthy: state.probes_healthy,
            probes_unhealthy: state.probes_unhealthy,
            last_resolve: state.last_resolve,
        }
    }

    /// The snapshot as one line of JSON (the body of the seed's `GET /metrics`).
    pub fn to_json(&self) -> String {
        self.snapshot().to_json()
    }

    /// The seed's reachability rate: successful / total real resolves, 0.0 when there were none.
    pub fn reachability_rate(&self) -> f64 {
        let shared = self.lock();
        let counts = &shared.state.resolves;
        if counts.total == 0 {
            0.0
        } else {
            counts.successful as f64 / counts.total as f64
        }
    }

    /// The OpenMetrics text exposition (serve it with [`OPENMETRICS_CONTENT_TYPE`]), ending in
    /// `# EOF`. Families, all prefixed `genesys_resolver_`:
    ///
    /// | family | type | labels |
    /// |---|---|---|
    /// | `resolves_total` | counter | `outcome` (success, failure), `action` (created, updated, unchanged, none), `stage` (a [`Stage`] or none) |
    /// | `dry_runs_total` | counter | as `resolves_total` |
    /// | `resolve_duration_seconds` | histogram | |
    /// | `probe_phase_duration_seconds` | histogram | `phase` (a [`ProbePhase`]) |
    /// | `probes_total` | counter | `result` (healthy, unhealthy) |
    /// | `token_fetches_total` | counter | `result` (ok, failed) |
    /// | `api_responses_total` | counter | `status` (HTTP status; 0 when no response arrived; 429s are the rate-limited ones) |
    /// | `api_retries_total` | counter | `reason` (a [`RetryReason`]) |
    /// | `last_resolve_timestamp_seconds` | gauge | |
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
            .finish_non_exhaustive()
    }
}

impl MetricsSink for Metrics {
    fn resolve_finished(&self, outcome: &ResolveOutcome) {
        let now = OffsetDateTime::now_utc();
        let labels = ResolveLabels::of(outcome);
        let mut shared = self.lock();
        let Shared { state, prometheus } = &mut *shared;
        if outcome.dry_run {
            state.dry_runs.record(outcome);
            prometheus.dry_runs.get_or_create(&labels).inc();
        } else {
            state.resolves.record(outcome);
            state.latency.record(outcome.latency);
            state.last_resolve = Some(now);
            prometheus.resolves.get_or_create(&labels).inc();
            prometheus
                .resolve_duration
                .observe(outcome.latency.as_secs_f64());
            prometheus
                .last_resolve
                .set(now.unix_timestamp_nanos() as f64 / 1e9);
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

/// A consistent copy of a [`Metrics`], serialized as the seed's `GET /metrics` JSON: the seed's
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
    /// API calls retried, by [`RetryReason`].
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

#[cfg(test)]
#[allow(clippy::float_cmp)] // an empty histogram reports exactly 0.0
mod tests {
    use super::*;

    #[test]
    fn bucket_layout_is_contiguous_and_covers_u64() {
        let mut expected_low = 0.0;
        for index in 0..BUCKET_COUNT {
            let (low, width) = LatencyHistogram::bucket_bounds(index);
            assert!(
                (low - expected_low).abs() < 1e-6 * low.max(1.0),
                "bucket {index}"
            );
            assert!(width <= (low / 32.0).max(1.0), "bucket {index} too wide");
            expected_low = low + width;
        }
        assert_eq!(LatencyHistogram::bucket_index(u64::MAX), BUCKET_COUNT - 1);
        for v in [
            0,
            1,
            15,
            16,
            17,
            31,
            32,
            33,
            63,
            64,
            1000,
            123_456_789,
            u64::MAX / 3,
        ] {
            let (low, width) = LatencyHistogram::bucket_bounds(LatencyHistogram::bucket_index(v));
            let v = v as f64;
            assert!(
                low <= v && v < low + width,
                "{v} not in [{low}, {})",
                low + width
            );
        }
    }

    #[test]
    fn empty_histogram_reports_zero() {
        let h = LatencyHistogram::default();
        assert_eq!(h.quantile_ms(0.5), 0.0);
        assert_eq!(h.mean_ms(), 0.0);
    }

    #[test]
    fn single_value_is_exact() {
        let mut h = LatencyHistogram::default();
        h.record(Duration::from_micros(1234));
        for q in [0.0, 0.5, 0.99, 1.0] {
            assert!((h.quantile_ms(q) - 1.234).abs() < 1e-9);
        }
    }
}
