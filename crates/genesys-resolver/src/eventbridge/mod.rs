//! Amazon EventBridge source integrations: the real way to route Genesys Cloud events to an
//! external event bus (`/api/v2/integrations`, type `amazon-eventbridge-source`).
//!
//! [`EventBridgeIntegration`] is the desired state; [`EventBridgeIntegration::validate`] checks it
//! with the same [`Violation`] format as the payload validator.
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

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::validate::{self, Limits, ValidationErrors, Violation, ViolationCode};

mod apply;
mod builder;
mod deploy;
mod error;
mod lifecycle;
mod report;
mod steps;
mod sync;

pub use crate::api::{PLATFORM_INTEGRATIONS_PATH as INTEGRATIONS_PATH, TOPICS_PATH};
pub use crate::change::FieldChange;
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

/// Longest event source suffix Genesys accepts.
pub const MAX_SUFFIX_LEN: usize = 64;

/// AWS region codes (commercial, GovCloud, China and the European Sovereign Cloud).
pub const AWS_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// The desired state of an Amazon EventBridge source integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventBridgeIntegration {
    /// The integration's name; integrations are matched by name and type.
    pub name: String,
    /// The 12-digit AWS account that receives the events.
    pub aws_account_id: String,
    /// The AWS region code of the event bus (`us-east-1`, ...).
    pub aws_region: String,
    /// Suffix of the partner event source name (up to 64 of `[A-Za-z0-9._-]`).
    pub event_source_suffix: String,
    /// Notification topics to deliver, such as `v2.routing.queues.{id}.conversations`.
    pub topics: Vec<String>,
    /// Free-text notes shown in the Genesys admin UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl EventBridgeIntegration {
    /// A desired integration with no topics yet.
    pub fn new(
        name: impl Into<String>,
        aws_account_id: impl Into<String>,
        aws_region: impl Into<String>,
        event_source_suffix: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            aws_account_id: aws_account_id.into(),
            aws_region: aws_region.into(),
            event_source_suffix: event_source_suffix.into(),
            topics: Vec::new(),
            notes: None,
        }
    }

    /// Adds topics.
    #[must_use]
    pub fn topics<S: Into<String>>(mut self, topics: impl IntoIterator<Item = S>) -> Self {
        self.topics.extend(topics.into_iter().map(Into::into));
        self
    }

    /// Sets the notes.
    #[must_use]
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.notes = Some(notes.into());
        self
    }

    /// Checks every rule and returns every violation at once.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let out = self.violations();
        if out.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors::new(out))
        }
    }

    /// Every violation, in field order; empty when valid.
    pub fn violations(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        validate::check_name(&self.name, &Limits::default(), &mut out);
        if !(self.aws_account_id.len() == 12
            && self.aws_account_id.bytes().all(|b| b.is_ascii_digit()))
        {
            out.push(Violation::new(
                "awsAccountId",
                ViolationCode::AwsAccountIdInvalid,
                "an AWS account id is exactly 12 digits",
            ));
        }
        if !AWS_REGIONS.contains(&self.aws_region.as_str()) {
            let hint = crate::names::suggest(&self.aws_region, AWS_REGIONS.iter().copied(), 3, 4)
                .map(|r| format!("; did you mean {r}?"))
                .unwrap_or_default();
            out.push(Violation::new(
                "awsRegion",
                ViolationCode::AwsRegionUnknown,
                format!("{:?} is not an AWS region code{hint}", self.aws_region),
            ));
        }
        let suffix = &self.event_source_suffix;
        if suffix.is_empty()
            || suffix.len() > MAX_SUFFIX_LEN
            || !suffix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            out.push(Violation::new(
                "eventSourceSuffix",
                ViolationCode::EventSourceSuffixInvalid,
                format!("the suffix must be 1 to {MAX_SUFFIX_LEN} of [A-Za-z0-9._-]"),
            ));
        }
        if self.topics.is_empty() {
            out.push(Violation::new(
                "topics",
                ViolationCode::TopicsEmpty,
                "at least one topic is needed, or no event would be delivered",
            ));
        }
        let mut seen = std::collections::HashMap::new();
        for (i, topic) in self.topics.iter().enumerate() {
            let path = format!("topics[{i}]");
            if !validate::is_topic_name(topic) {
                out.push(Violation::new(
                    path,
                    ViolationCode::EventTypeInvalid,
                    format!("{topic:?} is not a Genesys topic name"),
                ));
            } else if let Some(first) = seen.insert(topic.as_str(), i) {
                out.push(Violation::new(
                    path,
                    ViolationCode::EventTypeDuplicate,
                    format!("same topic as topics[{first}]"),
                ));
            }
        }
        out
    }

    /// Unknown topics against the organisation's available topics, each with the nearest known
    /// topic as a suggestion. Topic ids from Genesys use `{id}` placeholders; a placeholder
    /// matches `{id}` or any one concrete segment (a queue id, say), so
    /// `v2.routing.queues.8a1f.conversations` is offered when
    /// `v2.routing.queues.{id}.conversations` is.
    pub fn unknown_topics<S: AsRef<str>>(&self, available: &[S]) -> Vec<Violation> {
        let mut out = Vec::new();
        for (i, topic) in self.topics.iter().enumerate() {
            if available.iter().any(|a| topic_matches(topic, a.as_ref())) {
                continue;
            }
            let hint = crate::names::suggest(topic, available.iter().map(AsRef::as_ref), 3, 4)
                .map(|t| format!("; did you mean {t}?"))
                .unwrap_or_default();
            out.push(Violation::new(
                format!("topics[{i}]"),
                ViolationCode::TopicUnknown,
                format!("{topic:?} is not offered by this organisation{hint}"),
            ));
        }
        out
    }

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

