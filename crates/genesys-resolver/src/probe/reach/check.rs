//! [`ReachChecker`]: one destination judged as an EventBridge API destination will reach it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use rustls::RootCertStore;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tracing::Instrument;
use url::Host;

use super::report::{ReachReason, ReachReport, RuleOutcome};
use crate::dns::{DnsResolver, SystemResolver};
use crate::document::Connectivity;
use crate::payload::ResolvePayload;
use crate::policy::AddressPolicy;
use crate::probe::builder::ProberBuildError;
use crate::probe::inspect::{self, Captured};
use crate::probe::report::{ProbeFailure, TlsFailureKind};
use crate::probe::target::Target;

use super::report::ReachRule;

/// EventBridge's limit on an API destination's answer: the whole exchange, connection and TLS
/// included, within 5 seconds.
pub const EVENTBRIDGE_TIMEOUT: Duration = Duration::from_secs(5);

/// Under this many days of validity left, a certificate is a warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// How long a destination that asked for a client certificate has, after the handshake, to
/// refuse the connection without one (within [`EVENTBRIDGE_TIMEOUT`]).
const CLIENT_CERT_VERDICT_WAIT: Duration = Duration::from_secs(1);

/// How many destinations one [`ReachChecker::check_payload`] checks at once.
const CONCURRENCY: usize = 8;

/// Judges destinations as an EventBridge API destination will reach them: public trust roots
/// only (Mozilla's store through `webpki-root-certs`, never the system store, `SSL_CERT_FILE`
/// or the resolver's extra CA files), public addresses only unless the route declares private
/// connectivity, no client certificate, the certificate's remaining lifetime, and
/// [`EVENTBRIDGE_TIMEOUT`] for the whole exchange.
///
/// It connects only where the resolver's own address policy ([`connect_policy`]) lets it: the
/// check never widens where the process connects. It sends no request: it proves the name, the
/// addresses, the connection and the TLS handshake; the resolver's probe proves the health
/// request.
///
/// [`connect_policy`]: ReachCheckerBuilder::connect_policy
///
/// ```no_run
/// use genesys_resolver::document::Connectivity;
/// use genesys_resolver::probe::reach::ReachChecker;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let checker = ReachChecker::builder().build()?;
/// let report = checker.check("https://hooks.example.com/in", Connectivity::Public).await;
/// for reason in &report.reasons {
///     println!("{} [{}]: {}", report.verdict.as_str(), reason.rule, reason.message);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ReachChecker {
    inner: Arc<Inner>,
}

struct Inner {
    resolver: Arc<dyn DnsResolver>,
    connect_policy: AddressPolicy,
    public_addresses: AddressPolicy,
    provider: Arc<rustls::crypto::CryptoProvider>,
    verifier: Arc<WebPkiServerVerifier>,
    stand_in: bool,
}

impl std::fmt::Debug for ReachChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReachChecker")
            .field("resolver", &self.inner.resolver)
            .field("connect_policy", &self.inner.connect_policy)
            .field("public_stand_in", &self.inner.stand_in)
            .finish_non_exhaustive()
    }
}

/// What stands in for "public" in a test, whose destinations all sit on loopback behind a test
/// CA: these roots replace the public root store, and these ranges count as public addresses.
/// Feature `testkit` only; set through [`ReachCheckerBuilder::stand_in_for_public`], never read
/// from a route file, a setting or the environment.
#[cfg(feature = "testkit")]
#[derive(Debug, Clone)]
pub struct PublicStandIn {
    /// The roots that stand in for the public root store (instead of it, not beside it).
    pub roots: Vec<CertificateDer<'static>>,
    /// The ranges that count as public addresses (beside the really public ones).
    pub public_ranges: Vec<ipnet::IpNet>,
}

/// Configures a [`ReachChecker`]; see [`ReachChecker::builder`].
#[derive(Debug, Default)]
#[must_use]
pub struct ReachCheckerBuilder {
    resolver: Option<Arc<dyn DnsResolver>>,
    connect_policy: AddressPolicy,
    #[cfg(feature = "testkit")]
    stand_in: Option<PublicStandIn>,
}

impl ReachChecker {
    /// A builder: the system resolver, the default address policy, the public roots.
    pub fn builder() -> ReachCheckerBuilder {
        ReachCheckerBuilder::default()
    }
}

