use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::document::aws_limits::event_pattern;
use crate::route::semantics::{matches, whole_event};

const SOURCE: &str = "aws.partner/genesys.com/cloud/bb14bed0-f8f9-445d-b9d1-10cecb8569d6/orders";

#[test]
fn concrete_topics_fill_each_id_in_turn() {
    assert_eq!(
        concrete_topic("v2.audits.entitytype.{id}.entityid.{id}"),
        format!(
            "v2.audits.entitytype.{}.entityid.{}",
            SAMPLE_IDS[0], SAMPLE_IDS[1]
        )
    );
    assert_eq!(
        concrete_topic("v2.users.{id}.presence"),
        concrete_topic("v2.users.{id}.presence")
    );
    assert_eq!(concrete_topic("v2.analytics.x"), "v2.analytics.x");
    for pattern in [
        "v2.users.{id}.presence",
        "v2.audits.entitytype.{id}.entityid.{id}",
        "v2.detail.events.conversation.{id}.acd.end",
        "v2.x.pre{id}post.y",
    ] {
        assert!(topic_fits(pattern, &concrete_topic(pattern)), "{pattern}");
    }
    assert!(!topic_fits("v2.users.{id}.presence", "v2.users.presence"));
    assert!(!topic_fits("v2.users.{id}.presence", "v2.users..presence"));
    assert!(!topic_fits(
        "v2.users.{id}.presence",
        "v2.users.a.b.presence"
    ));
    assert!(!topic_fits(
        "v2.users.{id}.presence",
        "v2.users.a.routingStatus"
    ));
    assert!(!topic_fits("v2.x.pre{id}post", "v2.x.prepost"));
    assert!(topic_fits("v2.x.pre{id}mid{id}post", "v2.x.pre1mid2post"));
}

/// The envelope has Genesys' shape (the user-presence blueprint's sample), in EventBridge's
/// order, and the deployer's pattern for the topic matches it.
#[test]
fn the_envelope_is_genesys_shape_and_matches_the_deployers_pattern() {
    let topic = "v2.audits.entitytype.{id}.entityid.{id}";
    let mut event = GenesysEvent::new(topic, json!({"action": "Update"}));
    event.correlation_id = "b61df0b3-9e33-444b-a455-1c92a33ef4e2-archival".into();
    let env = envelope(
        &event,
        SOURCE,
        "123456789",
        "us-east-1",
        "4cbedb0f-1",
        "2021-06-25T15:11:52Z",
    );
    let keys: Vec<&str> = env
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail"
        ]
    );
    let detail: Vec<&str> = env["detail"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        detail,
        ["topicName", "version", "eventBody", "metadata", "timestamp"]
    );
    assert_eq!(env["version"], "0");
    assert_eq!(env["detail-type"], topic);
    assert_eq!(env["detail"]["topicName"], concrete_topic(topic));
    assert_eq!(env["detail"]["version"], "2");
    assert_eq!(
        env["detail"]["metadata"]["CorrelationId"],
        event.correlation_id
    );
    assert_eq!(env["resources"], json!([]));
    assert_eq!(matches(&event_pattern(&[topic]), &env), Ok(true));
    assert_eq!(
        matches(&event_pattern(&["v2.users.{id}.presence"]), &env),
        Ok(false)
    );
    // The whole event is what EventBridge sends without a transformer.
    let body: Value = serde_json::from_str(&whole_event(&env)).unwrap();
    assert_eq!(body, env);
}

