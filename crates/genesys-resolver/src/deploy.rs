//! The main job's composition root: [`ResolverBuilder::build_async`], which makes the deploy
//! target the settings choose ([`TargetSettings`](crate::settings::TargetSettings)) and plugs
//! it into the resolve pipeline; and, with feature `aws`, [`RouteTarget`], the real Genesys ->
//! Amazon EventBridge -> HTTPS route as a resolver's [`DeployTarget`](crate::target::DeployTarget).
//!
//! It sits above both the pipeline and the route deployer, so neither knows the other: the
//! pipeline deploys through the [`DeployTarget`](crate::target::DeployTarget) seam below it, and the route deployer is used
//! only through its public API (`check`, `apply`).
//!
//! ```no_run
//! use genesys_resolver::payload::ResolvePayload;
//! use genesys_resolver::pipeline::Resolver;
//! use genesys_resolver::settings::ResolverSettings;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // RESOLVER_DEPLOY_TARGET=route and the RESOLVER_ROUTE_* variables choose the real route;
//! // AWS credentials (and AWS_ENDPOINT_URL for an emulator) come from the standard AWS chain.
//! let resolver = Resolver::builder()
//!     .settings(ResolverSettings::from_env()?)
//!     .build_async()
//!     .await?;
//! let payload = ResolvePayload::builder("orders", "https://hooks.example.com/genesys")
//!     .event_types(["v2.routing.queues.{id}.conversations"])
//!     .build()?;
//! let report = resolver.resolve(&payload).await?;
//! println!("{} {:?} {:?}", report.action, report.target, report.route);
//! # Ok(()) }
//! ```

use crate::error::BuildError;
use crate::pipeline::{Resolver, ResolverBuilder};
use crate::settings::TargetKind;

impl ResolverBuilder {
    /// Builds the resolver, first connecting what the settings ask to be connected: with
    /// [`CoordinationSettings::redis_url`](crate::settings::CoordinationSettings::redis_url)
    /// set (and no coordinator given), a Redis lease coordinator, and Redis pacers for the
    /// rate limits that are set, so every replica shares one lease per name and one budget.
    /// A Redis that cannot be reached fails the build with a coordination error; nothing falls
    /// back to working unlocked.
    ///
    /// With [`TargetKind::Route`] (and no [`deploy_target`](Self::deploy_target) given), it
    /// then makes the real route's deployer (feature `aws`) from the same settings, sharing
    /// the resolver's metrics sink, prober and coordinator: the Genesys half from the client,
    /// trust and coordination settings, the EventBridge client from the standard AWS chain
    /// with the route target's region (and endpoint, when set). A build without feature `aws`
    /// refuses the route target as a settings error.
    pub async fn build_async(self) -> Result<Resolver, BuildError> {
        let mut builder = self.connect().await?;
        if builder.current_settings().target.kind == TargetKind::Route
            && !builder.has_deploy_target()
        {
            let target = route::target(&mut builder).await?;
            builder = builder.deploy_target(target);
        }
        builder.build()
    }
}

#[cfg(feature = "aws")]
pub use route::RouteTarget;

#[cfg(feature = "aws")]
mod route {
    use std::sync::Arc;

    use async_trait::async_trait;

    use crate::audit::NoopAudit;
    use crate::error::{BuildError, OperationError};
    use crate::eventbridge::EventBridgeDeployer;
    use crate::outcome::Action;
    use crate::payload::ResolvePayload;
    use crate::pipeline::ResolverBuilder;
    use crate::route::{Route, RouteDeployer};
    use crate::settings::{RouteTargetSettings, SettingsErrors};
    use crate::target::{DeployTarget, Deployed};
    use crate::validate::Limits;
    use crate::violation::Violation;

    /// The real route as a resolver's deploy target: each payload becomes a [`Route`] with
    /// the [`RouteTargetSettings`] (account, region, role, dead-letter queue, the payload's
    /// partner event source suffix by the suffix rule, the organisation id) and is deployed by
    /// a [`RouteDeployer`]: [`apply`](RouteDeployer::apply) for a resolve,
    /// [`check`](RouteDeployer::check) (probes and both plans, no write) for a dry run.
    ///
    /// The deployer's own operation envelope is not the resolver's: give it one without
    /// sinks (as [`ResolverBuilder::build_async`] does), so the resolve is counted and
    /// audited once.
    #[derive(Debug, Clone)]
    pub struct RouteTarget {
        deployer: RouteDeployer,
        settings: RouteTargetSettings,
    }

    impl RouteTarget {
        /// A target deploying through `deployer` with `settings`, which must hold what a route
        /// needs (account, region, role; see [`RouteTargetSettings::problems`]).
        pub fn new(
            deployer: RouteDeployer,
            settings: RouteTargetSettings,
        ) -> Result<Self, BuildError> {
            let problems = settings.problems("target.route.");
            if !problems.is_empty() {
                return Err(BuildError::Settings(SettingsErrors(problems)));
            }
            Ok(Self { deployer, settings })
        }

