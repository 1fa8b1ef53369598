//! The reading steps of a plan or apply over a [`PlatformApi`]: validate, check topics, find
//! the integration by name and type, read its configuration; and the [`Plan`] they make.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::error::DeployError;
use super::report::{DeployStep, Plan, ReportedState, StepTiming};
use super::{EventBridgeIntegration, TYPE_ID};
use crate::api::{ClientError, DEFAULT_PAGE_SIZE, PlatformApi};
use crate::change::{Change, ChangeAction, FieldChange, ResourceKind};
use crate::validate::{ValidationErrors, Violation, ViolationCode};

/// How long [`apply`](super::EventBridgeDeployer::apply) waits for `ACTIVE` by default.
pub const DEFAULT_ACTIVATION_TIMEOUT: Duration = Duration::from_secs(120);
/// The first wait between state polls by default; it doubles up to
/// [`DEFAULT_MAX_POLL_INTERVAL`].
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);
/// The longest wait between state polls by default.
pub const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_secs(10);
/// How long [`delete`](super::EventBridgeDeployer::delete) waits by default for a deleted
/// integration to be gone.
pub const DEFAULT_DELETION_TIMEOUT: Duration = Duration::from_secs(60);

/// The organisation's available topics, as the deployer caches them.
#[derive(Debug, Default)]
pub(super) struct TopicListing {
    /// Every topic id.
    pub(super) ids: Arc<Vec<String>>,
    /// The topics whose `transports` do not include EventBridge, with those transports.
    pub(super) undeliverable: Vec<(String, Vec<String>)>,
}

/// Whether a topic's `transports` let it be delivered over EventBridge: `EventBridge` or
/// `All` among them (any case); a topic without the field (older organisations) is taken as
/// deliverable.
fn deliverable(transports: &[String]) -> bool {
    transports
        .iter()
        .any(|t| t.eq_ignore_ascii_case("eventbridge") || t.eq_ignore_ascii_case("all"))
}

/// `aws.partner/genesys.com/cloud/<organisation id>/<suffix>`: the AWS partner event source
/// Genesys delivers an EventBridge integration's events on.
pub fn partner_event_source(organization_id: &str, suffix: &str) -> String {
    format!("aws.partner/genesys.com/cloud/{organization_id}/{suffix}")
}

/// The deployer's settings, checked by its builder.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) check_topics: bool,
    pub(super) page_size: u32,
    pub(super) activation_timeout: Duration,
    pub(super) poll_interval: Duration,
    pub(super) max_poll_interval: Duration,
    pub(super) lease_wait: Duration,
    pub(super) deletion_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            check_topics: false,
            page_size: DEFAULT_PAGE_SIZE,
            activation_timeout: DEFAULT_ACTIVATION_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            max_poll_interval: DEFAULT_MAX_POLL_INTERVAL,
            lease_wait: crate::settings::DEFAULT_LEASE_WAIT,
            deletion_timeout: DEFAULT_DELETION_TIMEOUT,
        }
    }
}

/// Step timings and the last correlation id of one plan or apply.
#[derive(Debug, Default)]
pub(super) struct Trace {
    pub(super) timings: Vec<StepTiming>,
    pub(super) correlation_id: Option<String>,
}

impl Trace {
    pub(super) fn time(&mut self, step: DeployStep, started: Instant) {
        self.timings.push(StepTiming {
            step,
            elapsed: started.elapsed(),
        });
    }

    /// Keeps the correlation id of a response, when it had one.
    pub(super) fn saw(&mut self, correlation_id: Option<String>) {
        if correlation_id.is_some() {
            self.correlation_id = correlation_id;
        }
    }
}

/// An existing integration as the deployer reads it.
#[derive(Debug)]
pub(super) struct Existing {
    pub(super) id: String,
    pub(super) intended_state: String,
    pub(super) reported: ReportedState,
    pub(super) version: u64,
    pub(super) properties: Value,
    pub(super) notes: Option<String>,
}

