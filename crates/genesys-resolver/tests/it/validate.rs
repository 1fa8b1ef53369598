//! The validator and the strict parser: every violation at once, with its path and code.

use genesys_resolver::payload::{PayloadError, ResolvePayload};
use genesys_resolver::validate::{Limits, Violation, ViolationCode, validate, validate_with};
use serde_json::json;

fn seed_sample() -> ResolvePayload {
    ResolvePayload::seed_build(
        "queue-events-webhook",
        "https://events.example.com/genesys/webhook",
        ["v2.routing.queues.{id}.conversations"],
        ["https://events-backup.example.com/genesys/webhook"],
        3,
    )
}

fn codes(violations: &[Violation]) -> Vec<(String, ViolationCode)> {
    violations
        .iter()
        .map(|v| (v.path.clone(), v.code))
        .collect()
}

fn violations_of(p: &ResolvePayload) -> Vec<(String, ViolationCode)> {
    match validate(p) {
        Ok(()) => Vec::new(),
        Err(e) => codes(e.violations()),
    }
}

fn one(path: &str, code: ViolationCode) -> Vec<(String, ViolationCode)> {
    vec![(path.to_owned(), code)]
}

#[test]
fn seed_sample_passes() {
    validate(&seed_sample()).expect("the seed's sample is valid");
}

#[test]
fn five_problems_are_all_reported_with_paths_and_codes() {
    let mut p = seed_sample();
    p.name = "   ".into();
    p.uris.push("http://plain.example.com".into());
    p.retry_policy.max_retries = 9;
    p.retry_policy.backoff_factor = 0.5;
    p.headers.insert("X Bad".into(), "v".into());
    let err = validate(&p).unwrap_err();
    assert_eq!(
        codes(err.violations()),
        vec![
            ("name".into(), ViolationCode::NameEmpty),
            ("uris[1]".into(), ViolationCode::UriNotHttps),
            (
                "retryPolicy.maxRetries".into(),
                ViolationCode::MaxRetriesOutOfRange
            ),
            (
                "retryPolicy.backoffFactor".into(),
                ViolationCode::BackoffFactorOutOfRange
            ),
            (
                "headers[\"X Bad\"]".into(),
                ViolationCode::HeaderNameInvalid
            ),
        ]
    );
    let text = err.to_string();
    assert!(
        text.starts_with("payload is invalid (5 violations)"),
        "{text}"
    );
}

#[test]
fn name_rules() {
    let mut p = seed_sample();
    p.name = String::new();
    assert_eq!(violations_of(&p), one("name", ViolationCode::NameEmpty));
    p.name = "x".repeat(256);
    assert_eq!(violations_of(&p), one("name", ViolationCode::NameTooLong));
    p.name = "é".repeat(255); // characters, not bytes
    assert_eq!(violations_of(&p), vec![]);
    p.name = "bad\u{7}name".into();
    assert_eq!(
        violations_of(&p),
        one("name", ViolationCode::NameControlCharacters)
    );
}

#[test]
fn type_must_be_allowed() {
    let mut p = seed_sample();
    p.kind = "lambda".into();
    assert_eq!(
        violations_of(&p),
        one("type", ViolationCode::TypeNotAllowed)
    );
    let limits = Limits::default().with_allowed_types(["webhook", "lambda"]);
    validate_with(&p, &limits).unwrap();
}

#[test]
fn uri_rules_each_have_their_code() {
    let cases = [
        ("", ViolationCode::UriMissing),
        ("   ", ViolationCode::UriMissing),
        ("not a uri", ViolationCode::UriInvalid),
        ("https://exa mple.com/", ViolationCode::UriInvalid),
        ("http://a.example.com/", ViolationCode::UriNotHttps),
        ("ftp://a.example.com/", ViolationCode::UriNotHttps),
        ("https://user:pw@a.example.com/", ViolationCode::UriUserInfo),
        ("https://user@a.example.com/", ViolationCode::UriUserInfo),
        ("https://a.example.com/#frag", ViolationCode::UriFragment),
        ("https://a.example.com:0/", ViolationCode::UriPortZero),
    ];
    for (uri, code) in cases {
        let mut p = seed_sample();
        p.uri = uri.into();
        assert_eq!(violations_of(&p), one("uri", code), "uri {uri:?}");
    }
    // A URI that cannot have a host.
    let mut p = seed_sample();
    p.uri = "mailto:someone@example.com".into();
    assert_eq!(
        violations_of(&p),
        vec![
            ("uri".into(), ViolationCode::UriNotHttps),
            ("uri".into(), ViolationCode::UriNoHost),
        ]
    );
}

