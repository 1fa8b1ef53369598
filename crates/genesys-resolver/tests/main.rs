//! The integration tests of genesys-resolver: one test binary (one link step), one module per
//! concern.
//!
//! - `it/`: the modules, each declared below (a new concern is a file there and a line here).
//! - `common/`: what the modules share: fixtures (clients, deployers, integrations, payloads),
//!   the loopback setup (a mock Genesys, a test CA and an HTTPS destination), log capture, and
//!   the redis-server and moto launchers.
//! - `fixtures/`: data files (`seed_wire/`: payloads as the seed's own Go code writes them).
//!
//! Most modules need the `testkit` feature (the dev-dependency on this crate turns it on inside
//! the workspace). The modules that run an outside program (redis-server, moto from `.venv` or
//! `MOTO_PYTHON`, openssl) are compiled only with the `external-tests` feature: `scripts/check`
//! leaves them out; `scripts/test` (and `--all-features`) builds and runs them, and
//! `.config/nextest.toml` runs the ones that start redis-server or moto one at a time.

mod common;

#[path = "it/audit.rs"]
mod audit;
#[cfg(feature = "yaml")]
#[path = "it/bounded_props.rs"]
mod bounded_props;
#[path = "it/coordination.rs"]
mod coordination;
#[path = "it/dns.rs"]
mod dns;
#[cfg(feature = "yaml")]
#[path = "it/documents.rs"]
mod documents;
#[path = "it/eventbridge_fake.rs"]
mod eventbridge_fake;
#[path = "it/layering.rs"]
mod layering;
#[path = "it/metrics.rs"]
mod metrics;
#[path = "it/payload_props.rs"]
mod payload_props;
#[path = "it/payload_wire.rs"]
mod payload_wire;
#[path = "it/validate.rs"]
mod validate;

// Against the test kit's mock Genesys or its local TLS destinations.
#[cfg(feature = "testkit")]
#[path = "it/api.rs"]
mod api;
#[cfg(feature = "testkit")]
#[path = "it/auth.rs"]
mod auth;
#[cfg(feature = "testkit")]
#[path = "it/concurrent_callers.rs"]
mod concurrent_callers;
#[cfg(feature = "testkit")]
#[path = "it/deploy_target.rs"]
mod deploy_target;
#[cfg(feature = "testkit")]
#[path = "it/error_report.rs"]
mod error_report;
#[cfg(feature = "testkit")]
#[path = "it/eventbridge.rs"]
mod eventbridge;
#[cfg(feature = "testkit")]
#[path = "it/eventbridge_lifecycle.rs"]
mod eventbridge_lifecycle;
#[cfg(feature = "testkit")]
#[path = "it/eventbridge_secrets.rs"]
mod eventbridge_secrets;
#[cfg(feature = "testkit")]
#[path = "it/eventbridge_spans.rs"]
mod eventbridge_spans;
#[cfg(feature = "testkit")]
#[path = "it/eventbridge_testkit.rs"]
mod eventbridge_testkit;
#[cfg(feature = "testkit")]
#[path = "it/origins.rs"]
mod origins;
#[cfg(feature = "testkit")]
#[path = "it/pipeline.rs"]
mod pipeline;
#[cfg(feature = "testkit")]
#[path = "it/policy.rs"]
mod policy;
#[cfg(feature = "testkit")]
#[path = "it/probe_concurrency.rs"]
mod probe_concurrency;
#[cfg(feature = "testkit")]
#[path = "it/probe_health.rs"]
mod probe_health;
#[cfg(feature = "testkit")]
#[path = "it/probe_redaction.rs"]
mod probe_redaction;
#[cfg(feature = "testkit")]
#[path = "it/probe_tls.rs"]
mod probe_tls;
#[cfg(feature = "testkit")]
#[path = "it/reach.rs"]
mod reach;
#[cfg(feature = "testkit")]
#[path = "it/redaction_pinning.rs"]
mod redaction_pinning;
#[cfg(feature = "testkit")]
#[path = "it/retry.rs"]
mod retry;
/// The route's account check, turn and AWS error paths on `aws-smithy-mocks` clients.
#[cfg(all(feature = "testkit", feature = "aws"))]
#[path = "it/route_mocks.rs"]
mod route_mocks;
/// `route rehearse`: requests, verdicts and redaction against local HTTPS receivers.
#[cfg(all(feature = "testkit", feature = "aws"))]
#[path = "it/route_rehearse.rs"]
mod route_rehearse;
#[cfg(feature = "testkit")]
#[path = "it/secrets.rs"]
mod secrets;
#[cfg(feature = "testkit")]
#[path = "it/testkit_genesys.rs"]
mod testkit_genesys;
#[cfg(feature = "testkit")]
#[path = "it/write_pacing.rs"]
mod write_pacing;

// Outside programs (the feature turns on `testkit`, `redis` and `aws`).
/// Replicas sharing one redis-server and one mock Genesys.
#[cfg(feature = "external-tests")]
#[path = "it/concurrent_callers_redis.rs"]
mod concurrent_callers_redis;
/// The Redis coordinator and pacer against a redis-server.
#[cfg(feature = "external-tests")]
#[path = "it/coordination_redis.rs"]
mod coordination_redis;
/// One route operation: one deploy, one audit record, one span (the emulator and the mock).
#[cfg(feature = "external-tests")]
#[path = "it/envelope.rs"]
mod envelope;
/// A TLS 1.0 server from `openssl s_server`.
#[cfg(feature = "external-tests")]
#[path = "it/probe_tls_legacy.rs"]
mod probe_tls_legacy;
/// Leases over TLS (`rediss://`) against a redis-server with a TLS port.
#[cfg(feature = "external-tests")]
#[path = "it/redis_tls.rs"]
mod redis_tls;
/// The resolver deploying through the route target, against moto and the mock Genesys.
#[cfg(feature = "external-tests")]
#[path = "it/resolve_route.rs"]
mod resolve_route;
/// Connection auth (Bearer, Basic, OAuth) delivered by the emulator; secrets kept out.
#[cfg(feature = "external-tests")]
#[path = "it/route_auth_moto.rs"]
mod route_auth_moto;
/// The route's AWS layout and ownership against the strict emulator and the mock Genesys.
#[cfg(feature = "external-tests")]
#[path = "it/route_layout.rs"]
mod route_layout;
/// The route deployer against moto and the mock Genesys.
#[cfg(feature = "external-tests")]
#[path = "it/route_moto.rs"]
mod route_moto;
#[cfg(feature = "external-tests")]
#[path = "it/route_reach.rs"]
mod route_reach;
/// `route rehearse --send` makes the request the strict emulator's delivery makes.
#[cfg(feature = "external-tests")]
#[path = "it/route_rehearse_moto.rs"]
mod route_rehearse_moto;
/// The library's EventBridge semantics against the strict emulator's, case by case.
#[cfg(feature = "external-tests")]
#[path = "it/semantics_parity.rs"]
mod semantics_parity;
