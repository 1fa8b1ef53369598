//! [`ResolverBuilder`]: a [`ResolverSettings`] plus the components that replace the real ones.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use rustls::pki_types::CertificateDer;
use secrecy::SecretString;

use super::resolver::{Inner, Resolver};
use crate::api::IntegrationsApi;
use crate::audit::{AuditSink, TracingAudit};
use crate::auth::TokenSource;
use crate::compose::{self, ClientParts, Coordination};
use crate::coordination::{Coordinator, Pacer};
use crate::dns::DnsResolver;
use crate::envelope::Envelope;
pub use crate::error::BuildError;
use crate::metrics::{Metrics, MetricsSink};
use crate::probe::EndpointProber;
use crate::retry::RetryPolicy;
use crate::settings::{ResolverSettings, SettingsError, SettingsErrors, TargetKind};
use crate::target::DeployTarget;
use crate::tls::TrustConfig;
use crate::validate::Limits;

/// Builds a [`Resolver`]: a [`ResolverSettings`] (plain data: environment, credentials, limits,
/// trust, probe settings) plus the components that replace the real ones. With only an
/// environment and credentials it uses the real components: [`GenesysClient`](crate::api::GenesysClient),
/// [`crate::auth::ClientCredentials`], [`Prober`](crate::probe::Prober) with the system DNS resolver and the default
/// [`AddressPolicy`](crate::policy::AddressPolicy). Every setter writes into the settings; [`settings`](Self::settings) sets
/// them all at once.
#[derive(Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ResolverBuilder {
    settings: ResolverSettings,
    client_parts: ClientParts,
    api: Option<Arc<dyn IntegrationsApi>>,
    prober: Option<Arc<dyn EndpointProber>>,
    dns: Option<Arc<dyn DnsResolver>>,
    extra_roots: Vec<CertificateDer<'static>>,
    audit: Option<Arc<dyn AuditSink>>,
    sinks: Vec<Arc<dyn MetricsSink>>,
    metrics: Option<Metrics>,
    coordination: Coordination,
    target: Option<Arc<dyn DeployTarget>>,
}

impl fmt::Debug for ResolverBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolverBuilder")
            .field("settings", &self.settings)
            .field("tokens", &self.client_parts.tokens)
            .field("api", &self.api)
            .field("prober", &self.prober)
            .field("coordinator", &self.coordination.coordinator)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// A builder whose defaults are the real components.
    pub fn builder() -> ResolverBuilder {
        ResolverBuilder::default()
    }

    /// A resolver configured from the environment ([`ResolverSettings::from_env`]: the
    /// `GENESYS_*` and `RESOLVER_*` variables), with the real components.
    pub fn from_env() -> Result<Self, BuildError> {
        ResolverBuilder::from_env()?.build()
    }
}

impl ResolverBuilder {
    crate::settings::client_setters!(settings.client);

    /// A builder preset from the environment ([`ResolverSettings::from_env`]).
    pub fn from_env() -> Result<Self, BuildError> {
        Ok(Self::default().settings(ResolverSettings::from_env()?))
    }

    /// Replaces every plain setting at once (components given to the builder stay).
    pub fn settings(mut self, settings: ResolverSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The settings as they stand.
    pub fn current_settings(&self) -> &ResolverSettings {
        &self.settings
    }

    /// OAuth client credentials for the client-credentials grant.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        self.settings.client.client_id = Some(client_id.into());
        self.settings.client.client_secret = Some(client_secret);
        self
    }

    /// Replaces the token source (the token stage and the default client use it).
    pub fn token_source(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.client_parts.tokens = Some(tokens);
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
        self.settings.probe.allow_cidrs.extend(cidrs);
        self
    }