        /// The route deployer.
        pub fn deployer(&self) -> &RouteDeployer {
            &self.deployer
        }

        /// The route target's settings.
        pub fn settings(&self) -> &RouteTargetSettings {
            &self.settings
        }

        /// The route `payload` becomes.
        pub fn route(&self, payload: &ResolvePayload) -> Route {
            let s = &self.settings;
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            let mut route = Route::new(
                payload.clone(),
                text(&s.aws_account_id),
                text(&s.aws_region),
                s.suffix_for(&payload.name),
                text(&s.organization_id),
                text(&s.role_arn),
            );
            if let Some(dlq) = &s.dead_letter_arn {
                route = route.dead_letter_arn(dlq.clone());
            }
            route
        }
    }

    #[async_trait]
    impl DeployTarget for RouteTarget {
        fn target(&self, payload: &ResolvePayload) -> String {
            self.route(payload).target()
        }

        /// The route's rules: the payload's (with the resolver's limits) and EventBridge's.
        fn violations(&self, payload: &ResolvePayload, limits: &Limits) -> Vec<Violation> {
            self.route(payload).violations_with(limits)
        }

        async fn deploy(
            &self,
            payload: &ResolvePayload,
            dry_run: bool,
        ) -> Result<Deployed, Box<dyn OperationError>> {
            let route = self.route(payload);
            let boxed = |e| Box::new(e) as Box<dyn OperationError>;
            if dry_run {
                let check = Box::pin(self.deployer.check(&route)).await.map_err(boxed)?;
                if let Some(e) = check.probe_error() {
                    return Err(boxed(e));
                }
                let plan = &check.plan;
                let action = match plan.action().outcome() {
                    Action::Deleted => Action::Updated,
                    other => other,
                };
                let mut done = Deployed::new(action)
                    .endpoints(check.probes.clone())
                    .warnings(plan.warnings.clone())
                    .report(to_json(plan));
                done.integration_id.clone_from(&plan.genesys.integration_id);
                return Ok(done);
            }
            let report = Box::pin(self.deployer.apply(&route)).await.map_err(boxed)?;
            let mut done = Deployed::new(report.action())
                .integration_id(report.integration_id.clone())
                .endpoints(
                    report
                        .destinations
                        .iter()
                        .map(|d| d.probe.clone())
                        .collect(),
                )
                .warnings(report.warnings.clone())
                .report(to_json(&report));
            done.recovered = !report.recovered.is_empty();
            Ok(done)
        }
    }

    /// A report as JSON (a serde form of plain data; never fails in practice, `null` if it
    /// did).
    fn to_json(report: &impl serde::Serialize) -> serde_json::Value {
        serde_json::to_value(report).unwrap_or_default()
    }

    /// The route target of a resolver's settings, sharing the resolver's metrics sink (the
    /// Genesys half's API calls), prober and coordinator. The route deployer records nothing
    /// itself: the resolve's envelope records the operation.
    pub(super) async fn target(
        builder: &mut ResolverBuilder,
    ) -> Result<Arc<dyn DeployTarget>, BuildError> {
        let parts = builder.shared_parts()?;
        let settings = builder.current_settings();
        let mut route_settings = settings.route_settings();
        route_settings.genesys.trust.ca_pem.extend(parts.extra_pem);
        let genesys = EventBridgeDeployer::configure(route_settings.genesys.clone())
            .metrics(parts.sink)
            .audit(Arc::new(NoopAudit))
            .coordinator(parts.coordinator.clone())
            .build_async()
            .await?;
        let events = RouteDeployer::aws_client(
            route_settings.aws_region.as_deref(),
            route_settings.aws_endpoint_url.as_deref(),
        )
        .await;
        let deployer = RouteDeployer::builder(genesys, events)
            .settings(route_settings)
            .prober(parts.prober)
            .coordinator(parts.coordinator)
            .build()?;
        Ok(Arc::new(RouteTarget::new(
            deployer,
            settings.target.route.clone(),
        )?))
    }
}

#[cfg(not(feature = "aws"))]
mod route {
    use std::sync::Arc;

    use crate::error::BuildError;
    use crate::pipeline::ResolverBuilder;
    use crate::settings::{SettingsError, SettingsErrors};
    use crate::target::DeployTarget;

    /// Without feature `aws` there is no route to deploy to.
    #[allow(clippy::unused_async)] // the same signature as with the feature
    pub(super) async fn target(
        _builder: &mut ResolverBuilder,
    ) -> Result<Arc<dyn DeployTarget>, BuildError> {
        Err(BuildError::Settings(SettingsErrors(vec![
            SettingsError::new(
                "target.kind",
                "this build has no route support (cargo feature `aws`)",
            ),
        ])))
    }
}
