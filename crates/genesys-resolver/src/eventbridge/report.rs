//! What planning and deploying report: the [`DeployStep`]s, the [`Plan`] and its
//! [`PlanAction`], the [`DeployReport`] with its [`DeployAction`]s and [`StepTiming`]s, the
//! [`LifecycleReport`] of a disable or delete, and an integration's [`ReportedState`].

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FieldChange;
use crate::durations::duration_ms;
use crate::names::named_enum;
use crate::outcome::Stage;

named_enum! {
    /// A step of planning or deploying, as errors, timings and logs name it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum DeployStep {
        /// Checking the desired integration's rules.
        Validate = "validate",
        /// Reading the organisation's available topics (when enabled).
        Topics = "topics",
        /// Finding the integration by name and type, walking every page.
        Lookup = "lookup",
        /// Creating the integration.
        Create = "create",
        /// Reading `config/current`.
        ReadConfig = "read_config",
        /// Writing `config/current`.
        WriteConfig = "write_config",
        /// Setting `intendedState` to `ENABLED`.
        Enable = "enable",
        /// Waiting for `reportedState.code` to be `ACTIVE`.
        Activate = "activate",
        /// Reading the organisation (`GET /api/v2/organizations/me`) for its id, which names
        /// the AWS partner event source.
        Organization = "organization",
        /// Setting `intendedState` to `DISABLED`.
        Disable = "disable",
        /// Deleting the integration and waiting until it is gone.
        Delete = "delete",
    }
}

impl DeployStep {
    /// The pipeline stage the step belongs to: validating and the topic check are `validate`,
    /// finding and reading are `route_mapping`, every write and the wait are `submit`.
    pub fn stage(self) -> Stage {
        match self {
            Self::Validate | Self::Topics => Stage::Validate,
            Self::Lookup | Self::ReadConfig | Self::Organization => Stage::RouteMapping,
            Self::Create
            | Self::WriteConfig
            | Self::Enable
            | Self::Activate
            | Self::Disable
            | Self::Delete => Stage::Submit,
        }
    }
}

/// An integration's `reportedState`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReportedState {
    /// `ACTIVE`, `ACTIVATING`, `INACTIVE`, `DEACTIVATING` or `ERROR`.
    pub code: String,
    /// The message of `detail` (or the `effective` text), when Genesys gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ReportedState {
    /// Whether the integration is running.
    pub fn is_active(&self) -> bool {
        self.code == "ACTIVE"
    }

    /// Whether the integration failed.
    pub fn is_error(&self) -> bool {
        self.code == "ERROR"
    }

    /// Reads `reportedState` from an integration entity; `detail` may be a string or a
    /// message object (`message`, `messageWithParams`, `localizableMessageCode`).
    pub(super) fn from_entity(entity: &Value) -> Self {
        let state = entity.get("reportedState");
        let code = state
            .and_then(|s| s.get("code"))
            .and_then(Value::as_str)
            .unwrap_or("INACTIVE")
            .to_owned();
        let detail = state.and_then(|s| s.get("detail")).and_then(|d| match d {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Object(map) => ["message", "messageWithParams", "localizableMessageCode"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_str))
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            _ => None,
        });
        let detail = detail.or_else(|| {
            (code == "ERROR")
                .then(|| {
                    state
                        .and_then(|s| s.get("effective"))
                        .and_then(Value::as_str)
                })
                .flatten()
                .map(str::to_owned)
        });
        Self { code, detail }
    }
}

impl fmt::Display for ReportedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

/// What [`apply`](super::EventBridgeDeployer::apply) would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PlanAction {
    /// No EventBridge integration has the name: create it, configure it, enable it.
    Create,
    /// The integration exists and its configuration differs: write these changes (then enable
    /// it if needed and wait for `ACTIVE`).
    Update {
        /// Field by field, what Genesys has and what will be written.
        changes: Vec<FieldChange>,
    },
    /// The configuration matches but the integration is not enabled or not `ACTIVE`: enable it
    /// (if needed) and wait for `ACTIVE`.
    Enable,
    /// The integration matches and is `ACTIVE`: nothing to do, nothing will be sent. (For
    /// [`plan_delete`](super::EventBridgeDeployer::plan_delete): no integration has the name.)
    Nothing,
    /// The integration exists and will be deleted
    /// ([`plan_delete`](super::EventBridgeDeployer::plan_delete), or a pruning
    /// [`plan_sync`](super::EventBridgeDeployer::plan_sync)).
    Delete,
}

