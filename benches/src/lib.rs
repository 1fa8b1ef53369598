//! Shared inputs for the benchmarks of genesys-resolver: the payloads every suite measures.

use genesys_resolver::payload::ResolvePayload;

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
