//! Starting the service: what `resolver_service` (and `genesys-resolver serve`) run once the
//! configuration is read ([`run`]).

use std::process::ExitCode;
use std::sync::Arc;

use crate::auth::Auth;
use crate::config::Config;
use crate::logging::{self, ScrubbingWriter};
use crate::{router, serve, telemetry};
use genesys_resolver::audit::JsonLinesAudit;
use genesys_resolver::metrics::Metrics;
use genesys_resolver::redact;
use secrecy::ExposeSecret;

/// A configuration problem, told on stderr on one line, and exit code 2. Configuration errors
/// name variables and rules, never a token or secret value.
pub fn config_error(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!(
        "{}",
        logging::escape_controls(&format!("configuration error: {e}"))
    );
    ExitCode::from(2)
}

/// Runs the service with `config` until SIGTERM or Ctrl-C: registers the client credentials
/// with the scrubber, starts logging (and the OTLP span export when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set, flushed at shutdown), builds the resolver (connecting Redis when configured),
/// listens and serves. Returns the process exit code: 0 after a clean shutdown, 2 for a
/// configuration problem, 1 when listening or serving failed.
pub async fn run(mut config: Config) -> ExitCode {
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
    if let Auth::Tokens(tokens) = &config.service.auth {
        for warning in tokens.warnings() {
            tracing::warn!("{warning}");
        }
    }
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
    // The envelope scrubs each record's fields as it builds the record: the line is escaped,
    // not scanned again.
    let metrics = Metrics::new();
    let audit = JsonLinesAudit::new(ScrubbingWriter::for_scrubbed_records(std::io::stdout()))
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
    // The caps fit the open-file limit, so descriptors cannot run out before the caps act.
    if let Some(limit) = serve::raise_fd_limit()
        && let Some(fitted) = config.service.fit_to_file_limit(limit)
    {
        tracing::warn!(
            file_limit = limit,
            max_connections = fitted.max_connections.1,
            reserved_connections = fitted.reserved_connections.1,
            max_in_flight = fitted.max_in_flight.1,
            "caps lowered to fit the open-file limit (RESOLVER_MAX_CONNECTIONS, \
             RESOLVER_RESERVED_CONNECTIONS, RESOLVER_MAX_IN_FLIGHT)"
        );
    }
    let listener = match serve::listen(config.addr) {
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
        max_connections = config.service.max_connections,
        max_in_flight = config.service.max_in_flight,
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
