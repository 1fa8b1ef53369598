//! EventBridge event patterns: the checks `PutRule` makes of a pattern ([`validate`]) and
//! matching with EventBridge's semantics ([`matches()`]), from the User Guide's "Event patterns",
//! "Matching null values and empty strings", "Arrays" and "Content filtering" pages.
//!
//! - A pattern is a non-empty JSON object. A field's value is either an object (it descends into
//!   the event's field of that name) or a non-empty array of match values: the field matches when
//!   any of them matches.
//! - Match values: strings (exact, character by character), numbers (exact: by representation,
//!   so `300` and `300.0` differ), `true`, `false`, `null` (matches `null` only; `""` matches the
//!   empty string only), and one-operator objects: `prefix`, `suffix` (both also as
//!   `{"equals-ignore-case": ...}`), `equals-ignore-case`, `wildcard` (`*`: any run of
//!   characters), `anything-but` (a value, a list of strings or of numbers, or a `prefix`,
//!   `suffix`, `equals-ignore-case` or `wildcard`), `numeric` (one comparison, or a lower and an
//!   upper bound), `exists`, `cidr` (IPv4 or IPv6 network); `$or` between two or more
//!   sub-patterns.
//! - Arrays in the event: a scalar array matches when any element does; a nested pattern against
//!   an array of objects matches when one element matches all of it.
//! - `exists` looks at leaves only: a field holding an object (or an empty array, or nothing at
//!   all, its parents included) does not exist for it, so `{"exists": false}` matches there and
//!   every other match value does not.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::Serialize;
use serde_json::{Map, Number, Value};

use crate::violation::key_path;

/// The deepest nesting of objects (and `$or`) a pattern may have. EventBridge's 2,048-character
/// quota keeps real patterns far below it; the bound keeps a hostile value from exhausting the
/// stack.
pub const MAX_PATTERN_DEPTH: usize = 64;
/// The bounds of `numeric` matching: EventBridge compares numbers between -5.0e9 and +5.0e9.
pub const NUMERIC_LIMIT: f64 = 5.0e9;

/// A pattern EventBridge would refuse (`InvalidEventPatternException`): the JSON path of the
/// offending part (`$` for the whole pattern) and the rule it breaks. No value of the pattern
/// is repeated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("event pattern at {path}: {reason}")]
pub struct PatternError {
    /// Where in the pattern: `detail.state[0].prefix`, `$` for the pattern itself.
    pub path: String,
    /// The rule broken.
    pub reason: String,
}

impl PatternError {
    fn new(path: &str, reason: impl Into<String>) -> Self {
        Self {
            path: if path.is_empty() {
                "$".to_owned()
            } else {
                path.to_owned()
            },
            reason: reason.into(),
        }
    }
}

/// Checks `pattern` as `PutRule` does: a non-empty object whose fields are non-empty arrays of
/// match values or nested objects, operators known and with arguments of the right shape.
pub fn validate(pattern: &Value) -> Result<(), PatternError> {
    let Value::Object(map) = pattern else {
        return Err(PatternError::new(
            "",
            "an event pattern must be a JSON object",
        ));
    };
    check_object(map, "", 1)
}

/// Whether `event` matches the EventBridge event `pattern` (EventBridge's semantics: exact
/// values, arrays as "any of", prefix, suffix, anything-but (values, prefix, suffix, wildcard),
/// numeric, exists, equals-ignore-case, wildcard, cidr, `$or`, nested objects, arrays in the
/// event). A pattern EventBridge would refuse is an error, whatever the event.
///
/// ```
/// use genesys_resolver::route::semantics::matches;
/// use serde_json::json;
///
/// let pattern = json!({"source": [{"prefix": "aws.partner/genesys.com"}],
///                      "detail-type": ["v2.users.{id}.presence"]});
/// let event = json!({"source": "aws.partner/genesys.com/cloud/org/orders",
///                    "detail-type": "v2.users.{id}.presence", "detail": {}});
/// assert!(matches(&pattern, &event).unwrap());
/// assert!(matches(&json!({"source": []}), &event).is_err());
/// ```
pub fn matches(pattern: &Value, event: &Value) -> Result<bool, PatternError> {
    validate(pattern)?;
    let Value::Object(map) = pattern else {
        return Ok(false);
    };
    Ok(match_object(map, Some(event)))
}

