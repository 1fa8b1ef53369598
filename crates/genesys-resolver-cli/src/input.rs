//! Reading input files: expanding directories, JSON or YAML, telling payloads from EventBridge
//! integrations, and every violation through the core's readers and rules.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use genesys_resolver::eventbridge::EventBridgeIntegration;
use genesys_resolver::payload::{PayloadError, ResolvePayload};
use genesys_resolver::validate::{self, Limits, Violation, ViolationCode};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::args::KindChoice;
use crate::error::CliError;
use crate::strict;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// The resolver's webhook payload.
    Payload,
    /// An Amazon EventBridge source integration.
    Eventbridge,
    /// A route (`route ...` only): a payload with the route's AWS fields.
    Route,
}

/// A document read and checked.
#[derive(Debug, Clone)]
pub(crate) enum Document {
    /// A valid payload.
    Payload(ResolvePayload),
    /// A valid EventBridge integration.
    Eventbridge(EventBridgeIntegration),
}

impl Document {
    /// The integration's name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Payload(p) => &p.name,
            Self::Eventbridge(e) => &e.name,
        }
    }
}

/// Why a file is not a valid document.
#[derive(Debug, Clone)]
pub(crate) enum Problem {
    /// It could not be read, or is not well-formed JSON or YAML.
    Unreadable(String),
    /// It breaks rules: the violations kept, and how many were found in all.
    Invalid {
        /// The violations (at most the core's maximum).
        violations: Vec<Violation>,
        /// How many were found.
        total: usize,
    },
}

/// One input file, read.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    /// The path as given (or found in a directory).
    pub(crate) file: String,
    /// The kind, when the document was readable.
    pub(crate) kind: Option<Kind>,
    /// The document, or why not.
    pub(crate) result: Result<Document, Problem>,
}

/// The files named: each file, and each directory's `.json`, `.yaml` and `.yml` files in name
/// order.
pub(crate) fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|p| p.is_file() && input_extension(p))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    if out.is_empty() {
        return Err(CliError::Usage(
            "no input files (a directory holds no .json, .yaml or .yml file)".to_owned(),
        ));
    }
    Ok(out)
}

fn input_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "yaml" | "yml")
    )
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Reads and checks one file.
pub(crate) fn load(path: &Path, kind: KindChoice, limits: &Limits) -> Loaded {
    let file = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return Loaded {
                file,
                kind: None,
                result: Err(Problem::Unreadable(format!("cannot read the file: {e}"))),
            };
        }
    };
    let yaml = is_yaml(path);
    let duplicates = RefCell::new(Vec::new());
    let value = if yaml {
        std::str::from_utf8(&bytes)
            .map_err(|e| format!("not UTF-8 text: {e}"))
            .and_then(|text| {
                strict::read(serde_norway::Deserializer::from_str(text), &duplicates)
                    .map_err(|e| format!("not valid YAML: {e}"))
            })
    } else {
        strict::read(
            &mut serde_json::Deserializer::from_slice(&bytes),
            &duplicates,
        )
        .map_err(|e| format!("not valid JSON: {e}"))
    };
    let value = match value {
        Ok(v) => v,
        Err(message) => {
            return Loaded {
                file,
                kind: None,
                result: Err(Problem::Unreadable(message)),
            };
        }
    };
    let kind = match kind {
        KindChoice::Payload => Kind::Payload,
        KindChoice::Eventbridge => Kind::Eventbridge,
        KindChoice::Auto => detect(&value),
    };
    let duplicates: Vec<Violation> = duplicates
        .into_inner()
        .into_iter()
        .map(|path| {
            Violation::new(
                path,
                ViolationCode::DuplicateKey,
                "the same key appears twice in one object",
            )
        })
        .collect();
    let result = match kind {
        // JSON payloads go through the core's own strict reader, byte for byte.
        Kind::Payload if !yaml => match ResolvePayload::parse_and_validate(&bytes, limits) {
            Ok(p) => Ok(Document::Payload(p)),
            Err(PayloadError::Invalid(errors)) => Err(Problem::Invalid {
                total: errors.total(),
                violations: errors.into_violations(),
            }),
            Err(e) => Err(Problem::Unreadable(e.to_string())),
        },
        Kind::Payload => payload_from_value(&value, duplicates, limits),
        Kind::Eventbridge => eventbridge_from_value(&value, duplicates),
        // `detect` never answers it: route files are read by `route ...` only.
        Kind::Route => Err(Problem::Unreadable(
            "a route file: use `route plan` or `route apply`".to_owned(),
        )),
    };
    Loaded {
        file,
        kind: Some(kind),
        result,
    }
}

