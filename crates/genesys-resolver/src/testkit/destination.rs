//! Local HTTPS destinations with generated certificates, for probing tests, examples and
//! benchmarks.
//!
//! [`TestCa`] is a throw-away certificate authority; [`TlsDestination`] is a small HTTPS server on
//! loopback that answers every request with a configured status after a configured delay, with a
//! certificate of a chosen [`CertKind`] (valid, expired, not yet valid, wrong host, unknown issuer,
//! expiring soon). It counts accepted TCP connections and completed TLS handshakes, so a test can
//! assert that nothing connected.
//!
//! ```no_run
//! use genesys_resolver::testkit::destination::{CertKind, TestCa, TlsDestination};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ca = TestCa::new();
//! let dest = TlsDestination::builder(&ca)
//!     .certificate(CertKind::Valid)
//!     .health_status(200)
//!     .start()
//!     .await?;
//! println!("probe {} trusting {}", dest.uri("/health"), ca.ca_pem());
//! assert_eq!(dest.connections(), 0);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipnet::{IpNet, Ipv4Net};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::dns::StaticResolver;
use crate::policy::AddressPolicy;
use crate::probe::{Prober, ProberBuilder};
use crate::tls::TrustConfig;

/// The names a destination's certificate is valid for unless told otherwise.
pub const DEFAULT_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The name a [`CertKind::WrongHost`] certificate is issued for.
pub const WRONG_HOST_NAME: &str = "wrong-host.example";

const DAY: time::Duration = time::Duration::days(1);

/// A throw-away certificate authority for tests.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCa {
    /// A new CA named "genesys-resolver test CA", valid from yesterday for ten years.
    ///
    /// # Panics
    /// If key generation fails, which only a broken crypto provider would cause.
    pub fn new() -> Self {
        Self::named("genesys-resolver test CA")
    }

    /// A new CA with the given common name.
    ///
    /// # Panics
    /// If key generation fails, which only a broken crypto provider would cause.
    pub fn named(common_name: &str) -> Self {
        let key = KeyPair::generate().expect("generate CA key");
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - DAY;
        params.not_after = now + DAY * 3650;
        let issuer = CertifiedIssuer::self_signed(params, key).expect("self-sign CA");
        Self { issuer }
    }

    /// The CA certificate in PEM form.
    pub fn ca_pem(&self) -> String {
        self.issuer.pem()
    }

    /// The CA certificate in DER form.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// Writes the CA certificate to `dir/test-ca.pem` and returns the path, for code that takes
    /// a CA file (`TrustConfig::with_ca_file`, `SSL_CERT_FILE`).
    pub fn write_ca_pem(&self, dir: impl AsRef<Path>) -> io::Result<PathBuf> {
        let path = dir.as_ref().join("test-ca.pem");
        std::fs::write(&path, self.ca_pem())?;
        Ok(path)
    }

    /// A trust configuration that trusts this CA only (no system roots).
    pub fn trust_config(&self) -> TrustConfig {
        TrustConfig::default()
            .with_system_roots(false)
            .with_root(self.ca_der())
    }

    /// Issues a server certificate of `kind` for `names` (DNS names or IP addresses). Returns
    /// the chain (leaf only) and its private key.
    ///
    /// # Panics
    /// If a name is not a valid DNS name or IP address, or key generation fails.
    pub fn issue(&self, kind: &CertKind, names: &[String]) -> IssuedCert {
        let now = OffsetDateTime::now_utc();
        let (names, not_before, not_after): (Vec<String>, _, _) = match kind {
            CertKind::Valid | CertKind::UnknownCa => (names.to_vec(), now - DAY, now + DAY * 90),
            CertKind::Expired => (names.to_vec(), now - DAY * 30, now - DAY),
            CertKind::NotYetValid => (names.to_vec(), now + DAY, now + DAY * 30),
            CertKind::WrongHost => (vec![WRONG_HOST_NAME.to_owned()], now - DAY, now + DAY * 90),
            CertKind::ExpiringIn { days } => (
                names.to_vec(),
                now - DAY,
                now + time::Duration::days(i64::from(*days)) + time::Duration::hours(1),
            ),
        };
        let key = KeyPair::generate().expect("generate leaf key");
        let mut params = CertificateParams::new(names.clone()).expect("valid certificate names");
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.is_ca = IsCa::NoCa;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = if matches!(kind, CertKind::UnknownCa) {
            let stranger = TestCa::named("unknown test CA");
            params.signed_by(&key, &stranger.issuer)
        } else {
            params.signed_by(&key, &self.issuer)
        }
        .expect("sign leaf certificate");
        IssuedCert {
            chain: vec![cert.der().clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }
}

/// A server certificate chain and its private key.
pub struct IssuedCert {
    /// The chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl fmt::Debug for IssuedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCert")
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl IssuedCert {
    /// The private key in PKCS#8 DER form.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key.clone_key())
    }

    /// The private key in PEM form (for `openssl s_server -key`).
    pub fn key_pem(&self) -> String {
        pem_block("PRIVATE KEY", self.key.secret_pkcs8_der())
    }

    /// The chain in PEM form, leaf first (for `openssl s_server -cert`).
    pub fn chain_pem(&self) -> String {
        self.chain
            .iter()
            .map(|c| pem_block("CERTIFICATE", c.as_ref()))
            .collect()
    }
}

fn pem_block(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// What kind of certificate a [`TlsDestination`] presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CertKind {
    /// Valid for the destination's names, issued by the test CA, for 90 days.
    #[default]
    Valid,
    /// Expired yesterday.
    Expired,
    /// Valid from tomorrow.
    NotYetValid,
    /// Valid, but only for [`WRONG_HOST_NAME`].
    WrongHost,
    /// Valid for the destination's names, but issued by a CA nobody trusts.
    UnknownCa,
    /// Valid, expiring in `days` days (and an hour).
    ExpiringIn {
        /// Whole days until expiry.
        days: u32,
    },
}

/// Which TLS versions a [`TlsDestination`] offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsVersions {
    /// TLS 1.2 and 1.3.
    #[default]
    Tls12And13,
    /// TLS 1.2 only.
    Tls12Only,
    /// TLS 1.3 only.
    Tls13Only,
}

