//! Input transformer rendering (stand-in).

use serde_json::Value;

use crate::document::route::InputTransformerSpec;

/// The rule a target belongs to, for the reserved variables.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext<'a> {
    /// The rule's name.
    pub rule_name: &'a str,
    /// The rule's ARN.
    pub rule_arn: &'a str,
    /// When EventBridge took the event in.
    pub ingestion_time: &'a str,
}

/// A transformer EventBridge cannot render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("input transformer: {reason}")]
pub struct TransformError {
    /// What is wrong.
    pub reason: String,
}

/// The body EventBridge sends for `transformer` and `event`.
pub fn render(
    transformer: &InputTransformerSpec,
    event: &Value,
    rule: &RuleContext<'_>,
) -> Result<String, TransformError> {
    let mut values: Vec<(String, Option<Value>)> = transformer
        .paths
        .iter()
        .map(|(name, path)| (name.clone(), json_path(path, event)))
        .collect();
    values.push((
        "aws.events.rule-arn".into(),
        Some(Value::from(rule.rule_arn)),
    ));
    values.push((
        "aws.events.rule-name".into(),
        Some(Value::from(rule.rule_name)),
    ));
    values.push((
        "aws.events.event.ingestion-time".into(),
        Some(Value::from(rule.ingestion_time)),
    ));
    values.push(("aws.events.event.json".into(), Some(event.clone())));
    let template = &transformer.template;
    let json_mode = matches!(template.trim_start().chars().next(), Some('{' | '[' | '"'));
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut rest = template.as_str();
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest[1..].find('>')
            && let Some((_, value)) = values.iter().find(|(n, _)| n == &rest[1..=end])
        {
            let text = match value {
                None if json_mode && !in_string => "null".to_owned(),
                None => String::new(),
                Some(Value::String(s)) if !json_mode || in_string => s.clone(),
                Some(Value::Null) if in_string => String::new(),
                Some(v) => v.to_string(),
            };
            out.push_str(&text);
            rest = &rest[end + 2..];
            continue;
        }
        if json_mode && c == '"' {
            let escaped = out.chars().rev().take_while(|b| *b == '\\').count() % 2 == 1;
            if !escaped {
                in_string = !in_string;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

/// The body EventBridge sends for a target without input or transformer: the event as JSON.
pub fn whole_event(event: &Value) -> String {
    event.to_string()
}

fn json_path(path: &str, document: &Value) -> Option<Value> {
    let mut node = document;
    for segment in path.strip_prefix("$.")?.split('.') {
        node = node.get(segment)?;
    }
    Some(node.clone())
}