impl Existing {
    /// Whether apply must send `intendedState: ENABLED`: the integration is not enabled, or it
    /// is in `ERROR` (enabling again starts a new activation).
    pub(super) fn needs_enable(&self) -> bool {
        self.intended_state != "ENABLED" || self.reported.is_error()
    }
}

/// One plan or apply in progress: the API, the settings, the topic cache and the trace.
pub(super) struct Steps<'a> {
    pub(super) api: &'a dyn PlatformApi,
    pub(super) settings: &'a Settings,
    topics: &'a OnceCell<Arc<TopicListing>>,
    organization: &'a OnceCell<Arc<str>>,
    pub(super) trace: Trace,
}

/// The caches a deployer keeps across operations.
#[derive(Debug, Default)]
pub(super) struct Caches {
    pub(super) topics: OnceCell<Arc<TopicListing>>,
    pub(super) organization: OnceCell<Arc<str>>,
}

/// What apply does to the integration, given what is there: a create of every field (and
/// `intendedState` `ENABLED`); an update of the configuration fields that differ, of
/// `intendedState` when it is not `ENABLED` and of `reportedState` when it is not `ACTIVE` (apply
/// waits for it); or nothing.
pub(super) fn planned_change(
    desired: &EventBridgeIntegration,
    existing: Option<&Existing>,
) -> Change {
    let enabled = || FieldChange::new("intendedState", Value::Null, json!("ENABLED"));
    let Some(e) = existing else {
        let mut fields = desired.diff(&Value::Null, None);
        fields.push(enabled());
        return Change::new(
            ResourceKind::Integration,
            &desired.name,
            ChangeAction::Create,
            fields,
        );
    };
    let mut fields = desired.diff(&e.properties, e.notes.as_deref());
    if e.intended_state != "ENABLED" {
        fields.push(FieldChange {
            current: json!(e.intended_state),
            ..enabled()
        });
    }
    if !e.reported.is_active() {
        fields.push(FieldChange::new(
            "reportedState",
            json!(e.reported.code),
            json!("ACTIVE"),
        ));
    }
    let action = if fields.is_empty() {
        ChangeAction::Nothing
    } else {
        ChangeAction::Update
    };
    Change::new(ResourceKind::Integration, &desired.name, action, fields)
}

/// Wraps a client error with the step it failed.
pub(super) fn at(step: DeployStep) -> impl Fn(ClientError) -> DeployError {
    move |source| DeployError::Client { step, source }
}

/// `aws://<region>/<account id>/<suffix>`: where the events go, for reports and audit records.
pub(super) fn target(desired: &EventBridgeIntegration) -> String {
    format!(
        "aws://{}/{}/{}",
        desired.aws_region, desired.aws_account_id, desired.event_source_suffix
    )
}

pub(super) fn entity_id(entity: &Value, step: DeployStep) -> Result<String, DeployError> {
    match entity.get("id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
        _ => Err(DeployError::InvalidResponse {
            step,
            reason: "the integration has no string `id`".to_owned(),
        }),
    }
}

pub(super) fn config_version(config: &Value) -> Option<u64> {
    config.get("version").and_then(Value::as_u64)
}

impl<'a> Steps<'a> {
    pub(super) fn new(
        api: &'a dyn PlatformApi,
        settings: &'a Settings,
        caches: &'a Caches,
    ) -> Self {
        Self {
            api,
            settings,
            topics: &caches.topics,
            organization: &caches.organization,
            trace: Trace::default(),
        }
    }