#[test]
fn ip_literal_hosts_pass_validation() {
    let mut p = seed_sample();
    p.uri = "https://127.0.0.1:8443/hook".into();
    p.uris = vec!["https://[::1]/hook".into()];
    validate(&p).unwrap();
}

#[test]
fn duplicates_after_normalising_case_and_default_port() {
    let mut p = seed_sample();
    p.uri = "https://Events.Example.com/hook".into();
    p.uris = vec![
        "https://events.example.com:443/hook".into(),
        "https://events.example.com/Hook".into(), // path case matters
        "https://EVENTS.example.com/hook".into(),
    ];
    assert_eq!(
        violations_of(&p),
        vec![
            ("uris[0]".into(), ViolationCode::UriDuplicate),
            ("uris[2]".into(), ViolationCode::UriDuplicate),
        ]
    );
    let err = validate(&p).unwrap_err();
    assert!(err.violations()[0].message.contains("same endpoint as uri"));
}

#[test]
fn too_many_uris_and_configurable_limit() {
    let mut p = seed_sample();
    p.uris = (0..11)
        .map(|i| format!("https://h{i}.example.com/"))
        .collect();
    assert_eq!(violations_of(&p), one("uris", ViolationCode::TooManyUris));
    validate_with(&p, &Limits::default().with_max_uris(11)).unwrap();
    p.uris.truncate(10);
    validate(&p).unwrap();
}

#[test]
fn retry_policy_bounds() {
    let mut p = seed_sample();
    for (n, ok) in [(-1, false), (0, true), (5, true), (6, false)] {
        p.retry_policy.max_retries = n;
        assert_eq!(validate(&p).is_ok(), ok, "maxRetries {n}");
    }
    p.retry_policy.max_retries = 3;
    for (v, ok) in [
        (0.0, false),
        (-1.0, false),
        (0.001, true),
        (3600.0, true),
        (3600.5, false),
        (f64::NAN, false),
        (f64::INFINITY, false),
    ] {
        p.retry_policy.retry_interval = v;
        let got = violations_of(&p);
        if ok {
            assert_eq!(got, vec![], "retryInterval {v}");
        } else {
            assert_eq!(
                got,
                one(
                    "retryPolicy.retryInterval",
                    ViolationCode::RetryIntervalOutOfRange
                ),
                "retryInterval {v}"
            );
        }
    }
    p.retry_policy.retry_interval = 5.0;
    for (v, ok) in [
        (0.99, false),
        (1.0, true),
        (10.0, true),
        (10.01, false),
        (f64::NAN, false),
        (f64::NEG_INFINITY, false),
    ] {
        p.retry_policy.backoff_factor = v;
        assert_eq!(validate(&p).is_ok(), ok, "backoffFactor {v}");
    }
}

#[test]
fn event_filter_rules() {
    let mut p = seed_sample();
    p.event_filters.clear();
    assert_eq!(
        violations_of(&p),
        one("eventFilters", ViolationCode::EventFiltersEmpty)
    );

    let mut p = seed_sample();
    p.event_filters[0].event_type = "routing.queues".into();
    p.event_filters[0].fields = vec!["id".into(), " ".into()];
    p.event_filters.push(p.event_filters[0].clone());
    p.event_filters[1].event_type = "v2.users.{id}.presence".into();
    p.event_filters[1].fields.clear();
    p.event_filters.push(p.event_filters[1].clone());
    assert_eq!(
        violations_of(&p),
        vec![
            (
                "eventFilters[0].eventType".into(),
                ViolationCode::EventTypeInvalid
            ),
            (
                "eventFilters[0].fields[1]".into(),
                ViolationCode::FieldEmpty
            ),
            (
                "eventFilters[2].eventType".into(),
                ViolationCode::EventTypeDuplicate
            ),
        ]
    );
}

