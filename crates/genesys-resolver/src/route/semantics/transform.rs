//! What EventBridge hands an API destination for an event: the whole event ([`whole_event`]), or
//! an input transformer's template rendered with the event's values ([`render`]), from the User
//! Guide's "Amazon EventBridge input transformation" page and the `InputTransformer` API
//! reference.
//!
//! - `InputPathsMap` paths: `$`, then `.name` (any characters but `.` and `[`: dashes, slashes
//!   and underscores included), `[n]` array indexes, and the wildcards `.*` and `[*]` (a path with
//!   a wildcard gives the array of what it reaches).
//! - A placeholder outside a JSON string becomes the value as JSON (a string quoted, an object
//!   or array compact); inside a JSON string, the value's text as it is: EventBridge "doesn't
//!   escape values extracted by Input Path", so a value holding a quote breaks the JSON around
//!   it, as it will in AWS.
//! - A template that does not start (after white space) with `{`, `[` or `"` is plain text:
//!   every value goes in as its text.
//! - Reserved variables: `<aws.events.rule-arn>`, `<aws.events.rule-name>`,
//!   `<aws.events.event.ingestion-time>`, `<aws.events.event>` (the event without `detail`) and
//!   `<aws.events.event.json>` (the whole event).
//! - A path that reaches nothing: AWS says the variable "isn't created"; it renders as `null`
//!   outside a string and as nothing inside one (as the strict emulator does).
//!
//! JSON is written compactly (`,` and `:` without spaces), keys in the event's order (the
//! envelope's in EventBridge's order), non-ASCII and `/` as they are, control characters
//! escaped, floats in the shortest form that reads back (`1e+16`, `1.5e-07`, `0.0001`): byte for
//! byte what the strict emulator's delivery sends.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::document::aws_limits::aws_len;
use crate::document::route::{
    InputTransformerSpec, MAX_INPUT_PATH_CHARS, MAX_INPUT_PATHS, MAX_INPUT_TEMPLATE_CHARS,
};

/// The envelope's fields in the order EventBridge writes them.
pub const ENVELOPE_KEYS: [&str; 10] = [
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
    "replay-name",
];
/// The longest variable name of `InputPathsMap` (botocore's `InputTransformerPathKey`).
pub const MAX_VARIABLE_CHARS: usize = 256;

/// The rule a target belongs to, for the reserved variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleContext<'a> {
    /// `<aws.events.rule-name>`.
    pub rule_name: &'a str,
    /// `<aws.events.rule-arn>`.
    pub rule_arn: &'a str,
    /// `<aws.events.event.ingestion-time>`: an ISO-8601 timestamp.
    pub ingestion_time: &'a str,
}

/// An input transformer EventBridge would refuse: the field (`InputTemplate`,
/// `InputPathsMap`, `InputPathsMap.<variable>`) and the rule broken. No value of the event is
/// repeated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("input transformer {field}: {reason}")]
pub struct TransformError {
    /// `InputTemplate`, `InputPathsMap` or `InputPathsMap.<variable>`.
    pub field: String,
    /// The rule broken.
    pub reason: String,
}

