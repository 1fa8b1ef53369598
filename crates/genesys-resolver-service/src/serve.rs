//! The listener: HTTP/1.1 (optionally over TLS) with hyper's own header-read timer, and a
//! graceful shutdown with a deadline. Connections are cheap until they send something (nothing
//! is read, and no buffer held, before the first byte); at the connection cap the oldest idle or
//! header-sending connections are let go rather than the new one refused, with a reserve above
//! the cap for `/healthz` and `/metrics` (see `docs/security.md`, "Floods"); and one caller's
//! requests hold at most `max_connections_per_caller` connections (429 above, naming the limit).

use std::convert::Infallible;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::auth::Auth;
use crate::caller::{Authenticated, Caller, PerCaller, limit_refusal};
use crate::config::{ServiceSettings, TlsFiles};
use crate::connections::{BUSY_ANSWER, Conn, Connections, Registered, Tracked};
use crate::router::Peer;

/// The routes a connection in the reserve may ask for.
const RESERVED_ROUTES: [&str; 3] = ["/healthz", "/metrics", "/metrics/prometheus"];

/// `accept` errors that mean the process (or the system) is out of file descriptors: `EMFILE`
/// and `ENFILE`, numbered alike on Linux, the BSDs and macOS.
const OUT_OF_DESCRIPTORS: [i32; 2] = [24, 23];

/// How often the connection table is looked over for connections idle too long under pressure.
const SWEEP_EVERY: Duration = Duration::from_millis(250);

/// How often, at most, connections let go or refused are reported in the log.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// A TLS setup problem: which file, and why.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct TlsError {
    /// The variable naming the file.
    pub variable: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// The listener's TLS configuration from its files: the certificate chain and key, and, when
/// `client_ca` is set, verification of client certificates against it (a client without one
/// is refused during the handshake).
pub fn tls_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = read_certs(&files.cert, "RESOLVER_TLS_CERT")?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError {
        variable: "RESOLVER_TLS_KEY",
        reason: format!("no private key read from {}: {e}", files.key.display()),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError {
            variable: "RESOLVER_TLS_CERT",
            reason: e.to_string(),
        })?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in read_certs(ca, "RESOLVER_TLS_CLIENT_CA")? {
                roots.add(cert).map_err(|e| TlsError {
                    variable: "RESOLVER_TLS_CLIENT_CA",
                    reason: e.to_string(),
                })?;
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .map_err(|e| TlsError {
                        variable: "RESOLVER_TLS_CLIENT_CA",
                        reason: e.to_string(),
                    })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| TlsError {
        variable: "RESOLVER_TLS_CERT",
        reason: format!("the certificate and key do not make a TLS identity: {e}"),
    })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_certs(
    path: &Path,
    variable: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| TlsError {
            variable,
            reason: format!("cannot read certificates from {}: {e}", path.display()),
        })?;
    if certs.is_empty() {
        return Err(TlsError {
            variable,
            reason: format!("{} holds no certificate", path.display()),
        });
    }
    Ok(certs)
}

/// The listen backlog asked for: connections the kernel completes before the service accepts
/// them (the kernel caps it at `net.core.somaxconn`), so a burst waits there rather than having
/// its handshakes dropped and retried a second later.
pub const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `addr` with [`LISTEN_BACKLOG`] (and `SO_REUSEADDR`, as a restarted service
/// needs on Unix).
pub fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Raises the soft limit on open files to the hard limit where the platform allows, and
/// returns the limit now in force (`None` where there is none to read).
pub fn raise_fd_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
            None
        }
    }
}

/// What every connection's task shares.
struct Shared {
    app: Router,
    http: http1::Builder,
    acceptor: Option<TlsAcceptor>,
    header_timeout: Duration,
    auth: Auth,
    /// Connections per caller.
    per_caller: Arc<PerCaller>,
}

