//! [`EventBridgeDeployer`]: plan and apply an [`EventBridgeIntegration`] over a
//! [`PlatformApi`], idempotently, with metrics and audit for each.

use std::fmt;
use std::sync::Arc;

use tokio::sync::OnceCell;
use tokio::time::Instant;
use tracing::Instrument;

use super::EventBridgeIntegration;
use super::apply::Progress;
use super::error::DeployError;
use super::report::{DeployAction, DeployReport, DeployStep, Plan, PlanAction};
use super::steps::{Settings, Steps, target};
use crate::api::{GenesysClient, PlatformApi};
use crate::audit::{AuditRecord, AuditSink};
use crate::coordination::{Coordinator, LeaseKey, LocalCoordinator};
use crate::metrics::MetricsSink;
use crate::outcome::{Action, Operation, ResolveOutcome, Stage};
use crate::spans;

/// Plans and applies Amazon EventBridge source integrations over the platform integrations API
/// ([`PlatformApi`]; by default the [`GenesysClient`] itself, with its token source, retry
/// rules (no duplicate creates), pacing and metrics). Cheap to clone (clones share the topic
/// cache); `Send + Sync`.
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
    api: Arc<dyn PlatformApi>,
    metrics: Option<Arc<dyn MetricsSink>>,
    audit: Option<Arc<dyn AuditSink>>,
    settings: Settings,
    topics: OnceCell<Arc<Vec<String>>>,
    coordinator: Arc<dyn Coordinator>,
}

impl fmt::Debug for EventBridgeDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("EventBridgeDeployer")
            .field("client", &inner.client)
            .field("api", &inner.api)
            .field("metrics", &inner.metrics)
            .field("audit", &inner.audit)
            .field("check_topics", &inner.settings.check_topics)
            .field("page_size", &inner.settings.page_size)
            .field("activation_timeout", &inner.settings.activation_timeout)
            .field("poll_interval", &inner.settings.poll_interval)
            .field("max_poll_interval", &inner.settings.max_poll_interval)
            .field("topics_cached", &inner.topics.get().map(|t| t.len()))
            .finish()
    }
}

/// The parts of a deployer, as its builder checked them.
pub(super) struct Parts {
    pub(super) client: GenesysClient,
    pub(super) api: Arc<dyn PlatformApi>,
    pub(super) metrics: Option<Arc<dyn MetricsSink>>,
    pub(super) audit: Option<Arc<dyn AuditSink>>,
    pub(super) settings: Settings,
    pub(super) coordinator: Arc<dyn Coordinator>,
}

impl EventBridgeDeployer {
    /// A deployer with default settings over `client` (no topic check, no metrics or audit
    /// sink).
    pub fn new(client: GenesysClient) -> Self {
        Self::from_parts(Parts {
            api: Arc::new(client.clone()),
            client,
            metrics: None,
            audit: None,
            settings: Settings::default(),
            coordinator: Arc::new(LocalCoordinator::new()),
        })
    }

    pub(super) fn from_parts(parts: Parts) -> Self {
        Self {
            inner: Arc::new(Inner {
                client: parts.client,
                api: parts.api,
                metrics: parts.metrics,
                audit: parts.audit,
                settings: parts.settings,
                topics: OnceCell::new(),
                coordinator: parts.coordinator,
            }),
        }
    }

    /// The client.
    pub fn client(&self) -> &GenesysClient {
        &self.inner.client
    }

    /// The platform integrations API the deployer talks to.
    pub fn platform_api(&self) -> &Arc<dyn PlatformApi> {
        &self.inner.api
    }

