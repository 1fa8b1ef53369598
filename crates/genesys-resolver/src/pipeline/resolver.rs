//! [`Resolver`]: validate, probe, token, route mapping, submit, report.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::Instrument;

use super::{Action, ResolveError, Stage};
use crate::api::{Integration, IntegrationsApi};
use crate::auth::TokenSource;
use crate::coordination::{Coordinator, LeaseKey};
use crate::envelope::{Envelope, OperationReport, Seen, Subject, stage};
use crate::metrics::Metrics;
use crate::payload::ResolvePayload;
use crate::probe::{EndpointProber, ProbeReport};
use crate::target::{DeployTarget, Deployed};
use crate::validate::{self, Limits};
use crate::violation::ValidationErrors;

/// How long one stage of a resolve took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageTiming {
    /// The stage.
    pub stage: Stage,
    /// Wall time in milliseconds.
    pub ms: f64,
}

/// What a resolve (or a dry-run check) found and did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResolveReport {
    /// The integration's name.
    pub integration_name: String,
    /// What was done (for a dry run: what would be done).
    pub action: Action,
    /// Whether this was a dry run that submitted nothing.
    pub dry_run: bool,
    /// The integration's id; `None` only for a dry run that would create one.
    pub integration_id: Option<String>,
    /// Whether a create whose response was lost was confirmed by looking the integration up
    /// (it exists once; see [`IntegrationsApi::create`]).
    pub recovered: bool,
    /// One probe report per distinct endpoint (`uri`, then each `uris` entry).
    pub endpoints: Vec<ProbeReport>,
    /// Time spent in each stage that ran, in order.
    pub stages: Vec<StageTiming>,
    /// Things worth attention that did not fail the resolve (a certificate near expiry, ...).
    pub warnings: Vec<String>,
    /// Genesys' correlation id of the last API response, for support requests.
    pub correlation_id: Option<String>,
    /// Wall time of the whole resolve in milliseconds.
    pub latency_ms: f64,
    /// Where the events go, for a resolver that deploys through a
    /// [`DeployTarget`](crate::target::DeployTarget) (`route://<region>/<account>/<suffix>`
    /// for the real route); absent for the seed's integrations route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The target's own report in its JSON form: for the real route, its `RouteReport` (for
    /// a check, its `RoutePlan`); absent for the seed's integrations route. It holds no secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Value>,
}

