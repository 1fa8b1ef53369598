//! The composition root's parts, written once for every builder: the one coordinator (in
//! process, or Redis when the settings name one) with its shared pacers, the one Genesys client,
//! the one prober and the one metrics sink a resolver or a deployer threads through all it
//! builds. The builders ([`ResolverBuilder`](crate::pipeline::ResolverBuilder), the deployers')
//! map their settings and the components they were handed onto these.

use std::sync::Arc;

use crate::api::GenesysClient;
use crate::auth::TokenSource;
use crate::coordination::{Coordinator, LocalCoordinator, Pacer};
use crate::dns::DnsResolver;
use crate::error::BuildError;
use crate::metrics::{FanoutMetrics, Metrics, MetricsSink};
use crate::policy::AddressPolicy;
use crate::probe::{EndpointProber, Prober};
use crate::retry::RetryPolicy;
use crate::settings::{
    ClientSettings, CoordinationSettings, ProbeSettings, SettingsError, SettingsErrors,
    TrustSettings,
};
use crate::tls::TrustConfig;

/// How concurrent callers are coordinated, and the send slots of the API calls: what was
/// given, or connected from the settings.
#[derive(Clone, Default)]
pub(crate) struct Coordination {
    /// The per-name turn (`None`: a [`LocalCoordinator`] when built).
    pub(crate) coordinator: Option<Arc<dyn Coordinator>>,
    /// The budget of every API call, when shared.
    pub(crate) pacer: Option<Arc<dyn Pacer>>,
    /// The budget of writes, when shared.
    pub(crate) write_pacer: Option<Arc<dyn Pacer>>,
}

impl Coordination {
    /// Connects what the settings ask to be connected: with `coordination.redis_url` set and
    /// no coordinator given, a Redis lease coordinator, and Redis pacers for the client's rate
    /// limits that are set and not given. A Redis that cannot be reached is a coordination
    /// error; nothing falls back to working unlocked.
    pub(crate) async fn connect(
        self,
        client: &ClientSettings,
        trust: &TrustSettings,
        coordination: &CoordinationSettings,
    ) -> Result<Self, BuildError> {
        if self.coordinator.is_some() || coordination.redis_url.is_none() {
            return Ok(self);
        }
        self.connect_redis(client, trust, coordination).await
    }

    #[cfg(feature = "redis")]
    async fn connect_redis(
        mut self,
        client: &ClientSettings,
        trust: &TrustSettings,
        coordination: &CoordinationSettings,
    ) -> Result<Self, BuildError> {
        let shared =
            crate::coordination::RedisCoordinator::connect_parts(client, trust, coordination)
                .await?;
        if self.pacer.is_none() {
            self.pacer = shared.pacer.map(|p| Arc::new(p) as Arc<dyn Pacer>);
        }
        if self.write_pacer.is_none() {
            self.write_pacer = shared.write_pacer.map(|p| Arc::new(p) as Arc<dyn Pacer>);
        }
        self.coordinator = Some(Arc::new(shared.coordinator));
        Ok(self)
    }

    #[cfg(not(feature = "redis"))]
    #[allow(clippy::unused_async)] // the same signature as with the feature
    async fn connect_redis(
        self,
        _client: &ClientSettings,
        _trust: &TrustSettings,
        _coordination: &CoordinationSettings,
    ) -> Result<Self, BuildError> {
        Err(BuildError::Settings(SettingsErrors(vec![
            SettingsError::new(
                "coordination.redis_url",
                "this build has no Redis support (cargo feature `redis`)",
            ),
        ])))
    }

    /// Refuses a Redis URL nothing connected (a build without `build_async`).
    pub(crate) fn check_connected(
        &self,
        coordination: &CoordinationSettings,
    ) -> Result<(), BuildError> {
        if self.coordinator.is_none() && coordination.redis_url.is_some() {
            return Err(BuildError::Settings(SettingsErrors(vec![
                SettingsError::new(
                    "coordination.redis_url",
                    "connecting to Redis needs `build_async` (or give a coordinator)",
                ),
            ])));
        }
        Ok(())
    }

    /// The coordinator: the one given or connected, else an in-process one.
    pub(crate) fn coordinator(&self) -> Arc<dyn Coordinator> {
        self.coordinator
            .clone()
            .unwrap_or_else(|| Arc::new(LocalCoordinator::new()))
    }
}

/// The one metrics sink of a resolver or deployer: `metrics`, and each of `extra` beside it.
pub(crate) fn metrics_sink(
    metrics: &Metrics,
    extra: &[Arc<dyn MetricsSink>],
) -> Arc<dyn MetricsSink> {
    if extra.is_empty() {
        return Arc::new(metrics.clone());
    }
    let mut all: Vec<Arc<dyn MetricsSink>> = vec![Arc::new(metrics.clone())];
    all.extend(extra.iter().cloned());
    Arc::new(FanoutMetrics::new(all))
}

/// The components of a Genesys client a builder was handed.
#[derive(Clone, Default)]
pub(crate) struct ClientParts {
    pub(crate) tokens: Option<Arc<dyn TokenSource>>,
    pub(crate) retry: Option<RetryPolicy>,
}

/// The one Genesys client of `settings` (environment and credentials required, unless a token
/// source is given), reporting to `metrics`, pacing with the coordination's shared pacers.
pub(crate) fn client(
    settings: &ClientSettings,
    trust: &TrustConfig,
    metrics: Arc<dyn MetricsSink>,
    parts: &ClientParts,
    coordination: &Coordination,
) -> Result<GenesysClient, BuildError> {
    if settings.environment.is_none() {
        return Err(BuildError::Missing("environment"));
    }
    let mut builder = GenesysClient::builder()
        .settings(settings.clone())
        .trust(trust.clone())
        .metrics(metrics);
    if let Some(tokens) = &parts.tokens {
        builder = builder.token_source(tokens.clone());
    } else if settings.client_id.is_none() {
        return Err(BuildError::Missing("credentials"));
    }
    if let Some(policy) = parts.retry {
        builder = builder.retry_policy(policy);
    }
    if let Some(pacer) = &coordination.pacer {
        builder = builder.pacer(pacer.clone());
    }
    if let Some(pacer) = &coordination.write_pacer {
        builder = builder.write_pacer(pacer.clone());
    }
    Ok(builder.build()?)
}

/// The one prober of `probe`: the address policy with its allowed ranges, `trust`, reporting to
/// `metrics`, resolving names with `dns` when given.
pub(crate) fn prober(
    probe: &ProbeSettings,
    trust: TrustConfig,
    metrics: Arc<dyn MetricsSink>,
    dns: Option<Arc<dyn DnsResolver>>,
) -> Result<Arc<dyn EndpointProber>, BuildError> {
    let mut b = Prober::builder()
        .policy(AddressPolicy::default().with_allowed(probe.allow_cidrs.iter().copied()))
        .trust(trust)
        .metrics(metrics)
        .cache_ttl(probe.cache_ttl);
    if let Some(dns) = dns {
        b = b.resolver(dns);
    }
    if let Some(t) = probe.health_timeout {
        b = b.health_timeout(t);
    }
    if let Some(n) = probe.concurrency {
        b = b.concurrency(n);
    }
    Ok(Arc::new(b.build()?))
}
