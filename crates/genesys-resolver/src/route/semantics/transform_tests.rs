use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::document::route::Route;
use crate::payload::ResolvePayload;

const OUT0: &str = r#"{"topicName": "v2.routing.queues.6c1a2a3b-0000-4000-8000-00000000000a.conversations", "timestamp": "2026-01-01T10:00:00.123Z", "correlationId": "corr-1", "eventBody": {"divisions": null, "id": "c-1", "missing": null, "participants": [{"purpose":"customer","name":"Zoë \"Z\" </b>\n","attributes":{"n":1.5e-07,"big":1e+16,"i":42}}]}}"#;
const OUT1: &str = r#""[{"purpose":"customer","name":"Zoë \"Z\" </b>\n","attributes":{"n":1.5e-07,"big":1e+16,"i":42}}] at 2026-01-01T10:00:00.123Z ||r""#;
const OUT2: &str = r#" plain c-1 [{"purpose":"customer","name":"Zoë \"Z\" </b>\n","attributes":{"n":1.5e-07,"big":1e+16,"i":42}}]  null <unknown> arn"#;
const OUT3: &str = r#"{"version":"0","id":"4cbedb0f-0000-4000-8000-000000000001","detail-type":"v2.routing.queues.{id}.conversations","source":"aws.partner/genesys.com/cloud/org-1/orders","account":"123456789012","time":"2026-01-01T10:00:00Z","region":"eu-west-1","resources":[],"detail":{"topicName":"v2.routing.queues.6c1a2a3b-0000-4000-8000-00000000000a.conversations","version":"2","eventBody":{"id":"c-1","participants":[{"purpose":"customer","name":"Zoë \"Z\" </b>\n","attributes":{"n":1.5e-07,"big":1e+16,"i":42}}],"conversationStart":"2026-01-01T09:59:00.000Z","divisions":null},"metadata":{"CorrelationId":"corr-1"},"timestamp":"2026-01-01T10:00:00.123Z"}}"#;
const OUT4: &str = r#"{"e": {"version":"0","id":"4cbedb0f-0000-4000-8000-000000000001","detail-type":"v2.routing.queues.{id}.conversations","source":"aws.partner/genesys.com/cloud/org-1/orders","account":"123456789012","time":"2026-01-01T10:00:00Z","region":"eu-west-1","resources":[]}, "t": "1970-01-01T00:00:00Z", "q": "a\\""c-1"\"b"}"#;

const RULE: RuleContext<'static> = RuleContext {
    rule_name: "r",
    rule_arn: "arn:aws:events:eu-west-1:123456789012:rule/aws.partner/x/r",
    ingestion_time: "1970-01-01T00:00:00Z",
};

/// An envelope whose body has what escaping and number formatting can get wrong: a quote,
/// a newline, `/`, non-ASCII, a tiny and a large float, `null`. Keys deliberately out of
/// EventBridge's order, to be put back in it.
fn event() -> Value {
    json!({
        "detail-type": "v2.routing.queues.{id}.conversations", "version": "0",
        "id": "4cbedb0f-0000-4000-8000-000000000001",
        "source": "aws.partner/genesys.com/cloud/org-1/orders", "account": "123456789012",
        "time": "2026-01-01T10:00:00Z", "region": "eu-west-1", "resources": [],
        "detail": {
            "topicName": "v2.routing.queues.6c1a2a3b-0000-4000-8000-00000000000a.conversations",
            "version": "2",
            "eventBody": {"id": "c-1", "participants": [{"purpose": "customer",
                "name": "Zo\u{eb} \"Z\" </b>\n", "attributes": {"n": 1.5e-7, "big": 1e16, "i": 42}}],
                "conversationStart": "2026-01-01T09:59:00.000Z", "divisions": null},
            "metadata": {"CorrelationId": "corr-1"},
            "timestamp": "2026-01-01T10:00:00.123Z"
        }
    })
}

fn spec(template: &str) -> InputTransformerSpec {
    let paths = [
        ("topicName", "$.detail.topicName"),
        ("timestamp", "$.detail.timestamp"),
        ("correlationId", "$.detail.metadata.CorrelationId"),
        ("f_id", "$.detail.eventBody.id"),
        ("f_participants", "$.detail.eventBody.participants"),
        ("f_missing", "$.detail.eventBody.missing"),
        ("f_divisions", "$.detail.eventBody.divisions"),
    ];
    InputTransformerSpec {
        paths: paths
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        template: template.to_owned(),
    }
}