#[test]
fn header_rules() {
    let mut p = seed_sample();
    p.headers
        .insert("Authorization".into(), "Bearer abc".into());
    p.headers.insert("host".into(), "x".into());
    p.headers
        .insert("X-Inject".into(), "a\r\nSet-Cookie: x".into());
    p.headers.insert("x-genesys-source".into(), "again".into());
    p.headers.insert("X-Tab".into(), "a\tb".into()); // tab is allowed in values
    assert_eq!(
        violations_of(&p),
        vec![
            (
                "headers.Authorization".into(),
                ViolationCode::HeaderReserved
            ),
            ("headers.X-Inject".into(), ViolationCode::HeaderValueInvalid),
            ("headers.host".into(), ViolationCode::HeaderReserved),
            (
                "headers.x-genesys-source".into(),
                ViolationCode::HeaderDuplicate
            ),
        ]
    );
    let text = validate(&p).unwrap_err().to_string();
    assert!(
        !text.contains("Bearer abc"),
        "header values are not echoed: {text}"
    );
}

#[test]
fn oversized_payload_is_refused() {
    let mut p = seed_sample();
    p.headers.insert("X-Big".into(), "a".repeat(600_000));
    assert_eq!(violations_of(&p), one("", ViolationCode::PayloadTooLarge));
    validate_with(&p, &Limits::default().with_max_payload_bytes(1 << 20)).unwrap();
}

#[test]
fn the_size_limit_holds_to_the_byte() {
    // Characters that escape to six bytes each, and plain ones, in every string that may hold them.
    for text in ["", "plain", "<&>\u{2028}\u{2029}\"\\", "ü注🚀"] {
        let mut p = seed_sample();
        p.name = format!("n{}", text.repeat(25));
        p.event_filters[0].fields = vec![format!("f{text}")];
        p.headers
            .insert("X-Text".into(), format!("{}\tend", text.repeat(100)));
        let exact = p.wire_len();
        validate_with(&p, &Limits::default().with_max_payload_bytes(exact)).unwrap();
        let over =
            validate_with(&p, &Limits::default().with_max_payload_bytes(exact - 1)).unwrap_err();
        let codes: Vec<_> = over.violations().iter().map(|v| v.code).collect();
        assert_eq!(codes, [ViolationCode::PayloadTooLarge], "{text:?}");
    }
}

