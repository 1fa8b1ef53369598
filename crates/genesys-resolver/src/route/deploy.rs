//! [`RouteDeployer`]: check, plan, apply and destroy a [`Route`] on both sides.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_eventbridge::Client;
use tokio::time::Instant;

use super::Route;
use super::aws::{Aws, Observed, plan as aws_plan};
use super::error::RouteError;
use super::report::{CheckReport, DestinationReport, DestroyReport, RoutePlan, RouteReport};
use super::spec::AwsSpec;
use crate::change::Change;
use crate::envelope::{Envelope, OperationReport, Subject, stage};
use crate::eventbridge::EventBridgeDeployer;
use crate::outcome::{Action, Stage};
use crate::probe::{EndpointProber, ProbeReport};

/// Deploys routes: the Genesys EventBridge integration through an [`EventBridgeDeployer`], the
/// AWS half through the official SDK's EventBridge [`Client`]. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct RouteDeployer {
    inner: Arc<Inner>,
}

struct Inner {
    genesys: EventBridgeDeployer,
    events: Client,
    prober: Arc<dyn EndpointProber>,
    source_timeout: Duration,
    source_poll: Duration,
    envelope: Envelope,
}

impl fmt::Debug for RouteDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteDeployer")
            .field("genesys", &self.inner.genesys)
            .field("prober", &self.inner.prober)
            .field("source_timeout", &self.inner.source_timeout)
            .field("source_poll", &self.inner.source_poll)
            .finish_non_exhaustive()
    }
}

