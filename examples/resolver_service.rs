//! The seed's resolver service, with the seed's HTTP contract: `POST /resolve`, `GET /metrics`,
//! plus `GET /metrics/prometheus` and `GET /healthz`. See `genesys_resolver_examples::service`
//! for the statuses and `genesys_resolver_examples::config` for the environment variables.
//!
//! ```sh
//! GENESYS_ENVIRONMENT=eu_west_1 GENESYS_CLIENT_ID=... GENESYS_CLIENT_SECRET=... PORT=8080 \
//!     cargo run --release --example resolver_service
//! ```
//!
//! Audit records go to stdout as JSON lines (as the seed's do); logs go to stderr (`RUST_LOG`).
//! SIGTERM or Ctrl-C stops accepting requests and lets in-flight resolves finish.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use genesys_resolver::audit::JsonLinesAudit;
use genesys_resolver_examples::cli;
use genesys_resolver_examples::config::Config;
use genesys_resolver_examples::service;

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_tracing("info");
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let resolver = match config
        .resolver_builder()
        .audit(Arc::new(JsonLinesAudit::stdout()))
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let bind: IpAddr = match std::env::var("RESOLVER_BIND") {
        Ok(v) => match v.parse() {
            Ok(ip) => ip,
            Err(e) => {
                eprintln!("configuration error: RESOLVER_BIND: {v:?}: {e}");
                return ExitCode::from(2);
            }
        },
        Err(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    let addr = SocketAddr::new(bind, config.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(%addr, "resolver service starting");
    let served = service::serve(listener, resolver, service::shutdown_signal()).await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}
