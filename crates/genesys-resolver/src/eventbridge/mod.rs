//! Amazon EventBridge source integrations: the real way to route Genesys Cloud events to an
//! external event bus (`/api/v2/integrations`, type `amazon-eventbridge-source`).
//!
//! [`EventBridgeIntegration`] is the desired state; [`EventBridgeIntegration::validate`] checks it
//! with the same [`Violation`](crate::violation::Violation) format as the payload validator, and
//! [`EventBridgeIntegration::from_value`] (or [`crate::document::DocumentReader`] for files) reads
//! one strictly. The document itself lives in [`crate::document`].
//!
//! ```
//! use genesys_resolver::eventbridge::EventBridgeIntegration;
//!
//! let desired = EventBridgeIntegration::new("orders-to-aws", "123456789012", "eu-west-1", "orders")
//!     .topics(["v2.routing.queues.{id}.conversations"]);
//! desired.validate()?;
//! assert_eq!(desired.properties()["awsAccountRegion"], "eu-west-1");
//! # Ok::<(), genesys_resolver::validate::ValidationErrors>(())
//! ```
//!
//! [`EventBridgeDeployer`] deploys it over the platform integrations API, a
//! [`PlatformApi`](crate::api::PlatformApi) (by default the
//! [`GenesysClient`](crate::api::GenesysClient), with the same token source, retries, pacing and
//! metrics as every other call; a test can hand in a fake), idempotently:
//!
//! 1. validate (and, opt-in, check the topics against `GET
//!    /api/v2/notifications/availabletopics?expand=transports`, cached per deployer: a topic
//!    must be offered, and deliverable over EventBridge when the organisation lists transports);
//! 2. find the integration by name and type, walking every page of `GET /api/v2/integrations`;
//! 3. create it if missing (`POST`; a lost response is looked up before anything is resent, so
//!    there is never a second integration);
//! 4. read `config/current` for its `version`, and `PUT` it when it differs (a version conflict
//!    is read again and retried once);
//! 5. `PATCH` `intendedState: ENABLED` when it is not enabled;
//! 6. poll with exponential backoff until `reportedState.code` is `ACTIVE` (or `ERROR`, with its
//!    detail, or the bounded wait runs out).
//!
//! [`plan`](EventBridgeDeployer::plan) runs steps 1, 2 and the read of 4 and says what
//! [`apply`](EventBridgeDeployer::apply) would do (a [`Change`](crate::change::Change) of the
//! integration). When everything matches and
//! is `ACTIVE`, apply sends only reads. Plans and reports name the AWS partner event source the
//! events arrive on, `aws.partner/genesys.com/cloud/<organisation id>/<suffix>` (the id read
//! once from `GET /api/v2/organizations/me`).
//!
//! The rest of the lifecycle: [`disable`](EventBridgeDeployer::disable) (idempotent),
//! [`delete`](EventBridgeDeployer::delete) (waits until the integration is gone) and its
//! [`plan_delete`](EventBridgeDeployer::plan_delete), and a desired-state
//! [`sync`](EventBridgeDeployer::sync) over a set of integrations (with
//! [`plan_sync`](EventBridgeDeployer::plan_sync)) that deletes undeclared integrations of the
//! EventBridge type only when asked to prune. An integration being deleted (`intendedState`
//! DELETED) is gone for every purpose: never re-enabled, a new one is created instead.
//!
//! ```no_run
//! use genesys_resolver::api::GenesysClient;
//! use genesys_resolver::eventbridge::{EventBridgeDeployer, EventBridgeIntegration};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // GENESYS_ENVIRONMENT, GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET
//! let deployer = EventBridgeDeployer::builder(GenesysClient::from_env()?)
//!     .check_topics(true)
//!     .build()?;
//! let desired = EventBridgeIntegration::new("orders-to-aws", "123456789012", "eu-west-1", "orders")
//!     .topics(["v2.routing.queues.{id}.conversations"]);
//!
//! let plan = deployer.plan(&desired).await?; // reads only
//! if !plan.is_nothing() {
//!     let report = deployer.apply(&desired).await?;
//!     assert!(report.reported_state.is_active());
//! }
//! assert!(deployer.plan(&desired).await?.is_nothing());
//! # Ok(()) }
//! ```
//!
//! The test kit's `testkit::genesys::MockGenesys` (feature `testkit`)
//! serves these endpoints for tests, with paging, versions and conflicts, and activation that
//! ends in `ACTIVE` or `ERROR`.

use serde_json::{Value, json};

mod apply;
mod builder;
mod deploy;
mod error;
mod lifecycle;
mod report;
mod steps;
mod sync;

