use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::document::aws_limits::event_pattern;
use crate::document::route::GENESYS_SOURCE_PREFIX;

#[allow(clippy::needless_pass_by_value)] // called with json!(..) literals
fn yes(pattern: Value, event: &Value) {
    assert_eq!(
        matches(&pattern, event),
        Ok(true),
        "{pattern} should match {event}"
    );
}

#[allow(clippy::needless_pass_by_value)]
fn no(pattern: Value, event: &Value) {
    assert_eq!(
        matches(&pattern, event),
        Ok(false),
        "{pattern} should not match {event}"
    );
}

fn genesys_event(detail_type: &str) -> Value {
    json!({
        "version": "0", "id": "4cbedb0f-0000-4000-8000-000000000001",
        "detail-type": detail_type,
        "source": "aws.partner/genesys.com/cloud/bb14bed0-f8f9-445d-b9d1-10cecb8569d6/orders",
        "account": "123456789012", "time": "2026-01-01T10:00:00Z", "region": "us-east-1",
        "resources": [],
        "detail": {"topicName": "v2.users.278522be-1683-4877-8257-4164a177be89.presence",
                   "version": "2", "eventBody": {"id": "x"},
                   "metadata": {"CorrelationId": "c"}, "timestamp": "2026-01-01T10:00:00.000Z"}
    })
}

#[test]
fn every_pattern_the_deployer_writes_matches_its_topics_and_only_them() {
    let topics = [
        "v2.users.{id}.presence",
        "v2.routing.queues.{id}.conversations",
        "v2.audits.entitytype.{id}.entityid.{id}",
    ];
    // One topic per rule, and a run of topics in one rule.
    for pattern in [event_pattern(&topics[..1]), event_pattern(&topics)] {
        let listed = pattern["detail-type"].as_array().unwrap().clone();
        for topic in &topics {
            let expected = listed.contains(&json!(topic));
            assert_eq!(
                matches(&pattern, &genesys_event(topic)),
                Ok(expected),
                "{topic}"
            );
        }
        // The concrete topic is not the detail-type.
        no(
            pattern.clone(),
            &genesys_event("v2.users.278522be-1683-4877-8257-4164a177be89.presence"),
        );
        // Another partner's source.
        let mut other = genesys_event(topics[0]);
        other["source"] = json!("aws.partner/example.com/x");
        no(pattern.clone(), &other);
        // A source that only starts like Genesys' prefix still matches: the deployer's
        // pattern is a prefix.
        let mut bare = genesys_event(topics[0]);
        bare["source"] = json!(GENESYS_SOURCE_PREFIX);
        assert_eq!(
            matches(&pattern, &bare),
            Ok(listed.contains(&json!(topics[0])))
        );
        // No detail-type at all.
        let mut none = genesys_event(topics[0]);
        none.as_object_mut().unwrap().remove("detail-type");
        no(pattern.clone(), &none);
        validate(&pattern).unwrap();
    }
}