/// Configures a [`TlsDestination`]; see [`TlsDestination::builder`].
#[derive(Debug)]
#[must_use]
pub struct TlsDestinationBuilder<'a> {
    ca: &'a TestCa,
    kind: CertKind,
    names: Vec<String>,
    status: u16,
    location: Option<String>,
    delay: Duration,
    versions: TlsVersions,
    bind: IpAddr,
    port: u16,
    body: Option<String>,
}

impl TlsDestinationBuilder<'_> {
    /// The body every response carries (default `status N`): a test of what is done with an
    /// answer that quotes the request's credentials back.
    pub fn response_body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The kind of certificate presented (default [`CertKind::Valid`]).
    pub fn certificate(mut self, kind: CertKind) -> Self {
        self.kind = kind;
        self
    }

    /// The names the certificate is valid for (default [`DEFAULT_NAMES`]).
    pub fn names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.names = names.into_iter().map(Into::into).collect();
        self
    }

    /// The status every request is answered with (default 200).
    pub fn health_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a `Location` header to every response (pair with a 3xx status).
    pub fn redirect_to(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// How long to wait after reading a request before answering it (default none).
    pub fn response_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Which TLS versions are offered (default 1.2 and 1.3).
    pub fn tls_versions(mut self, versions: TlsVersions) -> Self {
        self.versions = versions;
        self
    }

    /// The address to listen on, port chosen by the system (default `127.0.0.1`; `::1` also
    /// works where IPv6 loopback is configured).
    pub fn bind(mut self, ip: impl Into<IpAddr>) -> Self {
        self.bind = ip.into();
        self
    }

    /// The port to listen on (default 0: chosen by the system). A fixed port lets two
    /// destinations on different loopback addresses share one, as a name re-resolving between
    /// them would see.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts serving. The server stops when the [`TlsDestination`] is dropped.
    pub async fn start(self) -> io::Result<TlsDestination> {
        let issued = self.ca.issue(&self.kind, &self.names);
        let versions: &[&'static rustls::SupportedProtocolVersion] = match self.versions {
            TlsVersions::Tls12And13 => &[&rustls::version::TLS13, &rustls::version::TLS12],
            TlsVersions::Tls12Only => &[&rustls::version::TLS12],
            TlsVersions::Tls13Only => &[&rustls::version::TLS13],
        };
        let mut config = rustls::ServerConfig::builder_with_provider(crate::tls::provider())
            .with_protocol_versions(versions)
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(issued.chain.clone(), issued.key_der())
            .map_err(io::Error::other)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind(SocketAddr::new(self.bind, self.port)).await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let response = Arc::new(Response {
            status: self.status,
            body: self.body,
            location: self.location,
            delay: self.delay,
        });
        let task = tokio::spawn(serve(listener, acceptor, Arc::clone(&counters), response));
        Ok(TlsDestination {
            addr,
            counters,
            leaf: issued.chain.into_iter().next(),
            task,
        })
    }
}

#[derive(Debug, Default)]
struct Counters {
    connections: AtomicUsize,
    handshakes: AtomicUsize,
    requests: Mutex<Vec<String>>,
}

#[derive(Debug)]
struct Response {
    status: u16,
    body: Option<String>,
    location: Option<String>,
    delay: Duration,
}

