//! What checking, planning, applying and destroying a route report.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::durations::duration_ms;
use crate::eventbridge::{DeployAction, FieldChange, Plan, ReportedState};
use crate::names::named_enum;
use crate::probe::ProbeReport;

named_enum! {
    /// A kind of AWS resource of a route.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum ResourceKind {
        /// The partner event bus.
        EventBus = "event_bus",
        /// A connection (auth and headers of one destination).
        Connection = "connection",
        /// An API destination (one HTTPS endpoint).
        ApiDestination = "api_destination",
        /// The rule.
        Rule = "rule",
        /// A target of the rule (one per API destination).
        Target = "target",
    }
}

named_enum! {
    /// What apply does (or did) to one resource.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum ChangeAction {
        /// It is missing: create it.
        Create = "create",
        /// It differs: update it.
        Update = "update",
        /// It is left over: delete it.
        Delete = "delete",
        /// It matches: nothing is sent.
        Nothing = "nothing",
    }
}

/// One AWS resource in a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResourceChange {
    /// The kind.
    pub kind: ResourceKind,
    /// Its name (a target: its id).
    pub name: String,
    /// What apply would do.
    pub action: ChangeAction,
    /// Field by field, what AWS has and what would be written (every field for a create).
    /// Secret values never appear: secret headers show by name, a changed API key as a changed
    /// fingerprint in the connection's description.
    pub changes: Vec<FieldChange>,
}

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
    /// The AWS side, resource by resource in apply order.
    pub aws: Vec<ResourceChange>,
    /// Mapping notes.
    pub warnings: Vec<String>,
}

impl RoutePlan {
    /// Whether apply would write nothing on either side.
    pub fn is_nothing(&self) -> bool {
        self.genesys.is_nothing() && self.aws.iter().all(|c| c.action == ChangeAction::Nothing)
    }

    /// The AWS resources apply would write.
    pub fn aws_changes(&self) -> impl Iterator<Item = &ResourceChange> {
        self.aws
            .iter()
            .filter(|c| c.action != ChangeAction::Nothing)
    }
}

/// One write on the AWS side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AwsWrite {
    /// The kind of resource.
    pub kind: ResourceKind,
    /// Its name (a target: its id).
    pub name: String,
    /// Created, updated or deleted.
    pub action: ChangeAction,
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
    /// The writes on the Genesys side.
    pub genesys_writes: Vec<DeployAction>,
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
    /// The writes on the AWS side, in order.
    pub aws_writes: Vec<AwsWrite>,
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
    /// Writes on both sides; 0 when everything already matched.
    pub fn writes(&self) -> usize {
        self.genesys_writes.len() + self.aws_writes.len()
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
}

/// What [`destroy`](super::RouteDeployer::destroy) removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DestroyReport {
    /// The route's name.
    pub name: String,
    /// The AWS deletions, in order.
    pub aws_writes: Vec<AwsWrite>,
    /// The id of the Genesys integration that was deleted (`None` when there was none).
    pub deleted_integration: Option<String>,
}
