//! What checking, planning, applying and destroying a route report.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::change::Change;
pub use crate::change::{ChangeAction, ResourceKind};
use crate::document::is_secret_parameter;
use crate::durations::duration_ms;
use crate::error::ErrorReport;
use crate::eventbridge::{Plan, ReportedState};
use crate::outcome::Action;
use crate::outcome::Stage;
use crate::probe::ProbeReport;
use crate::probe::reach::ReachReport;

/// What [`apply`](super::RouteDeployer::apply) would do on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoutePlan {
    /// The route's (payload's) name.
    pub name: String,
    /// The AWS account the route deploys to (checked to be the credentials' account).
    pub aws_account_id: String,
    /// The AWS region the route deploys to (checked to be the client's region).
    pub aws_region: String,
    /// The Genesys side: the EventBridge integration's plan.
    pub genesys: Plan,
    /// The partner event source (and event bus) name.
    pub partner_event_source: String,
    /// The source's state when it exists (`PENDING`, `ACTIVE`, `DELETED`).
    pub partner_event_source_state: Option<String>,
    /// The AWS side, resource by resource in apply order (ARNs of resources still to be created
    /// show as `null`).
    pub aws: Vec<Change>,
    /// Mapping notes.
    pub warnings: Vec<String>,
}

impl RoutePlan {
    /// Whether apply would write nothing on either side.
    pub fn is_nothing(&self) -> bool {
        self.changes().all(Change::is_nothing)
    }

    /// Every resource of both halves, in apply order: the Genesys integration, then the AWS
    /// resources.
    pub fn changes(&self) -> impl Iterator<Item = &Change> {
        std::iter::once(&self.genesys.change).chain(&self.aws)
    }

    /// The AWS resources apply would write.
    pub fn aws_changes(&self) -> impl Iterator<Item = &Change> {
        self.aws.iter().filter(|c| !c.is_nothing())
    }

    /// What apply would do to the route as a whole: `create` when any resource is created,
    /// `update` when any is written, else `nothing`.
    pub fn action(&self) -> ChangeAction {
        ChangeAction::of_all(self.changes())
    }
}

/// One destination of an applied route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DestinationReport {
    /// Its payload path (`uri`, `uris[0]`, ...).
    pub path: String,
    /// The probe report (its `uri` is redacted).
    pub probe: ProbeReport,
    /// The connection's ARN.
    pub connection_arn: String,
    /// The API destination's ARN.
    pub api_destination_arn: String,
    /// The rule target's id.
    pub target_id: String,
}

/// What [`apply`](super::RouteDeployer::apply) did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RouteReport {
    /// The route's name.
    pub name: String,
    /// The Genesys integration's id.
    pub integration_id: String,
    /// Its final reported state (`ACTIVE`).
    pub integration_state: ReportedState,
    /// What was written on both sides, resource by resource in order: the Genesys integration
    /// (when it was written), then each AWS resource created, updated or deleted (a leftover of
    /// an earlier apply). Empty when everything already matched.
    pub changes: Vec<Change>,
    /// The partner event source's name (the event bus has the same).
    pub partner_event_source: String,
    /// The partner event source's ARN, as AWS reports it.
    pub partner_event_source_arn: Option<String>,
    /// The partner event source's state after the bus was associated.
    pub partner_event_source_state: String,
    /// The event bus's ARN.
    pub event_bus_arn: String,
    /// The first rule's ARN.
    pub rule_arn: String,
    /// Every rule's ARN (one per field projection, topic run and five destinations).
    pub rule_arns: Vec<String>,
    /// Each destination, in payload order.
    pub destinations: Vec<DestinationReport>,
    /// Resources whose create response was lost (or whose create had landed already) and that
    /// were found by reading them, not created twice.
    pub recovered: Vec<String>,
    /// Mapping notes.
    pub warnings: Vec<String>,
    /// Wall time, in milliseconds in JSON.
    #[serde(rename = "elapsed_ms", with = "duration_ms")]
    pub elapsed: Duration,
}

impl RouteReport {
    /// Resources written on both sides; 0 when everything already matched.
    pub fn writes(&self) -> usize {
        self.changes.len()
    }

    /// How the apply ended: `created` when any resource was created, `updated` when any was
    /// written, else `unchanged`.
    pub fn action(&self) -> Action {
        ChangeAction::of_all(&self.changes).outcome()
    }
}

/// What [`check`](super::RouteDeployer::check) found: every probe, every destination judged as
/// EventBridge will reach it, and both plans. Nothing was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CheckReport {
    /// Every destination's probe report, in payload order.
    pub probes: Vec<ProbeReport>,
    /// Every destination judged as EventBridge will reach it, in payload order: verdict, each
    /// rule's outcome, the reasons naming their rule, the certificate's days left.
    #[serde(default)]
    pub reach: Vec<ReachReport>,
    /// What apply would do.
    pub plan: RoutePlan,
}

impl CheckReport {
    /// Whether every destination passed its probe.
    pub fn probes_ok(&self) -> bool {
        self.probes.iter().all(ProbeReport::ok)
    }

    /// What apply would do to the route as a whole ([`RoutePlan::action`]).
    pub fn action(&self) -> ChangeAction {
        self.plan.action()
    }

