//! Probing destinations: DNS, address policy, TLS inspection and an HTTP health check, one
//! connection per probe.
//!
//! [`Prober`] resolves the host once, refuses it if *any* address is refused by the
//! [`AddressPolicy`], connects to an address that passed (no second lookup, so a name that
//! re-resolves to a private address cannot be reached), performs the TLS handshake with SNI set
//! to the host, and sends `GET path?query` over HTTP/1.1 on that same connection. Every phase has
//! a timeout and is timed; the [`ProbeReport`] carries the certificate details even when
//! verification failed.
//!
//! ```no_run
//! use std::sync::Arc;
//! use genesys_resolver::probe::{EndpointProber, Prober};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let prober = Prober::builder().build()?;
//! let report = prober.probe("https://hooks.example.com/health").await;
//! if let Some(failure) = &report.failure {
//!     eprintln!("{} failed at {}: {failure}", report.uri, failure.stage());
//! }
//! if let Some(cert) = report.tls.as_ref().and_then(|t| t.certificate.as_ref()) {
//!     println!("certificate expires in {} days", cert.days_until_expiry);
//! }
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok(())
//! # }
//! ```

mod inspect;
mod report;

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use futures_util::stream::{self, StreamExt};
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use url::{Host, Url};

pub use self::report::{
    CertificateInfo, HealthReport, PhaseTimings, ProbeFailure, ProbeReport, TlsFailureKind,
    TlsReport,
};
use crate::dns::{DnsConfigError, DnsResolver, SystemResolver};
use crate::metrics::{MetricsSink, NoopMetrics};
use crate::outcome::ProbePhase;
use crate::payload::ResolvePayload;
use crate::policy::AddressPolicy;
use crate::tls::{TlsConfigError, TrustConfig};

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

/// Probes endpoints. Implemented by [`Prober`]; a test can substitute its own.
#[async_trait::async_trait]
pub trait EndpointProber: Send + Sync + fmt::Debug {
    /// Probes one endpoint. Never fails: the report's `failure` says what went wrong.
    async fn probe(&self, uri: &str) -> ProbeReport;

    /// How many distinct endpoints [`probe_all`](Self::probe_all) probes at once.
    fn concurrency(&self) -> usize {
        DEFAULT_CONCURRENCY
    }

    /// Probes every endpoint, each distinct one once, at most
    /// [`concurrency`](Self::concurrency) at a time. Reports come back in input order; a
    /// duplicate gets a copy of the same report.
    async fn probe_all(&self, uris: &[String]) -> Vec<ProbeReport> {
        // Position in `uris` of each distinct endpoint's first occurrence.
        let mut first: Vec<usize> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, uri) in uris.iter().enumerate() {
            index.entry(uri.as_str()).or_insert_with(|| {
                first.push(i);
                first.len() - 1
            });
        }
        let reports: Vec<ProbeReport> = stream::iter(first)
            .map(|i| self.probe(&uris[i]))
            .buffered(self.concurrency().max(1))
            .collect()
            .await;
        uris.iter()
            .map(|uri| reports[index[uri.as_str()]].clone())
            .collect()
    }

    /// Probes a payload's `uri` and every `uris` entry (see [`probe_all`](Self::probe_all)).
    async fn probe_payload(&self, payload: &ResolvePayload) -> Vec<ProbeReport> {
        let uris: Vec<String> = payload.endpoints().map(|(_, u)| u.to_owned()).collect();
        self.probe_all(&uris).await
    }
}

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

    /// How many probes may run at once, across all callers (default 16).
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
                resolve_timeout: self.resolve_timeout,
                connect_timeout: self.connect_timeout,
                tls_timeout: self.tls_timeout,
                health_timeout: self.health_timeout,
                accepted: self.accepted,
                expiry_warning: self.expiry_warning,
                concurrency: self.concurrency,
                permits: Semaphore::new(self.concurrency),
                cache_ttl: self.cache_ttl,
                metrics: self.metrics,
                user_agent: self.user_agent,
                inflight: Mutex::new(HashMap::new()),
                cache: Mutex::new(HashMap::new()),
            }),
        })
    }
}

type SharedProbe = Shared<BoxFuture<'static, ProbeReport>>;

/// The real prober. Cheap to clone; clones share the in-flight probes, the cache and the
/// concurrency bound.
///
/// Each probe runs in its own Tokio task (so must be called within a Tokio runtime): callers
/// asking for the same endpoint at the same time await that one task, and a caller that gives
/// up leaves it to finish, bounded by its timeouts, for the others.
#[derive(Clone)]
pub struct Prober {
    inner: Arc<Inner>,
}