/// The resolve pipeline. Cheap to clone (one `Arc` inside), `Send + Sync`: build one per
/// Genesys organisation and share it.
///
/// ```no_run
/// use genesys_resolver::environment::Environment;
/// use genesys_resolver::payload::ResolvePayload;
/// use genesys_resolver::pipeline::Resolver;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let resolver = Resolver::builder()
///     .environment(Environment::parse("eu_west_1")?)
///     .credentials("client-id", "client-secret".to_owned().into())
///     .build()?;
/// let payload = ResolvePayload::builder("orders", "https://hooks.example.com/genesys")
///     .event_types(["v2.routing.queues.{id}.conversations"])
///     .build()?;
/// let report = resolver.resolve(&payload).await?;
/// println!("{} {:?}", report.action, report.integration_id);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Resolver {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) limits: Limits,
    pub(super) api: Arc<dyn IntegrationsApi>,
    pub(super) tokens: Option<Arc<dyn TokenSource>>,
    pub(super) prober: Arc<dyn EndpointProber>,
    pub(super) metrics: Metrics,
    /// The metrics sink (the built-in [`Metrics`] and any further ones) and the audit sink.
    pub(super) envelope: Envelope,
    pub(super) coordinator: Arc<dyn Coordinator>,
    /// The environment part of lease keys (the API base, or `custom` for a replaced API).
    pub(super) lease_environment: String,
    /// The scope part of lease keys (the integrations route).
    pub(super) lease_scope: String,
    /// How long a resolve waits for its turn on a name.
    pub(super) lease_wait: Duration,
    /// Where a proven payload is deployed, when not to the seed's integrations route.
    pub(super) target: Option<Arc<dyn DeployTarget>>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("api", &self.inner.api)
            .field("tokens", &self.inner.tokens)
            .field("prober", &self.inner.prober)
            .field("audit", self.inner.envelope.audit())
            .field("target", &self.inner.target)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// The built-in metrics: every resolve, probe, token fetch and API call is counted here
    /// (and in any further sink given to the builder).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The deploy target a proven payload goes to, when it is not the seed's integrations
    /// route (see [`ResolverBuilder::deploy_target`](super::ResolverBuilder::deploy_target)).
    pub fn deploy_target(&self) -> Option<&Arc<dyn DeployTarget>> {
        self.inner.target.as_ref()
    }

    /// Validates, probes every endpoint, obtains a token, maps the route and creates or updates
    /// the integration (or leaves it alone when it already matches). Nothing is sent to Genesys
    /// unless the payload is valid and every destination is healthy.
    ///
    /// With a deploy target (the real route, when the settings choose it), the payload is
    /// validated here and the target does the rest: it proves every destination before its
    /// first write, then deploys both halves; the report carries the target's own report.
    pub async fn resolve(&self, payload: &ResolvePayload) -> Result<ResolveReport, ResolveError> {
        self.run(payload, false).await
    }

    /// Everything [`resolve`](Self::resolve) does except the submit: a dry run. The report's
    /// `action` is what a resolve would do.
    pub async fn check(&self, payload: &ResolvePayload) -> Result<ResolveReport, ResolveError> {
        self.run(payload, true).await
    }

    /// Resolves many payloads, at most `concurrency` at once (at least one). Returns one
    /// outcome per payload, in input order; one failure does not stop the others. The client's
    /// rate limiter, if configured, paces the API calls of all of them together.
    pub async fn resolve_many(
        &self,
        payloads: &[ResolvePayload],
        concurrency: usize,
    ) -> Vec<Result<ResolveReport, ResolveError>> {
        // A window of at most `concurrency` resolves, completed in input order. Written without
        // a closure over `self` so the future stays `Send` (a stream `map` closure here trips
        // rustc's higher-ranked lifetime inference and makes it `!Send`).
        let limit = concurrency.max(1);
        let mut outcomes = Vec::with_capacity(payloads.len());
        let mut window = FuturesOrdered::new();
        for payload in payloads {
            if window.len() >= limit
                && let Some(outcome) = window.next().await
            {
                outcomes.push(outcome);
            }
            window.push_back(self.resolve(payload));
        }
        while let Some(outcome) = window.next().await {
            outcomes.push(outcome);
        }
        outcomes
    }

    /// One resolve (or check) in the envelope: its span, timing, metrics and one audit record.
    async fn run(
        &self,
        payload: &ResolvePayload,
        dry_run: bool,
    ) -> Result<ResolveReport, ResolveError> {
        let target = self.inner.target.as_ref().map(|t| t.target(payload));
        let mut subject = Subject::resolve(payload, dry_run);
        if let Some(target) = &target {
            subject = subject.with_target(target);
        }
        let scope = self.inner.envelope.start(subject);
        let mut run = Run {
            stages: Vec::new(),
            correlation_id: None,
            stage_started: Instant::now(),
        };
        let result = self
            .stages(payload, dry_run, &mut run)
            .instrument(scope.span().clone())
            .await;
        let latency = scope.elapsed();
        let result = result.map(|done| {
            let mut warnings: Vec<String> = done
                .endpoints
                .iter()
                .flat_map(|r| r.warnings.iter().map(move |w| format!("{}: {w}", r.uri)))
                .collect();
            warnings.extend(done.warnings);
            ResolveReport {
                integration_name: payload.name.clone(),
                action: done.action,
                dry_run,
                integration_id: done.integration_id,
                recovered: done.recovered,
                endpoints: done.endpoints,
                stages: std::mem::take(&mut run.stages),
                warnings,
                correlation_id: run.correlation_id.clone(),
                latency_ms: latency.as_secs_f64() * 1000.0,
                target: target.clone(),
                route: done.report,
            }
        });
        scope.finish(&result, Seen::new(run.correlation_id.as_deref(), None));
        result
    }

    /// The stages; returns what was done (or would be, for a dry run).
    async fn stages(
        &self,
        payload: &ResolvePayload,
        dry_run: bool,
        run: &mut Run,
    ) -> Result<Deployed, ResolveError> {
        let inner = &self.inner;

        stage(Stage::Validate, async {
            match &inner.target {
                None => validate::validate_with(payload, &inner.limits),
                Some(target) => match target.violations(payload, &inner.limits) {
                    found if found.is_empty() => Ok(()),
                    found => Err(ValidationErrors::new(found)),
                },
            }
            .map_err(ResolveError::validation)
        })
        .await?;
        run.finish(Stage::Validate);

        if let Some(target) = &inner.target {
            // The target proves every destination before its first write and runs its own
            // stages (as spans under this resolve's); its whole run is the resolve's submit.
            let done = target
                .deploy(payload, dry_run)
                .await
                .map_err(ResolveError::target)?;
            run.correlation_id.clone_from(&done.correlation_id);
            run.finish(if dry_run {
                Stage::RouteMapping
            } else {
                Stage::Submit
            });
            return Ok(done);
        }

        // Destinations first: a payload the address policy refuses, or whose destination is
        // down, never costs a Genesys call.
        let reports = stage(Stage::Probe, async {
            let reports = inner.prober.probe_payload(payload).await;
            if reports.iter().any(|r| !r.ok()) {
                return Err(ResolveError::probe(reports));
            }
            Ok(reports)
        })
        .await?;
        run.finish(Stage::Probe);

        if let Some(tokens) = &inner.tokens {
            stage(Stage::Token, async {
                tokens.token().await.map_err(ResolveError::auth)
            })
            .await?;
            run.finish(Stage::Token);
        }

        let (lease, existing) = stage(Stage::RouteMapping, async {
            // One turn per name: a second caller of the same name waits here, then looks up
            // and finds what the first created. A dry run only reads and takes no turn.
            let lease = if dry_run {
                None
            } else {
                let key = LeaseKey::new(
                    inner.lease_environment.clone(),
                    inner.lease_scope.clone(),
                    payload.name.clone(),
                );
                Some(
                    inner
                        .coordinator
                        .acquire(&key, inner.lease_wait)
                        .await
                        .map_err(|e| ResolveError::coordination(Stage::RouteMapping, e))?,
                )
            };

            let mut found = inner
                .api
                .find_all_by_name(&payload.name)
                .await
                .map_err(|e| ResolveError::client(Stage::RouteMapping, e))?;
            if found.len() > 1 {
                return Err(ResolveError::ambiguous(
                    &payload.name,
                    found.into_iter().map(|i| i.id).collect(),
                ));
            }
            Ok((lease, found.pop()))
        })
        .await?;
        run.note(existing.as_ref());
        run.finish(Stage::RouteMapping);

        let planned = match &existing {
            None => Action::Created,
            Some(i) if i.payload.as_ref() == Some(payload) => Action::Unchanged,
            Some(_) => Action::Updated,
        };
        let Some(lease) = lease else {
            let mut done = Deployed::new(planned).endpoints(reports);
            done.integration_id = existing.map(|i| i.id);
            return Ok(done);
        };
        let coordination = |e| ResolveError::coordination(Stage::Submit, e);
        let (action, integration) = stage(Stage::Submit, async {
            // A lease lost while looking up means another caller may be writing: stop before
            // sending anything.
            lease.ensure_held().map_err(coordination)?;
            let done = self.submit(payload, existing, run).await?;
            // Lost while writing: what was written stands, but it was not known to be
            // exclusive.
            lease.release().await.map_err(coordination)?;
            Ok(done)
        })
        .await?;
        run.finish(Stage::Submit);
        let mut done = Deployed::new(action)
            .integration_id(integration.id)
            .endpoints(reports);
        done.recovered = integration.recovered;
        Ok(done)
    }

    /// Creates, updates or leaves the integration. A create that meets a conflict (someone
    /// created the name meanwhile) and an update that meets a deletion are resolved by looking
    /// again, so the name ends with exactly one integration.
    async fn submit(
        &self,
        payload: &ResolvePayload,
        existing: Option<Integration>,
        run: &mut Run,
    ) -> Result<(Action, Integration), ResolveError> {
        let api = &self.inner.api;
        let submit_err = |e| ResolveError::client(Stage::Submit, e);
        let result = match existing {
            Some(i) if i.payload.as_ref() == Some(payload) => return Ok((Action::Unchanged, i)),
            Some(i) => match api.update(&i.id, payload).await {
                Err(e) if e.status() == Some(404) => {
                    tracing::info!(name = %payload.name, "integration vanished before its update; creating it");
                    api.create(payload).await.map(|i| (Action::Created, i))
                }
                other => other.map(|i| (Action::Updated, i)),
            },
            None => match api.create(payload).await {
                Err(e) if e.status() == Some(409) => {
                    tracing::info!(name = %payload.name, "integration created concurrently; updating it instead");
                    let found = api.find_by_name(&payload.name).await.map_err(submit_err)?;
                    match found {
                        Some(i) if i.payload.as_ref() == Some(payload) => {
                            Ok((Action::Unchanged, i))
                        }
                        Some(i) => api
                            .update(&i.id, payload)
                            .await
                            .map(|i| (Action::Updated, i)),
                        None => Err(e),
                    }
                }
                other => other.map(|i| (Action::Created, i)),
            },
        };
        let (action, integration) = result.map_err(submit_err)?;
        run.note(Some(&integration));
        Ok((action, integration))
    }
}

impl OperationReport for ResolveReport {
    fn outcome(&self) -> Action {
        self.action
    }

    fn integration_id(&self) -> Option<&str> {
        self.integration_id.as_deref()
    }

    fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }
}

/// Per-resolve bookkeeping.
struct Run {
    stages: Vec<StageTiming>,
    correlation_id: Option<String>,
    stage_started: Instant,
}

impl Run {
    fn finish(&mut self, stage: Stage) {
        let now = Instant::now();
        self.stages.push(StageTiming {
            stage,
            ms: (now - self.stage_started).as_secs_f64() * 1000.0,
        });
        self.stage_started = now;
    }

    fn note(&mut self, integration: Option<&Integration>) {
        if let Some(id) = integration.and_then(|i| i.correlation_id.clone()) {
            self.correlation_id = Some(id);
        }
    }
}