fn check_object(map: &Map<String, Value>, path: &str, depth: usize) -> Result<(), PatternError> {
    if depth > MAX_PATTERN_DEPTH {
        return Err(PatternError::new(
            path,
            format!("the pattern nests deeper than {MAX_PATTERN_DEPTH} levels"),
        ));
    }
    if map.is_empty() {
        return Err(PatternError::new(
            path,
            "an object in a pattern must not be empty",
        ));
    }
    for (key, value) in map {
        let here = if key == "$or" && path.is_empty() {
            key.clone()
        } else if key == "$or" {
            format!("{path}.{key}")
        } else {
            key_path(path, key)
        };
        if key == "$or" {
            let alternatives = value.as_array().filter(|a| a.len() >= 2).ok_or_else(|| {
                PatternError::new(&here, "\"$or\" takes an array of at least two objects")
            })?;
            for (i, alternative) in alternatives.iter().enumerate() {
                let at = format!("{here}[{i}]");
                let Value::Object(inner) = alternative else {
                    return Err(PatternError::new(
                        &at,
                        "each \"$or\" alternative is an object",
                    ));
                };
                check_object(inner, &at, depth + 1)?;
            }
            continue;
        }
        match value {
            Value::Object(inner) => check_object(inner, &here, depth + 1)?,
            Value::Array(values) if values.is_empty() => {
                return Err(PatternError::new(
                    &here,
                    "an array of match values must not be empty",
                ));
            }
            Value::Array(values) => {
                for (i, matcher) in values.iter().enumerate() {
                    check_matcher(matcher, &format!("{here}[{i}]"))?;
                }
            }
            _ => {
                return Err(PatternError::new(
                    &here,
                    "a field's value must be an array of match values or an object",
                ));
            }
        }
    }
    Ok(())
}

fn check_matcher(matcher: &Value, path: &str) -> Result<(), PatternError> {
    let map = match matcher {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => return Ok(()),
        Value::Array(_) => {
            return Err(PatternError::new(
                path,
                "a match value is a string, number, boolean, null or an operator object",
            ));
        }
        Value::Object(map) => map,
    };
    let mut entries = map.iter();
    let (Some((op, arg)), None) = (entries.next(), entries.next()) else {
        return Err(PatternError::new(
            path,
            "an operator object has exactly one operator",
        ));
    };
    let at = key_path(path, op);
    match op.as_str() {
        "prefix" | "suffix" => check_affix(arg, &at, op),
        "equals-ignore-case" => string_arg(arg, &at, op),
        "wildcard" => check_wildcard(arg, &at),
        "exists" => match arg {
            Value::Bool(_) => Ok(()),
            _ => Err(PatternError::new(&at, "\"exists\" takes true or false")),
        },
        "cidr" => match arg.as_str().and_then(network) {
            Some(_) => Ok(()),
            None => Err(PatternError::new(
                &at,
                "\"cidr\" takes an IPv4 or IPv6 network (address/prefix length)",
            )),
        },
        "numeric" => check_numeric(arg, &at),
        "anything-but" => check_anything_but(arg, &at),
        _ => Err(PatternError::new(
            path,
            "unknown operator: one of prefix, suffix, equals-ignore-case, wildcard, anything-but, \
             numeric, exists, cidr",
        )),
    }
}

fn string_arg(arg: &Value, path: &str, op: &str) -> Result<(), PatternError> {
    if arg.is_string() {
        Ok(())
    } else {
        Err(PatternError::new(path, format!("\"{op}\" takes a string")))
    }
}

fn check_affix(arg: &Value, path: &str, op: &str) -> Result<(), PatternError> {
    if arg.is_string() || ignore_case_arg(arg).is_some() {
        Ok(())
    } else {
        Err(PatternError::new(
            path,
            format!("\"{op}\" takes a string or {{\"equals-ignore-case\": string}}"),
        ))
    }
}

/// The string of `{"equals-ignore-case": "..."}`.
fn ignore_case_arg(arg: &Value) -> Option<&str> {
    let map = arg.as_object()?;
    if map.len() != 1 {
        return None;
    }
    map.get("equals-ignore-case")?.as_str()
}

fn check_wildcard(arg: &Value, path: &str) -> Result<(), PatternError> {
    let Some(text) = arg.as_str() else {
        return Err(PatternError::new(path, "\"wildcard\" takes a string"));
    };
    if text.contains("**") {
        return Err(PatternError::new(
            path,
            "\"wildcard\" takes no consecutive wildcard characters",
        ));
    }
    Ok(())
}