/// The User Guide's own examples (event patterns, null values, arrays, content filtering).
#[test]
fn the_user_guides_examples() {
    let ec2 = json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
        "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
        "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
    });
    yes(
        json!({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
               "detail": {"state": ["terminated"]}}),
        &ec2,
    );
    yes(json!({"source": ["aws.ec2", "aws.fargate"]}), &ec2);
    no(json!({"source": ["aws.fargate"]}), &ec2);
    // Case matters; no normalisation.
    no(json!({"detail": {"state": ["Terminated"]}}), &ec2);
    // Every field of the pattern must be in the event, nested alike.
    no(json!({"state": ["terminated"]}), &ec2);
    // Arrays in the event: any element.
    yes(
        json!({"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0",
                             "arn:aws:ec2:us-east-1:123456789012:instance/other"]}),
        &ec2,
    );

    // Null values and empty strings are not interchangeable.
    let autoscaling = json!({"detail": {"eventVersion": "", "responseElements": null}});
    yes(json!({"detail": {"eventVersion": [""]}}), &autoscaling);
    yes(
        json!({"detail": {"responseElements": [null]}}),
        &autoscaling,
    );
    no(json!({"detail": {"eventVersion": [null]}}), &autoscaling);
    no(json!({"detail": {"responseElements": [""]}}), &autoscaling);

    // Numbers by representation: 300, 300.0 are not equal.
    let macie = json!({"detail": {"risk-score": 80, "trigger": {"risk": 8}, "x": 300}});
    yes(
        json!({"detail": {"risk-score": [80], "trigger": {"risk": [8]}}}),
        &macie,
    );
    no(json!({"detail": {"x": [300.0]}}), &macie);
    no(json!({"detail": {"x": ["300"]}}), &macie);

    // Content filtering.
    let event = json!({"time": "2017-10-02T18:43:48Z",
        "detail": {"state": "running", "c-count": 5, "d-count": 3, "x-limit": 301.8,
                   "sourceIPAddress": "10.0.0.123"}});
    yes(json!({"time": [{"prefix": "2017-10-02"}]}), &event);
    no(json!({"time": [{"prefix": "2017-10-03"}]}), &event);
    yes(
        json!({"detail": {"state": [{"anything-but": "initializing"}]}}),
        &event,
    );
    no(
        json!({"detail": {"state": [{"anything-but": ["stopped", "running"]}]}}),
        &event,
    );
    yes(
        json!({"detail": {"d-count": [{"anything-but": [100, 200, 300]}]}}),
        &event,
    );
    yes(
        json!({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}),
        &event,
    );
    no(
        json!({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}),
        &event,
    );
    yes(
        json!({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}],
                          "d-count": [{"numeric": ["<", 10]}],
                          "x-limit": [{"numeric": ["=", 3.018e2]}]}}),
        &event,
    );
    no(
        json!({"detail": {"c-count": [{"numeric": [">", 5]}]}}),
        &event,
    );
    yes(
        json!({"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}),
        &event,
    );
    no(
        json!({"detail": {"sourceIPAddress": [{"cidr": "10.0.1.0/24"}]}}),
        &event,
    );
    // Exists works on leaves: an object field does not "exist", a missing one does not either.
    let ec2_states = json!({"detail": {"state": ["initializing", "running"]}});
    yes(
        json!({"detail": {"c-count": [{"exists": false}]}}),
        &ec2_states,
    );
    let with_object = json!({"detail": {"state": ["initializing"], "c-count": {"c1": 100}}});
    yes(
        json!({"detail": {"c-count": [{"exists": false}]}}),
        &with_object,
    );
    no(
        json!({"detail": {"c-count": [{"exists": true}]}}),
        &with_object,
    );
    yes(
        json!({"detail": {"state": [{"exists": true}]}}),
        &ec2_states,
    );
    // The complex example.
    yes(
        json!({"time": [{"prefix": "2017-10-02"}],
               "detail": {"state": [{"anything-but": "initializing"}],
                          "c-count": [{"numeric": [">", 0, "<=", 5]}],
                          "d-count": [{"numeric": ["<", 10]}],
                          "x-limit": [{"anything-but": [100, 200, 300]}]}}),
        &event,
    );
}

/// The strict emulator's own table (bindings/python/tests/test_aws_emulator.py): both sides
/// agree on it.
#[test]
fn the_emulators_table() {
    let event = json!({"source": "aws.partner/genesys.com/cloud/o/s",
        "detail-type": "v2.users.{id}.presence",
        "detail": {"n": 5, "ip": "10.0.0.7", "tags": ["a", "b"], "changes": [{"p": "PRESENCE"}],
                   "nil": null}});
    for pattern in [
        json!({"source": [{"prefix": "aws.partner/genesys.com"}]}),
        json!({"detail-type": ["v2.users.{id}.presence"]}),
        json!({"detail": {"changes": {"p": ["PRESENCE"]}}}),
        json!({"detail": {"n": [{"numeric": [">", 1, "<=", 5]}], "tags": ["b"]}}),
        json!({"detail": {"missing": [{"exists": false}], "n": [{"exists": true}]}}),
        json!({"detail": {"ip": [{"cidr": "10.0.0.0/24"}], "nil": [null]}}),
        json!({"detail-type": [{"anything-but": {"prefix": "v2.routing"}}]}),
        json!({"$or": [{"detail": {"n": [6]}}, {"detail": {"n": [5]}}]}),
        json!({"source": [{"wildcard": "aws.partner/*/cloud/*"}],
               "detail-type": [{"equals-ignore-case": "V2.USERS.{ID}.PRESENCE"}]}),
    ] {
        yes(pattern, &event);
    }
    for pattern in [
        json!({"detail-type": ["v2.users.{id}.activity"]}),
        json!({"detail": {"changes": {"p": ["OTHER"]}}}),
        json!({"detail": {"missing": ["x"]}}),
        json!({"detail": {"n": ["5"]}}),
        json!({"source": [{"suffix": "/x"}]}),
        json!({"detail": {"n": [5.0]}}),
    ] {
        no(pattern, &event);
    }
}

#[test]
fn the_newer_operators() {
    let event = json!({"source": "aws.partner/genesys.com/cloud/o/s",
        "detail": {"name": "Alice", "file": "Report.PNG", "ip6": "2001:db8::1", "n": -3.5,
                   "tags": ["a", "b"], "changes": [{"p": "PRESENCE", "v": 1}, {"p": "ROUTING", "v": 2}]}});
    yes(
        json!({"detail": {"name": [{"equals-ignore-case": "aLiCe"}]}}),
        &event,
    );
    yes(json!({"detail": {"file": [{"suffix": ".PNG"}]}}), &event);
    no(json!({"detail": {"file": [{"suffix": ".png"}]}}), &event);
    yes(
        json!({"detail": {"file": [{"suffix": {"equals-ignore-case": ".png"}}]}}),
        &event,
    );
    yes(
        json!({"detail": {"name": [{"prefix": {"equals-ignore-case": "al"}}]}}),
        &event,
    );
    yes(
        json!({"detail": {"file": [{"anything-but": {"suffix": ".txt"}}]}}),
        &event,
    );
    no(
        json!({"detail": {"file": [{"anything-but": {"equals-ignore-case": ["report.png"]}}]}}),
        &event,
    );
    yes(
        json!({"source": [{"wildcard": "aws.partner/*/cloud/*"}]}),
        &event,
    );
    no(
        json!({"source": [{"wildcard": "aws.partner/*/other/*"}]}),
        &event,
    );
    yes(
        json!({"detail": {"file": [{"anything-but": {"wildcard": "*.txt"}}]}}),
        &event,
    );
    yes(
        json!({"detail": {"ip6": [{"cidr": "2001:db8::/32"}]}}),
        &event,
    );
    no(
        json!({"detail": {"name": [{"cidr": "10.0.0.0/8"}]}}),
        &event,
    );
    yes(
        json!({"detail": {"n": [{"numeric": [">=", -4, "<", 0]}]}}),
        &event,
    );
    no(json!({"detail": {"name": [{"numeric": [">", 0]}]}}), &event);
    yes(json!({"detail": {"tags": ["b"]}}), &event);
    // One array element must match a nested pattern whole.
    yes(
        json!({"detail": {"changes": {"p": ["ROUTING"], "v": [2]}}}),
        &event,
    );
    no(
        json!({"detail": {"changes": {"p": ["ROUTING"], "v": [1]}}}),
        &event,
    );
    yes(
        json!({"$or": [{"detail": {"n": [6]}}, {"detail": {"tags": ["a"]}}]}),
        &event,
    );
    no(
        json!({"$or": [{"detail": {"n": [6]}}, {"detail": {"tags": ["c"]}}]}),
        &event,
    );
    yes(
        json!({"detail": {"$or": [{"name": ["Bob"]}, {"file": [{"prefix": "Rep"}]}]}}),
        &event,
    );
    // A missing field matches only exists: false; anything-but needs a value.
    no(
        json!({"detail": {"missing": [{"anything-but": "x"}]}}),
        &event,
    );
    yes(json!({"nothing": {"below": [{"exists": false}]}}), &event);
    // An empty array holds no leaf.
    yes(
        json!({"resources": [{"exists": false}]}),
        &json!({"resources": []}),
    );
    no(
        json!({"resources": [{"exists": true}]}),
        &json!({"resources": []}),
    );
    // null is a value.
    yes(json!({"a": [{"exists": true}]}), &json!({"a": null}));
}

#[test]
fn malformed_patterns_name_their_path_and_rule() {
    let cases = [
        (json!([1]), "$", "JSON object"),
        (json!({}), "$", "not be empty"),
        (json!({"source": []}), "source", "not be empty"),
        (
            json!({"source": "aws.ec2"}),
            "source",
            "array of match values",
        ),
        (json!({"detail": {}}), "detail", "not be empty"),
        (json!({"source": [["x"]]}), "source[0]", "match value"),
        (
            json!({"source": [{"prefix": 1}]}),
            "source[0].prefix",
            "string",
        ),
        (
            json!({"source": [{"starts": "x"}]}),
            "source[0]",
            "unknown operator",
        ),
        (
            json!({"source": [{"prefix": "a", "suffix": "b"}]}),
            "source[0]",
            "exactly one",
        ),
        (
            json!({"n": [{"numeric": ["<"]}]}),
            "n[0].numeric",
            "comparison",
        ),
        (
            json!({"n": [{"numeric": ["<", 5, ">", 1]}]}),
            "n[0].numeric",
            "lower bound",
        ),
        (
            json!({"n": [{"numeric": [">", 5, "<", 1]}]}),
            "n[0].numeric",
            "below",
        ),
        (
            json!({"n": [{"numeric": ["<", 6e9]}]}),
            "n[0].numeric",
            "5.0e9",
        ),
        (
            json!({"n": [{"exists": "yes"}]}),
            "n[0].exists",
            "true or false",
        ),
        (
            json!({"n": [{"cidr": "10.0.0.0/33"}]}),
            "n[0].cidr",
            "network",
        ),
        (
            json!({"n": [{"wildcard": "a**b"}]}),
            "n[0].wildcard",
            "consecutive",
        ),
        (
            json!({"n": [{"anything-but": [1, "a"]}]}),
            "n[0].anything-but",
            "list of strings",
        ),
        (
            json!({"n": [{"anything-but": {"numeric": [">", 1]}}]}),
            "n[0].anything-but",
            "one of",
        ),
        (json!({"$or": [{"a": ["x"]}]}), "$or", "at least two"),
        (json!({"$or": [{"a": ["x"]}, 1]}), "$or[1]", "object"),
        (
            json!({"detail": {"odd key": ["x"], "n": [{"exists": 1}]}}),
            "detail.n[0].exists",
            "true or false",
        ),
    ];
    for (pattern, path, reason) in cases {
        let err = matches(&pattern, &json!({})).unwrap_err();
        assert_eq!(err.path, path, "{pattern}");
        assert!(err.reason.contains(reason), "{pattern}: {}", err.reason);
        assert!(err.to_string().contains(path));
    }
    // Values are named by rule, never repeated.
    let err = validate(&json!({"k": [{"cidr": "secret-value"}]})).unwrap_err();
    assert!(!err.to_string().contains("secret-value"));
    // Keys that are not plain are quoted in the path.
    let err = validate(&json!({"a b": "x"})).unwrap_err();
    assert_eq!(err.path, "[\"a b\"]");
}

#[test]
fn a_pattern_too_deep_is_refused_not_overflowed() {
    let mut pattern = json!({"leaf": ["x"]});
    for _ in 0..(MAX_PATTERN_DEPTH + 5) {
        pattern = json!({"d": pattern});
    }
    let err = validate(&pattern).unwrap_err();
    assert!(err.reason.contains("deeper"), "{err}");
}

#[test]
fn wildcards_match_runs_of_any_characters() {
    for (p, v, expected) in [
        ("*", "", true),
        ("a*", "abc", true),
        ("*c", "abc", true),
        ("a*c", "ac", true),
        ("a*b*c", "a-b-b-c", true),
        ("a*b*c", "a-c-b", false),
        ("abc", "abc", true),
        ("abc", "abcd", false),
        ("*.png", "x.PNG", false),
        ("*é*", "café au lait", true),
    ] {
        assert_eq!(wildcard(p, v), expected, "{p} {v}");
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e10f64..1e10).prop_map(|n| json!(n)),
        "[a-z0-9./:* -]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z$-]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn operator_matcher() -> impl Strategy<Value = Value> {
    let op = prop_oneof![
        Just("prefix"),
        Just("suffix"),
        Just("equals-ignore-case"),
        Just("wildcard"),
        Just("anything-but"),
        Just("numeric"),
        Just("exists"),
        Just("cidr"),
        Just("odd"),
    ];
    (op, json_value()).prop_map(|(op, arg)| json!({ op: arg }))
}

proptest! {
    /// Any JSON as pattern and event: an answer or a typed error, never a panic.
    #[test]
    fn matching_never_panics(pattern in json_value(), event in json_value()) {
        let _ = matches(&pattern, &event);
    }

    /// Operators with arguments of any shape, against any event.
    #[test]
    fn operators_never_panic(
        key in "[a-z]{1,3}",
        matchers in prop::collection::vec(prop_oneof![operator_matcher(), json_value()], 1..4),
        event in json_value(),
    ) {
        let pattern = json!({ key.clone(): matchers });
        let _ = matches(&pattern, &event);
        let _ = matches(&json!({"detail": {key: pattern.clone()}}), &json!({"detail": event}));
    }

    /// A pattern of an event's own scalar fields matches it.
    #[test]
    fn an_events_own_values_match_it(
        fields in prop::collection::btree_map("[a-z]{1,6}", "[a-zA-Z0-9 ]{0,10}", 1..5),
    ) {
        let event: Value = json!({"detail": fields});
        let pattern: Value = json!({"detail": fields.iter()
            .map(|(k, v)| (k.clone(), json!([v])))
            .collect::<serde_json::Map<_, _>>()});
        prop_assert_eq!(matches(&pattern, &event), Ok(true));
    }
}