    /// The organisation's id, read once from `GET /api/v2/organizations/me` and cached (a
    /// failed read is not).
    pub(super) async fn organization_id(&mut self) -> Result<Arc<str>, DeployError> {
        let started = Instant::now();
        let api = self.api;
        let trace = &mut self.trace;
        let mut read = false;
        let id = self
            .organization
            .get_or_try_init(|| async {
                read = true;
                let reply = api
                    .organization()
                    .await
                    .map_err(at(DeployStep::Organization))?;
                trace.saw(reply.correlation_id);
                match reply.value.get("id") {
                    Some(Value::String(id)) if !id.is_empty() => Ok(Arc::from(id.as_str())),
                    _ => Err(DeployError::InvalidResponse {
                        step: DeployStep::Organization,
                        reason: "the organisation has no string `id`".to_owned(),
                    }),
                }
            })
            .await?
            .clone();
        if read {
            self.trace.time(DeployStep::Organization, started);
        }
        Ok(id)
    }

    /// The partner event source of `suffix` in this organisation.
    pub(super) async fn event_source(&mut self, suffix: &str) -> Result<String, DeployError> {
        Ok(partner_event_source(&self.organization_id().await?, suffix))
    }

    /// The organisation's available topic ids, read once and cached (a failed read is not).
    pub(super) async fn topics(&mut self) -> Result<Arc<Vec<String>>, DeployError> {
        Ok(self.topic_listing().await?.ids.clone())
    }

    /// The organisation's available topics with their transports, read once and cached.
    pub(super) async fn topic_listing(&mut self) -> Result<Arc<TopicListing>, DeployError> {
        let started = Instant::now();
        let api = self.api;
        let trace = &mut self.trace;
        let topics = self
            .topics
            .get_or_try_init(|| async move {
                let reply = api
                    .available_topics()
                    .await
                    .map_err(at(DeployStep::Topics))?;
                trace.saw(reply.correlation_id);
                let entities = reply
                    .value
                    .get("entities")
                    .and_then(Value::as_array)
                    .ok_or_else(|| DeployError::InvalidResponse {
                        step: DeployStep::Topics,
                        reason: "the topics listing has no `entities` array".to_owned(),
                    })?;
                let mut listing = TopicListing::default();
                let mut ids = Vec::with_capacity(entities.len());
                for topic in entities {
                    let Some(id) = topic.get("id").and_then(Value::as_str) else {
                        continue;
                    };
                    ids.push(id.to_owned());
                    if let Some(transports) = topic.get("transports").and_then(Value::as_array) {
                        let transports: Vec<String> = transports
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect();
                        if !deliverable(&transports) {
                            listing.undeliverable.push((id.to_owned(), transports));
                        }
                    }
                }
                tracing::debug!(
                    count = ids.len(),
                    undeliverable = listing.undeliverable.len(),
                    "available topics read"
                );
                listing.ids = Arc::new(ids);
                Ok::<_, DeployError>(Arc::new(listing))
            })
            .await?
            .clone();
        self.trace.time(DeployStep::Topics, started);
        Ok(topics)
    }

    /// What apply would do, from a survey.
    pub(super) async fn plan(
        &mut self,
        desired: &EventBridgeIntegration,
    ) -> Result<Plan, DeployError> {
        let existing = self.survey(desired).await?;
        Ok(Plan {
            change: planned_change(desired, existing.as_ref()),
            target: target(desired),
            event_source: Some(self.event_source(&desired.event_source_suffix).await?),
            integration_id: existing.as_ref().map(|e| e.id.clone()),
            current_version: existing.as_ref().map(|e| e.version),
            intended_state: existing.as_ref().map(|e| e.intended_state.clone()),
            enable: existing.as_ref().is_none_or(Existing::needs_enable),
            reported_state: existing.map(|e| e.reported),
            correlation_id: self.trace.correlation_id.clone(),
        })
    }