fn check_numeric(arg: &Value, path: &str) -> Result<(), PatternError> {
    let bad = |reason: &str| Err(PatternError::new(path, reason));
    let Some(items) = arg.as_array() else {
        return bad("\"numeric\" takes an array of one or two comparisons");
    };
    let comparison = |i: usize| -> Option<(&str, f64)> {
        let op = items.get(i)?.as_str()?;
        let bound = items.get(i + 1)?.as_f64()?;
        ["<", "<=", "=", ">=", ">"]
            .contains(&op)
            .then_some((op, bound))
    };
    let within = |b: f64| (-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&b);
    match items.len() {
        2 => match comparison(0) {
            Some((_, b)) if within(b) => Ok(()),
            Some(_) => bad("\"numeric\" bounds lie between -5.0e9 and 5.0e9"),
            None => bad("\"numeric\" takes an operator (<, <=, =, >=, >) and a number"),
        },
        4 => match (comparison(0), comparison(2)) {
            (Some((low_op, low)), Some((high_op, high)))
                if matches!(low_op, ">" | ">=") && matches!(high_op, "<" | "<=") =>
            {
                if !(within(low) && within(high)) {
                    bad("\"numeric\" bounds lie between -5.0e9 and 5.0e9")
                } else if low >= high {
                    bad("\"numeric\" takes a lower bound below its upper bound")
                } else {
                    Ok(())
                }
            }
            _ => bad(
                "\"numeric\" with two comparisons takes a lower bound (> or >=) then an upper bound (< or <=)",
            ),
        },
        _ => bad("\"numeric\" takes an array of one or two comparisons"),
    }
}

fn check_anything_but(arg: &Value, path: &str) -> Result<(), PatternError> {
    let bad = || {
        Err(PatternError::new(
            path,
            "\"anything-but\" takes a string, a number, a non-empty list of strings or of numbers, \
             or one of prefix, suffix, equals-ignore-case, wildcard",
        ))
    };
    match arg {
        Value::String(_) | Value::Number(_) => Ok(()),
        Value::Array(items) if !items.is_empty() => {
            if items.iter().all(Value::is_string) || items.iter().all(Value::is_number) {
                Ok(())
            } else {
                bad()
            }
        }
        Value::Object(map) if map.len() == 1 => {
            let Some((op, inner)) = map.iter().next() else {
                return bad();
            };
            let at = key_path(path, op);
            match op.as_str() {
                "prefix" | "suffix" => string_arg(inner, &at, op),
                "wildcard" => check_wildcard(inner, &at),
                "equals-ignore-case" => match inner {
                    Value::String(_) => Ok(()),
                    Value::Array(items)
                        if !items.is_empty() && items.iter().all(Value::is_string) =>
                    {
                        Ok(())
                    }
                    _ => Err(PatternError::new(
                        &at,
                        "\"equals-ignore-case\" takes a string or a non-empty list of strings",
                    )),
                },
                _ => bad(),
            }
        }
        _ => bad(),
    }
}

/// A `cidr` argument: `address/prefix`, or a bare address (one host).
fn network(text: &str) -> Option<IpNet> {
    IpNet::from_str(text)
        .ok()
        .or_else(|| IpAddr::from_str(text).ok().map(IpNet::from))
}

/// Matches a (validated) pattern object against `node` (`None`: the field is absent).
fn match_object(pattern: &Map<String, Value>, node: Option<&Value>) -> bool {
    if let Some(Value::Array(items)) = node {
        // One element must match all of a nested pattern; an array without objects has no
        // fields below it.
        let mut objects = items.iter().filter(|i| i.is_object()).peekable();
        if objects.peek().is_none() {
            return match_fields(pattern, None);
        }
        return objects.any(|item| match_fields(pattern, Some(item)));
    }
    match_fields(pattern, node)
}

fn match_fields(pattern: &Map<String, Value>, node: Option<&Value>) -> bool {
    pattern.iter().all(|(key, sub)| {
        if key == "$or" {
            return sub.as_array().is_some_and(|alternatives| {
                alternatives
                    .iter()
                    .filter_map(Value::as_object)
                    .any(|alternative| match_object(alternative, node))
            });
        }
        let child = node.and_then(Value::as_object).and_then(|o| o.get(key));
        match sub {
            Value::Object(inner) => match_object(inner, child),
            Value::Array(matchers) => match_leaf(matchers, child),
            _ => false,
        }
    })
}

