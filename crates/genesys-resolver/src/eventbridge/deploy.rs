//! [`EventBridgeDeployer`]: plan and apply an [`EventBridgeIntegration`] on the real integrations
//! API, idempotently.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::error::DeployError;
use super::{EventBridgeIntegration, FieldChange, TYPE_ID};
use crate::api::{ApiRequest, ApiResponse, GenesysClient};
use crate::audit::{AuditRecord, AuditSink};
use crate::auth::ConfigError;
use crate::durations::duration_ms;
use crate::metrics::MetricsSink;
use crate::outcome::RetryReason;
use crate::outcome::{Action, ResolveOutcome, Stage};
use crate::retry::Decision;
use crate::validate::ValidationErrors;

/// The real integrations route.
pub const INTEGRATIONS_PATH: &str = "/api/v2/integrations";
/// The notification topics listing.
pub const TOPICS_PATH: &str = "/api/v2/notifications/availabletopics";
/// How long [`apply`](EventBridgeDeployer::apply) waits for `ACTIVE` by default.
pub const DEFAULT_ACTIVATION_TIMEOUT: Duration = Duration::from_secs(120);
/// The first wait between state polls by default; it doubles up to
/// [`DEFAULT_MAX_POLL_INTERVAL`].
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);
/// The longest wait between state polls by default.
pub const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_secs(10);
/// The default page size of the integrations listing.
const DEFAULT_PAGE_SIZE: u32 = 100;
/// Pages walked at most, against a server whose `nextUri` never ends.
const MAX_PAGES: u32 = 10_000;

/// A step of planning or deploying, as errors, timings and logs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeployStep {
    /// Checking the desired integration's rules.
    Validate,
    /// Reading the organisation's available topics (when enabled).
    Topics,
    /// Finding the integration by name and type, walking every page.
    Lookup,
    /// Creating the integration.
    Create,
    /// Reading `config/current`.
    ReadConfig,
    /// Writing `config/current`.
    WriteConfig,
    /// Setting `intendedState` to `ENABLED`.
    Enable,
    /// Waiting for `reportedState.code` to be `ACTIVE`.
    Activate,
}

impl DeployStep {
    /// The step's name as used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validate => "validate",
            Self::Topics => "topics",
            Self::Lookup => "lookup",
            Self::Create => "create",
            Self::ReadConfig => "read_config",
            Self::WriteConfig => "write_config",
            Self::Enable => "enable",
            Self::Activate => "activate",
        }
    }

    /// The pipeline stage the step belongs to: validating and the topic check are `validate`,
    /// finding and reading are `route_mapping`, every write and the wait are `submit`.
    pub fn stage(self) -> Stage {
        match self {
            Self::Validate | Self::Topics => Stage::Validate,
            Self::Lookup | Self::ReadConfig => Stage::RouteMapping,
            Self::Create | Self::WriteConfig | Self::Enable | Self::Activate => Stage::Submit,
        }
    }
}

impl fmt::Display for DeployStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    fn from_entity(entity: &Value) -> Self {
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

/// What [`apply`](EventBridgeDeployer::apply) would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// The integration matches and is `ACTIVE`: nothing to do, nothing will be sent.
    Nothing,
}

impl PlanAction {
    /// The action's name as used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update { .. } => "update",
            Self::Enable => "enable",
            Self::Nothing => "nothing",
        }
    }
}

/// The result of [`plan`](EventBridgeDeployer::plan): what is there and what would change.
/// Serialized flat, with the action under `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// The integration's name.
    pub name: String,
    /// Where events go: `aws://<region>/<account id>/<event source suffix>`.
    pub target: String,
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

/// A write [`apply`](EventBridgeDeployer::apply) made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeployAction {
    /// `POST /api/v2/integrations` created the integration (or a lost create was found).
    Created,
    /// `PUT config/current` wrote the configuration.
    Configured,
    /// `PATCH` set `intendedState: ENABLED`.
    Enabled,
}