/// Serves `app` on `listener` until `shutdown` completes, with `settings`' connection caps and
/// timeouts, over TLS when `tls` is set. Then stops accepting, lets open requests (and so
/// in-flight resolves) finish for at most `settings.shutdown_grace`, and returns.
pub async fn serve_app(
    listener: TcpListener,
    app: Router,
    settings: &ServiceSettings,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let connections = Connections::new(
        settings.max_connections,
        settings.reserved_connections,
        settings.header_timeout,
    );
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .max_headers(64)
        .max_buf_size(64 * 1024);
    let shared = Arc::new(Shared {
        app,
        http,
        acceptor: tls.map(TlsAcceptor::from),
        header_timeout: settings.header_timeout,
        auth: settings.auth.clone(),
        per_caller: PerCaller::new(settings.max_connections_per_caller),
    });
    let sweeper = tokio::spawn(sweep(connections.clone()));
    tokio::pin!(shutdown);
    loop {
        // Connections let go still hold their descriptors for a moment: when they would take
        // the caps' worth, wait for them (new connections wait in the listen backlog).
        tokio::select! {
            () = connections.descriptors_free() => {}
            () = &mut shutdown => break,
        }
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) if e.raw_os_error().is_some_and(|n| OUT_OF_DESCRIPTORS.contains(&n)) => {
                    // The caps are fitted to the file limit, so something else holds the
                    // descriptors: free some and try again shortly rather than spin.
                    let freed = connections.let_go_for_descriptors();
                    tracing::warn!(error = %e, freed, "accept failed: out of file descriptors");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(registered) = connections.admit(peer) else {
            if shared.acceptor.is_none() {
                // Best effort, without waiting: the client learns why before the close.
                let _ = stream.try_write(BUSY_ANSWER);
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            registered,
            shared.clone(),
            graceful.watcher(),
        ));
    }
    drop(listener);
    sweeper.abort();
    // Connections waiting for a first byte, or idle between requests, have nothing to finish.
    connections.let_go_idle();
    tracing::info!("shutting down: letting open requests finish");
    if tokio::time::timeout(settings.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = settings.shutdown_grace.as_secs_f64(),
            "shutdown grace period over: closing the connections still open"
        );
    }
    Ok(())
}

/// Looks the table over four times a second (letting go of connections idle too long, less long
/// under pressure), and reports in the log, at most every ten seconds, what was let go at the
/// cap or refused.
async fn sweep(connections: Arc<Connections>) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut pending = (0, 0, 0);
    let mut reported: Option<tokio::time::Instant> = None;
    loop {
        tick.tick().await;
        connections.sweep();
        let (at_cap, idle, refused) = connections.take_counts();
        pending = (pending.0 + at_cap, pending.1 + idle, pending.2 + refused);
        if pending != (0, 0, 0) && reported.is_none_or(|r| r.elapsed() >= REPORT_EVERY) {
            let (open, reserved) = connections.open();
            tracing::warn!(
                event = "connections_shed",
                let_go_at_cap = pending.0,
                let_go_idle = pending.1,
                refused = pending.2,
                open,
                reserved,
                cap = connections.cap(),
                "connection pressure: idle and slow connections let go (RESOLVER_MAX_CONNECTIONS)"
            );
            pending = (0, 0, 0);
            reported = Some(tokio::time::Instant::now());
        }
    }
}

/// One connection, from its first byte to its close.
async fn connection(
    stream: TcpStream,
    registered: Registered,
    shared: Arc<Shared>,
    watcher: Watcher,
) {
    let conn = registered.conn().clone();
    // Until the client sends something, nothing is read and no buffer is held for it (a peek,
    // not `readable()`: a new socket reads as ready before any byte has come).
    let mut first = [0_u8; 1];
    let spoke = tokio::select! {
        biased;
        () = conn.let_go() => false,
        peeked = tokio::time::timeout(shared.header_timeout, stream.peek(&mut first)) => {
            matches!(peeked, Ok(Ok(n)) if n > 0)
        }
    };
    // Dropped unused when the client never spoke: told 503 if it was let go at the cap.
    let io = Tracked::new(stream, conn.clone(), shared.acceptor.is_none());
    if spoke {
        // Boxed: a connection that has not spoken holds only the small future above.
        Box::pin(converse(io, conn, shared, watcher)).await;
    }
    drop(registered);
}

