//! The command line's integration tests: one test binary, one module per concern under `it/`
//! (each declared below), the shared helpers in `common/`. They run the built binary
//! (`genesys-resolver`) as a subprocess against its own standalone mock and local HTTPS
//! destinations.
//!
//! The module that runs an outside program (moto, from the workspace's `.venv` or
//! `MOTO_PYTHON`) is compiled only with the `external-tests` feature: `scripts/check` leaves it
//! out; `scripts/test` (and `--all-features`) builds and runs it, one moto at a time
//! (`.config/nextest.toml`).

mod common;

#[path = "it/credentials.rs"]
mod credentials;
#[path = "it/deploy_timeout.rs"]
mod deploy_timeout;
#[path = "it/documents.rs"]
mod documents;
#[path = "it/error_report.rs"]
mod error_report;
#[path = "it/eventbridge.rs"]
mod eventbridge;
#[path = "it/hostile_files.rs"]
mod hostile_files;
#[path = "it/lifecycle.rs"]
mod lifecycle;
#[path = "it/mock_http.rs"]
mod mock_http;
#[path = "it/mock_public.rs"]
mod mock_public;
#[path = "it/resolve.rs"]
mod resolve;
#[path = "it/route_batch.rs"]
mod route_batch;
#[path = "it/route_rehearse.rs"]
mod route_rehearse;
#[path = "it/serve.rs"]
mod serve;
#[path = "it/traces.rs"]
mod traces;
#[path = "it/validate.rs"]
mod validate;

/// The deploy commands taking turns through a redis-server.
#[cfg(feature = "external-tests")]
#[path = "it/coordination.rs"]
mod coordination;
/// `mock --aws-emulator`: `route apply` against the standalone mock and the AWS emulator.
#[cfg(feature = "external-tests")]
#[path = "it/mock_emulator.rs"]
mod mock_emulator;
/// `route plan` and `route check` against moto.
#[cfg(feature = "external-tests")]
#[path = "it/route.rs"]
mod route;
/// Route connection auth through `route plan` and `route check`: no secret printed.
#[cfg(feature = "external-tests")]
#[path = "it/route_auth.rs"]
mod route_auth;
/// Two `route apply` processes of one name taking turns through a redis-server, on moto.
#[cfg(feature = "external-tests")]
#[path = "it/route_turns.rs"]
mod route_turns;