impl PlanAction {
    /// The action's name as used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update { .. } => "update",
            Self::Enable => "enable",
            Self::Nothing => "nothing",
            Self::Delete => "delete",
        }
    }
}

/// The result of [`plan`](super::EventBridgeDeployer::plan): what is there and what would change.
/// Serialized flat, with the action under `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Plan {
    /// The integration's name.
    pub name: String,
    /// Where events go: `aws://<region>/<account id>/<event source suffix>` (for a delete,
    /// read from the existing configuration; empty when there is nothing).
    pub target: String,
    /// The AWS partner event source the events arrive on,
    /// `aws.partner/genesys.com/cloud/<organisation id>/<suffix>` (`None` for a delete of
    /// nothing, or an existing configuration without a suffix).
    pub event_source: Option<String>,
    /// What apply would do.
    #[serde(flatten)]
    pub action: PlanAction,
    /// The existing integration's id (`None` when it would be created).
    pub integration_id: Option<String>,
    /// The existing configuration's `version`.
    pub current_version: Option<u64>,
    /// The existing integration's `intendedState`.
    pub intended_state: Option<String>,
    /// The existing integration's `reportedState`.
    pub reported_state: Option<ReportedState>,
    /// Whether apply would send `intendedState: ENABLED`.
    pub enable: bool,
    /// Genesys' correlation id of the last response read.
    pub correlation_id: Option<String>,
}

impl Plan {
    /// The field changes of an update (empty otherwise; a create writes every field).
    pub fn changes(&self) -> &[FieldChange] {
        match &self.action {
            PlanAction::Update { changes } => changes,
            _ => &[],
        }
    }

    /// Whether apply would send nothing at all.
    pub fn is_nothing(&self) -> bool {
        self.action == PlanAction::Nothing
    }
}

named_enum! {
    /// A write [`apply`](super::EventBridgeDeployer::apply) made.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum DeployAction {
        /// `POST /api/v2/integrations` created the integration (or a lost create was found).
        Created = "created",
        /// `PUT config/current` wrote the configuration.
        Configured = "configured",
        /// `PATCH` set `intendedState: ENABLED`.
        Enabled = "enabled",
        /// `PATCH` set `intendedState: DISABLED`.
        Disabled = "disabled",
        /// `DELETE` deleted the integration (and it was gone before the call returned).
        Deleted = "deleted",
    }
}

/// How long one step took. A step may appear more than once (a re-read after a conflict).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StepTiming {
    /// The step.
    pub step: DeployStep,
    /// Its wall time, in milliseconds in JSON.
    #[serde(rename = "elapsed_ms", with = "duration_ms")]
    pub elapsed: Duration,
}

/// What [`apply`](super::EventBridgeDeployer::apply) did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeployReport {
    /// The integration's name.
    pub name: String,
    /// Where events go: `aws://<region>/<account id>/<event source suffix>`.
    pub target: String,
    /// The AWS partner event source the events arrive on,
    /// `aws.partner/genesys.com/cloud/<organisation id>/<suffix>`.
    pub event_source: String,
    /// The integration's id.
    pub integration_id: String,
    /// The writes made, in order; empty when everything already matched.
    pub actions: Vec<DeployAction>,
    /// The configuration fields written (all of them after a create).
    pub changes: Vec<FieldChange>,
    /// The final `reportedState` (`ACTIVE`).
    pub reported_state: ReportedState,
    /// The configuration's `version` at the end.
    pub config_version: Option<u64>,
    /// Whether a create whose response was lost was found by looking it up.
    pub recovered_create: bool,
    /// Configuration writes refused with a version conflict and retried.
    pub conflict_retries: u32,
    /// State polls made while waiting for `ACTIVE`.
    pub polls: u32,
    /// Each step's wall time.
    pub timings: Vec<StepTiming>,
    /// Wall time of the whole apply, in milliseconds in JSON.
    #[serde(rename = "elapsed_ms", with = "duration_ms")]
    pub elapsed: Duration,
    /// Genesys' correlation id of the last response.
    pub correlation_id: Option<String>,
}

impl DeployReport {
    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        !self.actions.is_empty()
    }
}

