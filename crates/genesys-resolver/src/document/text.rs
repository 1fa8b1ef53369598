//! Text to a JSON value, strictly and within bounds: one serde visitor for JSON and YAML that
//! builds the value, records every duplicate key with its JSON path (a map would silently keep
//! one of the values), refuses nesting deeper than [`ReadLimits::max_depth`] and stops as soon as
//! the value would be larger than [`ReadLimits::max_expanded_bytes`] written as JSON (what a YAML
//! alias repeated many times would grow to), and never quotes a value in what it reports.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::{DocumentError, Format, ReadLimits};
use crate::violation::{MAX_VIOLATIONS, Violation, ViolationCode, header_path, key_path};

/// A document's value and the problems met while reading its text (duplicate keys, numbers JSON
/// cannot hold). Where such a number stood, the value holds `null`.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) value: Value,
    pub(crate) violations: Vec<Violation>,
    pub(crate) omitted: usize,
}

/// Reads `text` as `format` within `limits`.
pub(crate) fn parse(
    text: &[u8],
    format: Format,
    limits: &ReadLimits,
) -> Result<Parsed, DocumentError> {
    if text.len() > limits.max_bytes {
        return Err(DocumentError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let mut state = State {
        violations: Vec::new(),
        omitted: 0,
        budget: limits.max_expanded_bytes,
        max_expanded: limits.max_expanded_bytes,
        max_depth: limits.max_depth,
        refused: None,
    };
    let result = match format {
        Format::Json => {
            let mut de = serde_json::Deserializer::from_slice(text);
            seed(&mut state)
                .deserialize(&mut de)
                .and_then(|value| de.end().map(|()| value))
                .map_err(|e| json_error(&e))
        }
        Format::Yaml => yaml(text, &mut state),
    };
    if let Some(refused) = state.refused {
        // The deserializer's error carries where reading stopped.
        return Err(match result {
            Err(DocumentError::Syntax { line, column, .. }) => refused.at(line, column),
            _ => refused,
        });
    }
    Ok(Parsed {
        value: result?,
        violations: state.violations,
        omitted: state.omitted,
    })
}

/// A JSON syntax error, its position apart from its message (serde_json appends it).
fn json_error(e: &serde_json::Error) -> DocumentError {
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    };
    DocumentError::Syntax {
        format: Format::Json,
        line: e.line(),
        column: e.column(),
        message,
    }
}

#[cfg(feature = "yaml")]
fn yaml(text: &[u8], state: &mut State) -> Result<Value, DocumentError> {
    let Ok(text) = std::str::from_utf8(text) else {
        return Err(DocumentError::Syntax {
            format: Format::Yaml,
            line: 0,
            column: 0,
            message: "the text is not UTF-8".to_owned(),
        });
    };
    let limit = state.max_expanded;
    seed(state)
        .deserialize(serde_norway::Deserializer::from_str(text))
        .map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            // serde_norway's own guard against aliases (more alias jumps than 100 per event of
            // the text) stops the same attack the expanded size does, and is reported so.
            if e.to_string() == "repetition limit exceeded" {
                return DocumentError::Expanded {
                    limit,
                    line,
                    column,
                };
            }
            DocumentError::Syntax {
                format: Format::Yaml,
                line,
                column,
                message: e.to_string(),
            }
        })
}

#[cfg(not(feature = "yaml"))]
fn yaml(_: &[u8], _: &mut State) -> Result<Value, DocumentError> {
    Err(DocumentError::Unsupported {
        format: Format::Yaml,
    })
}

/// What the visitors share while one document is read.
struct State {
    violations: Vec<Violation>,
    omitted: usize,
    /// Bytes of JSON the value may still grow by.
    budget: usize,
    /// The whole budget, for the refusal.
    max_expanded: usize,
    max_depth: usize,
    /// Why reading stopped on a bound, when it did (the deserializer's own error then only
    /// carries the position).
    refused: Option<DocumentError>,
}

impl State {
    fn push(&mut self, path: String, code: ViolationCode, message: &str) {
        if self.violations.len() >= MAX_VIOLATIONS {
            self.omitted += 1;
        } else {
            self.violations.push(Violation::new(path, code, message));
        }
    }

    /// Takes `bytes` from the budget, or stops the reading.
    fn spend<E: de::Error>(&mut self, bytes: usize) -> Result<(), E> {
        if let Some(left) = self.budget.checked_sub(bytes) {
            self.budget = left;
            return Ok(());
        }
        self.budget = 0;
        let limit = self.max_expanded;
        Err(self.refuse(DocumentError::Expanded {
            limit,
            line: 0,
            column: 0,
        }))
    }