/// How long one step took. A step may appear more than once (a re-read after a conflict).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StepTiming {
    /// The step.
    pub step: DeployStep,
    /// Its wall time, in milliseconds in JSON.
    #[serde(rename = "elapsed_ms", with = "duration_ms")]
    pub elapsed: Duration,
}

/// What [`apply`](EventBridgeDeployer::apply) did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DeployReport {
    /// The integration's name.
    pub name: String,
    /// Where events go: `aws://<region>/<account id>/<event source suffix>`.
    pub target: String,
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

/// Plans and applies Amazon EventBridge source integrations over a [`GenesysClient`], with its
/// token source, retry rules (no duplicate creates), pacing and metrics. Cheap to clone (clones
/// share the topic cache); `Send + Sync`.
///
/// ```no_run
/// use genesys_resolver::api::GenesysClient;
/// use genesys_resolver::eventbridge::{EventBridgeDeployer, EventBridgeIntegration};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let deployer = EventBridgeDeployer::builder(GenesysClient::from_env()?)
///     .check_topics(true)
///     .build()?;
/// let desired = EventBridgeIntegration::new("orders-to-aws", "123456789012", "eu-west-1", "orders")
///     .topics(["v2.routing.queues.{id}.conversations"]);
/// let plan = deployer.plan(&desired).await?;
/// println!("{}", serde_json::to_string_pretty(&plan)?);
/// let report = deployer.apply(&desired).await?;
/// println!("{} is {}", report.integration_id, report.reported_state);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct EventBridgeDeployer {
    inner: Arc<Inner>,
}

struct Inner {
    client: GenesysClient,
    metrics: Option<Arc<dyn MetricsSink>>,
    audit: Option<Arc<dyn AuditSink>>,
    check_topics: bool,
    page_size: u32,
    activation_timeout: Duration,
    poll_interval: Duration,
    max_poll_interval: Duration,
    topics: OnceCell<Arc<Vec<String>>>,
}

impl fmt::Debug for EventBridgeDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("EventBridgeDeployer")
            .field("client", &inner.client)
            .field("metrics", &inner.metrics)
            .field("audit", &inner.audit)
            .field("check_topics", &inner.check_topics)
            .field("page_size", &inner.page_size)
            .field("activation_timeout", &inner.activation_timeout)
            .field("poll_interval", &inner.poll_interval)
            .field("max_poll_interval", &inner.max_poll_interval)
            .field("topics_cached", &inner.topics.get().map(|t| t.len()))
            .finish()
    }
}

/// Builds an [`EventBridgeDeployer`]; [`build`](Self::build) checks every setting at once.
#[must_use = "a builder does nothing until `build` is called"]
pub struct EventBridgeDeployerBuilder {
    client: GenesysClient,
    metrics: Option<Arc<dyn MetricsSink>>,
    audit: Option<Arc<dyn AuditSink>>,
    check_topics: bool,
    page_size: u32,
    activation_timeout: Duration,
    poll_interval: Duration,
    max_poll_interval: Duration,
}

impl fmt::Debug for EventBridgeDeployerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBridgeDeployerBuilder")
            .field("client", &self.client)
            .field("check_topics", &self.check_topics)
            .field("page_size", &self.page_size)
            .field("activation_timeout", &self.activation_timeout)
            .field("poll_interval", &self.poll_interval)
            .field("max_poll_interval", &self.max_poll_interval)
            .finish_non_exhaustive()
    }
}

