//! The payload's reader: JSON text or a parsed value into a [`ResolvePayload`], strictly.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::walk::{Reading, Walker};
use super::{DocumentError, Format, ReadLimits, text};
use crate::payload::{
    DeliveryRetry, EventFilter, PAYLOAD_KEYS, PayloadError, ResolvePayload, strict,
};
use crate::validate::{self, Limits};
use crate::violation::{ValidationErrors, header_path, key_path};

/// The keys every payload has.
pub(crate) const PAYLOAD_REQUIRED: [&str; 5] =
    ["name", "type", "uri", "retryPolicy", "eventFilters"];
const RETRY_KEYS: &[&str] = &["maxRetries", "retryInterval", "backoffFactor"];
const FILTER_KEYS: &[&str] = &["eventType", "fields"];

impl ResolvePayload {
    /// Reads a payload from JSON, strictly: every unknown key, missing key, wrong type and
    /// duplicate key is reported at once, each with its JSON path. The rules of
    /// [`crate::validate`] are not applied; [`ResolvePayload::parse_and_validate`] applies both.
    pub fn from_json(json: &[u8]) -> Result<Self, PayloadError> {
        if let Some(payload) = fast(json) {
            return Ok(payload);
        }
        read_json(json)?
            .into_result()
            .map_err(PayloadError::Invalid)
    }

    /// Reads a payload and applies every rule of [`crate::validate`] with `limits`, reporting
    /// every problem at once: an unknown key is listed beside the rules the rest of the payload
    /// breaks, never instead of them.
    pub fn parse_and_validate(json: &[u8], limits: &Limits) -> Result<Self, PayloadError> {
        if let Some(payload) = fast(json) {
            validate::validate_with(&payload, limits)?;
            return Ok(payload);
        }
        read_json(json)?
            .check(|p| validate::violations(p, limits))
            .map_err(PayloadError::Invalid)
    }

    /// Reads a payload from an already-parsed JSON value, with the checks of
    /// [`ResolvePayload::from_json`] (except for duplicate keys, which a parsed value no longer
    /// holds).
    pub fn from_value(value: &Value) -> Result<Self, ValidationErrors> {
        // The derive first, as for text (see `fast`): the walker builds a path for every key
        // it visits, which a well-formed payload (every entity Genesys returns) never needs.
        if let Ok(payload) = ResolvePayload::deserialize(strict::MapOnly(value)) {
            return Ok(payload);
        }
        Self::read_value(value).into_result()
    }

    /// Reads a payload from a parsed value as far as it goes: the [`Reading`] holds the payload
    /// (with placeholders where the value is missing or of the wrong type) and every problem of
    /// its shape. `read_value(v).check(|p| validate::violations(p, &limits))` reports the shape's
    /// problems and the rules' together.
    pub fn read_value(value: &Value) -> Reading<Self> {
        let mut walker = Walker::default();
        let map = walker.object("", value, PAYLOAD_KEYS, &PAYLOAD_REQUIRED);
        let payload = payload_fields(&mut walker, map);
        walker.finish(payload)
    }
}

/// A well-formed payload parses directly (the derive is as strict as the walker: unknown keys
/// and wrong types fail). Anything it refuses, including inputs the walker accepts (`null` for
/// an optional list), is read again by the walker, which accepts it or reports every problem.
fn fast(json: &[u8]) -> Option<ResolvePayload> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let payload = ResolvePayload::deserialize(strict::MapOnly(&mut de)).ok()?;
    de.end().ok()?;
    Some(payload)
}

/// JSON text through the strict text reader (duplicate keys, nesting bounded) and the walker.
/// No size cap: the caller bounds what it reads (the service caps bodies).
fn read_json(json: &[u8]) -> Result<Reading<ResolvePayload>, PayloadError> {
    let limits = ReadLimits {
        max_bytes: usize::MAX,
        max_expanded_bytes: usize::MAX,
        ..ReadLimits::default()
    };
    let parsed = text::parse(json, Format::Json, &limits).map_err(|e| match e {
        DocumentError::Syntax {
            line,
            column,
            message,
            ..
        } => PayloadError::Syntax {
            line,
            column,
            message,
        },
        DocumentError::TooDeep { line, column, .. }
        | DocumentError::Expanded { line, column, .. } => PayloadError::Syntax {
            line,
            column,
            message: e.reason(),
        },
        other => PayloadError::Syntax {
            line: 0,
            column: 0,
            message: other.to_string(),
        },
    })?;
    Ok(ResolvePayload::read_value(&parsed.value)
        .with_text_problems(parsed.violations, parsed.omitted))
}

/// The payload's fields from an object already checked for its keys (`None`: it was no
/// object): placeholders where a value is missing or of the wrong type.
pub(crate) fn payload_fields(w: &mut Walker, map: Option<&Map<String, Value>>) -> ResolvePayload {
    let get = |key: &str| map.and_then(|m| m.get(key));
    ResolvePayload {
        name: w.string("name".into(), get("name")),
        kind: w.string("type".into(), get("type")),
        uri: w.string("uri".into(), get("uri")),
        uris: w.string_list("uris", get("uris")),
        retry_policy: get("retryPolicy").map_or(PLACEHOLDER_RETRY, |v| retry_policy(w, v)),
        event_filters: get("eventFilters")
            .map(|v| filters(w, v))
            .unwrap_or_default(),
        headers: headers(w, get("headers")),
    }
}

