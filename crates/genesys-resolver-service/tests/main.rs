//! The service's integration tests: one test binary, one module per concern under `it/` (each
//! declared below), the shared harness in `common/` (the `resolver_service` binary on a loopback
//! port, the test kit's Genesys, raw-socket helpers).
//!
//! The modules that run an outside program (redis-server, promtool) are compiled only with the
//! `external-tests` feature: `scripts/check` leaves them out; `scripts/test` (and
//! `--all-features`) builds and runs them, the redis-server ones one at a time
//! (`.config/nextest.toml`).

mod common;

#[path = "it/floods.rs"]
mod floods;
#[path = "it/hostile_access.rs"]
mod hostile_access;
#[path = "it/hostile_limits.rs"]
mod hostile_limits;
#[path = "it/hostile_secrets.rs"]
mod hostile_secrets;
#[path = "it/service.rs"]
mod service;
#[path = "it/traces.rs"]
mod traces;

/// The shipped alert rules and dashboard against `promtool` and the exported metrics.
#[cfg(feature = "external-tests")]
#[path = "it/operations.rs"]
mod operations;
/// Service replicas sharing one redis-server.
#[cfg(feature = "external-tests")]
#[path = "it/replicas.rs"]
mod replicas;
/// `POST /resolve` deploying the real route, against the strict AWS emulator.
#[cfg(feature = "external-tests")]
#[path = "it/route.rs"]
mod route;
