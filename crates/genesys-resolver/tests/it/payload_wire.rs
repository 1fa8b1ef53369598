//! The wire form matches the seed's Go `encoding/json` output byte for byte.
//!
//! The fixtures in `fixtures/seed_wire/` were written by `fixtures/seed_wire/main.go`, which holds
//! the seed's own types and `BuildResolvePayload` and encodes with `json.Marshal`.

use genesys_resolver::payload::{EventFilter, ResolvePayload};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/seed_wire/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn sample() -> ResolvePayload {
    ResolvePayload::seed_build(
        "queue-events-webhook",
        "https://events.example.com/genesys/webhook",
        [
            "v2.routing.queues.{id}.conversations",
            "v2.users.{id}.presence",
        ],
        [
            "https://events-backup.example.com/genesys/webhook",
            "https://events-dr.example.net:8443/hook?region=eu",
        ],
        3,
    )
}

#[test]
fn seed_sample_matches_go_byte_for_byte() {
    assert_eq!(sample().to_wire_json(), fixture("sample.json"));
}

#[test]
fn empty_uris_are_omitted_like_go() {
    let p = ResolvePayload::seed_build(
        "single",
        "https://a.example.com/",
        ["v2.detail.events.conversation.{id}.customer.start"],
        Vec::<&str>::new(),
        0,
    );
    assert_eq!(p.to_wire_json(), fixture("no_uris.json"));
}

#[test]
fn escaping_fractions_fields_and_sorted_headers_match_go() {
    let mut p = ResolvePayload::seed_build(
        "escapes <&> \"quoted\" \u{2028} tab\t",
        "https://a.example.com/p?a=1&b=2",
        ["v2.a.b"],
        Vec::<&str>::new(),
        5,
    );
    p.retry_policy.retry_interval = 0.25;
    p.retry_policy.backoff_factor = 1.5;
    p.event_filters[0] = EventFilter {
        event_type: "v2.a.b".into(),
        fields: vec!["id".into(), "state".into()],
    };
    p.headers.insert("X-Trace".into(), "a<b>".into());
    assert_eq!(p.to_wire_json(), fixture("escapes.json"));
}

#[test]
fn builder_with_seed_arguments_gives_the_seed_payload() {
    let built = ResolvePayload::builder(
        "queue-events-webhook",
        "https://events.example.com/genesys/webhook",
    )
    .event_types([
        "v2.routing.queues.{id}.conversations",
        "v2.users.{id}.presence",
    ])
    .uris([
        "https://events-backup.example.com/genesys/webhook",
        "https://events-dr.example.net:8443/hook?region=eu",
    ])
    .max_retries(3)
    .build()
    .expect("the seed's sample is valid");
    assert_eq!(built, sample());
    assert_eq!(built.to_wire_json(), fixture("sample.json"));
}

#[test]
fn go_output_parses_back_to_the_same_payload() {
    for name in ["sample.json", "no_uris.json", "escapes.json"] {
        let json = fixture(name);
        let strict = ResolvePayload::from_json(json.as_bytes()).expect(name);
        let derived: ResolvePayload = serde_json::from_str(&json).expect(name);
        assert_eq!(strict, derived, "{name}");
        assert_eq!(strict.to_wire_json(), json, "{name}");
    }
}

#[test]
fn plain_serde_serialization_has_the_same_shape() {
    // serde_json without the Go formatter differs only in HTML escaping.
    let p = sample();
    assert_eq!(serde_json::to_string(&p).unwrap(), fixture("sample.json"));
}