impl RouteDeployer {
    /// A deployer of these parts (see [`RouteDeployerBuilder`](super::RouteDeployerBuilder)).
    pub(super) fn from_parts(
        genesys: EventBridgeDeployer,
        events: Client,
        prober: Arc<dyn EndpointProber>,
        (source_timeout, source_poll): (Duration, Duration),
        envelope: Envelope,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                genesys,
                events,
                prober,
                source_timeout,
                source_poll,
                envelope,
            }),
        }
    }

    /// The Genesys half.
    pub fn genesys(&self) -> &EventBridgeDeployer {
        &self.inner.genesys
    }

    /// The EventBridge client.
    pub fn events(&self) -> &Client {
        &self.inner.events
    }

    /// The Genesys organisation id of `route`'s partner event source: the route's own field
    /// when set, else the organisation of the Genesys credentials (`GET
    /// /api/v2/organizations/me`, read once per deployer).
    async fn organization_id(&self, route: &Route) -> Result<String, RouteError> {
        if !route.organization_id.is_empty() {
            return Ok(route.organization_id.clone());
        }
        Ok(self.inner.genesys.organization_id().await?.to_string())
    }

    /// The route's rules, then its AWS spec (the partner source named after the organisation).
    async fn spec(&self, route: &Route) -> Result<AwsSpec, RouteError> {
        route.validate()?;
        let organization_id = self.organization_id(route).await?;
        let mut spec = route.aws_spec();
        spec.bus_name = super::partner_source_name(&organization_id, &route.event_source_suffix);
        Ok(spec)
    }

    async fn probe(&self, route: &Route) -> Vec<ProbeReport> {
        self.inner.prober.probe_payload(&route.payload).await
    }

    /// One route operation in the envelope: its `deploy` span (with its stages as children),
    /// counted once as a deploy (a dry run for plan and check), one audit record.
    /// The work comes boxed: a route operation nests the EventBridge deployer's and the SDK's
    /// futures, and a caller's future stays small and shallow this way.
    async fn recorded<'a, T: OperationReport>(
        &'a self,
        lifecycle: &'static str,
        route: &'a Route,
        dry_run: bool,
        work: Pin<Box<dyn Future<Output = Result<T, RouteError>> + Send + 'a>>,
    ) -> Result<T, RouteError> {
        let target = route.target();
        let subject = Subject::route(lifecycle, &route.payload, &target, dry_run);
        self.inner.envelope.run(subject, work).await
    }

    /// What apply would do on both sides, without writing: validates, reads the Genesys
    /// integration and every AWS resource of the route. No probe.
    pub async fn plan(&self, route: &Route) -> Result<RoutePlan, RouteError> {
        self.recorded(
            "plan",
            route,
            true,
            Box::pin(async {
                let spec = stage(Stage::Validate, self.spec(route)).await?;
                stage(Stage::RouteMapping, self.read_plan(route, &spec)).await
            }),
        )
        .await
    }

    /// Both halves' plans: the Genesys integration's, then the AWS resources' as read.
    async fn read_plan(&self, route: &Route, spec: &AwsSpec) -> Result<RoutePlan, RouteError> {
        let genesys = self.inner.genesys.plan_step(&route.integration()).await?;
        let aws = Aws::new(&self.inner.events);
        let seen = aws.observe(spec).await?;
        Ok(RoutePlan {
            name: route.payload.name.clone(),
            genesys,
            partner_event_source: spec.bus_name.clone(),
            partner_event_source_state: seen.source.as_ref().map(|s| s.state.clone()),
            aws: aws_plan(spec, &seen),
            warnings: spec.warnings.clone(),
        })
    }

    /// Validates, probes every destination and plans both sides; writes nothing. A failing probe
    /// is reported, not an error.
    pub async fn check(&self, route: &Route) -> Result<CheckReport, RouteError> {
        self.recorded(
            "check",
            route,
            true,
            Box::pin(async {
                let spec = stage(Stage::Validate, self.spec(route)).await?;
                let probes = stage(Stage::Probe, async {
                    Ok::<_, RouteError>(self.probe(route).await)
                });
                let probes = probes.await?;
                let plan = stage(Stage::RouteMapping, self.read_plan(route, &spec)).await?;
                Ok(CheckReport { probes, plan })
            }),
        )
        .await
    }

    /// Makes both sides hold `route`: validate, probe (every destination must pass), the
    /// Genesys integration (`ACTIVE`), the partner event source (waited for), the event bus,
    /// connections and API destinations, the rule and its targets. Writes only what differs; a
    /// lost create is looked up, never repeated.
    pub async fn apply(&self, route: &Route) -> Result<RouteReport, RouteError> {
        let result = self
            .recorded("apply", route, false, Box::pin(self.apply_inner(route)))
            .await;
        if let Err(e) = &result {
            tracing::warn!(name = route.payload.name, error = %e, "route apply failed");
        }
        result
    }

    async fn apply_inner(&self, route: &Route) -> Result<RouteReport, RouteError> {
        let started = Instant::now();
        let spec = stage(Stage::Validate, self.spec(route)).await?;
        let probes = stage(Stage::Probe, async {
            let probes = self.probe(route).await;
            if probes.iter().any(|r| !r.ok()) {
                return Err(RouteError::Probe { reports: probes });
            }
            Ok(probes)
        })
        .await?;
        stage(
            Stage::Submit,
            Box::pin(self.write(route, spec, probes, started)),
        )
        .await
    }

    /// The writes of an apply: the Genesys integration (a step of the route's deploy), the wait
    /// for the partner event source, then the AWS resources that differ.
    async fn write(
        &self,
        route: &Route,
        spec: AwsSpec,
        probes: Vec<ProbeReport>,
        started: Instant,
    ) -> Result<RouteReport, RouteError> {
        let deployed = self.inner.genesys.apply_step(&route.integration()).await?;
        let mut aws = Aws::new(&self.inner.events);
        let source = self.wait_for_source(&aws, &spec.bus_name).await?;
        let seen = aws.observe(&spec).await?;
        let planned = aws_plan(&spec, &seen);
        let applied = aws.apply(&spec, &seen).await?;
        let source_after = aws.source(&spec.bus_name).await?.unwrap_or(source);
        let destinations = spec
            .destinations
            .iter()
            .zip(probes)
            .zip(&applied.destinations)
            .map(|((d, probe), (conn, dest))| DestinationReport {
                path: d.path.clone(),
                probe,
                connection_arn: conn.clone(),
                api_destination_arn: dest.clone(),
                target_id: d.target_id.clone(),
            })
            .collect();
        let mut changes = Vec::with_capacity(aws.writes.len() + 1);
        if deployed.changed() {
            changes.push(deployed.change.clone());
        }
        changes.extend(
            aws.writes
                .into_iter()
                .map(|w| with_planned_fields(w, &planned)),
        );
        Ok(RouteReport {
            name: route.payload.name.clone(),
            integration_id: deployed.integration_id.clone(),
            integration_state: deployed.reported_state.clone(),
            changes,
            partner_event_source: spec.bus_name.clone(),
            partner_event_source_arn: source_after.arn.clone(),
            partner_event_source_state: source_after.state.clone(),
            event_bus_arn: applied.bus_arn,
            rule_arn: applied.rule_arn,
            destinations,
            recovered: aws.recovered,
            warnings: spec.warnings,
            elapsed: started.elapsed(),
        })
    }

    /// Looks for the partner event source with backoff until it exists or the wait runs out.
    async fn wait_for_source(
        &self,
        aws: &Aws<'_>,
        name: &str,
    ) -> Result<super::aws::SourceState, RouteError> {
        let started = Instant::now();
        let mut pause = self.inner.source_poll;
        loop {
            if let Some(source) = aws.source(name).await? {
                if source.state == "DELETED" {
                    return Err(RouteError::EventSourceUnusable {
                        name: name.to_owned(),
                        state: source.state,
                    });
                }
                return Ok(source);
            }
            let waited = started.elapsed();
            if waited >= self.inner.source_timeout {
                return Err(RouteError::EventSourceTimeout {
                    name: name.to_owned(),
                    waited,
                });
            }
            tokio::time::sleep(pause.min(self.inner.source_timeout.saturating_sub(waited))).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    /// Removes the route's AWS resources in reverse order (targets, rule, API destinations,
    /// connections, event bus), then deletes the Genesys integration and waits until it is gone.
    /// What is already gone is skipped, so destroy can be repeated.
    pub async fn destroy(&self, route: &Route) -> Result<DestroyReport, RouteError> {
        self.recorded(
            "destroy",
            route,
            false,
            Box::pin(async {
                let spec = stage(Stage::Validate, self.spec(route)).await?;
                stage(Stage::Submit, self.remove(route, &spec)).await
            }),
        )
        .await
    }

    async fn remove(&self, route: &Route, spec: &AwsSpec) -> Result<DestroyReport, RouteError> {
        let mut aws = Aws::new(&self.inner.events);
        let seen: Observed = aws.observe(spec).await?;
        aws.destroy(spec, &seen).await?;
        // Last, the Genesys integration: deleted, and waited for until it is gone (the
        // deployer's delete takes the per-name lease and treats "not there" as done).
        let deleted = self.inner.genesys.delete_step(&route.payload.name).await?;
        let mut changes = aws.writes;
        let deleted_integration = if deleted.changed() {
            changes.push(deleted.change);
            deleted.integration_id
        } else {
            None
        };
        Ok(DestroyReport {
            name: route.payload.name.clone(),
            changes,
            deleted_integration,
        })
    }
}

impl OperationReport for RoutePlan {
    /// What apply would do to the route: created, updated or unchanged.
    fn outcome(&self) -> Action {
        RoutePlan::action(self).outcome()
    }

    fn integration_id(&self) -> Option<&str> {
        self.genesys.integration_id.as_deref()
    }

    fn correlation_id(&self) -> Option<&str> {
        self.genesys.correlation_id.as_deref()
    }
}

impl OperationReport for CheckReport {
    fn outcome(&self) -> Action {
        self.plan.outcome()
    }

    fn integration_id(&self) -> Option<&str> {
        self.plan.integration_id()
    }

    fn correlation_id(&self) -> Option<&str> {
        OperationReport::correlation_id(&self.plan)
    }
}

impl OperationReport for RouteReport {
    fn outcome(&self) -> Action {
        RouteReport::action(self)
    }

    fn integration_id(&self) -> Option<&str> {
        Some(&self.integration_id)
    }
}

impl OperationReport for DestroyReport {
    fn outcome(&self) -> Action {
        DestroyReport::action(self)
    }

    fn integration_id(&self) -> Option<&str> {
        self.deleted_integration.as_deref()
    }
}

/// A write as the plan made before it described it: the same resource and action, with the
/// plan's field changes (a recovered create, or a write the plan did not foresee, keeps none).
fn with_planned_fields(mut write: Change, planned: &[Change]) -> Change {
    if let Some(plan) = planned
        .iter()
        .find(|p| p.kind == write.kind && p.name == write.name && p.action == write.action)
    {
        write.changes.clone_from(&plan.changes);
    }
    write
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_types_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<RouteDeployer>();
        check::<RouteError>();
        check::<RouteReport>();
        check::<RoutePlan>();
    }
}
