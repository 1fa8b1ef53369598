//! The documents the library defines, read by its one strict, bounded reader: the payload, the
//! EventBridge integration and the route, from JSON and YAML text, files and parsed values.
//! Every problem at once (unknown keys beside broken rules), duplicate keys at their paths in
//! both formats, wrong types named by type and never by value, and text that is too large, too
//! deep or (through YAML aliases) expands too far refused while it is read.

use std::fmt::Write as _;
use std::time::Instant;

use genesys_resolver::document::{
    Document, DocumentError, DocumentKind, DocumentReader, Format, ReadLimits, Route, detect,
};
use genesys_resolver::eventbridge::EventBridgeIntegration;
use genesys_resolver::payload::{PayloadError, ResolvePayload};
use genesys_resolver::validate::{Limits, ViolationCode};
use proptest::prelude::*;
use serde_json::{Value, json};

const KEY: &str = "8675309123";

fn route_json() -> Value {
    json!({
        "name": "orders",
        "type": "webhook",
        "uri": "https://hooks.example.com/orders",
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations"}],
        "headers": {"X-Api-Key": "k-1"},
        "awsAccountId": "123456789012",
        "awsRegion": "us-east-1",
        "eventSourceSuffix": "orders",
        "roleArn": "arn:aws:iam::123456789012:role/genesys",
    })
}

fn route_yaml(api_key: &str) -> String {
    format!(
        "name: orders\ntype: webhook\nuri: https://hooks.example.com/orders\n\
         retryPolicy:\n  maxRetries: 3\n  retryInterval: 5\n  backoffFactor: 2\n\
         eventFilters:\n  - eventType: \"v2.routing.queues.{{id}}.conversations\"\n\
         headers:\n  X-Api-Key: {api_key}\n\
         awsAccountId: \"123456789012\"\nawsRegion: us-east-1\neventSourceSuffix: orders\n\
         roleArn: arn:aws:iam::123456789012:role/genesys\n"
    )
}

fn found(err: &DocumentError) -> Vec<(&str, ViolationCode)> {
    err.violations()
        .iter()
        .map(|v| (v.path.as_str(), v.code))
        .collect()
}

#[test]
fn a_route_reads_flat_as_the_command_line_and_python_take_it() {
    let route = Route::from_value(&route_json()).unwrap();
    assert_eq!(route.payload.name, "orders");
    assert_eq!(route.role_arn, "arn:aws:iam::123456789012:role/genesys");
    assert_eq!(route.organization_id, "");
    // Its serde form is the same flat document, and reads back the same.
    let written = serde_json::to_value(&route).unwrap();
    assert_eq!(written["roleArn"], route_json()["roleArn"]);
    assert_eq!(written["uri"], route_json()["uri"]);
    assert_eq!(Route::from_value(&written).unwrap(), route);
    let back: Route = serde_json::from_value(written).unwrap();
    assert_eq!(back, route);
    // serde is as strict as the reader.
    let mut typo = route_json();
    typo["roleArm"] = json!("x");
    assert!(serde_json::from_value::<Route>(typo).is_err());
}

#[test]
fn a_duplicate_key_in_a_route_is_refused_in_json_and_in_yaml() {
    let json = route_json().to_string().replacen(
        "\"uri\":\"https://hooks.example.com/orders\"",
        "\"uri\":\"https://hooks.example.com/orders\",\"uri\":\"https://elsewhere.example.com/\"",
        1,
    );
    let err = Route::from_json(json.as_bytes()).unwrap_err();
    assert_eq!(found(&err), [("uri", ViolationCode::DuplicateKey)]);
    assert_eq!(err.kind(), Some(DocumentKind::Route));

    let yaml = route_yaml("k-1").replace(
        "awsRegion: us-east-1\n",
        "awsRegion: us-east-1\nawsRegion: eu-west-1\n",
    );
    let err = Route::from_yaml(&yaml).unwrap_err();
    assert_eq!(found(&err), [("awsRegion", ViolationCode::DuplicateKey)]);
}

#[test]
fn a_wrongly_typed_api_key_is_named_by_type_and_never_quoted() {
    let err = Route::from_yaml(&route_yaml(KEY)).unwrap_err();
    assert_eq!(
        found(&err),
        [("headers.X-Api-Key", ViolationCode::WrongType)]
    );
    assert_eq!(
        err.violations()[0].message,
        "expected a string, found a number"
    );
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(KEY), "{shown}");
    }
    // A value of another type where a route key belongs, the same.
    let mut doc = route_json();
    doc["roleArn"] = json!({"secret": KEY});
    let err = Route::from_value(&doc).unwrap_err();
    assert_eq!(
        err.violations()[0].message,
        "expected a string, found an object"
    );
    assert!(!err.to_string().contains(KEY));
}