    /// Validates, checks topics (when enabled), finds the integration and reads its config.
    pub(super) async fn survey(
        &mut self,
        desired: &EventBridgeIntegration,
    ) -> Result<Option<Existing>, DeployError> {
        let started = Instant::now();
        let mut violations = desired.violations();
        self.trace.time(DeployStep::Validate, started);
        if violations.is_empty() && self.settings.check_topics {
            let listing = self.topic_listing().await?;
            violations.extend(desired.unknown_topics(&listing.ids));
            violations.extend(undeliverable_topics(desired, &listing));
        }
        if !violations.is_empty() {
            return Err(DeployError::Validation(ValidationErrors::new(violations)));
        }
        self.organization_id().await?;
        let Some(entity) = self.find(&desired.name).await? else {
            return Ok(None);
        };
        let id = entity_id(&entity, DeployStep::Lookup)?;
        let mut existing = self.read(desired, &id).await?;
        entity
            .get("intendedState")
            .and_then(Value::as_str)
            .unwrap_or("DISABLED")
            .clone_into(&mut existing.intended_state);
        existing.reported = ReportedState::from_entity(&entity);
        Ok(Some(existing))
    }

    /// The integration named `name` of type [`TYPE_ID`], walking every page; more than one is
    /// [`DeployError::Ambiguous`]. One being deleted (`intendedState` DELETED) is gone: it is
    /// never found, so never re-enabled or reconfigured.
    pub(super) async fn find(&mut self, name: &str) -> Result<Option<Value>, DeployError> {
        let started = Instant::now();
        let reply = self
            .api
            .find_integrations(name, TYPE_ID, self.settings.page_size)
            .await
            .map_err(at(DeployStep::Lookup))?;
        self.trace.saw(reply.correlation_id);
        let mut found = reply.value;
        found.retain(|e| !crate::api::is_being_deleted(e));
        self.trace.time(DeployStep::Lookup, started);
        match found.len() {
            0 | 1 => Ok(found.pop()),
            _ => Err(DeployError::Ambiguous {
                name: name.to_owned(),
                ids: found
                    .iter()
                    .filter_map(|e| e.get("id").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect(),
            }),
        }
    }

    /// Reads `config/current` of `id`.
    pub(super) async fn read(
        &mut self,
        desired: &EventBridgeIntegration,
        id: &str,
    ) -> Result<Existing, DeployError> {
        let started = Instant::now();
        let reply = self
            .api
            .config(id)
            .await
            .map_err(at(DeployStep::ReadConfig))?;
        self.trace.saw(reply.correlation_id);
        let config = reply.value;
        let version = config_version(&config).ok_or_else(|| DeployError::InvalidResponse {
            step: DeployStep::ReadConfig,
            reason: "the configuration has no numeric `version`".to_owned(),
        })?;
        self.trace.time(DeployStep::ReadConfig, started);
        tracing::debug!(name = desired.name, id, version, "configuration read");
        Ok(Existing {
            id: id.to_owned(),
            intended_state: "DISABLED".to_owned(),
            reported: ReportedState {
                code: "INACTIVE".to_owned(),
                detail: None,
            },
            version,
            properties: config.get("properties").cloned().unwrap_or(Value::Null),
            notes: super::stored_notes(config.get("notes").and_then(Value::as_str))
                .map(str::to_owned),
        })
    }
}

/// The desired topics that the organisation offers but not over EventBridge, each a
/// [`TopicNotDeliverable`](crate::validate::ViolationCode::TopicNotDeliverable) violation at
/// `topics[i]` naming the topic and its transports.
fn undeliverable_topics(
    desired: &EventBridgeIntegration,
    listing: &TopicListing,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for (i, topic) in desired.topics.iter().enumerate() {
        if let Some((pattern, transports)) = listing
            .undeliverable
            .iter()
            .find(|(pattern, _)| super::topic_matches(topic, pattern))
        {
            out.push(Violation::new(
                format!("topics[{i}]"),
                ViolationCode::TopicNotDeliverable,
                format!(
                    "{topic:?} cannot be delivered over EventBridge: {pattern:?} lists the \
                     transports [{}]",
                    transports.join(", ")
                ),
            ));
        }
    }
    out
}