async fn serve(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    counters: Arc<Counters>,
    response: Arc<Response>,
) {
    // Connection tasks live in the set, so they end when the server is dropped.
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                counters.connections.fetch_add(1, Ordering::SeqCst);
                conns.spawn(handle(stream, acceptor.clone(), Arc::clone(&counters), Arc::clone(&response)));
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

async fn handle(
    stream: TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    counters: Arc<Counters>,
    response: Arc<Response>,
) {
    let limit = Duration::from_secs(30);
    let Ok(Ok(mut tls)) = tokio::time::timeout(limit, acceptor.accept(stream)).await else {
        return;
    };
    counters.handshakes.fetch_add(1, Ordering::SeqCst);
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(limit, async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match tls.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        true
    })
    .await;
    if !matches!(read, Ok(true)) {
        return;
    }
    let request_line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    if let Ok(mut requests) = counters.requests.lock() {
        requests.push(target);
    }
    // A zero sleep still parks the task for a timer tick (about 1 ms); skip it.
    if !response.delay.is_zero() {
        tokio::time::sleep(response.delay).await;
    }
    let body = (response.body.clone()).unwrap_or_else(|| format!("status {}\n", response.status));
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n",
        response.status,
        reason(response.status),
        body.len()
    );
    if let Some(location) = &response.location {
        out.push_str("location: ");
        out.push_str(location);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&body);
    let _ = tls.write_all(out.as_bytes()).await;
    let _ = tls.shutdown().await;
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A running local HTTPS destination. Dropping it stops the server.
#[derive(Debug)]
pub struct TlsDestination {
    addr: SocketAddr,
    counters: Arc<Counters>,
    leaf: Option<CertificateDer<'static>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsDestination {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsDestination {
    /// A builder for a destination whose certificate `ca` issues.
    pub fn builder(ca: &TestCa) -> TlsDestinationBuilder<'_> {
        TlsDestinationBuilder {
            ca,
            kind: CertKind::Valid,
            names: DEFAULT_NAMES.iter().map(|s| (*s).to_owned()).collect(),
            status: 200,
            location: None,
            delay: Duration::ZERO,
            versions: TlsVersions::default(),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            body: None,
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://localhost:PORT{path}`: the URI to probe. `path` should start with `/`.
    pub fn uri(&self, path: &str) -> String {
        self.uri_for_host("localhost", path)
    }

    /// `https://{host}:PORT{path}`, for a host name a test resolver maps to [`addr`](Self::addr).
    pub fn uri_for_host(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.port())
    }

    /// The URI with the listening IP address as the host (`https://127.0.0.1:PORT{path}`).
    pub fn ip_uri(&self, path: &str) -> String {
        match self.addr.ip() {
            IpAddr::V4(ip) => format!("https://{ip}:{}{path}", self.port()),
            IpAddr::V6(ip) => format!("https://[{ip}]:{}{path}", self.port()),
        }
    }

    /// How many TCP connections the server has accepted.
    pub fn connections(&self) -> usize {
        self.counters.connections.load(Ordering::SeqCst)
    }

    /// How many TLS handshakes completed.
    pub fn handshakes(&self) -> usize {
        self.counters.handshakes.load(Ordering::SeqCst)
    }

    /// The request targets (path and query) received, in order.
    pub fn requests(&self) -> Vec<String> {
        self.counters
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The leaf certificate presented, in DER form.
    pub fn leaf_der(&self) -> Option<&CertificateDer<'static>> {
        self.leaf.as_ref()
    }
}

/// An address policy that refuses what the default refuses except loopback (`127.0.0.0/8` and
/// `::1`), so probes can reach local destinations.
pub fn loopback_policy() -> AddressPolicy {
    AddressPolicy::default().with_allowed([
        IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8)),
        IpNet::from(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ])
}

/// A resolver that maps `localhost` to `127.0.0.1` only (where destinations listen by
/// default), whatever the hosts file says.
pub fn localhost_resolver() -> StaticResolver {
    StaticResolver::new().with_host("localhost", [IpAddr::V4(Ipv4Addr::LOCALHOST)])
}

/// A prober builder set up for local destinations: trusts `ca` only, allows loopback
/// ([`loopback_policy`]) and resolves `localhost` to `127.0.0.1` ([`localhost_resolver`]).
pub fn prober_for(ca: &TestCa) -> ProberBuilder {
    Prober::builder()
        .trust(ca.trust_config())
        .policy(loopback_policy())
        .resolver(Arc::new(localhost_resolver()))
}

/// A loopback address on which nothing listens: binds a port, then frees it. Connecting to it
/// is refused (unless another process takes the port in between, which is unlikely).
pub async fn refused_addr() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    drop(listener);
    Ok(addr)
}
