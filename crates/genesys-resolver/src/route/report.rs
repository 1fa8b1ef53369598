//! What checking, planning, applying and destroying a route report.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::change::Change;
pub use crate::change::{ChangeAction, ResourceKind};
use crate::durations::duration_ms;
use crate::eventbridge::{Plan, ReportedState};
use crate::outcome::Action;
use crate::probe::ProbeReport;

/// What [`apply`](super::RouteDeployer::apply) would do on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoutePlan {
    /// The route's (payload's) name.
    pub name: String,
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
    /// The rule's ARN.
    pub rule_arn: String,
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

/// What [`check`](super::RouteDeployer::check) found: every probe and both plans. Nothing was
/// written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CheckReport {
    /// Every destination's probe report, in payload order.
    pub probes: Vec<ProbeReport>,
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