struct Inner {
    resolver: Arc<dyn DnsResolver>,
    policy: AddressPolicy,
    provider: Arc<rustls::crypto::CryptoProvider>,
    verifier: Arc<WebPkiServerVerifier>,
    resolve_timeout: Duration,
    connect_timeout: Duration,
    tls_timeout: Duration,
    health_timeout: Duration,
    accepted: AcceptedStatuses,
    expiry_warning: Duration,
    concurrency: usize,
    permits: Semaphore,
    cache_ttl: Option<Duration>,
    metrics: Arc<dyn MetricsSink>,
    user_agent: String,
    inflight: Mutex<HashMap<String, SharedProbe>>,
    cache: Mutex<HashMap<String, (Instant, ProbeReport)>>,
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
    /// A builder with the defaults.
    pub fn builder() -> ProberBuilder {
        ProberBuilder::default()
    }

    /// The address policy in force.
    pub fn policy(&self) -> &AddressPolicy {
        &self.inner.policy
    }

    /// Drops every cached result.
    pub fn clear_cache(&self) {
        if let Ok(mut cache) = self.inner.cache.lock() {
            cache.clear();
        }
    }

    fn cached(&self, key: &str) -> Option<ProbeReport> {
        let ttl = self.inner.cache_ttl?;
        let cache = self.inner.cache.lock().ok()?;
        let (at, report) = cache.get(key)?;
        (at.elapsed() < ttl).then(|| {
            let mut report = report.clone();
            report.from_cache = true;
            report
        })
    }

    /// The in-flight probe of `key`, joining one already running or starting one. The probe
    /// runs in its own task, so a caller that gives up (drops its future) leaves it to finish
    /// for the others, bounded by its timeouts; the task removes its own entry when done.
    fn join_or_start(&self, key: &str, uri: &str) -> SharedProbe {
        let Ok(mut inflight) = self.inner.inflight.lock() else {
            // A poisoned map only means another caller panicked mid-insert; probe unshared.
            let inner = Arc::clone(&self.inner);
            let uri = uri.to_owned();
            return async move { inner.run(&uri).await }.boxed().shared();
        };
        if let Some(running) = inflight.get(key) {
            return running.clone();
        }
        let inner = Arc::clone(&self.inner);
        let task_key = key.to_owned();
        let task_uri = uri.to_owned();
        let task = tokio::spawn(async move {
            let _entry = InflightEntry {
                inner: Arc::clone(&inner),
                key: task_key.clone(),
            };
            let report = match inner.permits.acquire().await {
                Ok(_permit) => inner.run(&task_uri).await,
                Err(_) => inner.run(&task_uri).await,
            };
            inner.store(&task_key, &report);
            report
        });
        let report_uri = crate::redact::uri(uri);
        let shared = async move {
            task.await.unwrap_or_else(|e| {
                let mut report = ProbeReport::new(report_uri);
                report.failure = Some(ProbeFailure::Internal {
                    message: e.to_string(),
                });
                report
            })
        }
        .boxed()
        .shared();
        inflight.insert(key.to_owned(), shared.clone());
        shared
    }
}

/// Removes an in-flight entry when its task ends, however it ends.
struct InflightEntry {
    inner: Arc<Inner>,
    key: String,
}

impl Drop for InflightEntry {
    fn drop(&mut self) {
        if let Ok(mut inflight) = self.inner.inflight.lock() {
            inflight.remove(&self.key);
        }
    }
}

#[async_trait::async_trait]
impl EndpointProber for Prober {
    async fn probe(&self, uri: &str) -> ProbeReport {
        let key = Url::parse(uri.trim()).map_or_else(|_| uri.to_owned(), |u| u.to_string());
        if let Some(hit) = self.cached(&key) {
            tracing::debug!(uri = %hit.uri, "probe served from cache");
            return hit;
        }
        self.join_or_start(&key, uri).await
    }

    fn concurrency(&self) -> usize {
        self.inner.concurrency
    }
}

/// Records a phase's timing in the report and the metrics sink.
struct Clock<'a> {
    metrics: &'a dyn MetricsSink,
}

impl Clock<'_> {
    fn done(&self, phase: ProbePhase, started: Instant, slot: &mut Option<Duration>) -> Duration {
        let elapsed = started.elapsed();
        *slot = Some(elapsed);
        self.metrics.probe_phase(phase, elapsed);
        elapsed
    }
}