    fn refuse<E: de::Error>(&mut self, why: DocumentError) -> E {
        let message = why.to_string();
        if self.refused.is_none() {
            self.refused = Some(why);
        }
        E::custom(message)
    }
}

fn seed(state: &mut State) -> Seed<'_> {
    Seed {
        path: String::new(),
        depth: 0,
        state,
    }
}

/// Reads one value at `path`.
struct Seed<'s> {
    path: String,
    depth: usize,
    state: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Seed<'_> {
    /// A `null` where a value JSON cannot hold stood, and a violation naming its path.
    fn unrepresentable<E: de::Error>(self, message: &str) -> Result<Value, E> {
        self.state.spend::<E>(4)?;
        self.state
            .push(self.path, ViolationCode::WrongType, message);
        Ok(Value::Null)
    }

    fn scalar<E: de::Error>(self, value: Value, bytes: usize) -> Result<Value, E> {
        self.state.spend::<E>(bytes)?;
        Ok(value)
    }

    /// The seed of a nested value, or the refusal when it would be nested too deeply.
    fn child<E: de::Error>(&mut self, path: String) -> Result<Seed<'_>, E> {
        if self.depth + 1 > self.state.max_depth {
            let limit = self.state.max_depth;
            return Err(self.state.refuse(DocumentError::TooDeep {
                limit,
                line: 0,
                column: 0,
            }));
        }
        Ok(Seed {
            path,
            depth: self.depth + 1,
            state: &mut *self.state,
        })
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-compatible value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.scalar(Value::Bool(v), 4)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.scalar(Value::Number(v.into()), 1)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.scalar(Value::Number(v.into()), 1)
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        match i64::try_from(v) {
            Ok(v) => self.visit_i64(v),
            Err(_) => self.unrepresentable("expected a number of at most 64 bits"),
        }
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => self.unrepresentable("expected a number of at most 64 bits"),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        match Number::from_f64(v) {
            Some(n) => self.scalar(Value::Number(n), 1),
            None => self.unrepresentable("expected a finite number (JSON has no infinity or NaN)"),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.scalar(Value::String(v.to_owned()), v.len() + 2)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        let bytes = v.len() + 2;
        self.scalar(Value::String(v), bytes)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.scalar(Value::Null, 4)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Value, A::Error> {
        Err(de::Error::custom(
            "a tagged value (`!tag`): tags are not part of the document's JSON form",
        ))
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        self.state.spend::<A::Error>(2)?;
        let mut out = Vec::new();
        loop {
            let path = format!("{}[{}]", self.path, out.len());
            let Some(v) = seq.next_element_seed(self.child::<A::Error>(path)?)? else {
                break;
            };
            // The comma.
            self.state.spend::<A::Error>(1)?;
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        self.state.spend::<A::Error>(2)?;
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            // The key's quotes, its colon and a comma.
            self.state.spend::<A::Error>(key.len() + 4)?;
            // Header names are paths as the rules write them (`headers.X-Api-Key`).
            let path = if self.path == "headers" {
                header_path(&key)
            } else {
                key_path(&self.path, &key)
            };
            let value = map.next_value_seed(self.child::<A::Error>(path.clone())?)?;
            if out.contains_key(&key) {
                self.state.push(
                    path,
                    ViolationCode::DuplicateKey,
                    "the same key appears twice in one object",
                );
            } else {
                out.insert(key, value);
            }
        }
        Ok(Value::Object(out))
    }
}

/// A map key: a string. YAML's numbers, booleans, nulls and collections as keys are refused
/// (JSON has none), without repeating them.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl KeySeed {
    fn not_a_string<E: de::Error>(what: &str) -> Result<String, E> {
        Err(E::custom(format_args!(
            "a key is {what}; keys are strings in JSON"
        )))
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<String, E> {
        Self::not_a_string("a boolean")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<String, E> {
        Self::not_a_string("a number")
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<String, E> {
        Self::not_a_string("a number")
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<String, E> {
        Self::not_a_string("a number")
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<String, E> {
        Self::not_a_string("a number")
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
        Self::not_a_string("a number")
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Self::not_a_string("null")
    }

    fn visit_none<E: de::Error>(self) -> Result<String, E> {
        Self::not_a_string("null")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Self::not_a_string("a list")
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Self::not_a_string("an object")
    }
}