impl EventBridgeDeployerBuilder {
    /// Hears of every plan and apply (`resolve_finished`, with `dry_run` set for a plan) and of
    /// create resends (`api_retry`). The client's own sink still hears every API response.
    pub fn metrics(mut self, metrics: Arc<dyn MetricsSink>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Writes one [`AuditRecord`] per plan (a dry run) and apply, with the target
    /// `aws://<region>/<account id>/<suffix>` as its `uri`.
    pub fn audit(mut self, audit: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(audit);
        self
    }

    /// Checks topics against `GET /api/v2/notifications/availabletopics` (read once per
    /// deployer and cached); unknown topics are validation errors with the nearest offered
    /// topic as a suggestion. Off by default.
    pub fn check_topics(mut self, on: bool) -> Self {
        self.check_topics = on;
        self
    }

    /// The page size of the integrations listing (1 to 500, default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// The longest wait for `ACTIVE` (default [`DEFAULT_ACTIVATION_TIMEOUT`]).
    pub fn activation_timeout(mut self, timeout: Duration) -> Self {
        self.activation_timeout = timeout;
        self
    }

    /// The first wait between state polls, and the most it doubles to (defaults
    /// [`DEFAULT_POLL_INTERVAL`], [`DEFAULT_MAX_POLL_INTERVAL`]).
    pub fn poll_interval(mut self, first: Duration, max: Duration) -> Self {
        self.poll_interval = first;
        self.max_poll_interval = max;
        self
    }

    /// Checks the settings and builds the deployer. Nothing is sent yet.
    pub fn build(self) -> Result<EventBridgeDeployer, ConfigError> {
        let invalid = |field, reason: &str| ConfigError::Invalid {
            field,
            reason: reason.to_owned(),
        };
        if !(1..=500).contains(&self.page_size) {
            return Err(invalid("page_size", "must be 1 to 500"));
        }
        if self.activation_timeout.is_zero() {
            return Err(invalid("activation_timeout", "must be positive"));
        }
        if self.poll_interval.is_zero() || self.max_poll_interval < self.poll_interval {
            return Err(invalid(
                "poll_interval",
                "the first interval must be positive and at most the maximum",
            ));
        }
        Ok(EventBridgeDeployer {
            inner: Arc::new(Inner {
                client: self.client,
                metrics: self.metrics,
                audit: self.audit,
                check_topics: self.check_topics,
                page_size: self.page_size,
                activation_timeout: self.activation_timeout,
                poll_interval: self.poll_interval,
                max_poll_interval: self.max_poll_interval,
                topics: OnceCell::new(),
            }),
        })
    }
}

/// An existing integration as the deployer reads it.
#[derive(Debug)]
struct Existing {
    id: String,
    intended_state: String,
    reported: ReportedState,
    version: u64,
    properties: Value,
    notes: Option<String>,
}

/// Step timings and the last correlation id of one plan or apply.
#[derive(Debug, Default)]
struct Trace {
    timings: Vec<StepTiming>,
    correlation_id: Option<String>,
}

impl Trace {
    fn time(&mut self, step: DeployStep, started: Instant) {
        self.timings.push(StepTiming {
            step,
            elapsed: started.elapsed(),
        });
    }