/// HTTP (over TLS when configured) on a connection whose client has spoken.
async fn converse(io: Tracked, conn: Arc<Conn>, shared: Arc<Shared>, watcher: Watcher) {
    let service = Requests {
        shared: shared.clone(),
        conn: conn.clone(),
    };
    let served = match &shared.acceptor {
        None => {
            let connection = shared.http.serve_connection(TokioIo::new(io), service);
            until_let_go(&conn, watcher, connection).await
        }
        Some(acceptor) => {
            // The handshake has the header timeout too: a silent client is let go.
            let tls = tokio::select! {
                biased;
                () = conn.let_go() => return,
                tls = tokio::time::timeout(shared.header_timeout, acceptor.accept(io)) => tls,
            };
            let Ok(Ok(tls)) = tls else {
                tracing::debug!(peer = %conn.peer(), "TLS handshake failed or timed out");
                return;
            };
            let connection = shared.http.serve_connection(TokioIo::new(tls), service);
            until_let_go(&conn, watcher, connection).await
        }
    };
    if let Some(Err(e)) = served {
        tracing::debug!(peer = %conn.peer(), error = %e, "connection ended with an error");
    }
}

/// Serves `connection` (watched for the graceful shutdown) until it ends, or until it is let
/// go: then it is dropped, which closes it.
async fn until_let_go<I>(
    conn: &Conn,
    watcher: Watcher,
    connection: http1::Connection<TokioIo<I>, Requests>,
) -> Option<hyper::Result<()>>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::select! {
        result = watcher.watch(connection) => Some(result),
        () = conn.let_go() => None,
    }
}

/// The requests of one connection: the reserve and per-caller checks, then the routes.
#[derive(Clone)]
struct Requests {
    shared: Arc<Shared>,
    conn: Arc<Conn>,
}

impl Requests {
    /// The refusal for `request` on this connection, if any; otherwise marks the request with
    /// its caller when it authenticated (so the routes do not hash its token again).
    fn refusal(&self, request: &mut Request<Incoming>) -> Option<Response> {
        if self.conn.reserved() && !RESERVED_ROUTES.contains(&request.uri().path()) {
            return Some(limit_refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "RESOLVER_MAX_CONNECTIONS",
                "too many connections: only /healthz and /metrics are answered on this one; \
                 retry later",
                true,
            ));
        }
        let caller = match &self.shared.auth {
            Auth::None => Caller::address(self.conn.peer().ip()),
            auth @ Auth::Tokens(_) => {
                if !request.headers().contains_key(header::AUTHORIZATION) {
                    return None;
                }
                // No valid token: the routes that need one answer 401 with the reason.
                Caller::Token(auth.identify(request.headers()).ok().flatten()?)
            }
        };
        if !self.conn.attribute(caller, &self.shared.per_caller) {
            tracing::warn!(
                event = "caller_limit",
                limit = "RESOLVER_MAX_CONNECTIONS_PER_CALLER",
                %caller,
                peer = %self.conn.peer(),
                "request refused: the caller holds too many connections"
            );
            return Some(limit_refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "caller_limit",
                "RESOLVER_MAX_CONNECTIONS_PER_CALLER",
                "this caller holds too many connections; reuse them, or retry later",
                true,
            ));
        }
        request.extensions_mut().insert(Authenticated(caller));
        None
    }
}

impl hyper::service::Service<Request<Incoming>> for Requests {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let busy = self.conn.begin_request();
        if let Some(refusal) = self.refusal(&mut request) {
            return Box::pin(std::future::ready(Ok(refusal)));
        }
        request.extensions_mut().insert(Peer(self.conn.peer()));
        let app = self.shared.app.clone();
        Box::pin(async move {
            let _busy = busy;
            app.oneshot(request).await
        })
    }
}

/// Serves the seed's routes of `resolver` (no authentication, default limits) on `listener`
/// until `shutdown` completes; see [`serve_app`].
pub async fn serve(
    listener: TcpListener,
    resolver: genesys_resolver::pipeline::Resolver,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let settings = ServiceSettings::unauthenticated();
    let app = crate::router::app(resolver, &settings);
    serve_app(listener, app, &settings, None, shutdown).await
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
