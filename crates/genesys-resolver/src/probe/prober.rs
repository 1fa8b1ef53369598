//! The [`Prober`] itself: the settings and shared state every probe of one prober uses (the
//! in-flight map, the cache, the concurrency bound), and the defaults of its settings.

use std::collections::HashMap;
use std::fmt;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, Shared};
use rustls::client::WebPkiServerVerifier;

use super::inspect::CertificateDetails;
use super::report::ProbeReport;
use super::verified::VerifiedChains;
use crate::dns::DnsResolver;
use crate::metrics::MetricsSink;
use crate::policy::AddressPolicy;

/// Default TCP connect timeout, per address tried.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default TLS handshake timeout.
pub const DEFAULT_TLS_TIMEOUT: Duration = Duration::from_secs(5);
/// Default health check timeout (the seed's HTTP client timeout), from sending the request to
/// the response head.
pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
/// Default bound on the whole DNS phase, whatever the resolver's own timeout.
pub const DEFAULT_RESOLVE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default threshold under which a certificate's remaining validity is a warning.
pub const DEFAULT_EXPIRY_WARNING: Duration = Duration::from_secs(14 * 24 * 60 * 60);
/// Default number of probes in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Which health check statuses count as healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedStatuses {
    ranges: Vec<RangeInclusive<u16>>,
}

impl Default for AcceptedStatuses {
    /// Every status below 500 (the seed's rule): redirects and client errors mean the
    /// destination is up.
    fn default() -> Self {
        Self::below(500)
    }
}

impl AcceptedStatuses {
    /// Every status below `limit`.
    pub fn below(limit: u16) -> Self {
        Self {
            ranges: vec![0..=limit.saturating_sub(1)],
        }
    }

    /// Exactly these ranges, e.g. `[200..=299]`.
    pub fn ranges(ranges: impl IntoIterator<Item = RangeInclusive<u16>>) -> Self {
        Self {
            ranges: ranges.into_iter().collect(),
        }
    }

    /// Whether `status` is accepted.
    pub fn contains(&self, status: u16) -> bool {
        self.ranges.iter().any(|r| r.contains(&status))
    }
}

pub(super) type SharedProbe = Shared<BoxFuture<'static, ProbeReport>>;

/// The real prober. Cheap to clone; clones share the in-flight probes, the cache and the
/// concurrency bound.
///
/// Each probe runs in its own Tokio task (so must be called within a Tokio runtime): callers
/// asking for the same endpoint at the same time await that one task, and a caller that gives
/// up leaves it to finish, bounded by its timeouts, for the others.
#[derive(Clone)]
pub struct Prober {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) resolver: Arc<dyn DnsResolver>,
    pub(super) policy: AddressPolicy,
    pub(super) provider: Arc<rustls::crypto::CryptoProvider>,
    pub(super) verifier: Arc<WebPkiServerVerifier>,
    /// Chains `verifier` has accepted (see [`VerifiedChains`]).
    pub(super) verified: Arc<VerifiedChains>,
    /// The details of the leaf certificates seen, for the reports.
    pub(super) details: CertificateDetails,
    pub(super) resolve_timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) tls_timeout: Duration,
    pub(super) health_timeout: Duration,
    pub(super) accepted: AcceptedStatuses,
    pub(super) expiry_warning: Duration,
    pub(super) concurrency: usize,
    pub(super) cache_ttl: Option<Duration>,
    pub(super) metrics: Arc<dyn MetricsSink>,
    pub(super) user_agent: String,
    pub(super) inflight: Mutex<HashMap<String, SharedProbe>>,
    pub(super) cache: Mutex<HashMap<String, (Instant, ProbeReport)>>,
}

impl fmt::Debug for Prober {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Prober")
            .field("resolver", &i.resolver)
            .field("policy", &i.policy)
            .field("resolve_timeout", &i.resolve_timeout)
            .field("connect_timeout", &i.connect_timeout)
            .field("tls_timeout", &i.tls_timeout)
            .field("health_timeout", &i.health_timeout)
            .field("accepted", &i.accepted)
            .field("expiry_warning", &i.expiry_warning)
            .field("concurrency", &i.concurrency)
            .field("cache_ttl", &i.cache_ttl)
            .finish_non_exhaustive()
    }
}

impl Prober {
    /// The address policy in force.
    pub fn policy(&self) -> &AddressPolicy {
        &self.inner.policy
    }
}