impl Inner {
    fn store(&self, key: &str, report: &ProbeReport) {
        let Some(ttl) = self.cache_ttl else { return };
        if let Ok(mut cache) = self.cache.lock() {
            cache.retain(|_, (at, _)| at.elapsed() < ttl);
            cache.insert(key.to_owned(), (Instant::now(), report.clone()));
        }
    }

    async fn run(&self, uri: &str) -> ProbeReport {
        let started = Instant::now();
        let mut report = ProbeReport::new(crate::redact::uri(uri));
        let outcome = self.run_phases(uri, &mut report).await;
        report.phases.total = started.elapsed();
        self.metrics
            .probe_phase(ProbePhase::Total, report.phases.total);
        if let Err(failure) = outcome {
            tracing::info!(uri = %report.uri, stage = failure.stage(), error = %failure, "probe failed");
            report.failure = Some(failure);
        } else {
            tracing::debug!(uri = %report.uri, total = ?report.phases.total, "probe healthy");
        }
        self.metrics.probe_finished(report.ok());
        report
    }

    async fn run_phases(&self, uri: &str, report: &mut ProbeReport) -> Result<(), ProbeFailure> {
        let clock = Clock {
            metrics: self.metrics.as_ref(),
        };
        let target = Target::parse(uri)?;
        report.host.clone_from(&target.host_display);
        report.port = target.port;

        // Resolve once; every address must pass the policy.
        let t = Instant::now();
        let addresses = match &target.host {
            Host::Ipv4(ip) => vec![IpAddr::V4(*ip)],
            Host::Ipv6(ip) => vec![IpAddr::V6(*ip)],
            Host::Domain(name) => {
                match tokio::time::timeout(self.resolve_timeout, self.resolver.lookup(name)).await {
                    Err(_) => {
                        return Err(ProbeFailure::Timeout {
                            phase: ProbePhase::Resolve,
                            limit: self.resolve_timeout,
                        });
                    }
                    Ok(Err(e)) => return Err(ProbeFailure::Dns(e)),
                    Ok(Ok(addrs)) => addrs,
                }
            }
        };
        clock.done(ProbePhase::Resolve, t, &mut report.phases.resolve);
        report.addresses.clone_from(&addresses);
        if addresses.is_empty() {
            return Err(ProbeFailure::Dns(crate::dns::DnsError::NoRecords {
                host: target.host_display.clone(),
            }));
        }
        self.policy
            .check_all(&addresses)
            .map_err(ProbeFailure::AddressPolicy)?;

        // Connect to a checked address; never look the name up again.
        let t = Instant::now();
        let (tcp, peer) = self.connect(&addresses, target.port).await?;
        clock.done(ProbePhase::Connect, t, &mut report.phases.connect);
        report.connected_to = Some(peer);

        // TLS, capturing the chain whatever the verdict.
        let t = Instant::now();
        let tls = self.handshake(tcp, &target, report).await;
        clock.done(ProbePhase::Tls, t, &mut report.phases.tls);
        let tls = tls?;

        // Health, on the same connection.
        let t = Instant::now();
        let status = self.health(tls, &target, report).await;
        clock.done(ProbePhase::FirstByte, t, &mut report.phases.first_byte);
        let status = status?;
        if !self.accepted.contains(status) {
            return Err(ProbeFailure::Health { status });
        }
        Ok(())
    }

