//! Comparing what AWS holds with the [`AwsSpec`], field by field: the AWS half of a plan.

use std::collections::BTreeMap;

use aws_sdk_eventbridge::types::Target;
use serde_json::{Value, json};

use super::super::spec::{AwsSpec, ConnectionSpec, DestinationSpec, RuleSpec};
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

/// The target `rule` wants for a destination, given its API destination's ARN, as JSON (the
/// same shape as [`target_view`]).
pub(super) fn desired_target_view(spec: &AwsSpec, rule: &RuleSpec, arn: Option<&str>) -> Value {
    json!({
        "arn": arn,
        "roleArn": spec.role_arn,
        "retryPolicy": {
            "maximumRetryAttempts": spec.max_retry_attempts,
            "maximumEventAgeInSeconds": spec.max_event_age,
        },
        "deadLetterArn": spec.dead_letter_arn,
        "inputTransformer": rule.input_transformer.as_ref().map(|t| json!({
            "inputPathsMap": t.paths,
            "inputTemplate": t.template,
        })),
    })
}

/// The rule as `spec` wants it (the shape of [`RuleStateRead::view`](super::RuleStateRead)).
pub(super) fn desired_rule_view(spec: &AwsSpec, rule: &RuleSpec) -> Value {
    json!({
        "eventPattern": rule.event_pattern,
        "state": "ENABLED",
        "description": spec.rule_description(),
    })
}

/// A target's name in plans and reports: `{rule}/{target id}`.
pub(super) fn target_name(rule: &str, id: &str) -> String {
    format!("{rule}/{id}")
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
        "authorizationType": c.auth.authorization_type(),
        "auth": c.auth.view(),
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
        "auth": c.auth,
        "headers": headers,
        "description": c.description,
    })
}

pub(super) fn destination_view(d: &DestinationSpec, connection_arn: Option<&str>) -> Value {
    let mut v = json!({
        "connectionArn": connection_arn,
        "invocationEndpoint": d.uri,
        "httpMethod": "POST",
        "description": d.description,
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
        "description": d.description,
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
/// what the route no longer wants last). ARNs of resources still to be created show as `null`.
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
    let none = BTreeMap::new();
    for rule in &spec.rules {
        let current = seen.rules.get(&rule.name).map(super::RuleStateRead::view);
        let (action, changes) = create_or_update(current, &desired_rule_view(spec, rule));
        out.push(change(ResourceKind::Rule, &rule.name, action, changes));
        let targets = seen.targets.get(&rule.name).unwrap_or(&none);
        let wanted: Vec<&str> = rule
            .destinations
            .iter()
            .map(|&i| spec.destinations[i].target_id.as_str())
            .collect();
        for id in targets.keys().filter(|id| !wanted.contains(&id.as_str())) {
            out.push(change(
                ResourceKind::Target,
                &target_name(&rule.name, id),
                ChangeAction::Delete,
                Vec::new(),
            ));
        }
        for &i in &rule.destinations {
            let d = &spec.destinations[i];
            let desired = desired_target_view(spec, rule, target_arns[i].as_deref());
            let (action, changes) = create_or_update(targets.get(&d.target_id).cloned(), &desired);
            out.push(change(
                ResourceKind::Target,
                &target_name(&rule.name, &d.target_id),
                action,
                changes,
            ));
        }
    }
    // What the route no longer wants.
    let rules: Vec<&str> = spec.rules.iter().map(|r| r.name.as_str()).collect();
    for name in seen.rules.keys().filter(|n| !rules.contains(&n.as_str())) {
        for id in seen.targets.get(name).unwrap_or(&none).keys() {
            out.push(change(
                ResourceKind::Target,
                &target_name(name, id),
                ChangeAction::Delete,
                Vec::new(),
            ));
        }
        out.push(change(
            ResourceKind::Rule,
            name,
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
    // What a plan shows: no secret query value of an endpoint, no credential-like value.
    out.iter_mut().for_each(super::super::report::redact_change);
    out
}