    /// Whether EventBridge can deliver to every destination (warnings allowed).
    pub fn reach_ok(&self) -> bool {
        self.reach.iter().all(ReachReport::ok)
    }

    /// Whether every destination passed its probe and EventBridge can deliver to each.
    pub fn ok(&self) -> bool {
        self.probes_ok() && self.reach_ok()
    }

    /// The destinations EventBridge cannot deliver to, as an error report for a front end
    /// (stage `probe`; the kind of the first failing reason; the message names each
    /// destination's path and reasons), or `None` when it can deliver to every one. Apply does
    /// not refuse on these (see the routes guide): a check reports them.
    pub fn reach_error(&self) -> Option<ErrorReport> {
        let failing: Vec<&ReachReport> = self.reach.iter().filter(|r| !r.ok()).collect();
        let kind = failing.first()?.failures().next()?.reason.error_kind();
        let lines: Vec<String> = failing
            .iter()
            .map(|r| {
                let why: Vec<&str> = r.failures().map(|f| f.message.as_str()).collect();
                format!("{} ({}): {}", r.path, r.uri, why.join("; "))
            })
            .collect();
        let message = format!(
            "EventBridge cannot deliver to {} of {} destinations: {}",
            failing.len(),
            self.reach.len(),
            lines.join(" | ")
        );
        Some(ErrorReport::new(kind, message).with_stage(Stage::Probe))
    }

    /// The failed probes as the error an apply would meet (kind and stage `probe`, every
    /// destination's report), or `None` when every destination passed.
    pub fn probe_error(&self) -> Option<super::RouteError> {
        (!self.probes_ok()).then(|| super::RouteError::Probe {
            reports: self.probes.clone(),
        })
    }
}

/// What [`destroy`](super::RouteDeployer::destroy) removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DestroyReport {
    /// The route's name.
    pub name: String,
    /// What was deleted, in order: the AWS resources (targets, rule, API destinations,
    /// connections, event bus), then the Genesys integration. Empty when nothing was there.
    pub changes: Vec<Change>,
    /// The id of the Genesys integration that was deleted (`None` when there was none).
    pub deleted_integration: Option<String>,
}

impl DestroyReport {
    /// How the destroy ended: `deleted` when anything was there, else `unchanged`.
    pub fn action(&self) -> Action {
        if self.changes.is_empty() {
            Action::Unchanged
        } else {
            Action::Deleted
        }
    }
}

/// `change` as a plan or report may show it: every endpoint (`invocationEndpoint`,
/// `authorizationEndpoint`) through [`crate::redact::uri`] (its user-info and secret query
/// values gone), and the value of every parameter (`{"name", "value", "secret"}`) that is secret
/// or credential-like by name or value replaced by [`REDACTED`](crate::redact::REDACTED), on
/// both sides of each field change. What AWS holds now may predate these rules (a
/// credential-like header once stored in the clear), so the current side is cleaned too.
pub(super) fn redact_change(change: &mut Change) {
    for field in &mut change.changes {
        let endpoint = is_endpoint_key(&field.field);
        redact_value(&mut field.current, endpoint);
        redact_value(&mut field.desired, endpoint);
    }
}

fn is_endpoint_key(key: &str) -> bool {
    matches!(key, "invocationEndpoint" | "authorizationEndpoint")
}

fn redact_value(value: &mut Value, endpoint: bool) {
    match value {
        Value::String(s) if endpoint => *s = crate::redact::uri(s),
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, false)),
        Value::Object(map) => {
            let secret = match (map.get("name"), map.get("value")) {
                (Some(Value::String(name)), Some(Value::String(v))) => {
                    map.get("secret") == Some(&Value::Bool(true)) || is_secret_parameter(name, v)
                }
                _ => false,
            };
            if secret {
                map.insert(
                    "value".to_owned(),
                    Value::String(crate::redact::REDACTED.to_owned()),
                );
            }
            for (k, v) in map.iter_mut() {
                redact_value(v, is_endpoint_key(k));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::change::FieldChange;

    #[test]
    fn plans_show_no_query_secret_nor_credential_like_value() {
        let mut change = Change::new(
            ResourceKind::Connection,
            "c",
            ChangeAction::Update,
            vec![
                FieldChange::new(
                    "invocationEndpoint",
                    json!("https://h.example/x?token=sekrit-1&a=b"),
                    json!("https://u:sekrit-2@h.example/x?sig=sekrit-3"),
                ),
                FieldChange::new(
                    "headers",
                    json!([
                        {"name": "X-Custom", "value": "Bearer sekrit-4", "secret": false},
                        {"name": "X-Tenant", "value": "t1", "secret": false}
                    ]),
                    json!([{"name": "X-Custom", "value": null, "secret": true}]),
                ),
                FieldChange::new(
                    "auth",
                    json!({"authorizationEndpoint": "https://a.example/t?client_secret=sekrit-5"}),
                    Value::Null,
                ),
            ],
        );
        redact_change(&mut change);
        let text = serde_json::to_string(&change).unwrap();
        assert!(!text.contains("sekrit"), "{text}");
        assert!(text.contains("a=b") && text.contains("\"t1\""), "{text}");
    }
}