/// What [`disable`](super::EventBridgeDeployer::disable),
/// [`delete`](super::EventBridgeDeployer::delete) or
/// [`delete_id`](super::EventBridgeDeployer::delete_id) did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LifecycleReport {
    /// The integration's name (as asked for, or as found for a delete by id).
    pub name: String,
    /// The integration's id; `None` when no integration had the name (nothing was sent).
    pub integration_id: Option<String>,
    /// Where its events went: `aws://<region>/<account id>/<suffix>` from its configuration
    /// (empty when unknown).
    pub target: String,
    /// The AWS partner event source it fed,
    /// `aws.partner/genesys.com/cloud/<organisation id>/<suffix>`, when known.
    pub event_source: Option<String>,
    /// The writes made: `[disabled]`, `[deleted]`, or empty when there was nothing to do (already
    /// disabled, already gone).
    pub actions: Vec<DeployAction>,
    /// The `reportedState` after a disable (`None` after a delete, or when nothing was there).
    pub reported_state: Option<ReportedState>,
    /// Reads made while waiting for a deleted integration to be gone.
    pub polls: u32,
    /// Each step's wall time.
    pub timings: Vec<StepTiming>,
    /// Wall time of the whole operation, in milliseconds in JSON.
    #[serde(rename = "elapsed_ms", with = "duration_ms")]
    pub elapsed: Duration,
    /// Genesys' correlation id of the last response.
    pub correlation_id: Option<String>,
}

impl LifecycleReport {
    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        !self.actions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reported_state_reads_string_and_object_details() {
        let s = ReportedState::from_entity(&json!({"reportedState": {"code": "ERROR",
            "detail": {"localizableMessageCode": "X", "message": "no event bus"}}}));
        assert!(s.is_error());
        assert_eq!(s.detail.as_deref(), Some("no event bus"));
        let s = ReportedState::from_entity(&json!({"reportedState": {"code": "ERROR",
            "effective": "Error"}}));
        assert_eq!(s.detail.as_deref(), Some("Error"));
        let s = ReportedState::from_entity(&json!({"reportedState": {"code": "ACTIVE",
            "detail": "fine"}}));
        assert!(s.is_active());
        assert_eq!(s.to_string(), "ACTIVE (fine)");
        assert_eq!(ReportedState::from_entity(&json!({})).code, "INACTIVE");
    }

    #[test]
    fn plan_serializes_flat() {
        let plan = Plan {
            name: "n".into(),
            target: "aws://us-east-1/123456789012/s".into(),
            event_source: Some("aws.partner/genesys.com/cloud/o/s".into()),
            action: PlanAction::Update {
                changes: vec![FieldChange {
                    field: "awsAccountRegion".into(),
                    current: json!("eu-west-1"),
                    desired: json!("us-east-1"),
                }],
            },
            integration_id: Some("i".into()),
            current_version: Some(3),
            intended_state: Some("ENABLED".into()),
            reported_state: None,
            enable: false,
            correlation_id: None,
        };
        let v = serde_json::to_value(&plan).unwrap();
        assert_eq!(v["action"], "update");
        assert_eq!(v["changes"][0]["field"], "awsAccountRegion");
        assert_eq!(plan.changes().len(), 1);
        let nothing = Plan {
            action: PlanAction::Nothing,
            ..plan
        };
        assert_eq!(serde_json::to_value(&nothing).unwrap()["action"], "nothing");
        assert!(nothing.is_nothing());
        let delete = Plan {
            action: PlanAction::Delete,
            ..nothing
        };
        let v = serde_json::to_value(&delete).unwrap();
        assert_eq!(v["action"], "delete");
        assert_eq!(v["event_source"], "aws.partner/genesys.com/cloud/o/s");
        assert_eq!(PlanAction::Delete.as_str(), "delete");
    }

    #[test]
    fn steps_map_to_stages() {
        assert_eq!(DeployStep::Topics.stage(), Stage::Validate);
        assert_eq!(DeployStep::ReadConfig.stage(), Stage::RouteMapping);
        assert_eq!(DeployStep::Activate.stage(), Stage::Submit);
        assert_eq!(DeployStep::WriteConfig.to_string(), "write_config");
    }

    #[test]
    fn names_are_the_serde_names() {
        for step in DeployStep::ALL {
            assert_eq!(serde_json::to_value(step).unwrap(), step.as_str());
        }
        for action in DeployAction::ALL {
            assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
        }
        assert_eq!(DeployAction::Configured.as_str(), "configured");
    }
}
