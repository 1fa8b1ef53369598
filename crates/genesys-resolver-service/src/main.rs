//! `resolver_service`: the seed's HTTP contract (`POST /resolve`, `GET /metrics`, plus
//! `GET /metrics/prometheus` and `GET /healthz`), with bearer-token authentication. See
//! `genesys_resolver_service::router` for the statuses and `genesys_resolver_service::config`
//! for the environment variables.
//!
//! ```sh
//! GENESYS_ENVIRONMENT=eu_west_1 GENESYS_CLIENT_ID=... GENESYS_CLIENT_SECRET=... \
//! RESOLVER_API_TOKENS_FILE=/etc/resolver/tokens PORT=8080 \
//!     cargo run --release --bin resolver_service
//! ```
//!
//! Audit records go to stdout as JSON lines (as the seed's do); logs go to stderr (`RUST_LOG`,
//! `RESOLVER_LOG_FORMAT`). Both pass the scrubber. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans
//! are exported over OTLP/HTTP (see `genesys_resolver_service::telemetry`). SIGTERM or Ctrl-C stops accepting requests
//! and lets in-flight resolves finish for up to `RESOLVER_SHUTDOWN_GRACE_SECS`.

use std::process::ExitCode;
use std::sync::Arc;

use genesys_resolver::audit::JsonLinesAudit;
use genesys_resolver::metrics::Metrics;
use genesys_resolver::redact;
use genesys_resolver_service::auth::Auth;
use genesys_resolver_service::config::Config;
use genesys_resolver_service::logging::{self, ScrubbingWriter};
use genesys_resolver_service::{router, serve, telemetry};
use secrecy::ExposeSecret;

/// A configuration problem, told on stderr on one line, and exit code 2. Configuration errors
/// name variables and rules, never a token or secret value.
fn config_error(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!(
        "{}",
        logging::escape_controls(&format!("configuration error: {e}"))
    );
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return config_error(&e),
    };
    // Whatever quotes the client secret from here on (an upstream error, a log line) has it
    // removed by value.
    if let (Some(id), Some(secret)) = (
        &config.resolver.client.client_id,
        &config.resolver.client.client_secret,
    ) {
        redact::register_client_credentials(id, secret.expose_secret());
    }
    // Logs, and spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; flushed below, or
    // when dropped on an early return.
    let telemetry = match telemetry::init(config.log_format, "info", "resolver_service") {
        Ok(t) => t,
        Err(e) => return config_error(&e),
    };
    if matches!(config.service.auth, Auth::None) {
        tracing::warn!(
            "authentication is off (RESOLVER_AUTH is none): POST /resolve needs no token; anyone who can reach {} can \
             create and change integrations with this service's Genesys credentials",
            config.addr
        );
    }
    let tls = match config.tls.as_ref().map(serve::tls_config).transpose() {
        Ok(t) => t,
        Err(e) => return config_error(&e),
    };
    // One Metrics for the resolver and the audit sink, which counts its write failures there.
    let metrics = Metrics::new();
    let audit = JsonLinesAudit::new(ScrubbingWriter::new(std::io::stdout()))
        .with_metrics(Arc::new(metrics.clone()));
    let resolver = match config
        .resolver_builder()
        .metrics(metrics)
        .audit(Arc::new(audit))
        .build_async()
        .await
    {
        Ok(r) => r,
        Err(e) => return config_error(&e),
    };
    if let Some(limit) = serve::raise_fd_limit() {
        let wanted = config.service.max_connections as u64 + 64;
        if limit < wanted {
            tracing::warn!(
                limit,
                max_connections = config.service.max_connections,
                "the open-file limit is below RESOLVER_MAX_CONNECTIONS plus headroom"
            );
        }
    }
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(addr = %config.addr, error = %e, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(config.addr);
    tracing::info!(
        %addr,
        tls = tls.is_some(),
        callers = if matches!(config.service.auth, Auth::None) { "anyone" } else { "bearer tokens" },
        "resolver service listening"
    );
    let app = router::app(resolver, &config.service);
    let served = serve::serve_app(listener, app, &config.service, tls, async {
        serve::shutdown_signal().await;
    })
    .await;
    telemetry.shutdown().await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}