impl ReachCheckerBuilder {
    /// The DNS resolver (default: [`SystemResolver`]); the route deployer passes its own.
    pub fn resolver(mut self, resolver: Arc<dyn DnsResolver>) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// Where the check may connect at all: the resolver's own address policy (default
    /// [`AddressPolicy::default`]). Its allow-list lets the check *reach* a private range to
    /// judge its certificate; it never makes that range count as public.
    pub fn connect_policy(mut self, policy: AddressPolicy) -> Self {
        self.connect_policy = policy;
        self
    }

    /// **Tests only** (feature `testkit`): stands in for the public Internet, whose destinations
    /// a test cannot have. `stand_in.roots` replace the public root store (a certificate
    /// chaining to them counts as publicly trusted) and `stand_in.public_ranges` count as public
    /// addresses. No route file, setting, environment variable, command-line option or Python
    /// argument reaches this method.
    #[cfg(feature = "testkit")]
    pub fn stand_in_for_public(mut self, stand_in: PublicStandIn) -> Self {
        self.stand_in = Some(stand_in);
        self
    }

    /// Builds the checker (loading the public root store now). Without a resolver and without a
    /// readable system DNS configuration it is still built: each name lookup then fails with
    /// the reason (a `dns` reason in the report).
    pub fn build(self) -> Result<ReachChecker, ProberBuildError> {
        let provider = crate::tls::provider();
        #[cfg(feature = "testkit")]
        let stand_in = self.stand_in.map(|s| (s.roots, s.public_ranges));
        #[cfg(not(feature = "testkit"))]
        let stand_in: Option<(Vec<CertificateDer<'static>>, Vec<ipnet::IpNet>)> = None;
        let mut roots = RootCertStore::empty();
        let (public_addresses, stand_in) = if let Some((test_roots, ranges)) = stand_in {
            roots.add_parsable_certificates(test_roots);
            (AddressPolicy::default().with_allowed(ranges), true)
        } else {
            roots.add_parsable_certificates(
                webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned(),
            );
            (AddressPolicy::default(), false)
        };
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .map_err(|e| ProberBuildError::Verifier(e.to_string()))?;
        let resolver: Arc<dyn DnsResolver> = match self.resolver {
            Some(r) => r,
            None => match SystemResolver::new() {
                Ok(r) => Arc::new(r),
                // The check judges; it does not refuse to be built: every name lookup then
                // reports why (an IP-literal destination is still judged).
                Err(e) => {
                    tracing::warn!(error = %e, "no system DNS for the EventBridge reach check");
                    Arc::new(NoSystemDns(e.to_string()))
                }
            },
        };
        Ok(ReachChecker {
            inner: Arc::new(Inner {
                resolver,
                connect_policy: self.connect_policy,
                public_addresses,
                provider,
                verifier,
                stand_in,
            }),
        })
    }
}

/// The resolver when the system DNS configuration cannot be read: every lookup fails with why.
#[derive(Debug)]
struct NoSystemDns(String);

#[async_trait::async_trait]
impl DnsResolver for NoSystemDns {
    async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, crate::dns::DnsError> {
        Err(crate::dns::DnsError::Other {
            host: host.to_owned(),
            message: format!("the system DNS configuration cannot be read: {}", self.0),
        })
    }
}

/// Records whether the server asked for a client certificate; never offers one.
#[derive(Debug, Default)]
struct ClientCertAsked(AtomicBool);

impl ClientCertAsked {
    fn asked(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl ResolvesClientCert for ClientCertAsked {
    fn resolve(&self, _: &[&[u8]], _: &[rustls::SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.0.store(true, Ordering::SeqCst);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

impl ReachChecker {
    /// Judges one destination. Never fails: the report says what EventBridge would meet.
    pub async fn check(&self, uri: &str, connectivity: Connectivity) -> ReachReport {
        let started = Instant::now();
        let mut report = ReachReport::new(uri, connectivity);
        let span = crate::spans::eventbridge_reach(uri);
        let within = tokio::time::timeout(EVENTBRIDGE_TIMEOUT, self.steps(uri, &mut report))
            .instrument(span.clone())
            .await;
        match within {
            Ok(()) => report.set(ReachRule::TimeBudget, RuleOutcome::Passed),
            Err(_) => report.push(ReachReason::TimedOut {
                limit: EVENTBRIDGE_TIMEOUT,
            }),
        }
        report.elapsed = started.elapsed();
        report.conclude();
        span.record("outcome", report.verdict.as_str());
        span.record("otel.status_code", if report.ok() { "ok" } else { "error" });
        tracing::debug!(uri = %report.uri, verdict = report.verdict.as_str(), "eventbridge reach judged");
        report
    }

    /// Judges a payload's `uri` and every `uris` entry, each with its payload path, a few at a
    /// time; reports in payload order.
    pub async fn check_payload(
        &self,
        payload: &ResolvePayload,
        connectivity: Connectivity,
    ) -> Vec<ReachReport> {
        // Owned work items, so the future is `Send` for any caller's lifetimes.
        let work: Vec<(String, String, Self)> = payload
            .endpoints()
            .map(|(path, uri)| (path, uri.to_owned(), self.clone()))
            .collect();
        stream::iter(work)
            .map(|(path, uri, checker)| async move {
                let mut report = checker.check(&uri, connectivity).await;
                report.path = path;
                report
            })
            .buffered(CONCURRENCY)
            .collect()
            .await
    }

    async fn steps(&self, uri: &str, report: &mut ReachReport) {
        let target = match Target::parse(uri) {
            Ok(t) => t,
            Err(e) => {
                let message = match e {
                    ProbeFailure::InvalidUri { reason } => reason,
                    other => other.to_string(),
                };
                return report.push(ReachReason::InvalidUri { detail: message });
            }
        };
        let addresses = match &target.host {
            Host::Ipv4(ip) => vec![IpAddr::V4(*ip)],
            Host::Ipv6(ip) => vec![IpAddr::V6(*ip)],
            Host::Domain(name) => match self.inner.resolver.lookup(name).await {
                Ok(a) if !a.is_empty() => a,
                Ok(_) => {
                    let host = name.clone();
                    let error = crate::dns::DnsError::NoRecords { host };
                    return report.push(ReachReason::Dns { error });
                }
                Err(error) => return report.push(ReachReason::Dns { error }),
            },
        };
        report.addresses.clone_from(&addresses);
        self.judge_addresses(&addresses, report);

        // Connect only where the resolver's own policy allows; never look the name up again.
        let (allowed, refused): (Vec<IpAddr>, Vec<IpAddr>) = addresses
            .iter()
            .partition(|ip| self.inner.connect_policy.check(**ip).is_ok());
        if allowed.is_empty() {
            return report.push(ReachReason::NotContacted { addresses: refused });
        }
        let tcp = match connect(&allowed, target.port).await {
            Ok(tcp) => tcp,
            Err(message) => return report.push(ReachReason::Unreachable { detail: message }),
        };
        let server_name = match target.server_name() {
            Ok(n) => n,
            Err(e) => {
                let message = e.to_string();
                return report.push(ReachReason::InvalidUri { detail: message });
            }
        };
        self.handshake(tcp, server_name, report).await;
    }

    /// The public-address rule: every address public, or skipped under private connectivity.
    fn judge_addresses(&self, addresses: &[IpAddr], report: &mut ReachReport) {
        if report.connectivity == Connectivity::Private {
            return report.set(ReachRule::PublicAddress, RuleOutcome::Skipped);
        }
        report.set(ReachRule::PublicAddress, RuleOutcome::Passed);
        for ip in addresses {
            if let Err(v) = self.inner.public_addresses.check(*ip) {
                report.push(ReachReason::PrivateAddress {
                    address: *ip,
                    range: v.range,
                    class: v.class.to_owned(),
                });
            }
        }
    }

    async fn handshake(
        &self,
        tcp: TcpStream,
        server_name: ServerName<'static>,
        report: &mut ReachReport,
    ) {
        // A fresh memory of accepted chains: every reach judgement verifies the chain anew.
        let (verifier, seen) = inspect::CapturingVerifier::new(
            Arc::clone(&self.inner.verifier),
            Arc::new(crate::probe::verified::VerifiedChains::default()),
        );
        let asked = Arc::new(ClientCertAsked::default());
        let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&self.inner.provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12]);
        let mut config = match config {
            Ok(c) => c
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_client_cert_resolver(Arc::clone(&asked) as Arc<dyn ResolvesClientCert>),
            Err(e) => {
                let message = e.to_string();
                return report.push(ReachReason::TlsFailed { detail: message });
            }
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let result = connector.connect(server_name.clone(), tcp).await;
        let captured = seen.lock().ok().and_then(|mut s| s.take());
        if let Some(c) = &captured {
            report.set(ReachRule::Reachable, RuleOutcome::Passed);
            self.judge_certificate(c, &server_name, report);
        }
        match result {
            Ok(mut stream) => {
                report.set(ReachRule::Reachable, RuleOutcome::Passed);
                if !asked.asked() {
                    return report.set(ReachRule::NoMutualTls, RuleOutcome::Passed);
                }
                // TLS 1.3: a server that requires a certificate refuses after the handshake.
                let mut byte = [0u8; 1];
                match tokio::time::timeout(CLIENT_CERT_VERDICT_WAIT, stream.read(&mut byte)).await {
                    Ok(Err(e)) => report.push(ReachReason::ClientCertificateRequired {
                        detail: e.to_string(),
                    }),
                    Ok(Ok(0)) => report.push(ReachReason::ClientCertificateRequired {
                        detail: "the destination closed the connection".to_owned(),
                    }),
                    Ok(Ok(_)) | Err(_) => report.push(ReachReason::ClientCertificateRequested),
                }
            }
            Err(io) => {
                if captured.as_ref().is_some_and(|c| c.error.is_some()) {
                    // The certificate was judged above; the handshake stopped there.
                    return;
                }
                let message = io.to_string();
                if asked.asked() {
                    report.push(ReachReason::ClientCertificateRequired { detail: message });
                } else {
                    report.push(ReachReason::TlsFailed { detail: message });
                }
            }
        }
    }

    /// The public-trust and lifetime rules, from the chain the server presented.
    fn judge_certificate(
        &self,
        captured: &Captured,
        name: &ServerName<'static>,
        report: &mut ReachReport,
    ) {
        let now = time::OffsetDateTime::now_utc();
        let leaf = captured.chain.first();
        let info = leaf.and_then(|l| inspect::certificate_info(l, now));
        let mut error = captured.error.clone();
        if let (Some(e), Some(leaf), Some(info)) = (&error, leaf, &info) {
            // Expired or not yet valid: judge the chain at a time the leaf is valid, so the
            // trust rule says whether it chains to a public root, whatever the clock.
            if matches!(
                inspect::classify(e),
                TlsFailureKind::Expired | TlsFailureKind::NotYetValid
            ) {
                let half: time::Duration = (info.not_after - info.not_before) / 2;
                let mid = info.not_before + half;
                let secs = u64::try_from(mid.unix_timestamp()).unwrap_or(0);
                let at = UnixTime::since_unix_epoch(Duration::from_secs(secs));
                let rest: Vec<CertificateDer<'_>> = captured.chain[1..].to_vec();
                error = self
                    .inner
                    .verifier
                    .verify_server_cert(leaf, &rest, name, &[], at)
                    .err();
            }
        }
        match error {
            None => report.set(ReachRule::PublicTrust, RuleOutcome::Passed),
            Some(e) => {
                let kind = inspect::classify(&e);
                let message = e.to_string();
                report.push(match kind {
                    TlsFailureKind::HostnameMismatch => {
                        ReachReason::HostnameMismatch { detail: message }
                    }
                    _ => ReachReason::NotPubliclyTrusted {
                        issuer: info.as_ref().map(|i| i.issuer.clone()),
                        kind,
                        detail: message,
                    },
                });
            }
        }
        let Some(info) = info else { return };
        report.days_left = Some(info.days_until_expiry);
        if now > info.not_after {
            report.push(ReachReason::CertificateExpired {
                not_after: info.not_after,
            });
        } else if now < info.not_before {
            report.push(ReachReason::CertificateNotYetValid {
                not_before: info.not_before,
            });
        } else if info.days_until_expiry < EXPIRY_WARNING_DAYS {
            report.push(ReachReason::CertificateExpiresSoon {
                days_left: info.days_until_expiry,
            });
        } else {
            report.set(ReachRule::CertificateLifetime, RuleOutcome::Passed);
        }
    }
}

/// Connects to the first address that answers (each within the overall budget).
async fn connect(addresses: &[IpAddr], port: u16) -> Result<TcpStream, String> {
    let mut last = String::new();
    for ip in addresses {
        let addr = SocketAddr::new(*ip, port);
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}
