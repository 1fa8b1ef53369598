//! [`ProberBuilder`]: the settings of a [`Prober`], checked whole by [`ProberBuilder::build`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;

use super::inspect::CertificateDetails;
use super::prober::{
    AcceptedStatuses, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT, DEFAULT_EXPIRY_WARNING,
    DEFAULT_HEALTH_TIMEOUT, DEFAULT_RESOLVE_TIMEOUT, DEFAULT_TLS_TIMEOUT, Inner, Prober,
};
use crate::dns::{DnsConfigError, DnsResolver, SystemResolver};
use crate::metrics::{MetricsSink, NoopMetrics};
use crate::policy::AddressPolicy;
use crate::tls::{TlsConfigError, TrustConfig};

/// Why a [`Prober`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProberBuildError {
    /// The trust store could not be built. See [`TlsConfigError`].
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    /// The certificate verifier refused the trust store.
    #[error("cannot build the certificate verifier: {0}")]
    Verifier(String),
    /// No resolver was given and the system DNS configuration could not be read. Pass a
    /// resolver, or fix `/etc/resolv.conf`.
    #[error(transparent)]
    Dns(#[from] DnsConfigError),
    /// A setting is out of range (a zero timeout, a zero concurrency bound).
    #[error("invalid prober setting {field}: {reason}")]
    InvalidSetting {
        /// The builder method.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Configures a [`Prober`]; see [`Prober::builder`].
#[derive(Debug)]
#[must_use]
pub struct ProberBuilder {
    resolver: Option<Arc<dyn DnsResolver>>,
    policy: AddressPolicy,
    trust: TrustConfig,
    resolve_timeout: Duration,
    connect_timeout: Duration,
    tls_timeout: Duration,
    health_timeout: Duration,
    accepted: AcceptedStatuses,
    expiry_warning: Duration,
    concurrency: usize,
    cache_ttl: Option<Duration>,
    metrics: Arc<dyn MetricsSink>,
    user_agent: String,
}

impl Default for ProberBuilder {
    fn default() -> Self {
        Self {
            resolver: None,
            policy: AddressPolicy::default(),
            trust: TrustConfig::system(),
            resolve_timeout: DEFAULT_RESOLVE_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            tls_timeout: DEFAULT_TLS_TIMEOUT,
            health_timeout: DEFAULT_HEALTH_TIMEOUT,
            accepted: AcceptedStatuses::default(),
            expiry_warning: DEFAULT_EXPIRY_WARNING,
            concurrency: DEFAULT_CONCURRENCY,
            cache_ttl: None,
            metrics: Arc::new(NoopMetrics),
            user_agent: concat!("genesys-resolver/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl ProberBuilder {
    /// The DNS resolver (default: [`SystemResolver`] with a 5 s lookup timeout).
    pub fn resolver(mut self, resolver: Arc<dyn DnsResolver>) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// The address policy (default: [`AddressPolicy::default`], refusing non-global ranges).
    pub fn policy(mut self, policy: AddressPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The trust roots (default: the system store, honouring `SSL_CERT_FILE`).
    pub fn trust(mut self, trust: TrustConfig) -> Self {
        self.trust = trust;
        self
    }

    /// The bound on the whole DNS phase (default 10 s; the system resolver's own per-lookup
    /// timeout is 5 s).
    pub fn resolve_timeout(mut self, timeout: Duration) -> Self {
        self.resolve_timeout = timeout;
        self
    }

    /// The TCP connect timeout, per address tried (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The TLS handshake timeout (default 5 s).
    pub fn tls_timeout(mut self, timeout: Duration) -> Self {
        self.tls_timeout = timeout;
        self
    }

    /// The health check timeout, from sending the request to the response head (default 5 s).
    pub fn health_timeout(mut self, timeout: Duration) -> Self {
        self.health_timeout = timeout;
        self
    }

    /// Which statuses count as healthy (default: below 500).
    pub fn accepted_statuses(mut self, accepted: AcceptedStatuses) -> Self {
        self.accepted = accepted;
        self
    }

    /// A certificate with less validity left than this gets a warning (default 14 days).
    pub fn expiry_warning(mut self, threshold: Duration) -> Self {
        self.expiry_warning = threshold;
        self
    }

    /// How many distinct endpoints one [`probe_all`](super::EndpointProber::probe_all) call
    /// probes at once (default 16). Each call has its own budget: one caller's slow
    /// destinations never hold back another caller's probes.
    pub fn concurrency(mut self, limit: usize) -> Self {
        self.concurrency = limit;
        self
    }

    /// Serve repeated probes of an endpoint from a cache for `ttl` (default: no cache).
    pub fn cache_ttl(mut self, ttl: impl Into<Option<Duration>>) -> Self {
        self.cache_ttl = ttl.into();
        self
    }

    /// Where phase timings and outcomes are reported (default: nowhere).
    pub fn metrics(mut self, metrics: Arc<dyn MetricsSink>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The `User-Agent` of the health request.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Checks the configuration and builds the prober (loading the trust store now).
    pub fn build(self) -> Result<Prober, ProberBuildError> {
        for (field, value) in [
            ("resolve_timeout", self.resolve_timeout),
            ("connect_timeout", self.connect_timeout),
            ("tls_timeout", self.tls_timeout),
            ("health_timeout", self.health_timeout),
        ] {
            if value.is_zero() {
                return Err(ProberBuildError::InvalidSetting {
                    field,
                    reason: "must be greater than zero",
                });
            }
        }
        if self.concurrency == 0 {
            return Err(ProberBuildError::InvalidSetting {
                field: "concurrency",
                reason: "must be at least 1",
            });
        }
        if self.cache_ttl.is_some_and(|t| t.is_zero()) {
            return Err(ProberBuildError::InvalidSetting {
                field: "cache_ttl",
                reason: "must be greater than zero, or None for no cache",
            });
        }
        let provider = crate::tls::provider();
        let roots = Arc::new(self.trust.root_store()?);
        let verifier = WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
            .build()
            .map_err(|e| ProberBuildError::Verifier(e.to_string()))?;
        let resolver = match self.resolver {
            Some(r) => r,
            None => Arc::new(SystemResolver::new()?),
        };
        Ok(Prober {
            inner: Arc::new(Inner {
                resolver,
                policy: self.policy,
                provider,
                verifier,
                verified: Arc::default(),
                details: CertificateDetails::default(),
                resolve_timeout: self.resolve_timeout,
                connect_timeout: self.connect_timeout,
                tls_timeout: self.tls_timeout,
                health_timeout: self.health_timeout,
                accepted: self.accepted,
                expiry_warning: self.expiry_warning,
                concurrency: self.concurrency,
                cache_ttl: self.cache_ttl,
                metrics: self.metrics,
                user_agent: self.user_agent,
                inflight: Mutex::new(HashMap::new()),
                cache: Mutex::new(HashMap::new()),
            }),
        })
    }
}

impl Prober {
    /// A builder with the defaults.
    pub fn builder() -> ProberBuilder {
        ProberBuilder::default()
    }
}
