//! The strict reader: walks a JSON value into a payload, reporting every structural problem with
//! its JSON path.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{DeliveryRetry, EventFilter, ResolvePayload};
use crate::violation::{MAX_VIOLATIONS, Violation, ViolationCode, header_path};

pub(super) fn syntax_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the position is reported separately.
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

/// Walks a JSON value into a payload, collecting every structural problem.
#[derive(Default)]
pub(super) struct Reader {
    pub(super) violations: Vec<Violation>,
    /// Violations found beyond [`MAX_VIOLATIONS`], counted but not kept.
    pub(super) omitted: usize,
}

/// The top-level keys of a payload, in wire order; anything else beside them in an entity
/// Genesys returns is server metadata.
pub(crate) const PAYLOAD_KEYS: &[&str] = &[
    "name",
    "type",
    "uri",
    "uris",
    "retryPolicy",
    "eventFilters",
    "headers",
];
const RETRY_KEYS: &[&str] = &["maxRetries", "retryInterval", "backoffFactor"];
const FILTER_KEYS: &[&str] = &["eventType", "fields"];

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Reader {
    pub(super) fn push(&mut self, path: String, code: ViolationCode, message: String) {
        if self.violations.len() >= MAX_VIOLATIONS {
            self.omitted += 1;
            return;
        }
        self.violations.push(Violation::new(path, code, message));
    }

    fn wrong_type(&mut self, path: String, expected: &str, found: &Value) {
        let message = format!("expected {expected}, found {}", type_name(found));
        self.push(path, ViolationCode::WrongType, message);
    }

    /// Checks an object's keys: unknown ones are violations; returns the map if it is an object.
    fn object<'v>(
        &mut self,
        path: &str,
        value: &'v Value,
        known: &[&str],
        required: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = value else {
            let shown = if path.is_empty() { "$" } else { path };
            self.wrong_type(shown.to_owned(), "an object", value);
            return None;
        };
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let hint = suggest(key, known)
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
                self.push(
                    join(path, key),
                    ViolationCode::UnknownKey,
                    format!("unknown key `{key}`{hint}"),
                );
            }
        }
        for key in required {
            if !map.contains_key(*key) {
                self.push(
                    join(path, key),
                    ViolationCode::MissingKey,
                    format!("required key `{key}` is missing"),
                );
            }
        }
        Some(map)
    }

    fn string(&mut self, path: String, value: Option<&Value>) -> Option<String> {
        match value? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong_type(path, "a string", other);
                None
            }
        }
    }

    fn string_list(&mut self, path: &str, value: Option<&Value>) -> Option<Vec<String>> {
        match value {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match self.string(format!("{path}[{i}]"), Some(item)) {
                        Some(s) => out.push(s),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            Some(other) => {
                self.wrong_type(path.to_owned(), "an array of strings", other);
                None
            }
        }
    }

    pub(super) fn payload(&mut self, value: &Value) -> Option<ResolvePayload> {
        let map = self.object(
            "",
            value,
            PAYLOAD_KEYS,
            &["name", "type", "uri", "retryPolicy", "eventFilters"],
        )?;
        let name = self.string("name".into(), map.get("name"));
        let kind = self.string("type".into(), map.get("type"));
        let uri = self.string("uri".into(), map.get("uri"));
        let uris = self.string_list("uris", map.get("uris"));
        let retry_policy = map.get("retryPolicy").and_then(|v| self.retry_policy(v));
        let event_filters = map.get("eventFilters").and_then(|v| self.filters(v));
        let headers = self.headers(map.get("headers"));
        Some(ResolvePayload {
            name: name?,
            kind: kind?,
            uri: uri?,
            uris: uris?,
            retry_policy: retry_policy?,
            event_filters: event_filters?,
            headers: headers?,
        })
    }

    fn retry_policy(&mut self, value: &Value) -> Option<DeliveryRetry> {
        let path = "retryPolicy";
        let map = self.object(path, value, RETRY_KEYS, RETRY_KEYS)?;
        let max_retries = map.get("maxRetries").and_then(|v| match v {
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            Value::Number(n) if n.as_u64().is_some() => {
                self.push(
                    join(path, "maxRetries"),
                    ViolationCode::WrongType,
                    format!("{n} is too large for a retry count"),
                );
                None
            }
            other => {
                self.wrong_type(join(path, "maxRetries"), "a whole number", other);
                None
            }
        });
        let retry_interval = self.number(join(path, "retryInterval"), map.get("retryInterval"));
        let backoff_factor = self.number(join(path, "backoffFactor"), map.get("backoffFactor"));
        Some(DeliveryRetry {
            max_retries: max_retries?,
            retry_interval: retry_interval?,
            backoff_factor: backoff_factor?,
        })
    }

    fn number(&mut self, path: String, value: Option<&Value>) -> Option<f64> {
        match value? {
            Value::Number(n) => n.as_f64(),
            other => {
                self.wrong_type(path, "a number", other);
                None
            }
        }
    }

    fn filters(&mut self, value: &Value) -> Option<Vec<EventFilter>> {
        let Value::Array(items) = value else {
            self.wrong_type("eventFilters".into(), "an array of objects", value);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let path = format!("eventFilters[{i}]");
            let Some(map) = self.object(&path, item, FILTER_KEYS, &["eventType"]) else {
                ok = false;
                continue;
            };
            let event_type = self.string(join(&path, "eventType"), map.get("eventType"));
            let fields = self.string_list(&join(&path, "fields"), map.get("fields"));
            match (event_type, fields) {
                (Some(event_type), Some(fields)) => out.push(EventFilter { event_type, fields }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn headers(&mut self, value: Option<&Value>) -> Option<BTreeMap<String, String>> {
        match value {
            None | Some(Value::Null) => Some(BTreeMap::new()),
            Some(Value::Object(map)) => {
                let mut out = BTreeMap::new();
                let mut ok = true;
                for (name, v) in map {
                    match self.string(header_path(name), Some(v)) {
                        Some(s) => {
                            out.insert(name.clone(), s);
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            Some(other) => {
                self.wrong_type("headers".into(), "an object of strings", other);
                None
            }
        }
    }
}

/// The JSON path of every key that appears twice in one object of `json`, at most
/// [`MAX_VIOLATIONS`] of them. `json` must be well-formed (the caller has parsed it already).
/// serde_json keeps the last of duplicate keys silently; a payload must not mean two things.
pub(super) fn duplicate_keys(json: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(json);
    // Errors cannot occur on a document that already parsed; whatever was found is kept.
    let _ = serde::de::DeserializeSeed::deserialize(
        DupScan {
            path: String::new(),
            found: &mut found,
        },
        &mut de,
    );
    found
}

/// Walks any JSON value, recording the paths of duplicate keys.
struct DupScan<'a> {
    path: String,
    found: &'a mut Vec<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for DupScan<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for DupScan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(DupScan {
                path: format!("{}[{i}]", self.path),
                found: &mut *self.found,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let path = if self.path == "headers" {
                header_path(&key)
            } else {
                join(&self.path, &key)
            };
            if !seen.insert(key.into_owned()) && self.found.len() < MAX_VIOLATIONS {
                self.found.push(path.clone());
            }
            map.next_value_seed(DupScan {
                path,
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }
}

/// The known key closest to `key`, if it is close enough to be a typo.
fn suggest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    crate::names::suggest(key, known.iter().copied(), 2, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestion_finds_typo() {
        assert_eq!(suggest("maxRetry", RETRY_KEYS), Some("maxRetries"));
        assert_eq!(suggest("completelyOff", RETRY_KEYS), None);
        assert_eq!(suggest("URIS", PAYLOAD_KEYS), Some("uris"));
    }

    #[test]
    fn duplicate_keys_are_found_with_their_paths() {
        let json =
            br#"{"name":"a","x":[{"k":1,"k":2}],"headers":{"X-A":"1","X-A":"2"},"name":"b"}"#;
        assert_eq!(duplicate_keys(json), ["x[0].k", "headers.X-A", "name"]);
        assert!(duplicate_keys(br#"{"a":{"a":1},"b":[1,2]}"#).is_empty());
    }
}