#[test]
fn credentials_in_uris_are_never_echoed() {
    let mut p = seed_sample();
    p.uri = "https://admin:hunter2@a.example.com/".into();
    p.uris = vec!["https://admin:hunter2@:bad/".into()];
    let err = validate(&p).unwrap_err();
    let text = format!("{err} {err:?} {}", serde_json::to_string(&err).unwrap());
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn violations_serialize_with_stable_codes() {
    let mut p = seed_sample();
    p.retry_policy.max_retries = 7;
    let err = validate(&p).unwrap_err();
    let v = serde_json::to_value(&err).unwrap();
    assert_eq!(v[0]["path"], "retryPolicy.maxRetries");
    assert_eq!(v[0]["code"], "max_retries_out_of_range");
    assert_eq!(
        ViolationCode::MaxRetriesOutOfRange.as_str(),
        "max_retries_out_of_range"
    );
}

fn parse(v: &serde_json::Value) -> Result<ResolvePayload, PayloadError> {
    ResolvePayload::from_json(v.to_string().as_bytes())
}

fn valid_json() -> serde_json::Value {
    serde_json::from_str(&seed_sample().to_wire_json()).unwrap()
}

#[test]
fn strict_parse_names_unknown_keys_with_a_suggestion() {
    let mut v = valid_json();
    v["retryPolicy"]["maxRetry"] = json!(3);
    v["Name"] = json!("dup");
    let err = parse(&v).unwrap_err();
    assert_eq!(
        codes(err.violations()),
        vec![
            ("Name".into(), ViolationCode::UnknownKey),
            ("retryPolicy.maxRetry".into(), ViolationCode::UnknownKey),
        ]
    );
    assert!(
        err.violations()[1]
            .message
            .contains("did you mean `maxRetries`")
    );
}

#[test]
fn strict_parse_reports_every_wrong_type_and_missing_key() {
    let v = json!({
        "name": 7,
        "type": "webhook",
        "uris": ["https://a.example.com", 5],
        "retryPolicy": {"maxRetries": "3", "retryInterval": 5, "backoffFactor": true},
        "eventFilters": [{"eventType": "v2.a", "fields": "id"}, "x"],
        "headers": {"X-A": 1}
    });
    let err = parse(&v).unwrap_err();
    assert_eq!(
        codes(err.violations()),
        vec![
            ("uri".into(), ViolationCode::MissingKey),
            ("name".into(), ViolationCode::WrongType),
            ("uris[1]".into(), ViolationCode::WrongType),
            ("retryPolicy.maxRetries".into(), ViolationCode::WrongType),
            ("retryPolicy.backoffFactor".into(), ViolationCode::WrongType),
            ("eventFilters[0].fields".into(), ViolationCode::WrongType),
            ("eventFilters[1]".into(), ViolationCode::WrongType),
            ("headers.X-A".into(), ViolationCode::WrongType),
        ]
    );
}

#[test]
fn fractional_retry_count_is_a_wrong_type() {
    let mut v = valid_json();
    v["retryPolicy"]["maxRetries"] = json!(2.5);
    let err = parse(&v).unwrap_err();
    assert_eq!(
        codes(err.violations()),
        one("retryPolicy.maxRetries", ViolationCode::WrongType)
    );
    v["retryPolicy"]["maxRetries"] = json!(u64::MAX);
    assert!(parse(&v).is_err());
}

#[test]
fn not_json_is_a_syntax_error_with_position() {
    let err = ResolvePayload::from_json(b"{\"name\": \"x\",\n  oops}").unwrap_err();
    match err {
        PayloadError::Syntax { line, .. } => assert_eq!(line, 2),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let err = ResolvePayload::from_json(b"[1, 2]").unwrap_err();
    assert_eq!(codes(err.violations()), one("$", ViolationCode::WrongType));
}

#[test]
fn optional_keys_may_be_absent_or_null() {
    let mut v = valid_json();
    let obj = v.as_object_mut().unwrap();
    obj.remove("uris");
    obj.remove("headers");
    let p = parse(&v).unwrap();
    assert!(p.uris.is_empty() && p.headers.is_empty());
    v["uris"] = serde_json::Value::Null;
    parse(&v).unwrap();
}

#[test]
fn parse_and_validate_applies_both() {
    let mut v = valid_json();
    v["retryPolicy"]["maxRetries"] = json!(8);
    let err = ResolvePayload::parse_and_validate(v.to_string().as_bytes(), &Limits::default())
        .unwrap_err();
    assert_eq!(
        codes(err.violations()),
        one(
            "retryPolicy.maxRetries",
            ViolationCode::MaxRetriesOutOfRange
        )
    );
}

#[test]
fn inputs_the_fast_path_refuses_are_read_by_the_walker() {
    // A duplicate key: serde's derive refuses it, and so does the walker (a payload must not
    // mean two things; see `duplicate_keys_anywhere_are_violations`).
    let wire = seed_sample().to_wire_json();
    let dup = wire.replacen(
        "{\"name\":\"queue-events-webhook\"",
        "{\"name\":\"first\",\"name\":\"second\"",
        1,
    );
    let err = ResolvePayload::from_json(dup.as_bytes()).unwrap_err();
    assert_eq!(
        codes(err.violations()),
        one("name", ViolationCode::DuplicateKey)
    );
    // `null` for an optional list or map means empty.
    let mut v = valid_json();
    v["uris"] = serde_json::Value::Null;
    v["headers"] = serde_json::Value::Null;
    let p = parse(&v).unwrap();
    assert!(p.uris.is_empty() && p.headers.is_empty());
}

#[test]
fn uris_a_parser_would_read_differently_are_refused() {
    for raw in [
        "https://127.0.0.1:18443\\@127.0.0.2:18443/",
        "https://host.example/\r\nX-Injected: evil",
        "https://host.example/a\tb",
        " https://host.example/",
        "https://host.example/ ",
        "https://host.example/a b",
        "https://host.example/\u{0}",
        "https://host.example/\u{1b}[31m",
    ] {
        let mut p = seed_sample();
        p.uri = raw.to_owned();
        assert_eq!(
            violations_of(&p),
            one("uri", ViolationCode::UriNotExact),
            "{raw:?}"
        );
    }
    let mut p = seed_sample();
    p.uris = vec!["https://b.example/\\x".to_owned()];
    assert_eq!(
        violations_of(&p),
        one("uris[0]", ViolationCode::UriNotExact)
    );
}

#[test]
fn control_characters_are_refused_in_every_string_field() {
    for field in ["f\r\nInjected: 1", "a\u{0}b", "esc\u{1b}[2J"] {
        let mut p = seed_sample();
        p.event_filters[0].fields = vec![field.to_owned()];
        assert_eq!(
            violations_of(&p),
            one(
                "eventFilters[0].fields[0]",
                ViolationCode::ControlCharacters
            ),
            "{field:?}"
        );
    }
    let mut p = seed_sample();
    p.kind = "web\nhook".to_owned();
    assert_eq!(
        violations_of(&p),
        one("type", ViolationCode::ControlCharacters)
    );
    let mut p = seed_sample();
    p.headers.insert("X-A".to_owned(), "v\r\nX-B: 1".to_owned());
    assert_eq!(
        violations_of(&p),
        one("headers.X-A", ViolationCode::HeaderValueInvalid)
    );
}

#[test]
fn duplicate_keys_anywhere_are_violations() {
    let json = br#"{"name":"a","type":"webhook","uri":"https://a.example/",
        "retryPolicy":{"maxRetries":1,"retryInterval":5,"backoffFactor":2,"maxRetries":2},
        "eventFilters":[{"eventType":"v2.a","eventType":"v2.b"}],
        "headers":{"X-A":"1","X-A":"2"},"name":"b"}"#;
    let err = ResolvePayload::from_json(json).unwrap_err();
    let got = codes(err.violations());
    assert_eq!(
        got,
        [
            (
                "retryPolicy.maxRetries".to_owned(),
                ViolationCode::DuplicateKey
            ),
            (
                "eventFilters[0].eventType".to_owned(),
                ViolationCode::DuplicateKey
            ),
            ("headers.X-A".to_owned(), ViolationCode::DuplicateKey),
            ("name".to_owned(), ViolationCode::DuplicateKey),
        ]
    );
    // Headers alone (which the derive would otherwise accept, keeping the last).
    let json = br#"{"name":"a","type":"webhook","uri":"https://a.example/",
        "retryPolicy":{"maxRetries":1,"retryInterval":5,"backoffFactor":2},
        "eventFilters":[{"eventType":"v2.a"}],"headers":{"X-A":"1","X-A":"2"}}"#;
    let err = ResolvePayload::from_json(json).unwrap_err();
    assert_eq!(
        codes(err.violations()),
        one("headers.X-A", ViolationCode::DuplicateKey)
    );
}

#[test]
fn violation_lists_are_capped_and_counted() {
    let uris = vec![1; 50_000];
    let doc = json!({
        "name": "a", "type": "webhook", "uri": "https://a.example/", "uris": uris,
        "retryPolicy": {"maxRetries": 1, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": "v2.a"}],
    });
    let err = ResolvePayload::from_json(doc.to_string().as_bytes()).unwrap_err();
    let PayloadError::Invalid(errors) = err else {
        panic!("not a validation error")
    };
    assert_eq!(
        errors.violations().len(),
        genesys_resolver::violation::MAX_VIOLATIONS
    );
    assert_eq!(errors.total(), 50_000);
    assert!(errors.to_string().len() < 20_000, "the message stays small");
    assert!(errors.to_string().contains("and 49900 more"));
}