#[test]
fn samples_are_told_apart() {
    let body = read_sample(br#"{"conversationId": "c-1"}"#, "body.json").unwrap();
    assert_eq!(body, Sample::Body(json!({"conversationId": "c-1"})));

    let text = br#"{"topicName": "v2.users.u-1.presence", "eventBody": {"a": 1},
                    "metadata": {"CorrelationId": "corr"}, "timestamp": "2026-01-02T00:00:00.000Z",
                    "version": "2"}"#;
    let Sample::Notification(n) = read_sample(text, "n.json").unwrap() else {
        panic!()
    };
    assert_eq!(
        (n.topic.as_str(), n.correlation_id.as_deref()),
        ("v2.users.u-1.presence", Some("corr"))
    );
    let event = n.into_event("v2.users.{id}.presence");
    assert_eq!(event.topic, "v2.users.u-1.presence");
    assert_eq!(event.topic_pattern, "v2.users.{id}.presence");
    assert_eq!(event.timestamp, "2026-01-02T00:00:00.000Z");

    let minimal = read_sample(br#"{"topicName": "t", "eventBody": {}}"#, "n.json").unwrap();
    let Sample::Notification(n) = minimal else {
        panic!()
    };
    let event = n.into_event("p");
    assert_eq!(event.timestamp, super::SAMPLE_TIMESTAMP);

    let env = envelope(
        &GenesysEvent::new("v2.users.{id}.presence", json!({})),
        SOURCE,
        "1",
        "us-east-1",
        "i",
        "2026-01-01T10:00:00Z",
    );
    let Sample::Envelope(back) = read_sample(env.to_string().as_bytes(), "e.json").unwrap() else {
        panic!()
    };
    assert_eq!(back, env);
    let sample = Sample::Envelope(back);
    assert_eq!(
        sample.topic(),
        Some(concrete_topic("v2.users.{id}.presence").as_str())
    );
    assert_eq!(sample.topic_pattern(), Some("v2.users.{id}.presence"));
    assert_eq!(sample.into_envelope("other", "s", "a", "r", "i", "t"), env);

    // A body or a notification is wrapped for the topic it is rehearsed under.
    let wrapped = Sample::Body(json!({"k": 1})).into_envelope(
        "v2.users.{id}.presence",
        SOURCE,
        "1",
        "us-east-1",
        "i",
        "2026-01-01T10:00:00Z",
    );
    assert_eq!(wrapped["detail"]["eventBody"], json!({"k": 1}));
    assert_eq!(wrapped["detail-type"], "v2.users.{id}.presence");
    let n = Sample::Notification(Notification {
        topic: "v2.users.u-9.presence".into(),
        event_body: json!({}),
        correlation_id: None,
        timestamp: None,
    });
    assert_eq!(n.topic(), Some("v2.users.u-9.presence"));
    let wrapped = n.into_envelope("v2.users.{id}.presence", SOURCE, "1", "r", "i", "t");
    assert_eq!(wrapped["detail"]["topicName"], "v2.users.u-9.presence");
}

#[cfg(feature = "yaml")]
#[test]
fn yaml_samples_are_read_by_their_name() {
    let text = b"topicName: v2.users.u-1.presence\neventBody:\n  presenceDefinition: {systemPresence: Available}\n";
    let Sample::Notification(n) = read_sample(text, "sample.yaml").unwrap() else {
        panic!()
    };
    assert_eq!(
        n.event_body["presenceDefinition"]["systemPresence"],
        "Available"
    );
}

#[test]
fn bad_samples_name_the_field_never_the_value() {
    let secret = "s3cret-value-123";
    let cases: Vec<(String, &str, &str)> = vec![
        (format!(r#"["{secret}"]"#), "$", "JSON object"),
        (format!(r#""{secret}""#), "$", "JSON object"),
        (
            format!(r#"{{"topicName": "t", "eventBody": {{}}, "extra": "{secret}"}}"#),
            "extra",
            "unknown key",
        ),
        (
            format!(r#"{{"topicName": 1, "eventBody": {{"k": "{secret}"}}}}"#),
            "topicName",
            "a string",
        ),
        (
            format!(r#"{{"topicName": "{secret}"}}"#),
            "eventBody",
            "missing",
        ),
        (
            format!(r#"{{"topicName": "t", "eventBody": "{secret}"}}"#),
            "eventBody",
            "an object",
        ),
        (
            format!(r#"{{"topicName": "t", "eventBody": {{}}, "version": "{secret}"}}"#),
            "version",
            "\"2\"",
        ),
        (
            format!(r#"{{"topicName": "t", "eventBody": {{}}, "metadata": {{"x": "{secret}"}}}}"#),
            "metadata.x",
            "unknown key",
        ),
        (format!(r#"{{"a": "{secret}", "a": 1}}"#), "a", "twice"),
        (
            format!(r#"{{"detail-type": "{secret}"}}"#),
            "version",
            "missing",
        ),
        (
            format!(r#"{{"detail-type": "x", "source": "s", "other": "{secret}"}}"#),
            "other",
            "unknown key",
        ),
        (format!(r#"{{"a": "{secret}""#), "$", "JSON"),
    ];
    for (text, field, reason) in cases {
        let err = read_sample(text.as_bytes(), "sample.json").unwrap_err();
        assert_eq!(err.field, field, "{text}: {err}");
        assert!(err.reason.contains(reason), "{text}: {err}");
        assert!(!err.to_string().contains(secret), "{err}");
        assert_eq!(err.origin, "sample.json");
    }
    // An envelope with a broken detail names the detail's field.
    let mut env = envelope(
        &GenesysEvent::new("p", json!({})),
        SOURCE,
        "1",
        "r",
        "i",
        "t",
    );
    env["detail"]["metadata"] = json!(secret);
    let err = read_sample(env.to_string().as_bytes(), "e.json").unwrap_err();
    assert_eq!(err.field, "detail.metadata");
    env["detail"] = json!({"topicName": "t", "eventBody": {}});
    env["resources"] = json!([1]);
    assert_eq!(
        read_sample(env.to_string().as_bytes(), "e.json")
            .unwrap_err()
            .field,
        "resources[0]"
    );
    env["resources"] = json!([]);
    env["version"] = json!("1");
    assert_eq!(
        read_sample(env.to_string().as_bytes(), "e.json")
            .unwrap_err()
            .field,
        "version"
    );
}

#[test]
fn samples_are_bounded() {
    let big = format!(r#"{{"a": "{}"}}"#, "x".repeat(MAX_SAMPLE_BYTES));
    let err = read_sample(big.as_bytes(), "big.json").unwrap_err();
    assert!(err.reason.contains("larger"), "{err}");
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let err = read_sample(deep.as_bytes(), "deep.json").unwrap_err();
    assert!(err.reason.contains("deeper"), "{err}");
}

proptest! {
    /// Any bytes: a sample or a typed error, never a panic.
    #[test]
    fn reading_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = read_sample(&bytes, "x.json");
        let _ = read_sample(&bytes, "x.yaml");
    }

    /// A concrete topic always fits its pattern.
    #[test]
    fn concrete_topics_fit(segments in prop::collection::vec(
        prop_oneof![Just("{id}".to_owned()), "[a-zA-Z]{1,8}"], 1..6)) {
        let pattern = segments.join(".");
        prop_assert!(topic_fits(&pattern, &concrete_topic(&pattern)));
    }
}
