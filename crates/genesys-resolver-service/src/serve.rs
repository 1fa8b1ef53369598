//! The listener: HTTP/1.1 (optionally over TLS) with hyper's own header-read timer, a cap on
//! open connections, and a graceful shutdown with a deadline.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::config::{ServiceSettings, TlsFiles};
use crate::router::Peer;

/// What a connection over the cap is told before it is closed (plain HTTP only).
const BUSY_ANSWER: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
Content-Type: application/json\r\nContent-Length: 20\r\nConnection: close\r\n\r\n\
{\"kind\":\"overloaded\"}";

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

/// Serves `app` on `listener` until `shutdown` completes, with `settings`' connection cap and
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
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let acceptor = tls.map(TlsAcceptor::from);
    let header_timeout = settings.header_timeout;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_headers(64)
        .max_buf_size(64 * 1024);
    let http = Arc::new(http);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(
                event = "connection_refused",
                limit = settings.max_connections,
                "connection refused: connection limit reached"
            );
            if acceptor.is_none() {
                // Best effort, without waiting: the client learns why before the close.
                let _ = stream.try_write(BUSY_ANSWER);
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = TowerToHyperService::new(app.map_request(move |mut r: Request<Incoming>| {
            r.extensions_mut().insert(Peer(peer));
            r
        }));
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        let http = http.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let result = match acceptor {
                None => {
                    watcher
                        .watch(http.serve_connection(TokioIo::new(stream), service))
                        .await
                }
                Some(acceptor) => {
                    // The handshake has the header timeout too: a silent client is let go.
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(header_timeout, acceptor.accept(stream)).await
                    else {
                        tracing::debug!(%peer, "TLS handshake failed or timed out");
                        return;
                    };
                    watcher
                        .watch(http.serve_connection(TokioIo::new(tls), service))
                        .await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
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
