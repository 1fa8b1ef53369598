//! [`Resolver`]: validate, probe, token, route mapping, submit, report.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use ipnet::IpNet;
use rustls::pki_types::CertificateDer;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{Action, ProbePhase, ResolveError, ResolveOutcome, Stage};
use crate::api::{GenesysClient, Integration, IntegrationsApi};
use crate::audit::{AuditRecord, AuditSink, TracingAudit};
use crate::auth::ConfigError;
use crate::auth::TokenSource;
use crate::dns::DnsResolver;
use crate::environment::Environment;
use crate::metrics::{Metrics, MetricsSink, RetryReason};
use crate::payload::ResolvePayload;
use crate::policy::AddressPolicy;
use crate::probe::{EndpointProber, ProbeReport, Prober, ProberBuildError};
use crate::retry::RetryPolicy;
use crate::tls::TrustConfig;
use crate::validate::{self, Limits};

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
}

/// Why a [`Resolver`] could not be built. Each variant names the setting to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A setting the real components need was not given (and no component replacing them was).
    #[error("missing setting `{0}`")]
    Missing(&'static str),
    /// The Genesys client or token source refused its settings.
    #[error("Genesys client: {0}")]
    Client(#[from] ConfigError),
    /// The prober refused its settings (trust anchors, DNS configuration, timeouts).
    #[error("prober: {0}")]
    Prober(#[from] ProberBuildError),
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
    inner: Arc<Inner>,
}

struct Inner {
    limits: Limits,
    api: Arc<dyn IntegrationsApi>,
    tokens: Option<Arc<dyn TokenSource>>,
    prober: Arc<dyn EndpointProber>,
    metrics: Metrics,
    sink: Arc<dyn MetricsSink>,
    audit: Arc<dyn AuditSink>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("api", &self.inner.api)
            .field("tokens", &self.inner.tokens)
            .field("prober", &self.inner.prober)
            .field("audit", &self.inner.audit)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// A builder whose defaults are the real components.
    pub fn builder() -> ResolverBuilder {
        ResolverBuilder::default()
    }

    /// The built-in metrics: every resolve, probe, token fetch and API call is counted here
    /// (and in any further sink given to the builder).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Validates, probes every endpoint, obtains a token, maps the route and creates or updates
    /// the integration (or leaves it alone when it already matches). Nothing is sent to Genesys
    /// unless the payload is valid and every destination is healthy.
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

    async fn run(
        &self,
        payload: &ResolvePayload,
        dry_run: bool,
    ) -> Result<ResolveReport, ResolveError> {
        let started = Instant::now();
        let mut run = Run {
            stages: Vec::new(),
            correlation_id: None,
            stage_started: started,
        };
        let result = self.stages(payload, dry_run, &mut run).await;
        let latency = started.elapsed();
        let outcome = match &result {
            Ok(action) => ResolveOutcome::succeeded(action.0, latency, dry_run),
            Err(e) => ResolveOutcome::failed(e.stage(), latency, dry_run),
        };
        self.inner.sink.resolve_finished(&outcome);
        let mut record = AuditRecord::from_payload(payload, &outcome);
        match &result {
            Ok((_, integration, _, _)) => {
                if let Some(id) = integration.as_ref().map(|i| i.id.clone()) {
                    record = record.with_integration_id(id);
                }
            }
            Err(e) => {
                record = record.with_error(e);
                if let Some(id) = e.correlation_id() {
                    run.correlation_id = Some(id.to_owned());
                }
            }
        }
        if let Some(id) = &run.correlation_id {
            record = record.with_correlation_id(id.clone());
        }
        self.inner.audit.record(&record);
        let (action, integration, endpoints, recovered) = result?;
        let warnings = endpoints
            .iter()
            .flat_map(|r| r.warnings.iter().map(move |w| format!("{}: {w}", r.uri)))
            .collect();
        Ok(ResolveReport {
            integration_name: payload.name.clone(),
            action,
            dry_run,
            integration_id: integration.map(|i| i.id),
            recovered,
            endpoints,
            stages: run.stages,
            warnings,
            correlation_id: run.correlation_id,
            latency_ms: latency.as_secs_f64() * 1000.0,
        })
    }

    /// The stages; returns the action, the integration (absent for a dry-run create), the probe
    /// reports and whether a lost create was recovered.
    async fn stages(
        &self,
        payload: &ResolvePayload,
        dry_run: bool,
        run: &mut Run,
    ) -> Result<(Action, Option<Integration>, Vec<ProbeReport>, bool), ResolveError> {
        let inner = &self.inner;

        validate::validate_with(payload, &inner.limits).map_err(ResolveError::validation)?;
        run.finish(Stage::Validate);

        // Destinations first: a payload the address policy refuses, or whose destination is
        // down, never costs a Genesys call.
        let reports = inner.prober.probe_payload(payload).await;
        if reports.iter().any(|r| !r.ok()) {
            return Err(ResolveError::probe(reports));
        }
        run.finish(Stage::Probe);

        if let Some(tokens) = &inner.tokens {
            tokens.token().await.map_err(ResolveError::auth)?;
            run.finish(Stage::Token);
        }

        let existing = inner
            .api
            .find_by_name(&payload.name)
            .await
            .map_err(|e| ResolveError::client(Stage::RouteMapping, e))?;
        run.note(existing.as_ref());
        run.finish(Stage::RouteMapping);

        let planned = match &existing {
            None => Action::Created,
            Some(i) if i.payload.as_ref() == Some(payload) => Action::Unchanged,
            Some(_) => Action::Updated,
        };
        if dry_run {
            return Ok((planned, existing, reports, false));
        }
        let (action, integration) = self.submit(payload, existing, run).await?;
        run.finish(Stage::Submit);
        let recovered = integration.recovered;
        Ok((action, Some(integration), reports, recovered))
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

/// The integrations API and, when there is one, the token source of the token stage.
type ClientParts = (Arc<dyn IntegrationsApi>, Option<Arc<dyn TokenSource>>);

/// Sends every observation to several sinks.
#[derive(Debug)]
struct FanoutMetrics(Vec<Arc<dyn MetricsSink>>);

impl MetricsSink for FanoutMetrics {
    fn resolve_finished(&self, outcome: &ResolveOutcome) {
        self.0.iter().for_each(|s| s.resolve_finished(outcome));
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
}

/// Builds a [`Resolver`]. With only an environment and credentials it uses the real
/// components: [`GenesysClient`], [`crate::auth::ClientCredentials`], [`Prober`] with the system
/// DNS resolver and the default [`AddressPolicy`]. Any component can be replaced.
#[derive(Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ResolverBuilder {
    environment: Option<Environment>,
    credentials: Option<(String, SecretString)>,
    tokens: Option<Arc<dyn TokenSource>>,
    api: Option<Arc<dyn IntegrationsApi>>,
    prober: Option<Arc<dyn EndpointProber>>,
    dns: Option<Arc<dyn DnsResolver>>,
    allow: Vec<IpNet>,
    ca_files: Vec<PathBuf>,
    extra_roots: Vec<CertificateDer<'static>>,
    no_system_roots: bool,
    integrations_path: Option<String>,
    limits: Option<Limits>,
    probe_concurrency: Option<usize>,
    rate_limit: Option<u32>,
    write_rate_limit: Option<u32>,
    health_timeout: Option<Duration>,
    probe_cache_ttl: Option<Duration>,
    retry: Option<RetryPolicy>,
    request_timeout: Option<Duration>,
    audit: Option<Arc<dyn AuditSink>>,
    sinks: Vec<Arc<dyn MetricsSink>>,
    metrics: Option<Metrics>,
}

impl fmt::Debug for ResolverBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolverBuilder")
            .field("environment", &self.environment)
            .field("client_id", &self.credentials.as_ref().map(|c| &c.0))
            .field("allow", &self.allow)
            .field("ca_files", &self.ca_files)
            .field("integrations_path", &self.integrations_path)
            .finish_non_exhaustive()
    }
}

impl ResolverBuilder {
    /// The Genesys environment (region, domain or base URL).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// OAuth client credentials for the client-credentials grant.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        self.credentials = Some((client_id.into(), client_secret));
        self
    }

    /// Replaces the token source (the token stage and the default client use it).
    pub fn token_source(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// Replaces the integrations API (then no environment or credentials are needed; the
    /// token stage runs only if a token source is given too).
    pub fn integrations_api(mut self, api: Arc<dyn IntegrationsApi>) -> Self {
        self.api = Some(api);
        self
    }

    /// Replaces the endpoint prober.
    pub fn prober(mut self, prober: Arc<dyn EndpointProber>) -> Self {
        self.prober = Some(prober);
        self
    }

    /// Replaces the DNS resolver of the default prober.
    pub fn dns_resolver(mut self, dns: Arc<dyn DnsResolver>) -> Self {
        self.dns = Some(dns);
        self
    }

    /// Address ranges exempt from the address policy (for example `127.0.0.0/8` in tests).
    pub fn allow_cidrs(mut self, cidrs: impl IntoIterator<Item = IpNet>) -> Self {
        self.allow.extend(cidrs);
        self
    }

    /// A PEM file of extra trust anchors, for destinations and Genesys alike.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push(path.into());
        self
    }

    /// An extra trust anchor in DER form.
    pub fn trust_root(mut self, der: CertificateDer<'static>) -> Self {
        self.extra_roots.push(der);
        self
    }

    /// Whether to trust the system store (default true).
    pub fn system_roots(mut self, on: bool) -> Self {
        self.no_system_roots = !on;
        self
    }

    /// The integrations route (default the seed's `/api/v2/outbound/integrations`).
    pub fn integrations_path(mut self, path: impl Into<String>) -> Self {
        self.integrations_path = Some(path.into());
        self
    }

    /// Validation limits (default [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// How many endpoints of one payload are probed at once.
    pub fn probe_concurrency(mut self, n: usize) -> Self {
        self.probe_concurrency = Some(n);
        self
    }

    /// Paces all API calls to at most `per_minute` requests a minute (off by default).
    pub fn rate_limit_per_minute(mut self, per_minute: u32) -> Self {
        self.rate_limit = Some(per_minute);
        self
    }

    /// Paces the API calls that change state (creates, updates) to at most `per_minute` a
    /// minute, on top of [`rate_limit_per_minute`](Self::rate_limit_per_minute); see
    /// [`GenesysClientBuilder::write_rate_limit_per_minute`](crate::api::GenesysClientBuilder::write_rate_limit_per_minute)
    /// (off by default).
    pub fn write_rate_limit_per_minute(mut self, per_minute: u32) -> Self {
        self.write_rate_limit = Some(per_minute);
        self
    }

    /// The health check's timeout (default 5 s, the seed's).
    pub fn health_timeout(mut self, timeout: Duration) -> Self {
        self.health_timeout = Some(timeout);
        self
    }

    /// Serves repeated probes of an endpoint from a cache for `ttl` (off by default).
    pub fn probe_cache_ttl(mut self, ttl: Duration) -> Self {
        self.probe_cache_ttl = Some(ttl);
        self
    }

    /// The API retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The timeout of one API request.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Where audit records go (default [`TracingAudit`]).
    pub fn audit(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// A further metrics sink, fed alongside the built-in [`Metrics`].
    pub fn metrics_sink(mut self, sink: Arc<dyn MetricsSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Use this [`Metrics`] (shared with other resolvers, or kept by the caller) instead of a
    /// fresh one.
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    fn trust(&self) -> TrustConfig {
        let mut trust = TrustConfig::system().with_system_roots(!self.no_system_roots);
        for f in &self.ca_files {
            trust = trust.with_ca_file(f.clone());
        }
        for r in &self.extra_roots {
            trust = trust.with_root(r.clone());
        }
        trust
    }

    /// The Genesys client and the token source of the token stage: the replacements given, or
    /// the real [`GenesysClient`] with [`crate::auth::ClientCredentials`].
    fn build_client(
        &self,
        trust: &TrustConfig,
        sink: &Arc<dyn MetricsSink>,
    ) -> Result<ClientParts, BuildError> {
        if let Some(api) = &self.api {
            return Ok((api.clone(), self.tokens.clone()));
        }
        let environment = self
            .environment
            .clone()
            .ok_or(BuildError::Missing("environment"))?;
        let mut client = GenesysClient::builder()
            .environment(environment)
            .trust(trust.clone())
            .metrics(sink.clone());
        client = match (&self.tokens, &self.credentials) {
            (Some(tokens), _) => client.token_source(tokens.clone()),
            (None, Some((id, secret))) => client.credentials(id.clone(), secret.clone()),
            (None, None) => return Err(BuildError::Missing("credentials")),
        };
        if let Some(path) = &self.integrations_path {
            client = client.integrations_path(path.clone());
        }
        if let Some(n) = self.rate_limit {
            client = client.rate_limit_per_minute(n);
        }
        if let Some(n) = self.write_rate_limit {
            client = client.write_rate_limit_per_minute(n);
        }
        if let Some(policy) = self.retry {
            client = client.retry_policy(policy);
        }
        if let Some(t) = self.request_timeout {
            client = client.request_timeout(t);
        }
        let client = client.build()?;
        let tokens = client.token_source().clone();
        Ok((Arc::new(client), Some(tokens)))
    }

    /// The prober given, or the real [`Prober`] with these settings.
    fn build_prober(
        &self,
        trust: TrustConfig,
        sink: &Arc<dyn MetricsSink>,
    ) -> Result<Arc<dyn EndpointProber>, BuildError> {
        if let Some(p) = &self.prober {
            return Ok(p.clone());
        }
        let mut b = Prober::builder()
            .policy(AddressPolicy::default().with_allowed(self.allow.iter().copied()))
            .trust(trust)
            .metrics(sink.clone())
            .cache_ttl(self.probe_cache_ttl);
        if let Some(dns) = &self.dns {
            b = b.resolver(dns.clone());
        }
        if let Some(t) = self.health_timeout {
            b = b.health_timeout(t);
        }
        if let Some(n) = self.probe_concurrency {
            b = b.concurrency(n);
        }
        Ok(Arc::new(b.build()?))
    }

    /// Checks every setting and builds the resolver. Nothing is sent yet.
    pub fn build(self) -> Result<Resolver, BuildError> {
        let metrics = self.metrics.clone().unwrap_or_default();
        let sink: Arc<dyn MetricsSink> = if self.sinks.is_empty() {
            Arc::new(metrics.clone())
        } else {
            let mut all: Vec<Arc<dyn MetricsSink>> = vec![Arc::new(metrics.clone())];
            all.extend(self.sinks.iter().cloned());
            Arc::new(FanoutMetrics(all))
        };
        let trust = self.trust();
        let (api, tokens) = self.build_client(&trust, &sink)?;
        let prober = self.build_prober(trust, &sink)?;
        Ok(Resolver {
            inner: Arc::new(Inner {
                limits: self.limits.unwrap_or_default(),
                api,
                tokens,
                prober,
                metrics,
                sink,
                audit: self.audit.unwrap_or_else(|| Arc::new(TracingAudit)),
            }),
        })
    }
}
