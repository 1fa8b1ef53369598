//! A strict reader of JSON and YAML documents into a `serde_json::Value` that records every
//! duplicate key with its JSON path (a map would silently keep one of the values). It runs over
//! any serde deserializer, so YAML goes through the same check as JSON.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The JSON path of `key` under `path` (`retryPolicy.maxRetries`; `headers["X-A b"]` for keys
/// that are not plain identifiers, as the core writes header paths).
pub(crate) fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{key:?}]"),
    }
}

/// Reads a value with `deserializer`, recording duplicate keys' paths into `duplicates`.
pub(crate) fn read<'de, D: de::Deserializer<'de>>(
    deserializer: D,
    duplicates: &RefCell<Vec<String>>,
) -> Result<Value, D::Error> {
    Seed {
        path: String::new(),
        duplicates,
    }
    .deserialize(deserializer)
}

struct Seed<'a> {
    path: String,
    duplicates: &'a RefCell<Vec<String>>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-compatible value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| {
            E::custom(format!(
                "{}: {v} is not a finite number",
                display_path(&self.path)
            ))
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Seed {
            path: format!("{}[{}]", self.path, out.len()),
            duplicates: self.duplicates,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed { path: &self.path })? {
            let path = join_key(&self.path, &key);
            let value = map.next_value_seed(Seed {
                path: path.clone(),
                duplicates: self.duplicates,
            })?;
            if out.contains_key(&key) {
                self.duplicates.borrow_mut().push(path);
            } else {
                out.insert(key, value);
            }
        }
        Ok(Value::Object(out))
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "document" } else { path }
}

/// A map key: a string (YAML's numbers and booleans as keys are refused, since JSON has none).
struct KeySeed<'p> {
    path: &'p str,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string key in {}", display_path(self.path))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> (Value, Vec<String>) {
        let dups = RefCell::new(Vec::new());
        let value = read(serde_norway::Deserializer::from_str(text), &dups).unwrap();
        (value, dups.into_inner())
    }

    #[test]
    fn yaml_duplicates_are_found_with_their_paths() {
        let (value, dups) =
            yaml("name: a\nretryPolicy:\n  maxRetries: 1\n  maxRetries: 2\nname: b\n");
        assert_eq!(dups, ["retryPolicy.maxRetries", "name"]);
        assert_eq!(value["name"], "a");
    }

    #[test]
    fn json_duplicates_in_lists_and_odd_keys() {
        let dups = RefCell::new(Vec::new());
        let text = r#"{"headers": {"X A": "1", "X A": "2"}, "uris": [{"a": 1, "a": 2}]}"#;
        read(&mut serde_json::Deserializer::from_str(text), &dups).unwrap();
        assert_eq!(dups.into_inner(), [r#"headers["X A"]"#, "uris[0].a"]);
    }

    #[test]
    fn yaml_non_string_keys_and_infinities_are_refused() {
        let dups = RefCell::new(Vec::new());
        assert!(read(serde_norway::Deserializer::from_str("1: a\n"), &dups).is_err());
        assert!(read(serde_norway::Deserializer::from_str("x: .inf\n"), &dups).is_err());
    }
}