/// The leaves a field holds: itself when scalar, its scalar elements when an array, none when
/// absent or an object.
fn leaves(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Object(_)) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter(|i| !(i.is_object() || i.is_array()))
            .collect(),
        Some(scalar) => vec![scalar],
    }
}

fn match_leaf(matchers: &[Value], value: Option<&Value>) -> bool {
    let leaves = leaves(value);
    matchers.iter().any(|matcher| {
        if let Some(exists) = matcher.get("exists").and_then(Value::as_bool) {
            return exists != leaves.is_empty();
        }
        leaves.iter().any(|leaf| match_value(matcher, leaf))
    })
}

fn match_value(matcher: &Value, value: &Value) -> bool {
    let Value::Object(map) = matcher else {
        return equal(matcher, value);
    };
    let Some((op, arg)) = map.iter().next() else {
        return false;
    };
    operator(op, arg, value)
}

/// Exact matching: strings character by character, numbers by representation (`Number`'s own
/// equality: an integer never equals a float), booleans and `null` by identity.
fn equal(matcher: &Value, value: &Value) -> bool {
    match (matcher, value) {
        (Value::Number(a), Value::Number(b)) => number_eq(a, b),
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Null, Value::Null) => true,
        _ => false,
    }
}

fn number_eq(a: &Number, b: &Number) -> bool {
    if a.is_f64() || b.is_f64() {
        a.is_f64() && b.is_f64() && a.as_f64() == b.as_f64()
    } else {
        a == b
    }
}

fn operator(op: &str, arg: &Value, value: &Value) -> bool {
    match op {
        "prefix" | "suffix" => value.as_str().is_some_and(|s| affix(op, arg, s)),
        "equals-ignore-case" => match (arg.as_str(), value.as_str()) {
            (Some(a), Some(s)) => a.to_lowercase() == s.to_lowercase(),
            _ => false,
        },
        "wildcard" => match (arg.as_str(), value.as_str()) {
            (Some(p), Some(s)) => wildcard(p, s),
            _ => false,
        },
        "numeric" => numeric(arg, value),
        "cidr" => match (arg.as_str().and_then(network), value.as_str()) {
            (Some(net), Some(s)) => IpAddr::from_str(s).is_ok_and(|ip| net.contains(&ip)),
            _ => false,
        },
        "anything-but" => anything_but(arg, value),
        _ => false,
    }
}

fn affix(op: &str, arg: &Value, value: &str) -> bool {
    let (target, value) = match (arg.as_str(), ignore_case_arg(arg)) {
        (Some(t), _) => (t.to_owned(), value.to_owned()),
        (None, Some(t)) => (t.to_lowercase(), value.to_lowercase()),
        (None, None) => return false,
    };
    if op == "prefix" {
        value.starts_with(&target)
    } else {
        value.ends_with(&target)
    }
}

fn numeric(arg: &Value, value: &Value) -> bool {
    let (Some(items), Some(v)) = (arg.as_array(), value.as_f64()) else {
        return false;
    };
    if !value.is_number() {
        return false;
    }
    items.chunks(2).all(|pair| {
        let (Some(op), Some(bound)) = (
            pair.first().and_then(Value::as_str),
            pair.get(1).and_then(Value::as_f64),
        ) else {
            return false;
        };
        match op {
            "<" => v < bound,
            "<=" => v <= bound,
            // EventBridge's `=` is exact equality of the numbers.
            #[allow(clippy::float_cmp)]
            "=" => v == bound,
            ">=" => v >= bound,
            ">" => v > bound,
            _ => false,
        }
    })
}

fn anything_but(arg: &Value, value: &Value) -> bool {
    match arg {
        Value::Object(map) => {
            let Some((op, inner)) = map.iter().next() else {
                return false;
            };
            if !value.is_string() {
                return false;
            }
            let options: Vec<&Value> = match inner {
                Value::Array(items) => items.iter().collect(),
                single => vec![single],
            };
            !options.iter().any(|option| operator(op, option, value))
        }
        Value::Array(excluded) => !excluded.iter().any(|x| equal(x, value)),
        single => !equal(single, value),
    }
}

/// Whether `value` matches the wildcard `pattern` (`*`: any run of characters, none included).
fn wildcard(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < v.len() {
        if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == v[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
#[path = "pattern_tests.rs"]
mod tests;