impl TransformError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The body EventBridge sends for `transformer` and `event` (InputPathsMap resolved,
/// placeholders replaced inside and outside JSON strings as EventBridge does, reserved
/// `<aws.events.*>` variables).
///
/// ```
/// use std::collections::BTreeMap;
/// use genesys_resolver::route::InputTransformerSpec;
/// use genesys_resolver::route::semantics::{RuleContext, render};
/// use serde_json::json;
///
/// let transformer = InputTransformerSpec {
///     paths: BTreeMap::from([("state".to_owned(), "$.detail.state".to_owned())]),
///     template: r#"{"state": <state>, "text": "now <state>", "rule": <aws.events.rule-name>}"#.to_owned(),
/// };
/// let rule = RuleContext { rule_name: "r", rule_arn: "arn:aws:events:us-east-1:1:rule/r",
///                          ingestion_time: "2026-01-01T10:00:00Z" };
/// let body = render(&transformer, &json!({"detail": {"state": "RUNNING"}}), &rule).unwrap();
/// assert_eq!(body, r#"{"state": "RUNNING", "text": "now RUNNING", "rule": "r"}"#);
/// ```
pub fn render(
    transformer: &InputTransformerSpec,
    event: &Value,
    rule: &RuleContext<'_>,
) -> Result<String, TransformError> {
    check(transformer)?;
    let event = canonical(event);
    let mut values: Vec<(&str, Option<Value>)> = Vec::with_capacity(transformer.paths.len() + 5);
    for (name, path) in &transformer.paths {
        let found = json_path(path, &event)
            .map_err(|reason| TransformError::new(format!("InputPathsMap.{name}"), reason))?;
        values.push((name, found));
    }
    let without_detail: Map<String, Value> = match &event {
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| *k != "detail")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Map::new(),
    };
    values.push(("aws.events.rule-arn", Some(Value::from(rule.rule_arn))));
    values.push(("aws.events.rule-name", Some(Value::from(rule.rule_name))));
    values.push((
        "aws.events.event.ingestion-time",
        Some(Value::from(rule.ingestion_time)),
    ));
    values.push(("aws.events.event", Some(Value::Object(without_detail))));
    values.push(("aws.events.event.json", Some(event.clone())));
    Ok(fill(&transformer.template, &values))
}

/// The body EventBridge sends for a target without input or transformer: the event as compact
/// JSON, the envelope's fields in EventBridge's order.
pub fn whole_event(event: &Value) -> String {
    compact_json(&canonical(event))
}

/// `value` as compact JSON, written as EventBridge's delivery (and the strict emulator) writes
/// it: no spaces, keys in order, non-ASCII and `/` unescaped, floats in their shortest form
/// (`1e+16`, `0.0001`).
pub fn compact_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

/// The value at `path` (`$.detail.x`, `$.detail.list[0]`, `$.detail.*`) in `document`: `None`
/// when it reaches nothing; an error (the rule broken) when the path is not one EventBridge
/// reads.
pub fn json_path(path: &str, document: &Value) -> Result<Option<Value>, String> {
    let Some(mut rest) = path.strip_prefix('$') else {
        return Err("a JSON path starts with $".to_owned());
    };
    let mut nodes: Vec<&Value> = vec![document];
    let mut wildcard = false;
    while !rest.is_empty() {
        let (step, tail) = next_step(rest)?;
        rest = tail;
        let mut following = Vec::new();
        for node in nodes {
            match (&step, node) {
                (Step::All, Value::Object(map)) => following.extend(map.values()),
                (Step::All, Value::Array(items)) => following.extend(items.iter()),
                (Step::Name(name), Value::Object(map)) => following.extend(map.get(*name)),
                (Step::Index(i), Value::Array(items)) => following.extend(items.get(*i)),
                _ => {}
            }
        }
        wildcard |= step == Step::All;
        nodes = following;
    }
    if wildcard {
        return Ok(Some(Value::Array(nodes.into_iter().cloned().collect())));
    }
    Ok(nodes.first().map(|v| (*v).clone()))
}

#[derive(Debug, PartialEq, Eq)]
enum Step<'a> {
    Name(&'a str),
    Index(usize),
    All,
}

fn next_step(rest: &str) -> Result<(Step<'_>, &str), String> {
    if let Some(after) = rest.strip_prefix('.') {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        if end == 0 {
            return Err("a JSON path's `.` is followed by a name".to_owned());
        }
        let name = &after[..end];
        let step = if name == "*" {
            Step::All
        } else {
            Step::Name(name)
        };
        return Ok((step, &after[end..]));
    }
    if let Some(after) = rest.strip_prefix('[') {
        let Some(end) = after.find(']') else {
            return Err("a JSON path's `[` is closed by `]`".to_owned());
        };
        let inner = &after[..end];
        let step = if inner == "*" {
            Step::All
        } else if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            Step::Index(
                inner
                    .parse()
                    .map_err(|_| "a JSON path's array index is too large".to_owned())?,
            )
        } else {
            return Err("a JSON path's brackets hold an array index or *".to_owned());
        };
        return Ok((step, &after[end + 1..]));
    }
    Err("a JSON path is $ followed by .name, [index] or wildcard steps".to_owned())
}

