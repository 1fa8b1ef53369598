//! What planning and deploying report: the [`DeployStep`]s, the [`Plan`] (a [`Change`] of the
//! integration), the [`DeployReport`] with its [`StepTiming`]s, the [`LifecycleReport`] of a
//! disable or delete, and an integration's [`ReportedState`].

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::change::{Change, ChangeAction, FieldChange};
use crate::durations::duration_ms;
use crate::names::named_enum;
use crate::outcome::{Action, Stage};

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

/// The result of [`plan`](super::EventBridgeDeployer::plan) (and
/// [`plan_delete`](super::EventBridgeDeployer::plan_delete)): what is there, and what apply (or
/// delete) would change as a [`Change`] of the integration. Serialized flat: the change's `kind`
/// (`integration`), `name`, `action` and `changes` beside the other fields.
///
/// The change is a `create` (every configuration field, and `intendedState` `ENABLED`), an
/// `update` (the fields that differ: the configuration's, `intendedState` when it is not
/// `ENABLED`, `reportedState` when it is not `ACTIVE` and apply would wait for it), a `delete`,
/// or `nothing` (everything matches and is `ACTIVE`; for a delete plan: no integration has the
/// name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Plan {
    /// The integration and what would happen to it.
    #[serde(flatten)]
    pub change: Change,
    /// Where events go: `aws://<region>/<account id>/<event source suffix>` (for a delete,
    /// read from the existing configuration; empty when there is nothing).
    pub target: String,
    /// The AWS partner event source the events arrive on,
    /// `aws.partner/genesys.com/cloud/<organisation id>/<suffix>` (`None` for a delete of
    /// nothing, or an existing configuration without a suffix).
    pub event_source: Option<String>,
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
    /// The integration's name.
    pub fn name(&self) -> &str {
        &self.change.name
    }

    /// What would happen to the integration.
    pub fn action(&self) -> ChangeAction {
        self.change.action
    }

    /// The field changes (every field for a create; none for a delete or nothing).
    pub fn changes(&self) -> &[FieldChange] {
        &self.change.changes
    }

    /// Whether apply would send nothing at all.
    pub fn is_nothing(&self) -> bool {
        self.change.is_nothing()
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

/// What [`apply`](super::EventBridgeDeployer::apply) did. Serialized flat: the integration's
/// [`Change`] (`kind`, `name`, `action`: `create`, `update` or `nothing`, and its fields: the plan
/// apply carried out) beside the other fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeployReport {
    /// The integration and what apply did to it.
    #[serde(flatten)]
    pub change: Change,
    /// Where events go: `aws://<region>/<account id>/<event source suffix>`.
    pub target: String,
    /// The AWS partner event source the events arrive on,
    /// `aws.partner/genesys.com/cloud/<organisation id>/<suffix>`.
    pub event_source: String,
    /// The integration's id.
    pub integration_id: String,
    /// The steps that wrote (`create`, `write_config`, `enable`), in order; empty when
    /// everything already matched.
    pub writes: Vec<DeployStep>,
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
    /// The integration's name.
    pub fn name(&self) -> &str {
        &self.change.name
    }

    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        !self.writes.is_empty()
    }

    /// How the apply ended: `created`, `updated`, or `unchanged` when only reads were sent.
    pub fn action(&self) -> Action {
        if self.changed() {
            self.change.action.outcome()
        } else {
            Action::Unchanged
        }
    }
}

/// What [`disable`](super::EventBridgeDeployer::disable),
/// [`delete`](super::EventBridgeDeployer::delete) or
/// [`delete_id`](super::EventBridgeDeployer::delete_id) did. Serialized flat: the integration's
/// [`Change`] (`kind`, `name`, `action`: an `update` of `intendedState` for a disable, a `delete`,
/// or `nothing` when it was disabled or gone already) beside the other fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LifecycleReport {
    /// The integration (named as asked for, or as found for a delete by id) and what was done
    /// to it.
    #[serde(flatten)]
    pub change: Change,
    /// The integration's id; `None` when no integration had the name (nothing was sent).
    pub integration_id: Option<String>,
    /// Where its events went: `aws://<region>/<account id>/<suffix>` from its configuration
    /// (empty when unknown).
    pub target: String,
    /// The AWS partner event source it fed,
    /// `aws.partner/genesys.com/cloud/<organisation id>/<suffix>`, when known.
    pub event_source: Option<String>,
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
    /// The integration's name.
    pub fn name(&self) -> &str {
        &self.change.name
    }

    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        !self.change.is_nothing()
    }

    /// How the operation ended: `disabled`, `deleted`, or `unchanged` when there was nothing to
    /// do.
    pub fn action(&self) -> Action {
        match self.change.action {
            ChangeAction::Delete => Action::Deleted,
            ChangeAction::Nothing => Action::Unchanged,
            _ => Action::Disabled,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::change::ResourceKind;

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
            change: Change::new(
                ResourceKind::Integration,
                "n",
                ChangeAction::Update,
                vec![FieldChange::new(
                    "awsAccountRegion",
                    json!("eu-west-1"),
                    json!("us-east-1"),
                )],
            ),
            target: "aws://us-east-1/123456789012/s".into(),
            event_source: Some("aws.partner/genesys.com/cloud/o/s".into()),
            integration_id: Some("i".into()),
            current_version: Some(3),
            intended_state: Some("ENABLED".into()),
            reported_state: None,
            enable: false,
            correlation_id: None,
        };
        let v = serde_json::to_value(&plan).unwrap();
        assert_eq!(
            (&v["kind"], &v["name"], &v["action"]),
            (&json!("integration"), &json!("n"), &json!("update"))
        );
        assert_eq!(v["changes"][0]["field"], "awsAccountRegion");
        assert_eq!(serde_json::from_value::<Plan>(v).unwrap(), plan);
        assert_eq!(plan.changes().len(), 1);
        let nothing = Plan {
            change: Change::nothing(ResourceKind::Integration, "n"),
            ..plan
        };
        assert_eq!(serde_json::to_value(&nothing).unwrap()["action"], "nothing");
        assert!(nothing.is_nothing());
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
    }
}