#[test]
fn an_unknown_key_is_reported_beside_every_broken_rule() {
    let mut doc = route_json();
    let map = doc.as_object_mut().unwrap();
    map.insert("uri".into(), json!("http://hooks.example.com/orders"));
    map.insert("rolArn".into(), map["roleArn"].clone());
    map.remove("roleArn");
    map.insert("awsRegion".into(), json!("us-east-9"));
    map.insert("invocationRateLimit".into(), json!(301));
    let err = Route::from_value(&doc).unwrap_err();
    let got: Vec<_> = err
        .violations()
        .iter()
        .map(|v| (v.path.as_str(), v.code))
        .collect();
    assert_eq!(
        got,
        [
            ("rolArn", ViolationCode::UnknownKey),
            ("roleArn", ViolationCode::MissingKey),
            ("uri", ViolationCode::UriNotHttps),
            ("awsRegion", ViolationCode::AwsRegionUnknown),
            (
                "invocationRateLimit",
                ViolationCode::InvocationRateOutOfRange
            ),
        ]
    );
    // The missing role's placeholder broke no rule of its own (`role_arn_missing`).
    assert!(
        err.violations()[0]
            .message
            .contains("did you mean `roleArn`")
    );
}

#[test]
fn an_eventbridge_integration_reads_from_json_and_yaml_with_its_rules() {
    let yaml = "name: orders\nawsAccountId: \"123456789012\"\nawsRegion: eu-west-1\n\
                eventSourceSuffix: orders\ntopics:\n  - v2.users.{id}.presence\n";
    let e = EventBridgeIntegration::from_yaml(yaml).unwrap();
    assert_eq!(e.topics, ["v2.users.{id}.presence"]);
    let json = serde_json::to_vec(&e).unwrap();
    assert_eq!(EventBridgeIntegration::from_json(&json).unwrap(), e);

    let bad = format!("{yaml}topics: []\nnote: x\n");
    let err = EventBridgeIntegration::from_yaml(&bad).unwrap_err();
    assert_eq!(
        found(&err),
        [
            ("topics", ViolationCode::DuplicateKey),
            ("note", ViolationCode::UnknownKey),
        ]
    );
    // Its rules run beside the shape's problems; the shape alone is `read_value`.
    let doc = json!({"name": "", "awsAccountId": 12, "awsRegion": "eu-west-1",
        "eventSourceSuffix": "o", "topics": ["v2.a"], "aws_region": "x"});
    let err = EventBridgeIntegration::from_value(&doc).unwrap_err();
    let got: Vec<_> = err
        .violations()
        .iter()
        .map(|v| (v.path.as_str(), v.code))
        .collect();
    assert_eq!(
        got,
        [
            ("aws_region", ViolationCode::UnknownKey),
            ("awsAccountId", ViolationCode::WrongType),
            ("name", ViolationCode::NameEmpty),
        ]
    );
    let shape = EventBridgeIntegration::read_value(&doc);
    assert_eq!(shape.violations().len(), 2);
}

