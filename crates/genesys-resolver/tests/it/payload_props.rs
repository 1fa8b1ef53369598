//! Property tests: no input makes parsing or validation panic, and every payload the builder
//! makes from valid parts validates and round-trips through the wire form.

use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::validate::{Limits, validate};
use proptest::prelude::*;
use serde_json::Value;

/// Arbitrary JSON, biased towards the payload's own keys so the walker goes deep.
fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("name".to_owned()),
        Just("type".to_owned()),
        Just("uri".to_owned()),
        Just("uris".to_owned()),
        Just("retryPolicy".to_owned()),
        Just("maxRetries".to_owned()),
        Just("retryInterval".to_owned()),
        Just("backoffFactor".to_owned()),
        Just("eventFilters".to_owned()),
        Just("eventType".to_owned()),
        Just("fields".to_owned()),
        Just("headers".to_owned()),
        ".{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        "(https?|ftp)://[a-zA-Z0-9.:@\\[\\]%#?/-]{0,40}".prop_map(Value::String),
        "v2(\\.[a-z{}A-Z0-9_-]{0,8}){0,5}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 96, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn host() -> impl Strategy<Value = String> {
    // Labels built so they are always valid: a letter first, no hyphen at the end and never two
    // in a row (`xn--` and other `??--` labels are punycode, which IDNA checks and random labels
    // fail). Generated directly, not filtered, so large case counts do not run out of tries.
    let label = "[a-z][a-z0-9]{0,3}(-[a-z0-9]{1,4}){0,2}";
    prop::collection::vec(label, 2..5).prop_map(|labels| labels.join("."))
}

fn https_uri() -> impl Strategy<Value = String> {
    (
        host(),
        prop::option::of(1u16..),
        "(/[a-zA-Z0-9_.~-]{0,10}){0,3}",
    )
        .prop_map(|(host, port, path)| match port {
            Some(p) if p != 443 => format!("https://{host}:{p}{path}"),
            _ => format!("https://{host}{path}"),
        })
}

fn topic() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof!["[a-zA-Z0-9_-]{1,10}", "\\{[a-zA-Z0-9_]{1,6}\\}"],
        1..6,
    )
    .prop_map(|segs| format!("v2.{}", segs.join(".")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        let text = v.to_string();
        if let Ok(p) = ResolvePayload::from_json(text.as_bytes()) {
            let _ = validate(&p);
            let _ = p.to_wire_json();
        }
        let _ = ResolvePayload::parse_and_validate(text.as_bytes(), &Limits::default());
    }

    #[test]
    fn fast_path_agrees_with_the_walker(v in arb_json()) {
        // `from_json` and `from_value` try serde's derive first; the walker (`read_value`) is
        // the reference for both.
        let text = v.to_string();
        let fast = ResolvePayload::from_json(text.as_bytes());
        let walked = ResolvePayload::read_value(&v).into_result();
        match (&fast, &walked) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.violations(), b.violations()),
            (a, b) => return Err(TestCaseError::fail(format!("fast {a:?} vs walker {b:?}"))),
        }
        match (ResolvePayload::from_value(&v), walked) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.violations(), b.violations()),
            (a, b) => return Err(TestCaseError::fail(format!("value {a:?} vs walker {b:?}"))),
        }
    }

    #[test]
    fn wire_len_is_the_wire_json_length(v in arb_json()) {
        if let Ok(p) = ResolvePayload::from_value(&v) {
            prop_assert_eq!(p.wire_len(), p.to_wire_json().len());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = ResolvePayload::from_json(&bytes);
    }

    #[test]
    fn builder_payloads_validate_and_round_trip(
        name in "[a-zA-Z0-9 _.<>&-]{1,40}",
        uri in https_uri(),
        extra in prop::collection::btree_set(https_uri(), 0..10),
        topics in prop::collection::btree_set(topic(), 1..6),
        max_retries in 0i64..=5,
        interval in 0.001f64..3600.0,
        factor in 1.0f64..10.0,
        header_value in "[ -~]{0,30}",
    ) {
        prop_assume!(!name.trim().is_empty());
        // Drop entries that are the same endpoint as `uri` (duplicates are a violation).
        let norm = |u: &str| url::Url::parse(u).map(|u| u.to_string()).unwrap_or_default();
        let extra: Vec<String> = extra.into_iter().filter(|u| norm(u) != norm(&uri)).collect();
        let mut seen = std::collections::HashSet::new();
        let extra: Vec<String> = extra.into_iter().filter(|u| seen.insert(norm(u))).collect();

        let payload = ResolvePayload::builder(name, uri)
            .event_types(topics)
            .uris(extra)
            .max_retries(max_retries)
            .retry_interval(interval)
            .backoff_factor(factor)
            .header("X-Custom", header_value)
            .build();
        let payload = match payload {
            Ok(p) => p,
            Err(e) => return Err(TestCaseError::fail(format!("valid parts rejected: {e}"))),
        };
        let wire = payload.to_wire_json();
        let back = ResolvePayload::from_json(wire.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &payload);
        // The fast path (derive) and the walker agree on valid payloads too.
        let value: serde_json::Value = serde_json::from_str(&wire).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let walked = ResolvePayload::read_value(&value).into_result().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&walked, &payload);
        let from_value = ResolvePayload::from_value(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&from_value, &payload);
        prop_assert_eq!(back.to_wire_json(), wire);
        prop_assert!(validate(&back).is_ok());
    }
}
