//! Comparing what AWS holds with the [`AwsSpec`], field by field: the AWS half of a plan.

use std::collections::BTreeMap;

use aws_sdk_eventbridge::types::Target;
use serde_json::{Value, json};

use super::super::spec::{AwsSpec, ConnectionSpec, DestinationSpec};
use super::{ApiDestinationState, ConnectionState, Observed};
use crate::change::{Change, ChangeAction, FieldChange, ResourceKind};

/// A target's comparable fields, as JSON.
pub(super) fn target_view(t: &Target) -> Value {
    let retry = t.retry_policy().map(|r| {
        json!({
            "maximumRetryAttempts": r.maximum_retry_attempts(),
            "maximumEventAgeInSeconds": r.maximum_event_age_in_seconds(),
        })
    });
    let transformer = t.input_transformer().map(|i| {
        let paths: BTreeMap<&String, &String> = i
            .input_paths_map()
            .map(|m| m.iter().collect())
            .unwrap_or_default();
        json!({"inputPathsMap": paths, "inputTemplate": i.input_template()})
    });
    json!({
        "arn": t.arn(),
        "roleArn": t.role_arn(),
        "retryPolicy": retry,
        "deadLetterArn": t.dead_letter_config().and_then(|d| d.arn()),
        "inputTransformer": transformer,
    })
}

/// The target the spec wants for `dest`, given its API destination's ARN, as JSON (the same
/// shape as [`target_view`]).
pub(super) fn desired_target_view(spec: &AwsSpec, arn: &str) -> Value {
    json!({
        "arn": arn,
        "roleArn": spec.role_arn,
        "retryPolicy": {
            "maximumRetryAttempts": spec.max_retry_attempts,
            "maximumEventAgeInSeconds": spec.max_event_age,
        },
        "deadLetterArn": spec.dead_letter_arn,
        "inputTransformer": spec.input_transformer.as_ref().map(|t| json!({
            "inputPathsMap": t.paths,
            "inputTemplate": t.template,
        })),
    })
}

/// Field changes between two JSON objects, by top-level key.
pub(super) fn object_changes(current: &Value, desired: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let d = desired.as_object().unwrap_or(&empty);
    let c = current.as_object().unwrap_or(&empty);
    d.iter()
        .filter_map(|(k, v)| {
            let cur = c.get(k).cloned().unwrap_or(Value::Null);
            (cur != *v).then(|| FieldChange {
                field: k.clone(),
                current: cur,
                desired: v.clone(),
            })
        })
        .collect()
}

pub(super) fn connection_view(c: &ConnectionSpec) -> Value {
    let headers: Vec<Value> = c
        .headers
        .iter()
        .map(|h| {
            json!({
                "name": h.name,
                "value": (!h.secret).then_some(h.value.as_str()),
                "secret": h.secret,
            })
        })
        .collect();
    json!({
        "authorizationType": "API_KEY",
        "apiKeyName": c.api_key_name,
        "headers": headers,
        "description": c.description,
    })
}

pub(super) fn observed_connection_view(c: &ConnectionState) -> Value {
    let headers: Vec<Value> = c
        .headers
        .iter()
        .map(|(name, value, secret)| json!({"name": name, "value": value, "secret": secret}))
        .collect();
    json!({
        "authorizationType": c.authorization_type,
        "apiKeyName": c.api_key_name,
        "headers": headers,
        "description": c.description,
    })
}

pub(super) fn destination_view(d: &DestinationSpec, connection_arn: Option<&str>) -> Value {
    let mut v = json!({
        "connectionArn": connection_arn,
        "invocationEndpoint": d.uri,
        "httpMethod": "POST",
    });
    if let Some(rate) = d.rate_limit {
        v["invocationRateLimitPerSecond"] = json!(rate);
    }
    v
}

pub(super) fn observed_destination_view(d: &ApiDestinationState) -> Value {
    json!({
        "connectionArn": d.connection_arn,
        "invocationEndpoint": d.endpoint,
        "httpMethod": d.method,
        "invocationRateLimitPerSecond": d.rate_limit,
    })
}

