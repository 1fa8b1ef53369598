//! [`EventBridgeDeployer`]: plan and apply an [`EventBridgeIntegration`] over a
//! [`PlatformApi`], idempotently, disable or delete one, each in the operation envelope (its
//! span, metrics and one audit record).

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
use crate::coordination::{Coordinator, LeaseKey, LocalCoordinator};
use crate::envelope::{Envelope, OperationReport, Seen, Subject};
use crate::outcome::Action;

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
    envelope: Envelope,
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
            .field("envelope", &inner.envelope)
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
    pub(super) envelope: Envelope,
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
            envelope: Envelope::default(),
            settings: Settings::default(),
            coordinator: Arc::new(LocalCoordinator::new()),
        })
    }

    pub(super) fn from_parts(parts: Parts) -> Self {
        Self {
            inner: Arc::new(Inner {
                client: parts.client,
                api: parts.api,
                envelope: parts.envelope,
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
    /// reads its configuration. Recorded as a deploy's dry run.
    pub async fn plan(&self, desired: &EventBridgeIntegration) -> Result<Plan, DeployError> {
        let target = target(desired);
        let scope = (self.inner.envelope).start(Subject::deploy(&desired.name, &target, true));
        let mut steps = self.steps();
        let result = steps.plan(desired).instrument(scope.span().clone()).await;
        scope.finish(
            &result,
            Seen::new(steps.trace.correlation_id.as_deref(), None),
        );
        result
    }

    /// [`plan`](Self::plan) as a step of a flow built on this deployer (a route's): in the
    /// caller's span, not recorded on its own.
    #[cfg(feature = "aws")]
    pub(crate) async fn plan_step(
        &self,
        desired: &EventBridgeIntegration,
    ) -> Result<Plan, DeployError> {
        self.steps().plan(desired).await
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
        let target = target(desired);
        let scope = (self.inner.envelope).start(Subject::deploy(&desired.name, &target, false));
        let mut steps = self.steps();
        let mut progress = Progress::default();
        let result = self
            .apply_in_turn(&mut steps, desired, &mut progress)
            .instrument(scope.span().clone())
            .await;
        let integration_id = progress
            .integration_id
            .as_deref()
            .or_else(|| result.as_ref().err().and_then(DeployError::integration_id));
        let seen = Seen::new(steps.trace.correlation_id.as_deref(), integration_id);
        scope.finish(&result, seen);
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

    /// [`apply`](Self::apply) as a step of a flow built on this deployer (a route's): in the
    /// caller's span, not recorded on its own.
    #[cfg(feature = "aws")]
    pub(crate) async fn apply_step(
        &self,
        desired: &EventBridgeIntegration,
    ) -> Result<DeployReport, DeployError> {
        let mut steps = self.steps();
        (self.apply_in_turn(&mut steps, desired, &mut Progress::default())).await
    }

    /// Sets `intendedState` DISABLED on the integration named `name` (it stops delivering
    /// events; its configuration stays). Idempotent: when it is already disabled, or no
    /// integration has the name, nothing is written (the report's action is `unchanged`).
    /// Several integrations with the name are [`DeployError::Ambiguous`]. Holds the turn on the
    /// name, as apply does.
    pub async fn disable(&self, name: &str) -> Result<LifecycleReport, DeployError> {
        let scope = (self.inner.envelope).start(Subject::lifecycle("disable", name, false));
        let mut steps = self.steps();
        let started = Instant::now();
        let result = async {
            let lease = self.lease(name).await?;
            let report = steps.disable(name, started).await?;
            Self::release(lease, DeployStep::Disable).await?;
            Ok(report)
        }
        .instrument(scope.span().clone())
        .await;
        scope.finish(
            &result,
            Seen::new(steps.trace.correlation_id.as_deref(), None),
        );
        warn_failed("disable", name, &result);
        result
    }

    /// Deletes the integration named `name` (`DELETE /api/v2/integrations/{id}`), then waits,
    /// bounded by the deletion timeout, until it is gone (reads answer 404; while it lingers
    /// with `intendedState` DELETED it is not). Idempotent: when no integration has the name,
    /// or the delete answers 404, it is already gone. Several integrations with the name are
    /// [`DeployError::Ambiguous`] (delete the extras with [`delete_id`](Self::delete_id)).
    /// Holds the turn on the name, as apply does.
    pub async fn delete(&self, name: &str) -> Result<LifecycleReport, DeployError> {
        let scope = (self.inner.envelope).start(Subject::lifecycle("delete", name, false));
        let mut steps = self.steps();
        let result = self
            .delete_in_turn(&mut steps, name)
            .instrument(scope.span().clone())
            .await;
        scope.finish(
            &result,
            Seen::new(steps.trace.correlation_id.as_deref(), None),
        );
        warn_failed("delete", name, &result);
        result
    }

    /// [`delete`](Self::delete) as a step of a flow built on this deployer (a route's
    /// destroy): in the caller's span, not recorded on its own.
    #[cfg(feature = "aws")]
    pub(crate) async fn delete_step(&self, name: &str) -> Result<LifecycleReport, DeployError> {
        self.delete_in_turn(&mut self.steps(), name).await
    }

    async fn delete_in_turn(
        &self,
        steps: &mut Steps<'_>,
        name: &str,
    ) -> Result<LifecycleReport, DeployError> {
        let started = Instant::now();
        let lease = self.lease(name).await?;
        let report = steps.delete(name, started).await?;
        Self::release(lease, DeployStep::Delete).await?;
        Ok(report)
    }

    /// Deletes the EventBridge integration `id` and waits until it is gone, as
    /// [`delete`](Self::delete) does: for the extras of an [`Ambiguous`](DeployError::Ambiguous)
    /// name. An integration of another type is refused (a validation error at `id`, code
    /// `integration_type_mismatch`); one already gone is nothing to do.
    pub async fn delete_id(&self, id: &str) -> Result<LifecycleReport, DeployError> {
        let scope = (self.inner.envelope).start(Subject::lifecycle("delete_id", id, false));
        let mut steps = self.steps();
        let started = Instant::now();
        let result = (steps.delete_id(id, started))
            .instrument(scope.span().clone())
            .await;
        scope.finish(
            &result,
            Seen::new(steps.trace.correlation_id.as_deref(), None),
        );
        warn_failed("delete", id, &result);
        result
    }

    /// What [`delete`](Self::delete) would do, without writing anything: a [`Plan`] whose
    /// change is a `delete` (with the integration's id, where its events go and its partner
    /// event source), or `nothing` when no integration has the name.
    pub async fn plan_delete(&self, name: &str) -> Result<Plan, DeployError> {
        let scope = (self.inner.envelope).start(Subject::lifecycle("plan_delete", name, true));
        let mut steps = self.steps();
        let result = steps
            .plan_delete(name)
            .instrument(scope.span().clone())
            .await;
        scope.finish(
            &result,
            Seen::new(steps.trace.correlation_id.as_deref(), None),
        );
        result
    }

    /// The delete plans of `plans` (a pruning sync's), each recorded as a deploy's dry run,
    /// in the caller's span.
    pub(super) fn record_delete_plans(&self, plans: &[Plan]) {
        for plan in plans {
            let subject = Subject::lifecycle("plan_delete", plan.name(), true).in_caller_span();
            let scope = self.inner.envelope.start(subject);
            let seen = Seen::new(plan.correlation_id.as_deref(), None);
            scope.finish(&Ok::<_, DeployError>(plan), seen);
        }
    }

    /// The envelope a sync runs in: its span (`deploy.lifecycle` `sync` or `plan_sync`), its
    /// parts recorded on their own.
    pub(super) fn envelope(&self) -> &Envelope {
        &self.inner.envelope
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
    ) -> Result<DeployReport, DeployError> {
        let started = Instant::now();
        let lease = self.lease(&desired.name).await?;
        let report = steps.apply(desired, progress, started).await?;
        Self::release(lease, DeployStep::Activate).await?;
        Ok(report)
    }
}

/// Logs a failed disable or delete.
fn warn_failed<T>(what: &str, name: &str, result: &Result<T, DeployError>) {
    if let Err(e) = result {
        tracing::warn!(name, step = e.step().map(DeployStep::as_str), error = %e, "EventBridge {what} failed");
    }
}

impl OperationReport for Plan {
    /// What apply (or delete) would do: created, updated, deleted or unchanged.
    fn outcome(&self) -> Action {
        self.change.action.outcome()
    }

    fn integration_id(&self) -> Option<&str> {
        self.integration_id.as_deref()
    }

    fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    fn target(&self) -> Option<&str> {
        Some(&self.target)
    }
}

impl OperationReport for DeployReport {
    fn outcome(&self) -> Action {
        DeployReport::action(self)
    }

    fn integration_id(&self) -> Option<&str> {
        Some(&self.integration_id)
    }

    fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    fn target(&self) -> Option<&str> {
        Some(&self.target)
    }
}

impl OperationReport for LifecycleReport {
    fn outcome(&self) -> Action {
        LifecycleReport::action(self)
    }

    fn integration_id(&self) -> Option<&str> {
        self.integration_id.as_deref()
    }

    fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    fn target(&self) -> Option<&str> {
        Some(&self.target)
    }
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
