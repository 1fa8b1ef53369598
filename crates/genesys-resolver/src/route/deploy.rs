//! [`RouteDeployer`]: check, plan, apply and destroy a [`Route`] on both sides.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_eventbridge::Client;
use tokio::time::Instant;

use super::Route;
use super::account::Account;
use super::auth::CredentialKey;
use super::aws::{Aws, Observed, plan as aws_plan};
use super::error::RouteError;
use super::rehearse::{self, RehearsalClient, RehearseOptions, RehearseReport};
use super::report::{CheckReport, DestinationReport, DestroyReport, RoutePlan, RouteReport};
use super::spec::AwsSpec;
use super::turn::{ROUTE_SCOPE, Turn};
use crate::change::Change;
use crate::coordination::{Coordinator, LeaseKey};
use crate::envelope::{Envelope, OperationReport, Subject, stage};
use crate::eventbridge::EventBridgeDeployer;
use crate::outcome::{Action, Stage};
use crate::probe::reach::ReachChecker;
use crate::probe::{EndpointProber, ProbeReport};

/// The path under which `check` reports the reach of an OAuth connection's token endpoint.
pub const OAUTH_ENDPOINT_PATH: &str = "oauth.authorizationEndpoint";

/// Deploys routes: the Genesys EventBridge integration through an [`EventBridgeDeployer`], the
/// AWS half through the official SDK's EventBridge [`Client`]. Cheap to clone; `Send + Sync`.
///
/// Before anything is written (and before a plan reads the AWS side) it checks that the route's
/// `awsAccountId` is the account of the AWS credentials (STS `GetCallerIdentity`, once per
/// deployer) and its `awsRegion` the client's region. An apply or destroy holds the route's
/// turn (a per-name lease of the deployer's coordinator: in process, or Redis shared by every
/// process) around both halves, and checks it before every write.
#[derive(Clone)]
pub struct RouteDeployer {
    inner: Arc<Inner>,
}

struct Inner {
    genesys: EventBridgeDeployer,
    events: Client,
    account: Account,
    prober: Arc<dyn EndpointProber>,
    reach: ReachChecker,
    source_timeout: Duration,
    source_poll: Duration,
    envelope: Envelope,
    coordinator: Arc<dyn Coordinator>,
    lease_wait: Duration,
    credential_key: CredentialKey,
    rehearsal: RehearsalClient,
}

/// The parts of a route deployer, as its builder made them.
pub(super) struct Parts {
    pub(super) genesys: EventBridgeDeployer,
    pub(super) events: Client,
    pub(super) sts: aws_sdk_sts::Client,
    pub(super) prober: Arc<dyn EndpointProber>,
    /// Judges destinations as EventBridge will reach them (check only).
    pub(super) reach: ReachChecker,
    /// How long apply waits for the partner event source, and its first pause.
    pub(super) waits: (Duration, Duration),
    pub(super) envelope: Envelope,
    pub(super) coordinator: Arc<dyn Coordinator>,
    pub(super) lease_wait: Duration,
    /// The key of the connections' credential digest (`None`: the public one).
    pub(super) credential_key: Option<CredentialKey>,
    /// Sends rehearsals' requests.
    pub(super) rehearsal: RehearsalClient,
}

impl fmt::Debug for RouteDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteDeployer")
            .field("genesys", &self.inner.genesys)
            .field("prober", &self.inner.prober)
            .field("reach", &self.inner.reach)
            .field("source_timeout", &self.inner.source_timeout)
            .field("source_poll", &self.inner.source_poll)
            .field("coordinator", &self.inner.coordinator)
            .field("lease_wait", &self.inner.lease_wait)
            .finish_non_exhaustive()
    }
}