    /// A PEM file of extra trust anchors, for destinations and Genesys alike.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.settings.trust.ca_files.push(path.into());
        self
    }

    /// Extra trust anchors as PEM text, for destinations and Genesys alike.
    pub fn ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.settings.trust.ca_pem.push(pem.into());
        self
    }

    /// An extra trust anchor in DER form.
    pub fn trust_root(mut self, der: CertificateDer<'static>) -> Self {
        self.extra_roots.push(der);
        self
    }

    /// Whether to trust the system store (default true).
    pub fn system_roots(mut self, on: bool) -> Self {
        self.settings.trust.system_roots = on;
        self
    }

    /// Validation limits (default [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.settings.limits = limits;
        self
    }

    /// How many endpoints of one payload are probed at once.
    pub fn probe_concurrency(mut self, n: usize) -> Self {
        self.settings.probe.concurrency = Some(n);
        self
    }

    /// The health check's timeout (default 5 s, the seed's).
    pub fn health_timeout(mut self, timeout: Duration) -> Self {
        self.settings.probe.health_timeout = Some(timeout);
        self
    }

    /// Serves repeated probes of an endpoint from a cache for `ttl` (off by default).
    pub fn probe_cache_ttl(mut self, ttl: Duration) -> Self {
        self.settings.probe.cache_ttl = Some(ttl);
        self
    }

    /// The API retry policy. [`ClientSettings::max_attempts`](crate::settings::ClientSettings::max_attempts),
    /// when set, still overrides its attempt limit.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.client_parts.retry = Some(policy);
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

    /// Coordinates concurrent callers of one name with `coordinator` (default: a
    /// [`LocalCoordinator`](crate::coordination::LocalCoordinator), which serialises the callers of this resolver's process). A
    /// [`RedisCoordinator`](crate::coordination::RedisCoordinator) serialises them across
    /// processes; [`build_async`](Self::build_async) connects one from
    /// [`CoordinationSettings::redis_url`](crate::settings::CoordinationSettings::redis_url).
    pub fn coordinator(mut self, coordinator: Arc<dyn Coordinator>) -> Self {
        self.coordination.coordinator = Some(coordinator);
        self
    }

    /// Draws every API call's send slot from `pacer` (a shared budget) instead of the
    /// in-process [`rate_limit_per_minute`](Self::rate_limit_per_minute) pacer.
    pub fn pacer(mut self, pacer: Arc<dyn Pacer>) -> Self {
        self.coordination.pacer = Some(pacer);
        self
    }

    /// Draws the send slots of writes from `pacer` (a shared budget) instead of the
    /// in-process [`write_rate_limit_per_minute`](Self::write_rate_limit_per_minute) pacer.
    pub fn write_pacer(mut self, pacer: Arc<dyn Pacer>) -> Self {
        self.coordination.write_pacer = Some(pacer);
        self
    }

    /// Deploys through `target` once a payload passed validation, instead of the seed's
    /// integrations route (the target then proves the destinations and writes; the resolver's
    /// probe, token and route-mapping stages do not run). Given here, it wins over
    /// [`TargetSettings`](crate::settings::TargetSettings); `build_async` makes the real route
    /// from the settings when they ask for it.
    pub fn deploy_target(mut self, target: Arc<dyn DeployTarget>) -> Self {
        self.target = Some(target);
        self
    }

    /// Whether a deploy target was given.
    pub(crate) fn has_deploy_target(&self) -> bool {
        self.target.is_some()
    }

    /// Connects what the settings ask to be connected (the first part of `build_async`): with
    /// [`CoordinationSettings::redis_url`](crate::settings::CoordinationSettings::redis_url)
    /// set (and no coordinator given), a Redis lease coordinator, and Redis pacers for the
    /// rate limits that are set. A Redis that cannot be reached is a coordination error.
    pub(crate) async fn connect(mut self) -> Result<Self, BuildError> {
        self.settings.validate()?;
        self.coordination = std::mem::take(&mut self.coordination)
            .connect(
                &self.settings.client,
                &self.settings.trust,
                &self.settings.coordination,
            )
            .await?;
        Ok(self)
    }

    /// The parts a deploy target built for this resolver shares with it, made now so both use
    /// the same ones: the metrics sink (the built-in [`Metrics`] and any further sinks), the
    /// prober (the settings' trust and every trust root given, the DNS resolver given) and the
    /// coordinator (connected or in-process); and the trust roots given in DER form, as PEM.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))] // only the route target uses them
    pub(crate) fn shared_parts(&mut self) -> Result<SharedParts, BuildError> {
        let metrics = self.metrics.get_or_insert_with(Metrics::new).clone();
        let sink = compose::metrics_sink(&metrics, &self.sinks);
        let prober = if let Some(p) = &self.prober {
            p.clone()
        } else {
            let p = compose::prober(
                &self.settings.probe,
                self.trust(),
                sink.clone(),
                self.dns.clone(),
            )?;
            self.prober = Some(p.clone());
            p
        };
        let coordinator = self.coordination.coordinator();
        self.coordination.coordinator = Some(coordinator.clone());
        let extra_pem = self.extra_roots.iter().map(der_to_pem).collect();
        Ok(SharedParts {
            sink,
            prober,
            coordinator,
            extra_pem,
        })
    }

    /// The environment part of lease and pace keys: the API base, so two organisations never
    /// share a key; `custom` when the integrations API is replaced and no environment is set.
    fn lease_environment(&self) -> String {
        crate::coordination::organisation(self.settings.client.environment.as_ref())
    }

    fn trust(&self) -> TrustConfig {
        let mut trust = TrustConfig::from_settings(&self.settings.trust);
        for r in &self.extra_roots {
            trust = trust.with_root(r.clone());
        }
        trust
    }

    /// The Genesys client and the token source of the token stage: the replacements given, or
    /// the real [`GenesysClient`](crate::api::GenesysClient) with [`crate::auth::ClientCredentials`].
    fn build_client(
        &self,
        trust: &TrustConfig,
        sink: &Arc<dyn MetricsSink>,
    ) -> Result<ApiParts, BuildError> {
        if let Some(api) = &self.api {
            return Ok((api.clone(), self.client_parts.tokens.clone()));
        }
        let client = compose::client(
            &self.settings.client,
            trust,
            sink.clone(),
            &self.client_parts,
            &self.coordination,
        )?;
        let tokens = client.token_source().clone();
        Ok((Arc::new(client), Some(tokens)))
    }

    /// Checks every setting and builds the resolver. Nothing is sent yet. Settings that need
    /// a connection first (a Redis URL) or the route deploy target (unless one was given with
    /// [`deploy_target`](Self::deploy_target)) need [`build_async`](Self::build_async).
    pub fn build(self) -> Result<Resolver, BuildError> {
        self.settings.validate()?;
        self.coordination
            .check_connected(&self.settings.coordination)?;
        if self.target.is_none() && self.settings.target.kind == TargetKind::Route {
            return Err(BuildError::Settings(SettingsErrors(vec![
                SettingsError::new(
                    "target.kind",
                    "the route target is made by `build_async` (or give a deploy target)",
                ),
            ])));
        }
        let metrics = self.metrics.clone().unwrap_or_default();
        let sink = compose::metrics_sink(&metrics, &self.sinks);
        let trust = self.trust();
        let (api, tokens) = self.build_client(&trust, &sink)?;
        let prober = match &self.prober {
            Some(p) => p.clone(),
            None => compose::prober(&self.settings.probe, trust, sink.clone(), self.dns.clone())?,
        };
        let lease_environment = self.lease_environment();
        let lease_scope = self
            .settings
            .client
            .integrations_path
            .clone()
            .unwrap_or_else(|| crate::api::DEFAULT_INTEGRATIONS_PATH.to_owned());
        Ok(Resolver {
            inner: Arc::new(Inner {
                limits: self.settings.limits,
                api,
                tokens,
                prober,
                metrics,
                envelope: Envelope::new(sink, self.audit.unwrap_or_else(|| Arc::new(TracingAudit))),
                coordinator: self.coordination.coordinator(),
                lease_environment,
                lease_scope,
                lease_wait: self
                    .settings
                    .coordination
                    .lease_wait
                    .unwrap_or(crate::settings::DEFAULT_LEASE_WAIT),
                target: self.target,
            }),
        })
    }
}

/// One `CERTIFICATE` block of `der`.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
fn der_to_pem(der: &CertificateDer<'static>) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// What a resolver shares with a deploy target built for it ([`ResolverBuilder::shared_parts`]).
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub(crate) struct SharedParts {
    /// The one metrics sink.
    pub(crate) sink: Arc<dyn MetricsSink>,
    /// The one prober.
    pub(crate) prober: Arc<dyn EndpointProber>,
    /// The one coordinator.
    pub(crate) coordinator: Arc<dyn Coordinator>,
    /// The trust roots given in DER form, as PEM text.
    pub(crate) extra_pem: Vec<String>,
}

/// The integrations API and, when there is one, the token source of the token stage.
type ApiParts = (Arc<dyn IntegrationsApi>, Option<Arc<dyn TokenSource>>);
