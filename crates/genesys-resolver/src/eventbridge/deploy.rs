//! [`EventBridgeDeployer`]: plan and apply an [`EventBridgeIntegration`] over a
//! [`PlatformApi`], idempotently, disable or delete one, with metrics and audit for each.

use std::fmt;
use std::sync::Arc;

use tokio::time::Instant;
use tracing::Instrument;

use super::EventBridgeIntegration;
use super::apply::Progress;
use super::error::DeployError;
use super::report::{DeployReport, DeployStep, LifecycleReport, Plan};
use super::steps::{Caches, Settings, Steps, target};
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
    caches: Caches,
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
            .field("deletion_timeout", &inner.settings.deletion_timeout)
            .field(
                "topics_cached",
                &inner.caches.topics.get().map(|t| t.ids.len()),
            )
            .field("organization_id", &inner.caches.organization.get())
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
                caches: Caches::default(),
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

    pub(super) fn steps(&self) -> Steps<'_> {
        Steps::new(&*self.inner.api, &self.inner.settings, &self.inner.caches)
    }

    /// The organisation's id, read once from `GET /api/v2/organizations/me` and cached for
    /// the deployer's lifetime (a failed read is not cached). It names the AWS partner event
    /// source, `aws.partner/genesys.com/cloud/<organisation id>/<suffix>`.
    pub async fn organization_id(&self) -> Result<Arc<str>, DeployError> {
        self.steps().organization_id().await
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
        let action = result.as_ref().ok().map(|p| p.action().outcome());
        let id = result.as_ref().ok().and_then(|p| p.integration_id.clone());
        self.finish(&Finished {
            name: &desired.name,
            target: target(desired),
            started,
            dry_run: true,
            action,
            integration_id: id,
            error: result.as_ref().err(),
            correlation_id: steps.trace.correlation_id.as_deref(),
            span: Some(&span),
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
        let action = result.as_ref().ok().map(DeployReport::action);
        self.finish(&Finished {
            name: &desired.name,
            target: target(desired),
            started,
            dry_run: false,
            action,
            integration_id: progress.integration_id.clone(),
            error: result.as_ref().err(),
            correlation_id: steps.trace.correlation_id.as_deref(),
            span: Some(&span),
        });
        if let Err(e) = &result {
            tracing::warn!(
                name = desired.name,
                step = e.step().map(DeployStep::as_str),
                writes = ?progress.writes,
                error = %e,
                "EventBridge deploy failed"
            );
        }
        result
    }

    /// Sets `intendedState` DISABLED on the integration named `name` (it stops delivering
    /// events; its configuration stays). Idempotent: when it is already disabled, or no
    /// integration has the name, nothing is written (the report's `actions` is empty). Several
    /// integrations with the name are [`DeployError::Ambiguous`]. Holds the turn on the name, as
    /// apply does.
    pub async fn disable(&self, name: &str) -> Result<LifecycleReport, DeployError> {
        let started = Instant::now();
        let span = spans::lifecycle("disable", name, false);
        let mut steps = self.steps();
        let result = async {
            let lease = self.lease(name).await?;
            let report = steps.disable(name, started).await?;
            Self::release(lease, DeployStep::Disable).await?;
            Ok(report)
        }
        .instrument(span.clone())
        .await;
        self.finish_lifecycle(name, &result, started, &steps, "disable", &span);
        result
    }

    /// Deletes the integration named `name` (`DELETE /api/v2/integrations/{id}`), then waits,
    /// bounded by the deletion timeout, until it is gone (reads answer 404; while it lingers
    /// with `intendedState` DELETED it is not). Idempotent: when no integration has the name,
    /// or the delete answers 404, it is already gone. Several integrations with the name are
    /// [`DeployError::Ambiguous`] (delete the extras with [`delete_id`](Self::delete_id)).
    /// Holds the turn on the name, as apply does.
    pub async fn delete(&self, name: &str) -> Result<LifecycleReport, DeployError> {
        let started = Instant::now();
        let span = spans::lifecycle("delete", name, false);
        let mut steps = self.steps();
        let result = async {
            let lease = self.lease(name).await?;
            let report = steps.delete(name, started).await?;
            Self::release(lease, DeployStep::Delete).await?;
            Ok(report)
        }
        .instrument(span.clone())
        .await;
        self.finish_lifecycle(name, &result, started, &steps, "delete", &span);
        result
    }

    /// Deletes the EventBridge integration `id` and waits until it is gone, as
    /// [`delete`](Self::delete) does: for the extras of an [`Ambiguous`](DeployError::Ambiguous)
    /// name. An integration of another type is refused (a validation error at `id`, code
    /// `integration_type_mismatch`); one already gone is nothing to do.
    pub async fn delete_id(&self, id: &str) -> Result<LifecycleReport, DeployError> {
        let started = Instant::now();
        let span = spans::lifecycle("delete_id", id, false);
        let mut steps = self.steps();
        let result = steps.delete_id(id, started).instrument(span.clone()).await;
        let name = result
            .as_ref()
            .map_or_else(|_| id.to_owned(), |r| r.name().to_owned());
        self.finish_lifecycle(&name, &result, started, &steps, "delete", &span);
        result
    }

    /// What [`delete`](Self::delete) would do, without writing anything: a [`Plan`] whose
    /// change is a `delete` (with the integration's id, where its events go and its partner
    /// event source), or `nothing` when no integration has the name.
    pub async fn plan_delete(&self, name: &str) -> Result<Plan, DeployError> {
        let started = Instant::now();
        let span = spans::lifecycle("plan_delete", name, true);
        let mut steps = self.steps();
        let result = steps.plan_delete(name).instrument(span.clone()).await;
        self.record_plan(name, &result, started, &steps, Some(&span));
        result
    }

    /// Metrics and audit for a plan made outside [`plan`](Self::plan) (a delete plan, a
    /// pruning sync's).
    pub(super) fn record_plan(
        &self,
        name: &str,
        result: &Result<Plan, DeployError>,
        started: Instant,
        steps: &Steps<'_>,
        span: Option<&tracing::Span>,
    ) {
        let action = result.as_ref().ok().map(|p| p.action().outcome());
        self.finish(&Finished {
            name,
            target: result
                .as_ref()
                .map(|p| p.target.clone())
                .unwrap_or_default(),
            started,
            dry_run: true,
            action,
            integration_id: result.as_ref().ok().and_then(|p| p.integration_id.clone()),
            error: result.as_ref().err(),
            correlation_id: steps.trace.correlation_id.as_deref(),
            span,
        });
    }

    /// Metrics and audit for a disable or delete: `done` when it wrote, unchanged otherwise.
    fn finish_lifecycle(
        &self,
        name: &str,
        result: &Result<LifecycleReport, DeployError>,
        started: Instant,
        steps: &Steps<'_>,
        done: &str,
        span: &tracing::Span,
    ) {
        let action = result.as_ref().ok().map(LifecycleReport::action);
        self.finish(&Finished {
            name,
            target: result
                .as_ref()
                .map(|r| r.target.clone())
                .unwrap_or_default(),
            started,
            dry_run: false,
            action,
            integration_id: result.as_ref().ok().and_then(|r| r.integration_id.clone()),
            error: result.as_ref().err(),
            correlation_id: steps.trace.correlation_id.as_deref(),
            span: Some(span),
        });
        if let Err(e) = result {
            tracing::warn!(name, step = e.step().map(DeployStep::as_str), error = %e, "EventBridge {} failed", done);
        }
    }

    /// The turn on `name`: a concurrent apply, disable or delete of the same name (in this
    /// process, or in another one sharing a Redis coordinator) waits for it.
    async fn lease(&self, name: &str) -> Result<crate::coordination::Lease, DeployError> {
        let key = LeaseKey::new(
            crate::coordination::organisation(Some(self.inner.client.environment())),
            super::TYPE_ID,
            name.to_owned(),
        );
        self.inner
            .coordinator
            .acquire(&key, self.inner.settings.lease_wait)
            .await
            .map_err(|source| DeployError::Coordination {
                step: DeployStep::Lookup,
                source,
            })
    }

    /// Gives the turn back; a lease lost meanwhile is an error at `step`.
    async fn release(
        lease: crate::coordination::Lease,
        step: DeployStep,
    ) -> Result<(), DeployError> {
        lease
            .release()
            .await
            .map_err(|source| DeployError::Coordination { step, source })
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
        let lease = self.lease(&desired.name).await?;
        let report = steps.apply(desired, progress, started).await?;
        Self::release(lease, DeployStep::Activate).await?;
        Ok(report)
    }

    /// Metrics and audit for one plan, apply, disable or delete, counted as a deploy.
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
        if let Some(span) = done.span {
            spans::record_target(span, &done.target);
            spans::record_operation(
                span,
                match (done.action, done.error) {
                    (Some(action), None) => Ok(action),
                    (_, Some(e)) => Err((e.kind(), e.stage())),
                    (None, None) => {
                        Err((crate::outcome::ErrorKind::InvalidResponse, Stage::Submit))
                    }
                },
                integration_id.as_deref(),
                correlation,
            );
        }
        if let Some(metrics) = &self.inner.metrics {
            metrics.resolve_finished(&outcome);
        }
        if let Some(audit) = &self.inner.audit {
            let target = &done.target;
            let mut record = AuditRecord::new(done.name, target, 1, &outcome).with_target(target);
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

/// How one plan, apply, disable or delete ended, for [`EventBridgeDeployer::finish`].
struct Finished<'a> {
    name: &'a str,
    target: String,
    started: Instant,
    dry_run: bool,
    action: Option<Action>,
    integration_id: Option<String>,
    error: Option<&'a DeployError>,
    correlation_id: Option<&'a str>,
    /// The operation's span ([`spans::operation`] or [`spans::lifecycle`]); `None` for the
    /// prune plans of a sync, which run in the sync's span.
    span: Option<&'a tracing::Span>,
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
        check::<LifecycleReport>();
        check::<Arc<dyn PlatformApi>>();
    }
}
