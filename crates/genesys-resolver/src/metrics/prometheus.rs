//! The Prometheus view: one registry per [`Metrics`](super::Metrics), its label sets and the
//! classic bucket bounds of its histograms.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::outcome::{Action, OperationOutcome, ProbePhase, RetryReason, Stage};

/// The `Content-Type` of [`Metrics::prometheus_text`](super::Metrics::prometheus_text), for an
/// HTTP scrape endpoint.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metric name prefix of the Prometheus exposition.
pub const PROMETHEUS_PREFIX: &str = "genesys_resolver";

/// Classic bucket bounds (seconds) of `genesys_resolver_resolve_duration_seconds` and
/// `genesys_resolver_deploy_duration_seconds`: an operation probes destinations and calls the
/// API, so tens of milliseconds to a minute.
const RESOLVE_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
];

/// Classic bucket bounds (seconds) of `genesys_resolver_probe_phase_duration_seconds`: from a
/// loopback connect (well under a millisecond) to a probe timeout.
const PHASE_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The labels of an operation's outcome: `outcome`, `action`, `stage`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct OutcomeLabels {
    outcome: &'static str,
    action: &'static str,
    stage: &'static str,
}

impl OutcomeLabels {
    pub(super) fn of(outcome: &OperationOutcome) -> Self {
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

    /// Every label set an outcome can have, so each series exists (at zero) from the start.
    fn all() -> impl Iterator<Item = Self> {
        let success = Action::ALL.iter().map(|a| Self {
            outcome: "success",
            action: a.as_str(),
            stage: "none",
        });
        let failure = Stage::ALL.iter().map(|s| Self {
            outcome: "failure",
            action: "none",
            stage: s.as_str(),
        });
        success.chain(failure)
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct PhaseLabels {
    pub(super) phase: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ResultLabels {
    pub(super) result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ReasonLabels {
    pub(super) reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct StatusLabels {
    pub(super) status: u16,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The Prometheus view: a registry of its own per [`Metrics`](super::Metrics).
pub(super) struct Prometheus {
    pub(super) registry: Registry,
    pub(super) resolves: Family<OutcomeLabels, Counter>,
    pub(super) dry_runs: Family<OutcomeLabels, Counter>,
    pub(super) resolve_duration: Histogram,
    pub(super) last_resolve: Gauge<f64, AtomicU64>,
    pub(super) deploys: Family<OutcomeLabels, Counter>,
    pub(super) deploy_plans: Family<OutcomeLabels, Counter>,
    pub(super) deploy_duration: Histogram,
    pub(super) last_deploy: Gauge<f64, AtomicU64>,
    pub(super) phase_duration: HistogramFamily<PhaseLabels>,
    pub(super) probes: Family<ResultLabels, Counter>,
    pub(super) token_fetches: Family<ResultLabels, Counter>,
    pub(super) api_responses: Family<StatusLabels, Counter>,
    pub(super) api_retries: Family<ReasonLabels, Counter>,
    pub(super) certificate_warnings: Counter,
    pub(super) audit_write_errors: Counter,
}

impl Prometheus {
    #[allow(clippy::too_many_lines)] // one registration per family, in exposition order
    pub(super) fn new() -> Self {
        let mut registry = Registry::with_prefix(PROMETHEUS_PREFIX);
        let resolves = Family::<OutcomeLabels, Counter>::default();
        let dry_runs = Family::<OutcomeLabels, Counter>::default();
        let resolve_duration = Histogram::new(RESOLVE_BUCKETS);
        let last_resolve = Gauge::<f64, AtomicU64>::default();
        let deploys = Family::<OutcomeLabels, Counter>::default();
        let deploy_plans = Family::<OutcomeLabels, Counter>::default();
        let deploy_duration = Histogram::new(RESOLVE_BUCKETS);
        let last_deploy = Gauge::<f64, AtomicU64>::default();
        let phase_duration: HistogramFamily<PhaseLabels> =
            Family::new_with_constructor(|| Histogram::new(PHASE_BUCKETS));
        let probes = Family::<ResultLabels, Counter>::default();
        let token_fetches = Family::<ResultLabels, Counter>::default();
        let api_responses = Family::<StatusLabels, Counter>::default();
        let api_retries = Family::<ReasonLabels, Counter>::default();
        let certificate_warnings = Counter::default();
        let audit_write_errors = Counter::default();

        // Create every known series up front, so a rate over a series that is still zero works.
        for labels in OutcomeLabels::all() {
            resolves.get_or_create_owned(&labels);
            dry_runs.get_or_create_owned(&labels);
            deploys.get_or_create_owned(&labels);
            deploy_plans.get_or_create_owned(&labels);
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
        for reason in RetryReason::ALL {
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
        registry.register(
            "deploys",
            "Finished deploys (not plans), by outcome, action taken and failing stage",
            deploys.clone(),
        );
        registry.register(
            "deploy_plans",
            "Finished deploy plans (dry runs), by outcome, action that would be taken and failing stage",
            deploy_plans.clone(),
        );
        registry.register_with_unit(
            "deploy_duration",
            "Wall time of a deploy (not plans)",
            Unit::Seconds,
            deploy_duration.clone(),
        );
        registry.register_with_unit(
            "last_deploy_timestamp",
            "Unix time the last deploy (not plan) finished",
            Unit::Seconds,
            last_deploy.clone(),
        );
        registry.register(
            "certificate_warnings",
            "Probes that found the destination's certificate expiring within the warning threshold",
            certificate_warnings.clone(),
        );
        registry.register(
            "audit_write_errors",
            "Audit records a sink failed to write",
            audit_write_errors.clone(),
        );

        Self {
            registry,
            resolves,
            dry_runs,
            resolve_duration,
            last_resolve,
            deploys,
            deploy_plans,
            deploy_duration,
            last_deploy,
            phase_duration,
            probes,
            token_fetches,
            api_responses,
            api_retries,
            certificate_warnings,
            audit_write_errors,
        }
    }
}