impl RouteDeployer {
    /// A deployer of these parts (see [`RouteDeployerBuilder`](super::RouteDeployerBuilder)).
    pub(super) fn from_parts(parts: Parts) -> Self {
        let (source_timeout, source_poll) = parts.waits;
        Self {
            inner: Arc::new(Inner {
                genesys: parts.genesys,
                events: parts.events,
                account: Account::new(parts.sts),
                prober: parts.prober,
                reach: parts.reach,
                source_timeout,
                source_poll,
                envelope: parts.envelope,
                coordinator: parts.coordinator,
                lease_wait: parts.lease_wait,
                credential_key: parts.credential_key.unwrap_or_else(CredentialKey::public),
                rehearsal: parts.rehearsal,
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

    /// The STS client the account check asks (`GetCallerIdentity`).
    pub fn sts(&self) -> &aws_sdk_sts::Client {
        self.inner.account.sts()
    }

    /// The account id of the deployer's AWS credentials (STS `GetCallerIdentity`, asked once
    /// per deployer; a failure is not remembered).
    pub async fn caller_account(&self) -> Result<String, RouteError> {
        Ok(self.inner.account.caller().await?.to_owned())
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

    /// The route's rules, its account and region against the deployer's (reads only), then its
    /// AWS spec (the partner source named after the organisation).
    async fn spec(&self, route: &Route) -> Result<AwsSpec, RouteError> {
        route.validate()?;
        let region = self.inner.events.config().region().map(AsRef::as_ref);
        self.inner.account.verify(route, region).await?;
        let organization_id = self.organization_id(route).await?;
        let mut spec = route.aws_spec_with(&self.inner.credential_key);
        spec.bus_name = super::partner_source_name(&organization_id, &route.event_source_suffix);
        spec.validate()?;
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
        let mut spec = spec.clone();
        spec.integration_id.clone_from(&genesys.integration_id);
        let spec = &spec;
        let seen = aws.observe(spec).await?;
        Ok(RoutePlan {
            name: route.payload.name.clone(),
            aws_account_id: route.aws_account_id.clone(),
            aws_region: route.aws_region.clone(),
            genesys,
            partner_event_source: spec.bus_name.clone(),
            partner_event_source_state: seen.source.as_ref().map(|s| s.state.clone()),
            aws: aws_plan(spec, &seen),
            warnings: spec.warnings.clone(),
        })
    }

    /// Validates, probes every destination, judges each (and an OAuth connection's token
    /// endpoint, as [`OAUTH_ENDPOINT_PATH`]) as EventBridge will reach it
    /// ([`ReachChecker`]: public roots and addresses, no mutual TLS, 5 seconds, certificate
    /// lifetime; beside the probe, at the same time) and plans both sides; writes nothing. A
    /// failing probe or an unreachable destination is reported, not an error.
    pub async fn check(&self, route: &Route) -> Result<CheckReport, RouteError> {
        self.recorded(
            "check",
            route,
            true,
            Box::pin(async {
                let spec = stage(Stage::Validate, self.spec(route)).await?;
                let probes = stage(Stage::Probe, async {
                    let reach = async {
                        let checker = &self.inner.reach;
                        let mut reach = checker
                            .check_payload(&route.payload, route.connectivity)
                            .await;
                        // EventBridge fetches an OAuth connection's token itself: it must
                        // reach the token endpoint as it reaches a destination.
                        if let Some(oauth) = &route.oauth {
                            let endpoint = &oauth.authorization_endpoint;
                            let mut report = checker.check(endpoint, route.connectivity).await;
                            OAUTH_ENDPOINT_PATH.clone_into(&mut report.path);
                            reach.push(report);
                        }
                        reach
                    };
                    Ok::<_, RouteError>(tokio::join!(self.probe(route), reach))
                });
                let (probes, reach) = probes.await?;
                let plan = stage(Stage::RouteMapping, self.read_plan(route, &spec)).await?;
                Ok(CheckReport {
                    probes,
                    reach,
                    plan,
                })
            }),
        )
        .await
    }

    /// Rehearses the route's delivery as EventBridge will make it (see
    /// [`rehearse`](super::rehearse)): per subscribed topic a Genesys event in EventBridge's
    /// envelope, matched against the route's rules, and per matching destination the exact
    /// request, sent only with [`RehearseOptions::send`], with EventBridge's verdict for the
    /// answer. Reads the Genesys organisation (when the route leaves it empty) and the topics'
    /// schemas; never writes, never calls AWS.
    pub async fn rehearse(
        &self,
        route: &Route,
        options: &RehearseOptions,
    ) -> Result<RehearseReport, RouteError> {
        self.recorded(
            "rehearse",
            route,
            true,
            Box::pin(async {
                let (spec, selection) = stage(Stage::Validate, async {
                    route.validate()?;
                    let organization_id = self.organization_id(route).await?;
                    let mut spec = route.aws_spec_with(&self.inner.credential_key);
                    spec.bus_name =
                        super::partner_source_name(&organization_id, &route.event_source_suffix);
                    spec.validate()?;
                    let selection = rehearse::select(route, &spec, options)?;
                    Ok::<_, RouteError>((spec, selection))
                })
                .await?;
                let id = rehearse::rehearsal_id();
                let mut warnings = Vec::new();
                let events = stage(Stage::RouteMapping, async {
                    let platform = self.inner.genesys.platform_api().as_ref();
                    let events = rehearse::events(
                        route,
                        &spec,
                        platform,
                        options,
                        &selection,
                        &id,
                        &mut warnings,
                    );
                    Ok::<_, RouteError>(events.await?)
                })
                .await?;
                let stage_of = if options.send {
                    Stage::Probe
                } else {
                    Stage::RouteMapping
                };
                let events = stage(stage_of, async {
                    let client = &self.inner.rehearsal;
                    let aws = options.test_event_pattern.then_some(&self.inner.events);
                    let done = rehearse::rehearse_events(
                        route,
                        &spec,
                        client,
                        aws,
                        options,
                        &selection,
                        &id,
                        events,
                        &mut warnings,
                    );
                    Ok::<_, RouteError>(done.await?)
                })
                .await?;
                Ok(RehearseReport {
                    name: route.payload.name.clone(),
                    rehearsal_id: id,
                    sent: options.send,
                    retry_policy: rehearse::budget(&spec),
                    events,
                    warnings,
                })
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
            Box::pin(async {
                let turn = self.turn(route).await?;
                let result = self.write(route, spec, probes, started, &turn).await;
                turn.finish(result).await
            }),
        )
        .await
    }

    /// The route's turn: one apply or destroy of its name at a time, here and in every process
    /// sharing the coordinator.
    async fn turn(&self, route: &Route) -> Result<Turn, RouteError> {
        let environment = self.inner.genesys.client().environment();
        let key = LeaseKey::new(
            crate::coordination::organisation(Some(environment)),
            ROUTE_SCOPE,
            route.payload.name.clone(),
        );
        let coordinator = &*self.inner.coordinator;
        Turn::take(
            coordinator,
            &key,
            self.inner.lease_wait,
            &route.payload.name,
        )
        .await
    }

    /// The writes of an apply, in the route's `turn` (checked before each write step): the
    /// Genesys integration (a step of the route's deploy), the wait for the partner event
    /// source, then the AWS resources that differ (each write checked by the guarded client).
    async fn write(
        &self,
        route: &Route,
        spec: AwsSpec,
        probes: Vec<ProbeReport>,
        started: Instant,
        turn: &Turn,
    ) -> Result<RouteReport, RouteError> {
        let mut spec = spec;
        turn.ensure_held()?;
        let events = turn.guard(&self.inner.events);
        let mut aws = Aws::new(&events);
        // Read before any write: a wanted resource another route owns is refused here.
        let mut seen = aws.observe(&spec).await?;
        turn.ensure_held()?;
        let deployed = self.inner.genesys.apply_step(&route.integration()).await?;
        spec.integration_id = Some(deployed.integration_id.clone());
        let result = async {
            turn.ensure_held()?;
            let source = self.wait_for_source(&aws, &spec.bus_name).await?;
            if deployed.changed() || seen.bus_arn.is_none() {
                seen = aws.observe(&spec).await?;
            }
            let planned = aws_plan(&spec, &seen);
            let applied = aws.apply(&spec, &seen).await?;
            // The source turns ACTIVE when its bus is made; read it again only then.
            let source_after = if seen.bus_arn.is_none() {
                aws.source(&spec.bus_name).await?.unwrap_or(source)
            } else {
                source
            };
            Ok::<_, RouteError>((planned, applied, source_after))
        }
        .await;
        let (planned, applied, source_after) = match result {
            Ok(done) => done,
            Err(e) => {
                return Err(RouteError::Incomplete {
                    integration_id: Some(deployed.integration_id.clone()),
                    aws: aws.holding(&seen),
                    source: Box::new(e),
                });
            }
        };
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
            rule_arn: applied.rule_arns.first().cloned().unwrap_or_default(),
            rule_arns: applied.rule_arns,
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
    /// What is already gone is skipped, so destroy can be repeated. Holds the route's turn, as
    /// apply does.
    pub async fn destroy(&self, route: &Route) -> Result<DestroyReport, RouteError> {
        self.recorded(
            "destroy",
            route,
            false,
            Box::pin(async {
                let spec = stage(Stage::Validate, self.spec(route)).await?;
                stage(Stage::Submit, async {
                    let turn = self.turn(route).await?;
                    let result = self.remove(route, &spec, &turn).await;
                    turn.finish(result).await
                })
                .await
            }),
        )
        .await
    }

    async fn remove(
        &self,
        route: &Route,
        spec: &AwsSpec,
        turn: &Turn,
    ) -> Result<DestroyReport, RouteError> {
        turn.ensure_held()?;
        let events = turn.guard(&self.inner.events);
        let mut aws = Aws::new(&events);
        let seen: Observed = aws.observe_owned(spec).await?;
        let recorded = aws.destroy(spec, &seen).await?;
        turn.ensure_held()?;
        // Last, the Genesys integration: the one the route's rules recorded (by id), else the
        // one named after the route (an apply that stopped before its rules); deleted and waited
        // for until it is gone ("not there" is done).
        let deleted = match recorded {
            Some(id) => {
                (self.inner.genesys)
                    .delete_id_step(&route.payload.name, &id)
                    .await?
            }
            None => self.inner.genesys.delete_step(&route.payload.name).await?,
        };
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
