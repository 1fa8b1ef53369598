//! Shared inputs and set-up for the benchmarks of genesys-resolver: the payloads every suite
//! measures, the runtime, and a resolver wired to the test kit's mock Genesys and local TLS
//! destinations; and [`load`], the load driver of the `load` binary.

pub mod load;

use std::sync::Arc;

use genesys_resolver::audit::NoopAudit;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::pipeline::{Resolver, ResolverBuilder};
use genesys_resolver::testkit::destination::{TestCa, localhost_resolver};
use genesys_resolver::testkit::genesys::MockGenesys;

/// The seed's sample payload with `extra` further destinations (valid for `extra <= 10`).
pub fn sample_payload(extra: usize) -> ResolvePayload {
    let uris: Vec<String> = (0..extra)
        .map(|i| format!("https://backup-{i}.events.example.com/genesys/webhook"))
        .collect();
    ResolvePayload::seed_build(
        "queue-events-webhook",
        "https://events.example.com/genesys/webhook",
        [
            "v2.routing.queues.{id}.conversations",
            "v2.users.{id}.presence",
        ]
        .map(String::from),
        uris,
        3,
    )
}

/// A payload that breaks many rules at once (the validator must report them all).
pub fn invalid_payload() -> ResolvePayload {
    let mut p = sample_payload(10);
    p.name = " ".into();
    p.uri = "http://user:pw@events.example.com/#frag".into();
    p.uris
        .push("https://backup-0.events.example.com/genesys/webhook".into());
    p.retry_policy.max_retries = 9;
    p.retry_policy.retry_interval = -1.0;
    p.retry_policy.backoff_factor = 0.5;
    p.event_filters[0].event_type = "routing.queues".into();
    p.headers.insert("Authorization".into(), "x".into());
    p
}

/// The seed's sample payload named `name`, with `uri` as its destination and `uris` as the
/// further ones.
pub fn payload_for(name: &str, uri: &str, uris: &[String]) -> ResolvePayload {
    ResolvePayload::seed_build(
        name,
        uri,
        [
            "v2.routing.queues.{id}.conversations",
            "v2.users.{id}.presence",
        ]
        .map(String::from),
        uris.iter().cloned(),
        3,
    )
}

/// A multi-threaded Tokio runtime with two workers (the machine the figures come from has two
/// cores), timers and I/O enabled.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime")
}

/// A resolver builder with the real components pointed at `mock`: the real Genesys client and
/// token source, the real prober trusting only `ca`, allowing loopback and resolving
/// `localhost` to `127.0.0.1`, and no audit output.
pub fn resolver_builder(mock: &MockGenesys, ca: &TestCa) -> ResolverBuilder {
    Resolver::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret().to_owned().into())
        .trust_root(ca.ca_der())
        .system_roots(false)
        .allow_cidrs(["127.0.0.0/8", "::1/128"].map(|n| n.parse().expect("a literal range")))
        .dns_resolver(Arc::new(localhost_resolver()))
        .audit(Arc::new(NoopAudit))
}