/// EventBridge integrations have keys no payload has.
fn detect(value: &Value) -> Kind {
    let eventbridge = ["awsAccountId", "awsRegion", "eventSourceSuffix", "topics"];
    match value {
        Value::Object(map) if eventbridge.iter().any(|k| map.contains_key(*k)) => Kind::Eventbridge,
        _ => Kind::Payload,
    }
}

fn invalid(violations: Vec<Violation>, extra: usize) -> Problem {
    Problem::Invalid {
        total: violations.len() + extra,
        violations,
    }
}

/// A YAML payload: the core's reader of parsed values, then its rules.
fn payload_from_value(
    value: &Value,
    mut violations: Vec<Violation>,
    limits: &Limits,
) -> Result<Document, Problem> {
    match ResolvePayload::from_value(value) {
        Ok(payload) => {
            let total_dups = violations.len();
            if let Err(errors) = validate::validate_with(&payload, limits) {
                let total = errors.total() + total_dups;
                violations.extend(errors.into_violations());
                return Err(Problem::Invalid { violations, total });
            }
            if violations.is_empty() {
                Ok(Document::Payload(payload))
            } else {
                Err(invalid(violations, 0))
            }
        }
        Err(errors) => {
            let total = errors.total() + violations.len();
            violations.extend(errors.into_violations());
            Err(Problem::Invalid { violations, total })
        }
    }
}

const EVENTBRIDGE_KEYS: &[(&str, bool)] = &[
    ("name", true),
    ("awsAccountId", true),
    ("awsRegion", true),
    ("eventSourceSuffix", true),
    ("topics", true),
    ("notes", false),
];

/// An EventBridge integration: its shape (keys and types), then the core's rules.
fn eventbridge_from_value(
    value: &Value,
    mut violations: Vec<Violation>,
) -> Result<Document, Problem> {
    let Value::Object(map) = value else {
        violations.push(Violation::new(
            "",
            ViolationCode::WrongType,
            "expected an object",
        ));
        return Err(invalid(violations, 0));
    };
    shape(map, &mut violations);
    if !violations.is_empty() {
        return Err(invalid(violations, 0));
    }
    let integration: EventBridgeIntegration =
        serde_json::from_value(value.clone()).map_err(|e| {
            invalid(
                vec![Violation::new("", ViolationCode::WrongType, e.to_string())],
                0,
            )
        })?;
    let rules = integration.violations();
    if rules.is_empty() {
        Ok(Document::Eventbridge(integration))
    } else {
        Err(invalid(rules, 0))
    }
}

/// Unknown keys, missing keys and wrong types of an EventBridge integration document.
fn shape(map: &Map<String, Value>, out: &mut Vec<Violation>) {
    for key in map.keys() {
        if !EVENTBRIDGE_KEYS.iter().any(|(k, _)| k == key) {
            out.push(Violation::new(
                strict::join_key("", key),
                ViolationCode::UnknownKey,
                "not a key of an EventBridge integration",
            ));
        }
    }
    for (key, required) in EVENTBRIDGE_KEYS {
        match (map.get(*key), *required) {
            (None, true) => out.push(Violation::new(
                *key,
                ViolationCode::MissingKey,
                "this key is required",
            )),
            (None | Some(Value::Null), false) | (Some(Value::String(_)), _) if *key != "topics" => {
            }
            (Some(Value::Array(items)), _) if *key == "topics" => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_string() {
                        out.push(Violation::new(
                            format!("topics[{i}]"),
                            ViolationCode::WrongType,
                            "expected a string",
                        ));
                    }
                }
            }
            (None, false) => {}
            (Some(_), _) => out.push(Violation::new(
                *key,
                ViolationCode::WrongType,
                if *key == "topics" {
                    "expected an array of strings"
                } else {
                    "expected a string"
                },
            )),
        }
    }
}
