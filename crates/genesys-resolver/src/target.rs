//! Where a resolve deploys: the [`DeployTarget`] trait the resolve pipeline deploys a proven
//! payload through, when it does not deploy to the seed's integrations route itself.
//!
//! A [`Resolver`](crate::pipeline::Resolver) deploys to the seed's route with its own stages
//! (probe, token, route mapping, submit) unless it holds a target
//! ([`ResolverBuilder::deploy_target`](crate::pipeline::ResolverBuilder::deploy_target)); then,
//! once the payload passed validation, the target does the rest (proving every destination
//! before its first write) and the resolve's envelope records it as one resolve. The real
//! Genesys -> Amazon EventBridge -> HTTPS route is such a target (`deploy::RouteTarget`, feature
//! `aws`), which settings choose ([`TargetSettings`](crate::settings::TargetSettings)).
//!
//! ```
//! use std::sync::Arc;
//!
//! use genesys_resolver::error::OperationError;
//! use genesys_resolver::outcome::Action;
//! use genesys_resolver::payload::ResolvePayload;
//! use genesys_resolver::target::{DeployTarget, Deployed};
//!
//! /// A target that records what it was asked to deploy.
//! #[derive(Debug, Default)]
//! struct Recorder(std::sync::Mutex<Vec<String>>);
//!
//! #[async_trait::async_trait]
//! impl DeployTarget for Recorder {
//!     fn target(&self, payload: &ResolvePayload) -> String {
//!         format!("memory://{}", payload.name)
//!     }
//!
//!     async fn deploy(
//!         &self,
//!         payload: &ResolvePayload,
//!         dry_run: bool,
//!     ) -> Result<Deployed, Box<dyn OperationError>> {
//!         if !dry_run {
//!             self.0.lock().unwrap().push(payload.name.clone());
//!         }
//!         Ok(Deployed::new(Action::Created).integration_id("mem-1"))
//!     }
//! }
//! # let _ = Arc::new(Recorder::default()) as Arc<dyn DeployTarget>;
//! ```

use std::fmt;

use async_trait::async_trait;
use serde_json::Value;

use crate::error::OperationError;
use crate::outcome::Action;
use crate::payload::ResolvePayload;
use crate::probe::ProbeReport;
use crate::validate::{self, Limits};
use crate::violation::Violation;

/// Deploys a payload that passed the resolver's validation, somewhere other than the seed's
/// integrations route. `Send + Sync`: a resolver shares one between all its resolves.
#[async_trait]
pub trait DeployTarget: Send + Sync + fmt::Debug {
    /// Where `payload`'s events go, as the resolve's audit record and span name it (a route:
    /// `route://<region>/<account>/<suffix>`).
    fn target(&self, payload: &ResolvePayload) -> String;

    /// Every rule `payload` breaks as this target would deploy it, checked in the resolve's
    /// validate stage with the resolver's `limits` (a violation fails the resolve before the
    /// target is called). By default the seed's payload rules; the real route adds
    /// EventBridge's.
    fn violations(&self, payload: &ResolvePayload, limits: &Limits) -> Vec<Violation> {
        validate::violations(payload, limits)
    }

    /// Deploys `payload`, or for a dry run (`dry_run`, a resolver's `check`) says what a deploy
    /// would do without writing anything. Every destination is proven (DNS, address policy,
    /// TLS, health) before the first write; a failing one fails the deploy, dry run or not.
    /// Its error is one of the crate's operation errors (stage, kind, upstream, report), which
    /// the resolve's error carries.
    async fn deploy(
        &self,
        payload: &ResolvePayload,
        dry_run: bool,
    ) -> Result<Deployed, Box<dyn OperationError>>;
}

/// What a [`DeployTarget`] did (for a dry run: would do), for the resolve's report.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Deployed {
    /// How it ended: created, updated or unchanged (for a dry run: what a deploy would do).
    pub action: Action,
    /// The Genesys integration concerned; `None` only for a dry run that would create one.
    pub integration_id: Option<String>,
    /// Every destination's probe report, in payload order.
    pub endpoints: Vec<ProbeReport>,
    /// Things worth attention that did not fail the deploy.
    pub warnings: Vec<String>,
    /// Whether something whose create response was lost was found rather than created twice.
    pub recovered: bool,
    /// The upstream's correlation id of the last response, for support requests.
    pub correlation_id: Option<String>,
    /// The target's own report in its JSON form (a route's report), carried by the resolve's
    /// report. It must hold no secret.
    pub report: Option<Value>,
}

impl Deployed {
    /// A deploy that ended with `action`, with nothing else known yet.
    pub fn new(action: Action) -> Self {
        Self {
            action,
            integration_id: None,
            endpoints: Vec::new(),
            warnings: Vec::new(),
            recovered: false,
            correlation_id: None,
            report: None,
        }
    }

    /// The same, concerning the integration `id`.
    #[must_use]
    pub fn integration_id(mut self, id: impl Into<String>) -> Self {
        self.integration_id = Some(id.into());
        self
    }

    /// The same, with every destination's probe report.
    #[must_use]
    pub fn endpoints(mut self, endpoints: Vec<ProbeReport>) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// The same, with warnings.
    #[must_use]
    pub fn warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings = warnings;
        self
    }

    /// The same, with the target's own report (its JSON form; no secret in it).
    #[must_use]
    pub fn report(mut self, report: Value) -> Self {
        self.report = Some(report);
        self
    }
}