#[test]
fn the_reader_tells_the_kinds_apart_or_reads_the_kind_it_is_told() {
    let payload = json!({"name": "a", "type": "webhook", "uri": "https://a.example",
        "retryPolicy": {"maxRetries": 1, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": "v2.a"}]});
    let integration = json!({"name": "a", "awsAccountId": "123456789012",
        "awsRegion": "eu-west-1", "eventSourceSuffix": "a", "topics": ["v2.a"]});
    assert_eq!(detect(&payload), DocumentKind::Payload);
    assert_eq!(detect(&integration), DocumentKind::EventBridge);
    assert_eq!(detect(&route_json()), DocumentKind::Route);
    // A route missing every route-only key is still told by its AWS keys beside a payload's.
    let mut partial = route_json();
    partial.as_object_mut().unwrap().remove("roleArn");
    assert_eq!(detect(&partial), DocumentKind::Route);

    let reader = DocumentReader::new();
    assert!(matches!(
        reader.read_value(&payload),
        Ok(Document::Payload(_))
    ));
    assert!(matches!(
        reader.read_value(&integration),
        Ok(Document::EventBridge(_))
    ));
    let doc = reader.read_value(&route_json()).unwrap();
    assert_eq!((doc.kind(), doc.name()), (DocumentKind::Route, "orders"));

    let err = DocumentReader::new()
        .kind(DocumentKind::Payload)
        .read_value(&integration)
        .unwrap_err();
    assert_eq!(err.kind(), Some(DocumentKind::Payload));
    assert!(
        err.to_string().starts_with("the payload is invalid ("),
        "{err}"
    );
    // Limits reach the payload's rules, a route's too; `rules(false)` reads the shape only.
    let tight = DocumentReader::new().limits(Limits::default().with_max_retries(2));
    let mut retries = route_json();
    retries["retryPolicy"]["maxRetries"] = json!(3);
    assert_eq!(
        found(&tight.read_value(&retries).unwrap_err()),
        [(
            "retryPolicy.maxRetries",
            ViolationCode::MaxRetriesOutOfRange
        )]
    );
    assert!(tight.clone().rules(false).read_value(&retries).is_ok());
}

#[test]
fn the_payload_reader_reports_everything_at_once_and_keeps_its_fast_path() {
    let json = br#"{"name":"a","type":"webhook","uri":"http://a.example","header":{},
        "retryPolicy":{"maxRetries":9,"retryInterval":5,"backoffFactor":2},
        "eventFilters":[{"eventType":"v2.a"}]}"#;
    let Err(PayloadError::Invalid(errors)) =
        ResolvePayload::parse_and_validate(json, &Limits::default())
    else {
        panic!("invalid")
    };
    let got: Vec<_> = errors
        .violations()
        .iter()
        .map(|v| (v.path.as_str(), v.code))
        .collect();
    assert_eq!(
        got,
        [
            ("header", ViolationCode::UnknownKey),
            ("uri", ViolationCode::UriNotHttps),
            (
                "retryPolicy.maxRetries",
                ViolationCode::MaxRetriesOutOfRange
            ),
        ]
    );
    // `from_json` reads the shape only, as before.
    let Err(PayloadError::Invalid(shape)) = ResolvePayload::from_json(json) else {
        panic!("invalid")
    };
    assert_eq!(shape.violations().len(), 1);
    // Nesting beyond the cap is a syntax error with its position, not a stack overflow.
    let deep = format!("{{\"x\": {}1{}}}", "[".repeat(100), "]".repeat(100));
    match ResolvePayload::from_json(deep.as_bytes()) {
        Err(PayloadError::Syntax { line, message, .. }) => {
            assert_eq!(line, 1);
            assert!(message.contains("deeper than 32"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

/// `n` levels of anchors, each a list of two aliases of the one below: 2^n leaves.
fn alias_ladder(n: usize) -> String {
    let mut text = String::from("l0: &l0 [xxxxxxxx, xxxxxxxx]\n");
    for i in 1..=n {
        let _ = writeln!(text, "l{i}: &l{i} [*l{}, *l{}]", i - 1, i - 1);
    }
    text
}

#[test]
fn yaml_aliases_are_counted_as_they_expand_and_stopped_at_the_cap() {
    let reader = DocumentReader::new().kind(DocumentKind::Payload);
    // 2^30 leaves from 31 short lines: refused as it grows, long before memory runs out.
    let bomb = alias_ladder(30);
    assert!(bomb.len() < 1000);
    let started = Instant::now();
    let err = reader.read_text(bomb.as_bytes(), Format::Yaml).unwrap_err();
    assert!(
        matches!(err, DocumentError::Expanded { limit, .. } if limit == 2 << 20),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("expands to more than 2097152 bytes"),
        "{err}"
    );
    // No timing assertion (the machine is shared); the elapsed time is only shown.
    eprintln!("refused in {:?}", started.elapsed());
    // A smaller ladder fits: aliases are allowed, and read as what they name.
    let small = reader
        .read_text(alias_ladder(4).as_bytes(), Format::Yaml)
        .unwrap_err();
    assert!(matches!(small, DocumentError::Invalid { .. }), "{small:?}");
    // A tighter cap refuses it too.
    let tight = reader
        .clone()
        .read_limits(ReadLimits::default().with_max_expanded_bytes(100))
        .read_text(alias_ladder(4).as_bytes(), Format::Yaml)
        .unwrap_err();
    assert!(
        matches!(tight, DocumentError::Expanded { limit: 100, .. }),
        "{tight:?}"
    );
}

#[test]
fn text_and_files_over_the_caps_are_refused_before_they_are_read() {
    let reader = DocumentReader::new().read_limits(ReadLimits::default().with_max_bytes(64));
    let err = reader.read_text(&[b' '; 65], Format::Json).unwrap_err();
    assert_eq!(err, DocumentError::TooLarge { limit: 64 });

    let dir = tempfile::tempdir().unwrap();
    // A sparse 4 GiB file: refused by its size, never read.
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    let err = DocumentReader::new().read_file(&huge).unwrap_err();
    assert_eq!(err, DocumentError::TooLarge { limit: 1 << 20 });
    // A directory is not a document.
    let err = DocumentReader::new().read_file(dir.path()).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let err = DocumentReader::new()
        .read_file(&dir.path().join("missing.yaml"))
        .unwrap_err();
    assert!(matches!(err, DocumentError::Io { .. }), "{err:?}");
    // `.YML` is YAML whatever its case.
    let file = dir.path().join("route.YML");
    std::fs::write(&file, route_yaml("k-1")).unwrap();
    assert!(matches!(
        DocumentReader::new().read_file(&file),
        Ok(Document::Route(_))
    ));
    // Too deep, in either format, is refused with its position.
    let deep = format!("x: {}1{}\n", "[".repeat(40), "]".repeat(40));
    for format in [Format::Yaml, Format::Json] {
        let text = if format == Format::Json {
            format!("{{\"x\": {}1{}}}", "[".repeat(40), "]".repeat(40))
        } else {
            deep.clone()
        };
        let err = DocumentReader::new()
            .read_text(text.as_bytes(), format)
            .unwrap_err();
        assert!(
            matches!(
                err,
                DocumentError::TooDeep {
                    limit: 32,
                    line: 1,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

#[test]
fn yaml_values_json_cannot_hold_are_violations_without_their_value() {
    let yaml = route_yaml("k-1").replace("retryInterval: 5", "retryInterval: .inf");
    let err = Route::from_yaml(&yaml).unwrap_err();
    assert_eq!(
        found(&err),
        [("retryPolicy.retryInterval", ViolationCode::WrongType)]
    );
    // Keys must be strings, and are refused without being repeated.
    let err = Route::from_yaml(&format!("{}{KEY}: x\n", route_yaml("k-1"))).unwrap_err();
    assert!(matches!(err, DocumentError::Syntax { .. }), "{err:?}");
    assert!(!err.to_string().contains(KEY), "{err}");
    // Tags are not part of a document.
    let err = Route::from_yaml(&route_yaml("!secret k-1")).unwrap_err();
    assert!(matches!(err, DocumentError::Syntax { .. }), "{err:?}");
}

/// A YAML document from generated parts: nested maps and lists, anchors on some of them,
/// aliases back to earlier anchors, and keys that may repeat.
fn arb_yaml() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("name".to_owned()),
        Just("uri".to_owned()),
        Just("headers".to_owned()),
        Just("X-Api-Key".to_owned()),
        "[a-z]{1,3}",
    ];
    let scalar = prop_oneof![
        Just("x".to_owned()),
        Just("12345".to_owned()),
        Just(".inf".to_owned()),
        Just("~".to_owned()),
        Just("\"v2.users.{id}.presence\"".to_owned()),
    ];
    let node = scalar.prop_recursive(12, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|pairs| {
                let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", body.join(", "))
            }),
        ]
    });
    (prop::collection::vec(node, 1..8), 0..12usize).prop_map(|(nodes, repeats)| {
        let mut text = String::new();
        for (i, node) in nodes.iter().enumerate() {
            let _ = writeln!(text, "a{i}: &a{i} {node}");
        }
        // Aliases of every anchor, repeated: an expansion of (nodes * repeats) copies.
        let aliases: Vec<String> = (0..nodes.len()).map(|i| format!("*a{i}")).collect();
        for r in 0..repeats {
            let _ = writeln!(text, "b{r}: [{}]", vec![aliases.join(", "); 8].join(", "));
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_yaml_never_panics_and_stays_within_the_caps(yaml in arb_yaml()) {
        let limits = ReadLimits::default().with_max_expanded_bytes(64 << 10);
        let reader = DocumentReader::new().read_limits(limits);
        match reader.read_text(yaml.as_bytes(), Format::Yaml) {
            Ok(_) | Err(DocumentError::Invalid { .. } | DocumentError::Expanded { .. }
                | DocumentError::TooDeep { .. } | DocumentError::Syntax { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
        // The same text as JSON is refused as syntax, never read.
        prop_assert!(reader.read_text(yaml.as_bytes(), Format::Json).is_err());
    }

    #[test]
    fn every_duplicate_key_is_found_in_json_and_yaml(keys in prop::collection::vec("[a-c]", 1..12)) {
        let pairs: Vec<String> = keys.iter().map(|k| format!("\"{k}\": 1")).collect();
        let json = format!("{{\"n\": {{{}}}}}", pairs.join(", "));
        let yaml = format!("n: {{{}}}\n", pairs.join(", "));
        let expected = keys.len() - keys.iter().collect::<std::collections::BTreeSet<_>>().len();
        for (text, format) in [(json, Format::Json), (yaml, Format::Yaml)] {
            let err = DocumentReader::new()
                .kind(DocumentKind::Payload)
                .read_text(text.as_bytes(), format)
                .unwrap_err();
            let dups = err
                .violations()
                .iter()
                .filter(|v| v.code == ViolationCode::DuplicateKey)
                .inspect(|v| assert!(v.path.starts_with("n.")))
                .count();
            prop_assert_eq!(dups, expected);
        }
    }
}
