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
//! `RESOLVER_LOG_FORMAT`). Both are scrubbed (an audit record field by field as it is built). With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans
//! are exported over OTLP/HTTP (see `genesys_resolver_service::telemetry`). SIGTERM or Ctrl-C stops accepting requests
//! and lets in-flight resolves finish for up to `RESOLVER_SHUTDOWN_GRACE_SECS`.

use std::process::ExitCode;

use genesys_resolver_service::config::Config;
use genesys_resolver_service::startup;

/// mimalloc instead of glibc's malloc: a resolve allocates and frees a few hundred small
/// blocks across the probe, the Genesys calls and the answer, and glibc's free lists cost
/// about 7% of the service's CPU per resolve (docs/src/benchmarks.md, "CPU per resolve, fourth
/// round"). Built without transparent huge pages, so the peak resident memory stays where
/// glibc's was. Only the binary chooses an allocator; the libraries leave it to their users.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match Config::from_env() {
        Ok(config) => startup::run(config).await,
        Err(e) => startup::config_error(&e),
    }
}