fn change(
    kind: ResourceKind,
    name: &str,
    action: ChangeAction,
    changes: Vec<FieldChange>,
) -> Change {
    Change::new(kind, name, action, changes)
}

fn create_or_update(current: Option<Value>, desired: &Value) -> (ChangeAction, Vec<FieldChange>) {
    match current {
        None => (ChangeAction::Create, object_changes(&Value::Null, desired)),
        Some(cur) => {
            let changes = object_changes(&cur, desired);
            if changes.is_empty() {
                (ChangeAction::Nothing, changes)
            } else {
                (ChangeAction::Update, changes)
            }
        }
    }
}

/// What apply would change on the AWS side, resource by resource, in apply order (deletions of
/// leftovers last). ARNs of resources still to be created show as `null`.
pub(in crate::route) fn plan(spec: &AwsSpec, seen: &Observed) -> Vec<Change> {
    let mut out = Vec::new();
    out.push(if seen.bus_arn.is_some() {
        change(
            ResourceKind::EventBus,
            &spec.bus_name,
            ChangeAction::Nothing,
            Vec::new(),
        )
    } else {
        change(
            ResourceKind::EventBus,
            &spec.bus_name,
            ChangeAction::Create,
            vec![FieldChange {
                field: "eventSourceName".into(),
                current: Value::Null,
                desired: json!(spec.bus_name),
            }],
        )
    });
    let mut target_arns = Vec::new();
    for d in &spec.destinations {
        let c = &d.connection;
        let cur = seen.connections.get(&c.name);
        let (action, changes) =
            create_or_update(cur.map(observed_connection_view), &connection_view(c));
        out.push(change(ResourceKind::Connection, &c.name, action, changes));
        let conn_arn = cur.map(|c| c.arn.as_str());
        let cur_dest = seen.destinations.get(&d.api_destination_name);
        let (action, changes) = create_or_update(
            cur_dest.map(observed_destination_view),
            &destination_view(d, conn_arn),
        );
        out.push(change(
            ResourceKind::ApiDestination,
            &d.api_destination_name,
            action,
            changes,
        ));
        target_arns.push(cur_dest.map(|d| d.arn.clone()));
    }
    let desired_rule = json!({"eventPattern": spec.event_pattern, "state": "ENABLED"});
    let (action, changes) = create_or_update(
        seen.rule.as_ref().map(|r| {
            json!({"eventPattern": r.pattern, "state": if r.enabled { "ENABLED" } else { "DISABLED" }})
        }),
        &desired_rule,
    );
    out.push(change(ResourceKind::Rule, &spec.rule_name, action, changes));
    for (d, arn) in spec.destinations.iter().zip(&target_arns) {
        let desired = desired_target_view(spec, arn.as_deref().unwrap_or_default());
        let mut desired = desired;
        if arn.is_none() {
            desired["arn"] = Value::Null;
        }
        let (action, changes) = create_or_update(seen.targets.get(&d.target_id).cloned(), &desired);
        out.push(change(ResourceKind::Target, &d.target_id, action, changes));
    }
    // Leftovers of a route that had more destinations.
    let wanted_targets: Vec<&str> = spec
        .destinations
        .iter()
        .map(|d| d.target_id.as_str())
        .collect();
    for id in seen
        .targets
        .keys()
        .filter(|id| !wanted_targets.contains(&id.as_str()))
    {
        out.push(change(
            ResourceKind::Target,
            id,
            ChangeAction::Delete,
            Vec::new(),
        ));
    }
    let wanted: Vec<&str> = spec
        .destinations
        .iter()
        .map(|d| d.api_destination_name.as_str())
        .collect();
    for name in seen
        .destinations
        .keys()
        .filter(|n| !wanted.contains(&n.as_str()))
    {
        out.push(change(
            ResourceKind::ApiDestination,
            name,
            ChangeAction::Delete,
            Vec::new(),
        ));
    }
    for name in seen
        .connections
        .keys()
        .filter(|n| !wanted.contains(&n.as_str()))
    {
        out.push(change(
            ResourceKind::Connection,
            name,
            ChangeAction::Delete,
            Vec::new(),
        ));
    }
    out
}