    async fn connect(
        &self,
        addresses: &[IpAddr],
        port: u16,
    ) -> Result<(TcpStream, SocketAddr), ProbeFailure> {
        let mut tried = Vec::with_capacity(addresses.len());
        let mut last_error = String::new();
        let mut all_timed_out = true;
        for ip in addresses {
            let addr = SocketAddr::new(*ip, port);
            tried.push(addr);
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok((stream, addr));
                }
                Ok(Err(e)) => {
                    all_timed_out = false;
                    tracing::debug!(%addr, error = %e, "connect failed");
                    last_error = format!("{addr}: {e}");
                }
                Err(_) => {
                    tracing::debug!(%addr, "connect timed out");
                    last_error = format!("{addr}: timed out");
                }
            }
        }
        if all_timed_out {
            return Err(ProbeFailure::Timeout {
                phase: ProbePhase::Connect,
                limit: self.connect_timeout,
            });
        }
        Err(ProbeFailure::Connect {
            addresses: tried,
            message: last_error,
        })
    }

    async fn handshake(
        &self,
        tcp: TcpStream,
        target: &Target,
        report: &mut ProbeReport,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ProbeFailure> {
        let (verifier, seen) = inspect::CapturingVerifier::new(Arc::clone(&self.verifier));
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| ProbeFailure::Tls {
                kind: TlsFailureKind::Other,
                message: e.to_string(),
            })?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let server_name = target.server_name()?;

        let result =
            tokio::time::timeout(self.tls_timeout, connector.connect(server_name, tcp)).await;
        let captured = seen.lock().ok().and_then(|mut s| s.take());
        let now = time::OffsetDateTime::now_utc();
        let mut tls_report = captured.as_ref().map(|c| TlsReport {
            verified: c.error.is_none(),
            verification_error: c.error.as_ref().map(ToString::to_string),
            protocol_version: None,
            cipher_suite: None,
            alpn: None,
            chain_length: c.chain.len(),
            certificate: c
                .chain
                .first()
                .and_then(|leaf| inspect::certificate_info(leaf, now)),
        });
        let outcome = match result {
            Err(_) => Err(ProbeFailure::Timeout {
                phase: ProbePhase::Tls,
                limit: self.tls_timeout,
            }),
            Ok(Err(io)) => {
                // Prefer the verifier's own error; otherwise the rustls error inside the I/O error.
                let rustls_err = captured.as_ref().and_then(|c| c.error.clone()).or_else(|| {
                    io.get_ref()
                        .and_then(|e| e.downcast_ref::<rustls::Error>())
                        .cloned()
                });
                Err(match rustls_err {
                    Some(e) => ProbeFailure::Tls {
                        kind: inspect::classify(&e),
                        message: e.to_string(),
                    },
                    None => ProbeFailure::Tls {
                        kind: TlsFailureKind::Other,
                        message: io.to_string(),
                    },
                })
            }
            Ok(Ok(stream)) => {
                let (_, conn) = stream.get_ref();
                if let Some(r) = tls_report.as_mut() {
                    r.protocol_version = conn.protocol_version().map(inspect::version_name);
                    r.cipher_suite = conn
                        .negotiated_cipher_suite()
                        .map(|s| format!("{:?}", s.suite()));
                    r.alpn = conn
                        .alpn_protocol()
                        .map(|p| String::from_utf8_lossy(p).into_owned());
                }
                Ok(stream)
            }
        };
        if let Some(cert) = tls_report.as_ref().and_then(|r| r.certificate.as_ref()) {
            let left = time::Duration::try_from(self.expiry_warning).unwrap_or(time::Duration::MAX);
            if cert.not_after > now && cert.not_after - now < left {
                report.warnings.push(format!(
                    "certificate expires in {} days (at {}), within the {}-day warning threshold",
                    cert.days_until_expiry,
                    cert.not_after
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    self.expiry_warning.as_secs() / 86_400
                ));
            }
        }
        report.tls = tls_report;
        outcome
    }

    async fn health(
        &self,
        tls: tokio_rustls::client::TlsStream<TcpStream>,
        target: &Target,
        report: &mut ProbeReport,
    ) -> Result<u16, ProbeFailure> {
        let request = http::Request::get(target.path_and_query.as_str())
            .header(http::header::HOST, target.authority.as_str())
            .header(http::header::USER_AGENT, self.user_agent.as_str())
            .header(http::header::ACCEPT, "*/*")
            .header(http::header::CONNECTION, "close")
            .body(Empty::<Bytes>::new())
            .map_err(|e| ProbeFailure::InvalidUri {
                reason: format!("cannot build the health request: {e}"),
            })?;
        let exchange = async {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .map_err(|e| ProbeFailure::Http {
                    message: e.to_string(),
                })?;
            let response = sender.send_request(request);
            tokio::pin!(conn);
            tokio::pin!(response);
            let http_err = |e: hyper::Error| ProbeFailure::Http {
                message: e.to_string(),
            };
            tokio::select! {
                biased;
                response = &mut response => response.map_err(http_err),
                closed = &mut conn => match closed {
                    // The server answered and closed (`connection: close`): the response has
                    // been handed over, or the request was cancelled.
                    Ok(()) => response.await.map_err(http_err),
                    Err(e) => Err(http_err(e)),
                },
            }
        };
        let response = tokio::time::timeout(self.health_timeout, exchange)
            .await
            .map_err(|_| ProbeFailure::Timeout {
                phase: ProbePhase::FirstByte,
                limit: self.health_timeout,
            })??;
        let status = response.status();
        let redirect = if status.is_redirection() {
            response
                .headers()
                .get(http::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        } else {
            None
        };
        if let Some(location) = &redirect {
            report.warnings.push(format!(
                "health check answered {} redirecting to {location}; redirects are not followed",
                status.as_u16()
            ));
        }
        report.health = Some(HealthReport {
            status: status.as_u16(),
            redirect,
        });
        Ok(status.as_u16())
    }
}