    fn saw(&mut self, response: &ApiResponse) {
        if let Some(id) = response.correlation_id() {
            self.correlation_id = Some(id.to_owned());
        }
    }
}

/// What a survey (validate, look up, read) found.
struct Survey {
    existing: Option<Existing>,
}

/// What an apply did, up to where it stopped.
#[derive(Default)]
struct Progress {
    integration_id: Option<String>,
    actions: Vec<DeployAction>,
}

impl EventBridgeDeployer {
    /// A deployer with default settings (no topic check, no metrics or audit sink).
    pub fn new(client: GenesysClient) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                metrics: None,
                audit: None,
                check_topics: false,
                page_size: DEFAULT_PAGE_SIZE,
                activation_timeout: DEFAULT_ACTIVATION_TIMEOUT,
                poll_interval: DEFAULT_POLL_INTERVAL,
                max_poll_interval: DEFAULT_MAX_POLL_INTERVAL,
                topics: OnceCell::new(),
            }),
        }
    }

    /// A builder over `client`.
    pub fn builder(client: GenesysClient) -> EventBridgeDeployerBuilder {
        EventBridgeDeployerBuilder {
            client,
            metrics: None,
            audit: None,
            check_topics: false,
            page_size: DEFAULT_PAGE_SIZE,
            activation_timeout: DEFAULT_ACTIVATION_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            max_poll_interval: DEFAULT_MAX_POLL_INTERVAL,
        }
    }

    /// The client.
    pub fn client(&self) -> &GenesysClient {
        &self.inner.client
    }

    /// The organisation's available topic ids, read once from
    /// `GET /api/v2/notifications/availabletopics` and cached for the deployer's lifetime
    /// (a failed read is not cached).
    pub async fn available_topics(&self) -> Result<Arc<Vec<String>>, DeployError> {
        let mut trace = Trace::default();
        self.topics(&mut trace).await
    }

    async fn topics(&self, trace: &mut Trace) -> Result<Arc<Vec<String>>, DeployError> {
        let started = Instant::now();
        let topics = self
            .inner
            .topics
            .get_or_try_init(|| async {
                let response = self
                    .inner
                    .client
                    .execute(&ApiRequest::get(TOPICS_PATH))
                    .await
                    .map_err(|source| DeployError::Client {
                        step: DeployStep::Topics,
                        source,
                    })?;
                trace.saw(&response);
                let body: Value = response.json().map_err(|source| DeployError::Client {
                    step: DeployStep::Topics,
                    source,
                })?;
                let ids: Vec<String> = body
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
        trace.time(DeployStep::Topics, started);
        Ok(topics)
    }

    /// What [`apply`](Self::apply) would do, without writing anything: validates (and checks
    /// topics when enabled), finds the integration by name and type walking every page, and
    /// reads its configuration.
    pub async fn plan(&self, desired: &EventBridgeIntegration) -> Result<Plan, DeployError> {
        let started = Instant::now();
        let mut trace = Trace::default();
        let result = self.survey(desired, &mut trace).await.map(|survey| {
            let existing = survey.existing;
            let (action, enable) = match &existing {
                None => (PlanAction::Create, true),
                Some(e) => {
                    let changes = desired.diff(&e.properties, e.notes.as_deref());
                    let enable = needs_enable(e);
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
            Plan {
                name: desired.name.clone(),
                target: target(desired),
                action,
                integration_id: existing.as_ref().map(|e| e.id.clone()),
                current_version: existing.as_ref().map(|e| e.version),
                intended_state: existing.as_ref().map(|e| e.intended_state.clone()),
                reported_state: existing.map(|e| e.reported),
                enable,
                correlation_id: trace.correlation_id.clone(),
            }
        });
        let action = result.as_ref().ok().map(|p| match p.action {
            PlanAction::Create => Action::Created,
            PlanAction::Update { .. } | PlanAction::Enable => Action::Updated,
            PlanAction::Nothing => Action::Unchanged,
        });
        let id = result.as_ref().ok().and_then(|p| p.integration_id.clone());
        self.finish(
            desired,
            started,
            true,
            action,
            id,
            result.as_ref().err(),
            &trace,
        );
        result
    }

    /// Makes Genesys hold `desired`, enabled and `ACTIVE`: creates the integration if missing
    /// (never twice, even when a create's response is lost), writes `config/current` when it
    /// differs (re-reading and retrying once on a version conflict), enables it, and waits with
    /// backoff until it reports `ACTIVE` (or fails with `ERROR`'s detail, or times out).
    ///
    /// When the integration already matches and is `ACTIVE`, only reads are sent.
    pub async fn apply(
        &self,
        desired: &EventBridgeIntegration,
    ) -> Result<DeployReport, DeployError> {
        let started = Instant::now();
        let mut trace = Trace::default();
        let mut progress = Progress::default();
        let result = self
            .apply_steps(desired, &mut trace, &mut progress, started)
            .await;
        let action = result.as_ref().ok().map(|r| {
            if r.actions.contains(&DeployAction::Created) {
                Action::Created
            } else if r.actions.is_empty() {
                Action::Unchanged
            } else {
                Action::Updated
            }
        });
        self.finish(
            desired,
            started,
            false,
            action,
            progress.integration_id.clone(),
            result.as_ref().err(),
            &trace,
        );
        if let Err(e) = &result {
            tracing::warn!(
                name = desired.name,
                step = e.step().map(DeployStep::as_str),
                actions = ?progress.actions,
                error = %e,
                "EventBridge deploy failed"
            );
        }
        result
    }

    /// Metrics and audit for one plan or apply.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        desired: &EventBridgeIntegration,
        started: Instant,
        dry_run: bool,
        action: Option<Action>,
        integration_id: Option<String>,
        error: Option<&DeployError>,
        trace: &Trace,
    ) {
        let latency = started.elapsed();
        let outcome = match (action, error) {
            (Some(action), None) => ResolveOutcome::succeeded(action, latency, dry_run),
            (_, Some(e)) => ResolveOutcome::failed(e.stage(), latency, dry_run),
            (None, None) => ResolveOutcome::failed(Stage::Submit, latency, dry_run),
        };
        if let Some(metrics) = &self.inner.metrics {
            metrics.resolve_finished(&outcome);
        }
        if let Some(audit) = &self.inner.audit {
            let mut record = AuditRecord::new(&desired.name, &target(desired), 1, &outcome);
            if let Some(id) = integration_id.or_else(|| {
                error
                    .and_then(DeployError::integration_id)
                    .map(str::to_owned)
            }) {
                record = record.with_integration_id(id);
            }
            if let Some(e) = error {
                record = record.with_error(e);
            }
            let correlation = error
                .and_then(DeployError::correlation_id)
                .map(str::to_owned)
                .or_else(|| trace.correlation_id.clone());
            if let Some(id) = correlation {
                record = record.with_correlation_id(id);
            }
            audit.record(&record);
        }
    }

    async fn apply_steps(
        &self,
        desired: &EventBridgeIntegration,
        trace: &mut Trace,
        progress: &mut Progress,
        started: Instant,
    ) -> Result<DeployReport, DeployError> {
        let survey = self.survey(desired, trace).await?;
        let mut recovered_create = false;
        let existing = if let Some(existing) = survey.existing {
            existing
        } else {
            let (id, recovered) = self.create(desired, trace).await?;
            recovered_create = recovered;
            progress.integration_id = Some(id.clone());
            progress.actions.push(DeployAction::Created);
            self.read(desired, &id, trace).await?
        };
        let id = existing.id.clone();
        progress.integration_id = Some(id.clone());
        let changes = desired.diff(&existing.properties, existing.notes.as_deref());
        let mut config_version = Some(existing.version);
        let mut conflict_retries = 0;
        if !changes.is_empty() {
            let (version, conflicts, wrote) = self
                .write_config(desired, &id, existing.version, trace)
                .await?;
            config_version = version.or(config_version);
            conflict_retries = conflicts;
            if wrote {
                progress.actions.push(DeployAction::Configured);
            }
        }
        let mut state = existing.reported.clone();
        if needs_enable(&existing) {
            state = self.enable(&id, trace).await?;
            progress.actions.push(DeployAction::Enabled);
        }
        let mut polls = 0;
        if !progress.actions.is_empty() || !state.is_active() {
            (state, polls) = self.wait_active(&id, trace).await?;
        }
        Ok(DeployReport {
            name: desired.name.clone(),
            target: target(desired),
            integration_id: id,
            actions: progress.actions.clone(),
            changes,
            reported_state: state,
            config_version,
            recovered_create,
            conflict_retries,
            polls,
            timings: std::mem::take(&mut trace.timings),
            elapsed: started.elapsed(),
            correlation_id: trace.correlation_id.clone(),
        })
    }

    /// Validates, checks topics (when enabled), finds the integration and reads its config.
    async fn survey(
        &self,
        desired: &EventBridgeIntegration,
        trace: &mut Trace,
    ) -> Result<Survey, DeployError> {
        let started = Instant::now();
        let mut violations = desired.violations();
        trace.time(DeployStep::Validate, started);
        if violations.is_empty() && self.inner.check_topics {
            let available = self.topics(trace).await?;
            violations.extend(desired.unknown_topics(&available));
        }
        if !violations.is_empty() {
            return Err(DeployError::Validation(ValidationErrors::new(violations)));
        }
        let existing = match self.find(&desired.name, trace).await? {
            None => None,
            Some(entity) => {
                let id = entity_id(&entity, DeployStep::Lookup)?;
                let mut existing = self.read(desired, &id, trace).await?;
                entity
                    .get("intendedState")
                    .and_then(Value::as_str)
                    .unwrap_or("DISABLED")
                    .clone_into(&mut existing.intended_state);
                existing.reported = ReportedState::from_entity(&entity);
                Some(existing)
            }
        };
        Ok(Survey { existing })
    }

    /// The integration named `name` of type [`TYPE_ID`], walking every page.
    async fn find(&self, name: &str, trace: &mut Trace) -> Result<Option<Value>, DeployError> {
        let started = Instant::now();
        let client_error = |source| DeployError::Client {
            step: DeployStep::Lookup,
            source,
        };
        let mut found: Vec<Value> = Vec::new();
        let mut page_number = 1u32;
        loop {
            let request = ApiRequest::get(INTEGRATIONS_PATH)
                .query("pageSize", &self.inner.page_size)
                .query("pageNumber", &page_number)
                .query("integrationType", &TYPE_ID);
            let response = self
                .inner
                .client
                .execute(&request)
                .await
                .map_err(client_error)?;
            trace.saw(&response);
            let page: Page = response.json().map_err(client_error)?;
            let last = page.next_uri.is_none() || page.entities.is_empty();
            found.extend(page.entities.into_iter().filter(|e| {
                e.get("name").and_then(Value::as_str) == Some(name)
                    && e.get("integrationType")
                        .and_then(|t| t.get("id"))
                        .and_then(Value::as_str)
                        == Some(TYPE_ID)
            }));
            if last {
                break;
            }
            page_number += 1;
            if page_number > MAX_PAGES {
                tracing::warn!(name, "listing did not end after {MAX_PAGES} pages");
                break;
            }
        }
        trace.time(DeployStep::Lookup, started);
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
    async fn read(
        &self,
        desired: &EventBridgeIntegration,
        id: &str,
        trace: &mut Trace,
    ) -> Result<Existing, DeployError> {
        let started = Instant::now();
        let client_error = |source| DeployError::Client {
            step: DeployStep::ReadConfig,
            source,
        };
        let request = ApiRequest::get(INTEGRATIONS_PATH)
            .segment(id)
            .segment("config")
            .segment("current");
        let response = self
            .inner
            .client
            .execute(&request)
            .await
            .map_err(client_error)?;
        trace.saw(&response);
        let config: Value = response.json().map_err(client_error)?;
        let version = config_version(&config).ok_or_else(|| DeployError::InvalidResponse {
            step: DeployStep::ReadConfig,
            reason: "the configuration has no numeric `version`".to_owned(),
        })?;
        trace.time(DeployStep::ReadConfig, started);
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
            notes: config
                .get("notes")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// Creates the integration; returns its id and whether a lost create was recovered.
    ///
    /// The POST is not resent blindly: after an unknown outcome (timeout, broken connection,
    /// 502/504) the integration is looked up by name and type first, and the create is sent
    /// again only when it is not there. A failed lookup ends the apply with the create's error
    /// (retryable), rather than risk a duplicate.
    async fn create(
        &self,
        desired: &EventBridgeIntegration,
        trace: &mut Trace,
    ) -> Result<(String, bool), DeployError> {
        let started = Instant::now();
        let client_error = |source| DeployError::Client {
            step: DeployStep::Create,
            source,
        };
        let request = ApiRequest::post(INTEGRATIONS_PATH)
            .json(&json!({
                "name": desired.name,
                "integrationType": {"id": TYPE_ID},
            }))
            .map_err(client_error)?
            .resend_on_unknown_outcome(false);
        let mut retry = self.inner.client.retry_policy().start();
        let mut after_unknown = false;
        loop {
            let error = match self.inner.client.execute(&request).await {
                Ok(response) => {
                    trace.saw(&response);
                    let entity: Value = response.json().map_err(client_error)?;
                    let id = entity_id(&entity, DeployStep::Create)?;
                    trace.time(DeployStep::Create, started);
                    tracing::info!(name = desired.name, id, "EventBridge integration created");
                    return Ok((id, false));
                }
                Err(e) => e,
            };
            let conflict_after_unknown = after_unknown && error.status() == Some(409);
            if !error.is_outcome_unknown() && !conflict_after_unknown {
                return Err(client_error(error));
            }
            tracing::warn!(
                name = desired.name,
                error = %error,
                "create outcome unknown: looking the integration up before sending again"
            );
            match self.find(&desired.name, trace).await {
                Ok(Some(entity)) => {
                    let id = entity_id(&entity, DeployStep::Create)?;
                    trace.time(DeployStep::Create, started);
                    tracing::info!(name = desired.name, id, "lost create recovered by lookup");
                    return Ok((id, true));
                }
                Ok(None) => {}
                Err(lookup) => {
                    tracing::warn!(
                        name = desired.name,
                        error = %lookup,
                        "lookup after a lost create failed; not sending the create again"
                    );
                    return Err(client_error(error));
                }
            }
            if conflict_after_unknown {
                return Err(client_error(error));
            }
            after_unknown = true;
            match retry.next(None) {
                Decision::Wait(wait) => {
                    if let Some(metrics) = &self.inner.metrics {
                        metrics.api_retry(if error.status().is_some() {
                            RetryReason::ServerError
                        } else {
                            RetryReason::Transport
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
                _ => return Err(client_error(error)),
            }
        }
    }

    /// Writes `config/current` at `version`. On a version conflict the configuration is read
    /// again: if it already holds `desired` (a lost write of ours, or someone else's), nothing
    /// more is written; otherwise the write is retried once at the new version. Returns the new
    /// version (when Genesys said), the conflicts met and whether the configuration now holds
    /// `desired`.
    async fn write_config(
        &self,
        desired: &EventBridgeIntegration,
        id: &str,
        version: u64,
        trace: &mut Trace,
    ) -> Result<(Option<u64>, u32, bool), DeployError> {
        let client_error = |source| DeployError::Client {
            step: DeployStep::WriteConfig,
            source,
        };
        let mut version = version;
        let mut conflicts = 0;
        loop {
            let started = Instant::now();
            let request = ApiRequest::put(INTEGRATIONS_PATH)
                .segment(id)
                .segment("config")
                .segment("current")
                .json(&json!({
                    "name": desired.name,
                    "version": version,
                    "properties": desired.properties(),
                    "advanced": {},
                    "notes": desired.notes.clone().unwrap_or_default(),
                    "credentials": {},
                }))
                .map_err(client_error)?;
            let result = self.inner.client.execute(&request).await;
            trace.time(DeployStep::WriteConfig, started);
            let error = match result {
                Ok(response) => {
                    trace.saw(&response);
                    let written = response
                        .json::<Value>()
                        .ok()
                        .as_ref()
                        .and_then(config_version);
                    tracing::info!(
                        name = desired.name,
                        id,
                        version = written,
                        "configuration written"
                    );
                    return Ok((written, conflicts, true));
                }
                Err(e) => e,
            };
            if error.status() != Some(409) {
                return Err(client_error(error));
            }
            conflicts += 1;
            if conflicts > 1 {
                return Err(DeployError::Conflict {
                    integration_id: id.to_owned(),
                    attempts: conflicts,
                });
            }
            tracing::info!(
                name = desired.name,
                id,
                version,
                "configuration version conflict: reading it again"
            );
            let current = self.read(desired, id, trace).await?;
            if desired
                .diff(&current.properties, current.notes.as_deref())
                .is_empty()
            {
                // Our earlier write landed (its answer was lost and the resend met the conflict),
                // or another writer wrote the same: the change is in place either way.
                return Ok((Some(current.version), conflicts, true));
            }
            version = current.version;
        }
    }

    /// Sends `intendedState: ENABLED`; returns the reported state of the answer.
    async fn enable(&self, id: &str, trace: &mut Trace) -> Result<ReportedState, DeployError> {
        let started = Instant::now();
        let client_error = |source| DeployError::Client {
            step: DeployStep::Enable,
            source,
        };
        let request = ApiRequest::patch(INTEGRATIONS_PATH)
            .segment(id)
            .json(&json!({"intendedState": "ENABLED"}))
            .map_err(client_error)?;
        let response = self
            .inner
            .client
            .execute(&request)
            .await
            .map_err(client_error)?;
        trace.saw(&response);
        let entity: Value = response.json().map_err(client_error)?;
        trace.time(DeployStep::Enable, started);
        tracing::info!(id, "integration enabled");
        Ok(ReportedState::from_entity(&entity))
    }

    /// Polls `GET /api/v2/integrations/{id}` with exponential backoff until `ACTIVE`, `ERROR`
    /// or the activation timeout. Returns the final state and the polls made.
    async fn wait_active(
        &self,
        id: &str,
        trace: &mut Trace,
    ) -> Result<(ReportedState, u32), DeployError> {
        let started = Instant::now();
        let deadline = started + self.inner.activation_timeout;
        let mut interval = self.inner.poll_interval;
        let mut polls = 0u32;
        let request = ApiRequest::get(INTEGRATIONS_PATH).segment(id);
        loop {
            let response = self
                .inner
                .client
                .execute(&request)
                .await
                .map_err(|source| DeployError::Client {
                    step: DeployStep::Activate,
                    source,
                })?;
            polls += 1;
            trace.saw(&response);
            let entity: Value = response.json().map_err(|source| DeployError::Client {
                step: DeployStep::Activate,
                source,
            })?;
            let state = ReportedState::from_entity(&entity);
            tracing::debug!(id, state = %state, polls, "integration state");
            if state.is_active() {
                trace.time(DeployStep::Activate, started);
                return Ok((state, polls));
            }
            if state.is_error() {
                trace.time(DeployStep::Activate, started);
                return Err(DeployError::ActivationFailed {
                    integration_id: id.to_owned(),
                    detail: state.detail.unwrap_or_else(|| "no detail given".to_owned()),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                trace.time(DeployStep::Activate, started);
                return Err(DeployError::ActivationTimeout {
                    integration_id: id.to_owned(),
                    last_state: state.code,
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = (interval * 2).min(self.inner.max_poll_interval);
        }
    }
}

/// Whether apply must send `intendedState: ENABLED`: the integration is not enabled, or it is
/// in `ERROR` (enabling again starts a new activation).
fn needs_enable(existing: &Existing) -> bool {
    existing.intended_state != "ENABLED" || existing.reported.is_error()
}

/// `aws://<region>/<account id>/<suffix>`: where the events go, for reports and audit records.
fn target(desired: &EventBridgeIntegration) -> String {
    format!(
        "aws://{}/{}/{}",
        desired.aws_region, desired.aws_account_id, desired.event_source_suffix
    )
}

fn entity_id(entity: &Value, step: DeployStep) -> Result<String, DeployError> {
    match entity.get("id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
        _ => Err(DeployError::InvalidResponse {
            step,
            reason: "the integration has no string `id`".to_owned(),
        }),
    }
}

fn config_version(config: &Value) -> Option<u64> {
    config.get("version").and_then(Value::as_u64)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    entities: Vec<Value>,
    #[serde(default)]
    next_uri: Option<String>,
}

#[cfg(test)]
mod tests {
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
    }

    #[test]
    fn steps_map_to_stages() {
        assert_eq!(DeployStep::Topics.stage(), Stage::Validate);
        assert_eq!(DeployStep::ReadConfig.stage(), Stage::RouteMapping);
        assert_eq!(DeployStep::Activate.stage(), Stage::Submit);
        assert_eq!(DeployStep::WriteConfig.to_string(), "write_config");
    }

    #[test]
    fn shared_types_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<EventBridgeDeployer>();
        check::<DeployError>();
        check::<DeployReport>();
        check::<Plan>();
    }
}