/// The checks the route's validation and EventBridge's model make of a transformer.
fn check(transformer: &InputTransformerSpec) -> Result<(), TransformError> {
    let chars = aws_len(&transformer.template);
    if !(1..=MAX_INPUT_TEMPLATE_CHARS).contains(&chars) {
        return Err(TransformError::new(
            "InputTemplate",
            format!("takes 1 to {MAX_INPUT_TEMPLATE_CHARS} characters, this one has {chars}"),
        ));
    }
    if transformer.paths.len() > MAX_INPUT_PATHS {
        return Err(TransformError::new(
            "InputPathsMap",
            format!("takes at most {MAX_INPUT_PATHS} variables"),
        ));
    }
    for (name, path) in &transformer.paths {
        let plain = (1..=MAX_VARIABLE_CHARS).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !plain {
            return Err(TransformError::new(
                "InputPathsMap",
                format!("a variable name is 1 to {MAX_VARIABLE_CHARS} of A-Z a-z 0-9 _ -"),
            ));
        }
        if aws_len(path) > MAX_INPUT_PATH_CHARS {
            return Err(TransformError::new(
                format!("InputPathsMap.{name}"),
                format!("a JSON path takes at most {MAX_INPUT_PATH_CHARS} characters"),
            ));
        }
    }
    Ok(())
}

/// The event with the envelope's fields first, in EventBridge's order (others after them, in
/// their order).
fn canonical(event: &Value) -> Value {
    let Value::Object(map) = event else {
        return event.clone();
    };
    let mut out = Map::with_capacity(map.len());
    for key in ENVELOPE_KEYS {
        if let Some(v) = map.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    for (k, v) in map {
        if !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Python's `str.isspace`, which the emulator's template check uses: Unicode white space and
/// the separators U+001C to U+001F.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The template with its placeholders filled.
fn fill(template: &str, values: &[(&str, Option<Value>)]) -> String {
    let json_mode = matches!(
        template.trim_start_matches(is_space).chars().next(),
        Some('{' | '[' | '"')
    );
    let bytes = template.as_bytes();
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut i = 0;
    while i < template.len() {
        let Some(c) = template[i..].chars().next() else {
            break;
        };
        if c == '<'
            && let Some(rel) = template[i + 1..].find('>')
        {
            let end = i + 1 + rel;
            let name = &template[i + 1..end];
            if let Some((_, value)) = values.iter().find(|(n, _)| *n == name) {
                match (value, json_mode, in_string) {
                    (None, false, _) | (None | Some(Value::Null), true, true) => {}
                    (Some(v), false, _) | (Some(v), true, true) => out.push_str(&text(v)),
                    (None, true, false) => out.push_str("null"),
                    (Some(v), true, false) => write_json(v, &mut out),
                }
                i = end + 1;
                continue;
            }
        }
        if json_mode && c == '"' {
            let backslashes = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
            if backslashes % 2 == 0 {
                in_string = !in_string;
            }
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// A value's text: a string as it is, anything else as compact JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => compact_json(other),
    }
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => out.push_str(&float_text(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string: `"` and `\` escaped, `\b \f \n \r \t` by name, other controls as `\u00XX`
/// (lower-case hex); everything else as it is.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A float in its shortest round-trip digits, written as Python's `repr` writes it: fixed
/// notation (with at least one decimal) for exponents -4 to 15, else `d.ddde+XX`.
fn float_text(f: f64) -> String {
    if !f.is_finite() {
        return "null".to_owned();
    }
    let sci = format!("{f:e}"); // shortest digits: "-1.5e-7"
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exponent) {
        let point = exponent + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point.unsigned_abs() as usize;
            if digits.len() <= point {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{}.{}", &digits[..point], &digits[point..])
            }
        };
        return format!("{sign}{body}");
    }
    let (first, rest) = digits.split_at(1.min(digits.len()));
    let fraction = if rest.is_empty() {
        String::new()
    } else {
        format!(".{rest}")
    };
    let exp_sign = if exponent < 0 { '-' } else { '+' };
    format!(
        "{sign}{first}{fraction}e{exp_sign}{:02}",
        exponent.unsigned_abs()
    )
}

#[cfg(test)]
#[path = "transform_tests.rs"]
mod tests;