/// A parsed endpoint.
#[derive(Debug)]
struct Target {
    host: Host<String>,
    /// The host as reported: a domain, or an IP address without brackets.
    host_display: String,
    port: u16,
    /// `host[:port]` for the `Host` header.
    authority: String,
    path_and_query: String,
}

impl Target {
    fn parse(uri: &str) -> Result<Self, ProbeFailure> {
        let invalid = |reason: String| ProbeFailure::InvalidUri { reason };
        let url = Url::parse(uri.trim()).map_err(|e| invalid(format!("cannot be parsed: {e}")))?;
        if url.scheme() != "https" {
            return Err(invalid(format!("must use https, not {}", url.scheme())));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("carries credentials (user-info)".to_owned()));
        }
        let host = url
            .host()
            .map(|h| h.to_owned())
            .ok_or_else(|| invalid("has no host".to_owned()))?;
        if matches!(&host, Host::Domain(d) if d.is_empty()) {
            return Err(invalid("has no host".to_owned()));
        }
        let host_display = match &host {
            Host::Domain(d) => d.clone(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => ip.to_string(),
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let authority = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let mut path_and_query = url.path().to_owned();
        if let Some(q) = url.query() {
            path_and_query.push('?');
            path_and_query.push_str(q);
        }
        Ok(Self {
            host,
            host_display,
            port,
            authority,
            path_and_query,
        })
    }

    fn server_name(&self) -> Result<ServerName<'static>, ProbeFailure> {
        match &self.host {
            Host::Ipv4(ip) => Ok(ServerName::IpAddress(IpAddr::V4(*ip).into())),
            Host::Ipv6(ip) => Ok(ServerName::IpAddress(IpAddr::V6(*ip).into())),
            Host::Domain(d) => {
                ServerName::try_from(d.clone()).map_err(|e| ProbeFailure::InvalidUri {
                    reason: format!("host {d} is not a valid TLS server name: {e}"),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_spellings_are_seen_as_addresses() {
        for (uri, host) in [
            ("https://2130706433/", "127.0.0.1"),
            ("https://0x7f.1/", "127.0.0.1"),
            ("https://0177.0.0.1/", "127.0.0.1"),
            ("https://127.1/", "127.0.0.1"),
            ("https://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
            ("https://[0:0:0:0:0:ffff:7f00:1]/", "::ffff:127.0.0.1"),
        ] {
            let t = Target::parse(uri).unwrap();
            assert!(!matches!(t.host, Host::Domain(_)), "{uri}");
            assert_eq!(t.host_display, host, "{uri}");
        }
    }

    #[test]
    fn target_keeps_path_query_and_port() {
        let t = Target::parse("https://Hooks.Example.com:8443/health?x=1#frag").unwrap();
        assert_eq!(t.host_display, "hooks.example.com");
        assert_eq!(t.port, 8443);
        assert_eq!(t.authority, "hooks.example.com:8443");
        assert_eq!(t.path_and_query, "/health?x=1");
        let t = Target::parse("https://hooks.example.com").unwrap();
        assert_eq!(
            (t.port, t.authority.as_str(), t.path_and_query.as_str()),
            (443, "hooks.example.com", "/")
        );
    }

    #[test]
    fn invalid_uris_are_typed() {
        for uri in [
            "http://a.example/",
            "not a uri",
            "https://user:pw@a.example/",
        ] {
            assert!(
                matches!(Target::parse(uri), Err(ProbeFailure::InvalidUri { .. })),
                "{uri}"
            );
        }
    }

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            crate::redact::uri("https://user:secret@a.example/x"),
            "https://a.example/x"
        );
        assert_eq!(
            crate::redact::uri("https://a.example/x"),
            "https://a.example/x"
        );
    }

    #[test]
    fn accepted_statuses() {
        let d = AcceptedStatuses::default();
        assert!(d.contains(200) && d.contains(302) && d.contains(499) && !d.contains(500));
        let strict = AcceptedStatuses::ranges([200..=299]);
        assert!(strict.contains(204) && !strict.contains(301));
    }

    #[test]
    fn zero_settings_are_refused() {
        let err = Prober::builder()
            .resolver(Arc::new(crate::dns::StaticResolver::new()))
            .concurrency(0)
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            ProberBuildError::InvalidSetting {
                field: "concurrency",
                ..
            }
        ));
        let err = Prober::builder()
            .resolver(Arc::new(crate::dns::StaticResolver::new()))
            .health_timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            ProberBuildError::InvalidSetting {
                field: "health_timeout",
                ..
            }
        ));
    }
}