pub use crate::api::{PLATFORM_INTEGRATIONS_PATH as INTEGRATIONS_PATH, TOPICS_PATH};
// The document (model, rules, strict reader) lives with the other documents.
pub use crate::change::FieldChange;
use crate::document::eventbridge::topic_matches;
pub use crate::document::eventbridge::{
    AWS_REGIONS, EventBridgeIntegration, INTEGRATION_KEYS, MAX_SUFFIX_LEN,
};
pub use builder::EventBridgeDeployerBuilder;
pub use deploy::EventBridgeDeployer;
pub use error::DeployError;
pub use report::{DeployReport, DeployStep, LifecycleReport, Plan, ReportedState, StepTiming};
pub use steps::{
    DEFAULT_ACTIVATION_TIMEOUT, DEFAULT_DELETION_TIMEOUT, DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL, partner_event_source,
};
pub use sync::{SyncPlan, SyncReport};

/// The integration type id of an Amazon EventBridge source.
pub const TYPE_ID: &str = "amazon-eventbridge-source";

/// What the real integrations API stores and returns for empty configuration notes (its
/// backing store cannot hold an empty string). The Genesys Terraform provider maps it back to
/// ""; so does the deployer, so an integration without notes is not a change on every plan.
pub const EMPTY_NOTES_PLACEHOLDER: &str = "node_dynamodb_empty_string";

/// Notes as read back from Genesys: `None` for absent, empty, or the empty-string placeholder.
pub fn stored_notes(notes: Option<&str>) -> Option<&str> {
    notes.filter(|n| !n.is_empty() && *n != EMPTY_NOTES_PLACEHOLDER)
}

impl EventBridgeIntegration {
    /// The `properties` object of `config/current`.
    pub fn properties(&self) -> Value {
        json!({
            "awsAccountId": self.aws_account_id,
            "awsAccountRegion": self.aws_region,
            "eventSourceSuffix": self.event_source_suffix,
            "eventFilter": self.topics,
        })
    }

    /// How the configuration `current` (the `properties` and `notes` read from Genesys) differs
    /// from this desired state, field by field. Empty when they match. Topic order does not
    /// matter.
    pub fn diff(&self, properties: &Value, notes: Option<&str>) -> Vec<FieldChange> {
        let mut out = Vec::new();
        let mut field = |name: &str, current: Value, desired: Value| {
            if current != desired {
                out.push(FieldChange {
                    field: name.to_owned(),
                    current,
                    desired,
                });
            }
        };
        let prop = |key: &str| properties.get(key).cloned().unwrap_or(Value::Null);
        field(
            "awsAccountId",
            prop("awsAccountId"),
            json!(self.aws_account_id),
        );
        field(
            "awsAccountRegion",
            prop("awsAccountRegion"),
            json!(self.aws_region),
        );
        field(
            "eventSourceSuffix",
            prop("eventSourceSuffix"),
            json!(self.event_source_suffix),
        );
        let mut current_topics: Vec<String> = properties
            .get("eventFilter")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut desired_topics = self.topics.clone();
        current_topics.sort();
        desired_topics.sort();
        if current_topics != desired_topics {
            out.push(FieldChange {
                field: "eventFilter".to_owned(),
                current: prop("eventFilter"),
                desired: json!(self.topics),
            });
        }
        let current_notes = stored_notes(notes);
        let desired_notes = self.notes.as_deref().filter(|n| !n.is_empty());
        if current_notes != desired_notes {
            out.push(FieldChange {
                field: "notes".to_owned(),
                current: json!(current_notes),
                desired: json!(desired_notes),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::eventbridge::tests::valid;

    #[test]
    fn diff_is_field_by_field_and_ignores_topic_order() {
        let e = valid();
        let mut props = e.properties();
        assert!(e.diff(&props, None).is_empty());
        props["eventFilter"] = json!([
            "v2.users.{id}.presence",
            "v2.routing.queues.{id}.conversations"
        ]);
        assert!(e.diff(&props, Some("")).is_empty());
        props["awsAccountRegion"] = json!("eu-west-1");
        // The store's placeholder for empty notes is no notes.
        assert!(
            e.diff(&props, Some(EMPTY_NOTES_PLACEHOLDER))
                .iter()
                .all(|c| c.field != "notes")
        );
        let d = e.diff(&props, Some("old notes"));
        let fields: Vec<_> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["awsAccountRegion", "notes"]);
        assert_eq!(d[0].current, json!("eu-west-1"));
        assert_eq!(d[0].desired, json!("us-east-1"));
    }
}