    fn steps(&self) -> Steps<'_> {
        Steps::new(&*self.inner.api, &self.inner.settings, &self.inner.topics)
    }

    /// The organisation's available topic ids, read once from
    /// `GET /api/v2/notifications/availabletopics` and cached for the deployer's lifetime
    /// (a failed read is not cached).
    pub async fn available_topics(&self) -> Result<Arc<Vec<String>>, DeployError> {
        self.steps().topics().await
    }

    /// What [`apply`](Self::apply) would do, without writing anything: validates (and checks
    /// topics when enabled), finds the integration by name and type walking every page, and
    /// reads its configuration.
    pub async fn plan(&self, desired: &EventBridgeIntegration) -> Result<Plan, DeployError> {
        let started = Instant::now();
        let span = spans::operation(Operation::Deploy, &desired.name, &target(desired), true);
        let mut steps = self.steps();
        let result = steps.plan(desired).instrument(span.clone()).await;
        let action = result.as_ref().ok().map(|p| match p.action {
            PlanAction::Create => Action::Created,
            PlanAction::Update { .. } | PlanAction::Enable => Action::Updated,
            PlanAction::Nothing => Action::Unchanged,
        });
        let id = result.as_ref().ok().and_then(|p| p.integration_id.clone());
        self.finish(&Finished {
            desired,
            started,
            dry_run: true,
            action,
            integration_id: id,
            error: result.as_ref().err(),
            correlation_id: steps.trace.correlation_id.as_deref(),
            span: &span,
        });
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
        let span = spans::operation(Operation::Deploy, &desired.name, &target(desired), false);
        let mut steps = self.steps();
        let mut progress = Progress::default();
        let result = self
            .apply_in_turn(&mut steps, desired, &mut progress, started)
            .instrument(span.clone())
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
        self.finish(&Finished {
            desired,
            started,
            dry_run: false,
            action,
            integration_id: progress.integration_id.clone(),
            error: result.as_ref().err(),
            correlation_id: steps.trace.correlation_id.as_deref(),
            span: &span,
        });
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

    /// [`Steps::apply`] holding the turn on the integration's name: a concurrent apply of the
    /// same name (in this process, or in another one sharing a Redis coordinator) waits, then
    /// finds what this one created.
    async fn apply_in_turn(
        &self,
        steps: &mut Steps<'_>,
        desired: &EventBridgeIntegration,
        progress: &mut Progress,
        started: Instant,
    ) -> Result<DeployReport, DeployError> {
        let key = LeaseKey::new(
            crate::coordination::organisation(Some(self.inner.client.environment())),
            super::TYPE_ID,
            desired.name.clone(),
        );
        let lease = self
            .inner
            .coordinator
            .acquire(&key, self.inner.settings.lease_wait)
            .await
            .map_err(|source| DeployError::Coordination {
                step: DeployStep::Lookup,
                source,
            })?;
        let report = steps.apply(desired, progress, started).await?;
        lease
            .release()
            .await
            .map_err(|source| DeployError::Coordination {
                step: DeployStep::Activate,
                source,
            })?;
        Ok(report)
    }

    /// Metrics and audit for one plan or apply, counted as a deploy.
    fn finish(&self, done: &Finished<'_>) {
        let latency = done.started.elapsed();
        let outcome = match (done.action, done.error) {
            (Some(action), None) => ResolveOutcome::succeeded(action, latency, done.dry_run),
            (_, Some(e)) => ResolveOutcome::failed(e.stage(), latency, done.dry_run),
            (None, None) => ResolveOutcome::failed(Stage::Submit, latency, done.dry_run),
        }
        .for_operation(Operation::Deploy);
        let correlation = done
            .error
            .and_then(DeployError::correlation_id)
            .or(done.correlation_id);
        let integration_id = done.integration_id.clone().or_else(|| {
            done.error
                .and_then(DeployError::integration_id)
                .map(str::to_owned)
        });
        spans::record_operation(
            done.span,
            match (done.action, done.error) {
                (Some(action), None) => Ok(action),
                (_, Some(e)) => Err((e.kind(), e.stage())),
                (None, None) => Err((crate::outcome::ErrorKind::InvalidResponse, Stage::Submit)),
            },
            integration_id.as_deref(),
            correlation,
        );
        if let Some(metrics) = &self.inner.metrics {
            metrics.resolve_finished(&outcome);
        }
        if let Some(audit) = &self.inner.audit {
            let target = target(done.desired);
            let mut record =
                AuditRecord::new(&done.desired.name, &target, 1, &outcome).with_target(&target);
            if let Some(id) = integration_id {
                record = record.with_integration_id(id);
            }
            if let Some(e) = done.error {
                record = record.with_error(e);
            }
            if let Some(id) = correlation {
                record = record.with_correlation_id(id);
            }
            audit.record(&record);
        }
    }
}

/// How one plan or apply ended, for [`EventBridgeDeployer::finish`].
struct Finished<'a> {
    desired: &'a EventBridgeIntegration,
    started: Instant,
    dry_run: bool,
    action: Option<Action>,
    integration_id: Option<String>,
    error: Option<&'a DeployError>,
    correlation_id: Option<&'a str>,
    /// The operation's span ([`spans::operation`]).
    span: &'a tracing::Span,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_types_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<EventBridgeDeployer>();
        check::<DeployError>();
        check::<DeployReport>();
        check::<Plan>();
        check::<Arc<dyn PlatformApi>>();
    }
}
