//! The reading steps of a plan or apply over a [`PlatformApi`]: validate, check topics, find
//! the integration by name and type, read its configuration; and the [`Plan`] they make.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::error::DeployError;
use super::report::{DeployStep, Plan, PlanAction, ReportedState, StepTiming};
use super::{EventBridgeIntegration, TYPE_ID};
use crate::api::{ClientError, DEFAULT_PAGE_SIZE, PlatformApi};
use crate::validate::ValidationErrors;

/// How long [`apply`](super::EventBridgeDeployer::apply) waits for `ACTIVE` by default.
pub const DEFAULT_ACTIVATION_TIMEOUT: Duration = Duration::from_secs(120);
/// The first wait between state polls by default; it doubles up to
/// [`DEFAULT_MAX_POLL_INTERVAL`].
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);
/// The longest wait between state polls by default.
pub const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// The deployer's settings, checked by its builder.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) check_topics: bool,
    pub(super) page_size: u32,
    pub(super) activation_timeout: Duration,
    pub(super) poll_interval: Duration,
    pub(super) max_poll_interval: Duration,
    pub(super) lease_wait: Duration,
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
    topics: &'a OnceCell<Arc<Vec<String>>>,
    pub(super) trace: Trace,
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
        topics: &'a OnceCell<Arc<Vec<String>>>,
    ) -> Self {
        Self {
            api,
            settings,
            topics,
            trace: Trace::default(),
        }
    }

    /// The organisation's available topic ids, read once and cached (a failed read is not).
    pub(super) async fn topics(&mut self) -> Result<Arc<Vec<String>>, DeployError> {
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
                let ids: Vec<String> = reply
                    .value
                    .get("entities")
                    .and_then(Value::as_array)
                    .ok_or_else(|| DeployError::InvalidResponse {
                        step: DeployStep::Topics,
                        reason: "the topics listing has no `entities` array".to_owned(),
                    })?
                    .iter()
                    .filter_map(|t| t.get("id").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect();
                tracing::debug!(count = ids.len(), "available topics read");
                Ok::<_, DeployError>(Arc::new(ids))
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
        let (action, enable) = match &existing {
            None => (PlanAction::Create, true),
            Some(e) => {
                let changes = desired.diff(&e.properties, e.notes.as_deref());
                let enable = e.needs_enable();
                let action = if !changes.is_empty() {
                    PlanAction::Update { changes }
                } else if enable || !e.reported.is_active() {
                    PlanAction::Enable
                } else {
                    PlanAction::Nothing
                };
                (action, enable)
            }
        };
        Ok(Plan {
            name: desired.name.clone(),
            target: target(desired),
            action,
            integration_id: existing.as_ref().map(|e| e.id.clone()),
            current_version: existing.as_ref().map(|e| e.version),
            intended_state: existing.as_ref().map(|e| e.intended_state.clone()),
            reported_state: existing.map(|e| e.reported),
            enable,
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
            let available = self.topics().await?;
            violations.extend(desired.unknown_topics(&available));
        }
        if !violations.is_empty() {
            return Err(DeployError::Validation(ValidationErrors::new(violations)));
        }
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
    /// [`DeployError::Ambiguous`].
    async fn find(&mut self, name: &str) -> Result<Option<Value>, DeployError> {
        let started = Instant::now();
        let reply = self
            .api
            .find_integrations(name, TYPE_ID, self.settings.page_size)
            .await
            .map_err(at(DeployStep::Lookup))?;
        self.trace.saw(reply.correlation_id);
        let mut found = reply.value;
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
