//! The resolver service: the seed's HTTP contract (`POST /resolve`, `GET /metrics`) over
//! [`genesys_resolver`], made fit to face a network: bearer-token authentication, an origin
//! and content-type check, no upstream text echoed unscrubbed, bounded work (capped answers,
//! timeouts, connection and in-flight caps), service kept through floods of idle and slow
//! connections (idle connections let go oldest first at the cap, fair body slots, a minimum
//! body rate, per-caller limits, a reserve for `/healthz` and `/metrics`), escaped and scrubbed
//! logs, and a graceful shutdown with a deadline.
//!
//! The binary is `resolver_service` (`cargo run --release --bin resolver_service`); it reads
//! its settings from the environment ([`config`]). The pieces are public so a test (or another
//! binary) can serve the same routes:
//!
//! ```no_run
//! # async fn run(resolver: genesys_resolver::pipeline::Resolver) -> std::io::Result<()> {
//! use genesys_resolver_service::{config::ServiceSettings, router, serve};
//!
//! let settings = ServiceSettings::unauthenticated();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let app = router::app(resolver, &settings);
//! serve::serve_app(listener, app, &settings, None, serve::shutdown_signal()).await
//! # }
//! ```
//!
//! See `docs/src/security.md` for the threat model and each control's setting.

pub mod auth;
mod body;
pub mod caller;
pub mod config;
mod connections;
pub mod logging;
pub mod router;
pub mod serve;
pub mod startup;
// Logs and OpenTelemetry traces for the binaries (feature `otel`).
pub mod telemetry;

pub use router::{router, status_for};
pub use serve::{serve, shutdown_signal};

/// Largest request body accepted on `/resolve`.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Violations listed in an answer at most; the answer gives the total beside them.
pub const MAX_VIOLATIONS: usize = 100;