/// The bytes of the route's own transformer (built by the deployer from `fields`), as the
/// strict emulator's delivery renders them for the same event.
#[test]
fn the_routes_own_transformer_renders_to_the_emulators_bytes() {
    let payload = ResolvePayload::builder("orders", "https://hooks.example.com/x")
        .event_types(["v2.routing.queues.{id}.conversations"])
        .build()
        .unwrap();
    let mut route = Route::new(
        payload,
        "123456789012",
        "eu-west-1",
        "orders",
        "org-1",
        "arn:aws:iam::123456789012:role/r",
    );
    route.payload.event_filters[0].fields = vec![
        "participants".into(),
        "id".into(),
        "missing".into(),
        "divisions".into(),
    ];
    let projections = route.projections();
    let transformer = projections[0].transformer.clone().unwrap();
    assert_eq!(transformer, spec(&transformer.template));
    assert_eq!(render(&transformer, &event(), &RULE).unwrap(), OUT0);
}

#[test]
fn placeholders_inside_strings_and_plain_templates_render_as_the_emulator_does() {
    let cases = [
        (
            r#""<f_participants> at <timestamp> <f_missing>|<f_divisions>|<aws.events.rule-name>""#,
            OUT1,
        ),
        (
            " plain <f_id> <f_participants> <f_missing> <f_divisions> <unknown> <aws.events.rule-arn>",
            OUT2,
        ),
        (
            r#"{"e": <aws.events.event>, "t": "<aws.events.event.ingestion-time>", "q": "a\\"<f_id>\"b"}"#,
            OUT4,
        ),
    ];
    let rule = RuleContext {
        rule_arn: "arn",
        ..RULE
    };
    for (template, expected) in cases {
        assert_eq!(
            render(&spec(template), &event(), &rule).unwrap(),
            expected,
            "{template}"
        );
    }
}

#[test]
fn the_whole_event_is_compact_json_in_eventbridges_order() {
    assert_eq!(whole_event(&event()), OUT3);
    let full = render(&spec("{\"e\": <aws.events.event.json>}"), &event(), &RULE).unwrap();
    assert_eq!(full, format!("{{\"e\": {OUT3}}}"));
}