/// The retry policy of a payload whose own could not be read.
const PLACEHOLDER_RETRY: DeliveryRetry = DeliveryRetry {
    max_retries: 0,
    retry_interval: 0.0,
    backoff_factor: 0.0,
};

fn retry_policy(w: &mut Walker, value: &Value) -> DeliveryRetry {
    let path = "retryPolicy";
    let Some(map) = w.object(path, value, RETRY_KEYS, RETRY_KEYS) else {
        return PLACEHOLDER_RETRY;
    };
    DeliveryRetry {
        max_retries: w.whole(key_path(path, "maxRetries"), map.get("maxRetries")),
        retry_interval: w.number(key_path(path, "retryInterval"), map.get("retryInterval")),
        backoff_factor: w.number(key_path(path, "backoffFactor"), map.get("backoffFactor")),
    }
}

fn filters(w: &mut Walker, value: &Value) -> Vec<EventFilter> {
    let Value::Array(items) = value else {
        w.wrong_type("eventFilters".into(), "an array of objects", value);
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("eventFilters[{i}]");
            let map = w.object(&path, item, FILTER_KEYS, &["eventType"]);
            let get = |key: &str| map.and_then(|m| m.get(key));
            EventFilter {
                event_type: w.string(key_path(&path, "eventType"), get("eventType")),
                fields: w.string_list(&key_path(&path, "fields"), get("fields")),
            }
        })
        .collect()
}

fn headers(w: &mut Walker, value: Option<&Value>) -> BTreeMap<String, String> {
    match value {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, v)| (name.clone(), w.string(header_path(name), Some(v))))
            .collect(),
        Some(other) => {
            w.wrong_type("headers".into(), "an object of strings", other);
            BTreeMap::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::violation::ViolationCode;

    fn pairs(errors: &ValidationErrors) -> Vec<(&str, ViolationCode)> {
        errors
            .violations()
            .iter()
            .map(|v| (v.path.as_str(), v.code))
            .collect()
    }

    #[test]
    fn duplicate_keys_are_found_with_their_paths() {
        let json = br#"{"name":"a","type":"webhook","uri":"https://a.example","name":"b",
            "retryPolicy":{"maxRetries":1,"maxRetries":2,"retryInterval":5,"backoffFactor":2},
            "eventFilters":[{"eventType":"v2.a"}],"headers":{"X-A":"1","X-A":"2"}}"#;
        let err = ResolvePayload::from_json(json).unwrap_err();
        assert_eq!(
            pairs(&ValidationErrors::new(err.violations().to_vec())),
            [
                ("name", ViolationCode::DuplicateKey),
                ("retryPolicy.maxRetries", ViolationCode::DuplicateKey),
                ("headers.X-A", ViolationCode::DuplicateKey),
            ]
        );
    }

    #[test]
    fn an_unknown_key_hides_no_rule() {
        let json = br#"{"name":"a","type":"webhook","uri":"http://a.example","uirs":[],
            "retryPolicy":{"maxRetries":9,"retryInterval":5,"backoffFactor":2},
            "eventFilters":[{"eventType":"v2.a"}]}"#;
        let err = ResolvePayload::parse_and_validate(json, &Limits::default()).unwrap_err();
        let PayloadError::Invalid(errors) = err else {
            panic!("{err}")
        };
        assert_eq!(
            pairs(&errors),
            [
                ("uirs", ViolationCode::UnknownKey),
                ("uri", ViolationCode::UriNotHttps),
                (
                    "retryPolicy.maxRetries",
                    ViolationCode::MaxRetriesOutOfRange
                ),
            ]
        );
        let hint = &errors.violations()[0].message;
        assert!(hint.contains("did you mean `uri"), "{hint}");
    }

    #[test]
    fn a_rule_about_a_missing_or_mistyped_value_is_left_out() {
        let json = br#"{"type":"webhook","uri":7,"retryPolicy":{"maxRetries":9},
            "eventFilters":[3]}"#;
        let err = ResolvePayload::parse_and_validate(json, &Limits::default()).unwrap_err();
        let PayloadError::Invalid(errors) = err else {
            panic!("{err}")
        };
        assert_eq!(
            pairs(&errors),
            [
                ("name", ViolationCode::MissingKey),
                ("uri", ViolationCode::WrongType),
                ("retryPolicy.retryInterval", ViolationCode::MissingKey),
                ("retryPolicy.backoffFactor", ViolationCode::MissingKey),
                ("eventFilters[0]", ViolationCode::WrongType),
                (
                    "retryPolicy.maxRetries",
                    ViolationCode::MaxRetriesOutOfRange
                ),
            ]
        );
    }
}
