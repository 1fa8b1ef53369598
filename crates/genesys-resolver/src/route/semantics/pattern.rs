//! Event pattern matching (stand-in: exact values, prefix, suffix, anything-but, exists,
//! equals-ignore-case, nested objects, arrays in the event, `$or`).

use serde_json::Value;

/// A pattern EventBridge would refuse: its JSON path and the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("event pattern at {path}: {reason}")]
pub struct PatternError {
    /// Where in the pattern.
    pub path: String,
    /// The rule broken.
    pub reason: String,
}

/// Whether `event` matches the EventBridge event `pattern`.
pub fn matches(pattern: &Value, event: &Value) -> Result<bool, PatternError> {
    object(pattern, Some(event), "$")
}

fn object(pattern: &Value, event: Option<&Value>, path: &str) -> Result<bool, PatternError> {
    let Some(map) = pattern.as_object() else {
        return Err(PatternError {
            path: path.to_owned(),
            reason: "must be an object".to_owned(),
        });
    };
    for (key, want) in map {
        let at = format!("{path}.{key}");
        if key == "$or" {
            let Some(options) = want.as_array() else {
                return Err(PatternError {
                    path: at,
                    reason: "must be an array".to_owned(),
                });
            };
            let mut any = false;
            for option in options {
                any |= object(option, event, &at)?;
            }
            if !any {
                return Ok(false);
            }
            continue;
        }
        let value = event.and_then(|e| e.get(key));
        let ok = match want {
            Value::Object(_) => object(want, value, &at)?,
            Value::Array(options) => leaf(options, value, &at)?,
            _ => {
                return Err(PatternError {
                    path: at,
                    reason: "must be an object or an array".to_owned(),
                });
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn leaf(options: &[Value], value: Option<&Value>, path: &str) -> Result<bool, PatternError> {
    let values: Vec<&Value> = match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    for option in options {
        if let Some(rule) = option.as_object() {
            if let Some(exists) = rule.get("exists").and_then(Value::as_bool) {
                if exists == value.is_some() {
                    return Ok(true);
                }
                continue;
            }
            for v in &values {
                if rule_matches(rule, v, path)? {
                    return Ok(true);
                }
            }
        } else if values.contains(&option) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn rule_matches(
    rule: &serde_json::Map<String, Value>,
    value: &Value,
    path: &str,
) -> Result<bool, PatternError> {
    let text = value.as_str();
    for (op, arg) in rule {
        let ok = match (op.as_str(), text) {
            ("prefix", Some(t)) => arg.as_str().is_some_and(|p| t.starts_with(p)),
            ("suffix", Some(t)) => arg.as_str().is_some_and(|p| t.ends_with(p)),
            ("equals-ignore-case", Some(t)) => {
                arg.as_str().is_some_and(|p| t.eq_ignore_ascii_case(p))
            }
            ("anything-but", _) => match arg {
                Value::Array(items) => !items.contains(value),
                Value::Object(inner) => !rule_matches(inner, value, path)?,
                other => other != value,
            },
            ("prefix" | "suffix" | "equals-ignore-case", None) => false,
            _ => {
                return Err(PatternError {
                    path: path.to_owned(),
                    reason: format!("unsupported operator {op}"),
                });
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}