/// Whether `topic` is an instance of the available topic id `pattern`: the same segments, where
/// a `{...}` segment of the pattern stands for any one non-empty segment.
fn topic_matches(topic: &str, pattern: &str) -> bool {
    if topic == pattern {
        return true;
    }
    let mut t = topic.split('.');
    let mut p = pattern.split('.');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let placeholder = ps.len() > 2 && ps.starts_with('{') && ps.ends_with('}');
                if ts.is_empty() || !(ts == ps || placeholder) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> EventBridgeIntegration {
        EventBridgeIntegration::new("orders", "123456789012", "us-east-1", "orders.v1_a-b").topics(
            [
                "v2.routing.queues.{id}.conversations",
                "v2.users.{id}.presence",
            ],
        )
    }

    #[test]
    fn valid_passes() {
        valid().validate().unwrap();
    }

    #[test]
    fn every_rule_reports_with_its_path() {
        let mut e = valid();
        e.aws_account_id = "12345678901a".into();
        e.aws_region = "us-east-9".into();
        e.event_source_suffix = "has space".into();
        e.topics = vec!["v2.a".into(), "nope".into(), "v2.a".into()];
        let got: Vec<_> = e
            .violations()
            .into_iter()
            .map(|v| (v.path, v.code))
            .collect();
        assert_eq!(
            got,
            vec![
                ("awsAccountId".into(), ViolationCode::AwsAccountIdInvalid),
                ("awsRegion".into(), ViolationCode::AwsRegionUnknown),
                (
                    "eventSourceSuffix".into(),
                    ViolationCode::EventSourceSuffixInvalid
                ),
                ("topics[1]".into(), ViolationCode::EventTypeInvalid),
                ("topics[2]".into(), ViolationCode::EventTypeDuplicate),
            ]
        );
        e.topics.clear();
        e.event_source_suffix = "a".repeat(65);
        let codes: Vec<_> = e.violations().into_iter().map(|v| v.code).collect();
        assert!(codes.contains(&ViolationCode::TopicsEmpty));
        assert!(codes.contains(&ViolationCode::EventSourceSuffixInvalid));
    }

    #[test]
    fn region_typo_gets_a_suggestion() {
        let mut e = valid();
        e.aws_region = "eu-west1".into();
        let v = e.violations();
        assert!(
            v[0].message.contains("did you mean eu-west-1"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn unknown_topic_suggests_the_nearest() {
        let mut e = valid();
        e.topics = vec!["v2.routing.queues.{id}.conversation".into()];
        let available = [
            "v2.routing.queues.{id}.conversations",
            "v2.users.{id}.presence",
        ];
        let v = e.unknown_topics(&available);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].code, ViolationCode::TopicUnknown);
        assert!(
            v[0].message
                .contains("did you mean v2.routing.queues.{id}.conversations")
        );
        assert!(valid().unknown_topics(&available).is_empty());
        let concrete = valid().topics(["v2.users.0f3c-11.presence"]);
        assert!(concrete.unknown_topics(&available).is_empty());
        let wrong_depth = EventBridgeIntegration {
            topics: vec!["v2.users.a.b.presence".into()],
            ..valid()
        };
        assert_eq!(wrong_depth.unknown_topics(&available).len(), 1);
    }

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