/// The User Guide's input transformation examples (EC2 event, paths `instance` and `state`).
#[test]
fn the_user_guides_examples() {
    let event = json!({"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}});
    let paths: BTreeMap<String, String> = [
        ("timestamp", "$.time"),
        ("instance", "$.detail.instance-id"),
        ("state", "$.detail.state"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let rule = RuleContext {
        rule_name: "example",
        rule_arn: "arn:aws:events:us-east-2:123456789012:rule/example",
        ingestion_time: "t",
    };
    let cases = [
        (
            r#""instance <instance> is in <state>""#,
            r#""instance i-0123456789 is in RUNNING""#,
        ),
        (
            r#""instance \"<instance>\" is in <state>""#,
            r#""instance \"i-0123456789\" is in RUNNING""#,
        ),
        (
            r#"{"instance" : <instance>, "state": <state>}"#,
            r#"{"instance" : "i-0123456789", "state": "RUNNING"}"#,
        ),
        (
            r#"{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \"<instance>\" is in <state>"}"#,
            r#"{"instance" : "i-0123456789", "state": "RUNNING", "instanceStatus": "instance \"i-0123456789\" is in RUNNING"}"#,
        ),
        (
            r#"{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}"#,
            r#"{"instance" : "i-0123456789", "state": [ 9, "RUNNING", true ], "Transformed" : "Yes"}"#,
        ),
        (
            r#"{"ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>}"#,
            r#"{"ruleArn" : "arn:aws:events:us-east-2:123456789012:rule/example", "ruleName" : "example"}"#,
        ),
        (
            r#""<aws.events.rule-name> triggered""#,
            r#""example triggered""#,
        ),
        (
            "<instance> is in state <state>",
            "i-0123456789 is in state RUNNING",
        ),
    ];
    for (template, expected) in cases {
        let t = InputTransformerSpec {
            paths: paths.clone(),
            template: template.to_owned(),
        };
        assert_eq!(render(&t, &event, &rule).unwrap(), expected, "{template}");
    }
}

#[test]
fn json_paths_read_names_indexes_and_wildcards() {
    let doc = json!({"detail": {"a-b/c": 1, "list": [{"x": 1}, {"x": 2}], "o": {"p": true}}});
    for (path, expected) in [
        ("$", Some(doc.clone())),
        ("$.detail.a-b/c", Some(json!(1))),
        ("$.detail.list[1].x", Some(json!(2))),
        ("$.detail.list[2]", None),
        ("$.detail.list[*].x", Some(json!([1, 2]))),
        (
            "$.detail.*",
            Some(json!([1, [{"x": 1}, {"x": 2}], {"p": true}])),
        ),
        ("$.detail.nothing.deeper", None),
        ("$.detail.o.p", Some(json!(true))),
    ] {
        assert_eq!(json_path(path, &doc), Ok(expected), "{path}");
    }
    for bad in [
        "detail",
        "$detail",
        "$.",
        "$.a[",
        "$.a[x]",
        "$.a[99999999999999999999999]",
        "$..a",
    ] {
        assert!(json_path(bad, &doc).is_err(), "{bad}");
    }
}

#[test]
fn transformers_eventbridge_refuses_are_typed_errors() {
    let mut t = spec("{}");
    t.template = String::new();
    assert_eq!(
        render(&t, &event(), &RULE).unwrap_err().field,
        "InputTemplate"
    );
    t.template = "x".repeat(MAX_INPUT_TEMPLATE_CHARS + 1);
    assert_eq!(
        render(&t, &event(), &RULE).unwrap_err().field,
        "InputTemplate"
    );
    let mut t = spec("{}");
    t.paths.insert("bad".into(), "detail.x".into());
    let err = render(&t, &event(), &RULE).unwrap_err();
    assert_eq!(err.field, "InputPathsMap.bad");
    assert!(err.to_string().contains("starts with $"));
    let mut t = spec("{}");
    t.paths.insert("aws.events.rule-name".into(), "$.x".into());
    assert_eq!(
        render(&t, &event(), &RULE).unwrap_err().field,
        "InputPathsMap"
    );
    let mut t = spec("{}");
    for i in 0..=MAX_INPUT_PATHS {
        t.paths.insert(format!("v{i}"), "$.x".into());
    }
    assert_eq!(
        render(&t, &event(), &RULE).unwrap_err().field,
        "InputPathsMap"
    );
}

#[test]
#[allow(clippy::unreadable_literal)] // the digits as Python prints them
fn floats_are_written_as_python_writes_them() {
    for (f, expected) in [
        (1e16, "1e+16"),
        (1.5e-7, "1.5e-07"),
        (0.0001, "0.0001"),
        (123.0, "123.0"),
        (-0.0, "-0.0"),
        (1e-5, "1e-05"),
        (1.2345678901234568e17, "1.2345678901234568e+17"),
        (301.8, "301.8"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (0.1, "0.1"),
        (100.0, "100.0"),
        (1e15, "1000000000000000.0"),
        (123456789012345.6, "123456789012345.6"),
        (-2.5e-5, "-2.5e-05"),
    ] {
        assert_eq!(float_text(f), expected, "{f}");
    }
    assert_eq!(
        compact_json(&json!({"a": [1, -2, 2.5, "\u{1}\u{7f}/\\é"]})),
        "{\"a\":[1,-2,2.5,\"\\u0001\u{7f}/\\\\é\"]}"
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Any template, any paths, any event: a body or a typed error, never a panic.
    #[test]
    fn render_never_panics(
        template in r#"[ <>"\\{}\[\]a-z.$*0-9é]{0,40}"#,
        paths in prop::collection::btree_map("[a-z]{1,3}", r"[$.\[\]*a-z0-9]{0,12}", 0..4),
        event in json_value(),
    ) {
        let t = InputTransformerSpec { paths, template };
        let _ = render(&t, &event, &RULE);
        let _ = whole_event(&event);
    }

    /// Outside strings, every value renders as JSON that reads back as the value.
    #[test]
    fn values_outside_strings_read_back(value in json_value()) {
        let t = InputTransformerSpec {
            paths: BTreeMap::from([("v".to_owned(), "$.detail.v".to_owned())]),
            template: "{\"v\": <v>}".to_owned(),
        };
        let body = render(&t, &json!({"detail": {"v": value}}), &RULE).unwrap();
        let back: Value = serde_json::from_str(&body).unwrap();
        let expected = match &value {
            Value::Number(n) if n.as_f64().is_some_and(|f| !f.is_finite()) => Value::Null,
            _ => value.clone(),
        };
        prop_assert_eq!(&back["v"], &expected);
    }
}
